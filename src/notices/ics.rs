//! The appointment as a calendar invitation: `METHOD:REQUEST` with a `UID` stable per booking
//! and a `SEQUENCE` raised with every change, `METHOD:CANCEL` when cancelled. Times are UTC
//! (`...Z`), which every calendar shows in its own zone.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::NoticeKind;
use super::content::{Message, appointment};

/// The invitation's UID: one per booking, whatever changes.
pub fn uid(reference: &str) -> String {
    format!("booking-{reference}@bloodmobile")
}

/// The mailbox part of an address such as `Name <box@host>`.
fn mailbox(address: &str) -> &str {
    match (address.find('<'), address.rfind('>')) {
        (Some(a), Some(b)) if a < b => &address[a + 1..b],
        _ => address.trim(),
    }
}

/// The calendar of `message` for the donor at `attendee`, stamped at `now`.
pub fn invitation(message: &Message, attendee: &str, now: DateTime<Utc>) -> String {
    let cancel = message.kind == NoticeKind::Cancelled;
    let (start, end) = appointment(message);
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new(
        "METHOD",
        if cancel { "CANCEL" } else { "REQUEST" },
    ));
    calendar.name(&message.station);
    let summary = message.language.pick(
        format!("献血：{}", message.site),
        format!("Blood donation at {}", message.site),
    );
    let description = message.language.pick(
        format!("预约号 {}，请在此时间内前往采血车。", message.reference),
        format!(
            "Booking {}: come to the bloodmobile any time within this window.",
            message.reference
        ),
    );
    let mut event = Event::new();
    event
        .uid(&uid(&message.reference))
        .sequence(message.sequence.max(0) as u32)
        .timestamp(now)
        .summary(&summary)
        .description(&description)
        .location(&format!("{} {}", message.site, message.address))
        .starts(start)
        .ends(end)
        .status(if cancel {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .append_property(
            Property::new(
                "ORGANIZER",
                format!("mailto:{}", mailbox(&message.organiser)),
            )
            .add_parameter("CN", &message.station)
            .done(),
        )
        .append_property(
            Property::new("ATTENDEE", format!("mailto:{attendee}"))
                .add_parameter("CN", &message.donor)
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    calendar.push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::language::Language;
    use crate::notices::Channel;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn requests_and_cancels_carry_the_same_uid_and_a_rising_sequence() {
        let tz = chrono_tz::Asia::Shanghai;
        let at = |h, m| tz.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        let mut message = Message {
            kind: NoticeKind::WindowPublished,
            channel: Channel::Email,
            language: Language::ZhCn,
            station: "荆州市中心血站".into(),
            reference: "K7Q9-XMT4".into(),
            donor: "张三".into(),
            site: "三湾社区".into(),
            address: "沙市区".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            window: "morning".into(),
            window_from: at(8, 0),
            window_to: at(12, 0),
            arrival: Some((at(9, 15), at(10, 40))),
            old_arrival: None,
            manage_url: None,
            reason: None,
            cancelled_by_station: false,
            sequence: 1,
            organiser: "荆州市中心血站 <noreply@example.org>".into(),
        };
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let request = invitation(&message, "zhang@example.com", now);
        assert!(request.contains("METHOD:REQUEST"), "{request}");
        assert!(request.contains("UID:booking-K7Q9-XMT4@bloodmobile"));
        assert!(request.contains("SEQUENCE:1"));
        assert!(request.contains("DTSTART:20261203T011500Z"), "{request}");
        assert!(request.contains("DTEND:20261203T024000Z"));
        assert!(request.contains("mailto:noreply@example.org"));
        assert!(request.contains("mailto:zhang@example.com"));
        message.kind = NoticeKind::Cancelled;
        message.sequence = 2;
        let cancel = invitation(&message, "zhang@example.com", now);
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"));
        assert!(cancel.contains("SEQUENCE:2"));
        assert!(cancel.contains("UID:booking-K7Q9-XMT4@bloodmobile"));
    }
}
