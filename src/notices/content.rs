//! What a notice says, read when it is sent: the booking as it stands, its site and station,
//! and what the notice remembered of its moment.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::outbox::Payload;
use super::{Channel, NoticeKind};
use crate::db::notices::NoticeRow;
use std::collections::HashMap;

use crate::db::bookings::{self, BookingRow};
use crate::db::donors::DonorRow;
use crate::db::registry::SiteRow;
use crate::db::{DbConnection, DbError};
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

/// What a batch of notices is about, read in one query: each booking with its donor, site and
/// station.
pub struct Context {
    bookings: HashMap<i64, BookingContext>,
    stations: HashMap<i64, Station>,
}

type BookingContext = (BookingRow, DonorRow, SiteRow);

impl Context {
    /// The context of every notice of `batch`.
    pub fn load(conn: &mut DbConnection, batch: &[NoticeRow]) -> Result<Context, DbError> {
        let ids: Vec<i64> = batch.iter().filter_map(|n| n.booking_id).collect();
        let mut context = Context {
            bookings: HashMap::with_capacity(ids.len()),
            stations: HashMap::new(),
        };
        for (booking, donor, site, station) in bookings::find_many_with_context(conn, &ids)? {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                context.stations.entry(station.id)
                && let Ok(station) = Station::from_row(&station)
            {
                entry.insert(station);
            }
            context.bookings.insert(booking.id, (booking, donor, site));
        }
        Ok(context)
    }

    /// The message of `notice` with its station, or why it is no longer to be sent.
    pub fn message(
        &self,
        notice: &NoticeRow,
        public_url: &str,
        mail_from: &str,
    ) -> Result<(Message, &Station), Obsolete> {
        let (booking, donor, site) = notice
            .booking_id
            .and_then(|id| self.bookings.get(&id))
            .ok_or(Obsolete::NoBooking)?;
        let station = self
            .stations
            .get(&booking.station_id)
            .ok_or(Obsolete::NoBooking)?;
        let message = message(notice, booking, donor, site, station, public_url, mail_from)?;
        Ok((message, station))
    }
}

/// The message of `notice` about `booking`.
fn message(
    notice: &NoticeRow,
    booking: &BookingRow,
    donor: &DonorRow,
    site: &SiteRow,
    station: &Station,
    public_url: &str,
    mail_from: &str,
) -> Result<Message, Obsolete> {
    let kind = NoticeKind::parse(&notice.kind).unwrap_or(NoticeKind::BookingReceived);
    let payload: Payload = serde_json::from_str(&notice.payload).unwrap_or_default();
    if kind == NoticeKind::Reminder
        && (booking.status != bookings::CONFIRMED
            || payload.for_slot.as_ref()
                != Some(&(booking.service_date, booking.time_window.clone())))
    {
        return Err(Obsolete::Reminder);
    }
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
    Ok(Message {
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
    })
}

/// The instants an invitation spans: the arrival window when known, else the booked window.
pub fn appointment(message: &Message) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from, to) = message
        .arrival
        .unwrap_or((message.window_from, message.window_to));
    (from.with_timezone(&Utc), to.with_timezone(&Utc))
}
