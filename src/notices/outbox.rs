//! Writing notices in the transaction of the change that causes them. Each function writes one
//! notice per channel the donor can be reached on: email when they gave an address, SMS always.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Channel, NoticeKind, out_id};
use crate::db::bookings::BookingRow;
use crate::db::notices::{self, NewNotice, PENDING};
use crate::db::schema::{bookings, donors};
use crate::db::{DbConnection, stored_instant};
use crate::station::Station;

/// What a notice needs to remember of the moment it was written (the rest is read when it is
/// sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The manage token, for the link in a new booking's notice (removed once sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The arrival window before and after a change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_window: Option<(NaiveDateTime, NaiveDateTime)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_window: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Who cancelled: "donor" or "station".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The calendar invitation's SEQUENCE.
    #[serde(default)]
    pub sequence: i32,
    /// For a reminder: the day and window it was meant for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_slot: Option<(chrono::NaiveDate, String)>,
}

impl Payload {
    /// The payload kept once sent: no token.
    pub fn scrubbed(&self) -> Payload {
        Payload {
            token: None,
            ..self.clone()
        }
    }
}

/// Where a booking's donor is reached: SMS always, email when they gave an address.
pub struct Contacts {
    pub phone: String,
    pub email: Option<String>,
}

/// The addresses a booking's donor is reached at (loaded, not `.first()`: a bound `LIMIT`
/// makes SQLite prepare the statement again at every call).
fn contacts(conn: &mut DbConnection, booking: &BookingRow) -> QueryResult<Contacts> {
    let (phone, email) = donors::table
        .find(booking.donor_id)
        .select((donors::phone, donors::email))
        .load(conn)?
        .pop()
        .ok_or(diesel::result::Error::NotFound)?;
    Ok(Contacts { phone, email })
}

/// One notice to write, on every channel: `key` tells this event apart from others of its kind
/// for the same booking.
struct Event {
    kind: NoticeKind,
    key: String,
    payload: Payload,
    due: DateTime<Utc>,
}

/// Writes `kind` for `booking` on every channel, due at `due`.
fn write(
    conn: &mut DbConnection,
    booking: &BookingRow,
    kind: NoticeKind,
    key: &str,
    payload: &Payload,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let contacts = contacts(conn, booking)?;
    let event = Event {
        kind,
        key: key.to_string(),
        payload: payload.clone(),
        due,
    };
    write_all(conn, booking, &contacts, &[event], now)
}

/// Writes every event on every channel in one statement.
fn write_all(
    conn: &mut DbConnection,
    booking: &BookingRow,
    contacts: &Contacts,
    events: &[Event],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    notices::enqueue(conn, &rows(booking, contacts, events, now)).map(|_| ())
}

/// The rows of every event on every channel.
fn rows(
    booking: &BookingRow,
    contacts: &Contacts,
    events: &[Event],
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let mut channels = vec![(Channel::Sms, &contacts.phone)];
    if let Some(email) = &contacts.email {
        channels.insert(0, (Channel::Email, email));
    }
    events
        .iter()
        .flat_map(|event| {
            let text = serde_json::to_string(&event.payload).expect("payloads serialise");
            channels.iter().map(move |(channel, recipient)| {
                // The booking's id first: a booking's notices are written together, and keys
                // of newer bookings sort later, so the unique index grows at its end.
                let dedupe_key = format!(
                    "{:010}:{}:{}:{}:{}",
                    booking.id,
                    event.kind.as_str(),
                    booking.reference,
                    event.key,
                    channel.as_str()
                );
                NewNotice {
                    out_id: out_id(&dedupe_key, now),
                    dedupe_key,
                    kind: event.kind.as_str().to_string(),
                    channel: channel.as_str().to_string(),
                    booking_id: Some(booking.id),
                    recipient: recipient.to_string(),
                    language: booking.language.clone(),
                    payload: text.clone(),
                    status: PENDING.to_string(),
                    due_at: stored_instant(event.due),
                    created_at: stored_instant(now),
                }
            })
        })
        .collect()
}

/// Raises the booking's invitation SEQUENCE (a change to the appointment) and returns it.
fn next_sequence(conn: &mut DbConnection, booking: &BookingRow) -> QueryResult<i32> {
    diesel::update(bookings::table.find(booking.id))
        .set(bookings::invite_sequence.eq(bookings::invite_sequence + 1))
        .returning(bookings::invite_sequence)
        .get_result(conn)
}

/// The reminder the day before, for the booking's current day and window; `sequence` (the
/// invitation's, as of this change) tells it apart from the reminders of earlier slots. None
/// when that moment has passed.
fn reminder(
    station: &Station,
    booking: &BookingRow,
    sequence: i32,
    now: DateTime<Utc>,
) -> Option<Event> {
    let window = station.booking.window(&booking.time_window)?;
    let starts = station
        .booking
        .window_interval(booking.service_date, window)
        .0
        .with_timezone(&Utc);
    let due = station
        .notices
        .reminder_due(station.tz, booking.service_date, starts, now)?;
    Some(Event {
        kind: NoticeKind::Reminder,
        key: format!(
            "{}:{}:{}:{sequence}",
            booking.service_date, booking.site_id, booking.time_window
        ),
        payload: Payload {
            for_slot: Some((booking.service_date, booking.time_window.clone())),
            ..Payload::default()
        },
        due,
    })
}

/// The notices of a booking made (by the donor, or offered from the waitlist) for the donor at
/// `contacts`: the confirmation with the manage link, and the reminder the day before. The
/// caller writes them, with the booking itself when it can.
pub fn booked_notices(
    station: &Station,
    booking: &BookingRow,
    contacts: &Contacts,
    token: &str,
    from_waitlist: bool,
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let confirmation = Event {
        kind: if from_waitlist {
            NoticeKind::WaitlistOffer
        } else {
            NoticeKind::BookingReceived
        },
        key: String::new(),
        payload: Payload {
            token: Some(token.to_string()),
            new_window: booking.arrival_from.zip(booking.arrival_to),
            sequence: booking.invite_sequence,
            ..Payload::default()
        },
        due: now,
    };
    // A new booking has no reminder yet to replace.
    let events: Vec<Event> = std::iter::once(confirmation)
        .chain(reminder(station, booking, booking.invite_sequence, now))
        .collect();
    rows(booking, contacts, &events, now)
}

/// A booking moved: the new details, a new reminder.
pub fn rescheduled(
    conn: &mut DbConnection,
    station: &Station,
    booking: &BookingRow,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    notices::skip_pending(conn, booking.id, NoticeKind::Reminder.as_str(), "moved")?;
    let sequence = next_sequence(conn, booking)?;
    let moved = Event {
        kind: NoticeKind::Rescheduled,
        key: sequence.to_string(),
        payload: Payload {
            new_window: booking.arrival_from.zip(booking.arrival_to),
            sequence,
            ..Payload::default()
        },
        due: now,
    };
    let events: Vec<Event> = std::iter::once(moved)
        .chain(reminder(station, booking, sequence, now))
        .collect();
    let contacts = contacts(conn, booking)?;
    write_all(conn, booking, &contacts, &events, now)
}

/// A booking was cancelled, by the donor or by the station with a reason.
pub fn cancelled(
    conn: &mut DbConnection,
    booking: &BookingRow,
    by_station: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    notices::skip_pending(conn, booking.id, NoticeKind::Reminder.as_str(), "cancelled")?;
    let sequence = next_sequence(conn, booking)?;
    let payload = Payload {
        cancelled_by: Some(
            if by_station.is_some() {
                "station"
            } else {
                "donor"
            }
            .into(),
        ),
        reason: by_station.map(str::to_string),
        sequence,
        ..Payload::default()
    };
    write(conn, booking, NoticeKind::Cancelled, "", &payload, now, now)
}

/// A publish gave the booking its first window, or moved it (told when beyond the station's
/// threshold, or when the booking is no longer on a route).
pub fn window(
    conn: &mut DbConnection,
    station: &Station,
    booking: &BookingRow,
    plan_id: i64,
    old: Option<(NaiveDateTime, NaiveDateTime)>,
    new: Option<(NaiveDateTime, NaiveDateTime)>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let kind = match (old, new) {
        (None, Some(_)) => NoticeKind::WindowPublished,
        (Some(old), Some(new)) => {
            let as_window =
                |w: (NaiveDateTime, NaiveDateTime)| crate::domain::dispatch::ArrivalWindow {
                    from: w.0.and_utc(),
                    to: w.1.and_utc(),
                };
            if !station
                .dispatch
                .is_notable_change(&as_window(old), &as_window(new))
            {
                return Ok(());
            }
            NoticeKind::WindowChanged
        }
        (Some(_), None) => NoticeKind::WindowChanged,
        (None, None) => return Ok(()),
    };
    let sequence = next_sequence(conn, booking)?;
    let payload = Payload {
        old_window: old,
        new_window: new,
        sequence,
        ..Payload::default()
    };
    // Publishing the same version again (after a settings change) can move a window again.
    write(
        conn,
        booking,
        kind,
        &format!("{plan_id}:{sequence}"),
        &payload,
        now,
        now,
    )
}

/// A donation was recorded: thanks.
pub fn thank_you(
    conn: &mut DbConnection,
    booking: &BookingRow,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    write(
        conn,
        booking,
        NoticeKind::ThankYou,
        "",
        &Payload::default(),
        now,
        now,
    )
}
