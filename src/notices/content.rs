//! What a notice says, read when it is sent: the booking as it stands, its site and station,
//! and what the notice remembered of its moment.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::outbox::Payload;
use super::{Channel, NoticeKind};
use crate::db::notices::NoticeRow;
use crate::db::{DbConnection, DbError, bookings, donors, registry};
use crate::domain::language::Language;
use crate::station::Station;

/// Everything a template needs.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: NoticeKind,
    pub channel: Channel,
    pub language: Language,
    pub station: String,
    pub reference: String,
    pub donor: String,
    pub site: String,
    pub address: String,
    pub date: NaiveDate,
    pub window: String,
    pub window_from: DateTime<Tz>,
    pub window_to: DateTime<Tz>,
    /// The arrival window to tell (the new one of a change).
    pub arrival: Option<(DateTime<Tz>, DateTime<Tz>)>,
    /// The one it replaces.
    pub old_arrival: Option<(DateTime<Tz>, DateTime<Tz>)>,
    /// The private link to view, reschedule or cancel (new bookings only).
    pub manage_url: Option<String>,
    /// The station's reason for a cancellation it made.
    pub reason: Option<String>,
    pub cancelled_by_station: bool,
    /// The calendar invitation's SEQUENCE.
    pub sequence: i32,
    /// The mail's sender address, for the invitation's organiser.
    pub organiser: String,
}

/// Why a notice is not sent after all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obsolete {
    /// A reminder for a booking cancelled or moved since.
    Reminder,
    /// Its booking is gone.
    NoBooking,
}

/// The message of `notice`, or why it is no longer to be sent.
pub fn load(
    conn: &mut DbConnection,
    notice: &NoticeRow,
    public_url: &str,
    mail_from: &str,
) -> Result<Result<Message, Obsolete>, DbError> {
    let kind = NoticeKind::parse(&notice.kind).unwrap_or(NoticeKind::BookingReceived);
    let payload: Payload = serde_json::from_str(&notice.payload).unwrap_or_default();
    let Some(booking_id) = notice.booking_id else {
        return Ok(Err(Obsolete::NoBooking));
    };
    let Some(booking) = bookings::find(conn, booking_id)? else {
        return Ok(Err(Obsolete::NoBooking));
    };
    if kind == NoticeKind::Reminder
        && (booking.status != bookings::CONFIRMED
            || payload.for_slot.as_ref()
                != Some(&(booking.service_date, booking.time_window.clone())))
    {
        return Ok(Err(Obsolete::Reminder));
    }
    let (Some(site), Some(station_row)) = (
        registry::find_site(conn, booking.site_id)?,
        registry::find_station(conn, booking.station_id)?,
    ) else {
        return Ok(Err(Obsolete::NoBooking));
    };
    let Ok(station) = Station::from_row(&station_row) else {
        return Ok(Err(Obsolete::NoBooking));
    };
    let donor = donors::find(conn, booking.donor_id)?;
    let tz = station.tz;
    let local = |at: NaiveDateTime| at.and_utc().with_timezone(&tz);
    let window = |w: (NaiveDateTime, NaiveDateTime)| (local(w.0), local(w.1));
    let (window_from, window_to) = match station.booking.window(&booking.time_window) {
        Some(w) => station.booking.window_interval(booking.service_date, w),
        None => {
            let midnight = booking.service_date.and_hms_opt(0, 0, 0).expect("midnight");
            let start = crate::domain::calendar::resolve_local(tz, midnight);
            (start, start)
        }
    };
    // A reminder tells the window as it stands; the others what their moment told.
    let arrival = match kind {
        NoticeKind::Reminder | NoticeKind::ThankYou => {
            booking.arrival_from.zip(booking.arrival_to).map(window)
        }
        _ => payload.new_window.map(window),
    };
    let manage_url = payload.token.as_ref().map(|token| {
        format!(
            "{}/manage/{}?t={token}",
            public_url.trim_end_matches('/'),
            booking.reference
        )
    });
    Ok(Ok(Message {
        kind,
        channel: Channel::parse(&notice.channel).unwrap_or(Channel::Sms),
        language: Language::parse(&notice.language).unwrap_or_default(),
        station: station.name.clone(),
        reference: booking.reference.clone(),
        donor: donor.name.clone(),
        site: site.name.clone(),
        address: site.address.clone(),
        date: booking.service_date,
        window: booking.time_window.clone(),
        window_from,
        window_to,
        arrival,
        old_arrival: payload.old_window.map(window),
        manage_url,
        reason: payload.reason.clone(),
        cancelled_by_station: payload.cancelled_by.as_deref() == Some("station"),
        sequence: payload.sequence,
        organiser: mail_from.to_string(),
    }))
}

/// The instants an invitation spans: the arrival window when known, else the booked window.
pub fn appointment(message: &Message) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from, to) = message
        .arrival
        .unwrap_or((message.window_from, message.window_to));
    (from.with_timezone(&Utc), to.with_timezone(&Utc))
}
