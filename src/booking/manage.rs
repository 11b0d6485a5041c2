//! What a booking's owner can do with the manage token: view, reschedule, cancel.

use chrono::{DateTime, NaiveDate, Utc};

use super::create::{check_eligibility, site_context};
use super::{BookingDetails, BookingError, hash_secret, same_secret};
use crate::db::bookings::{self, BookingRow, CONFIRMED, Slot};
use crate::db::donors::{self, DonorRow};
use crate::db::registry::{self, SiteRow};
use crate::db::{DbConnection, lock, lock_key, plans, stored_instant, write_transaction};
use crate::dispatch::day::lock_day;
use crate::dispatch::placement::{self, Seat};
use crate::domain::donation::{DonationKind, Sex};
use crate::domain::donor::{DonorName, PhoneNumber};
use crate::domain::eligibility::Requested;
use crate::domain::language::Language;
use crate::domain::reference::normalise_reference;
use crate::notices::outbox;
use crate::station::Station;

use super::DonorAnswers;

/// A requested move; absent parts stay as booked.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub site_id: Option<i64>,
    pub date: Option<NaiveDate>,
    pub window: Option<String>,
}

struct Owned {
    booking: BookingRow,
    site: SiteRow,
    donor: DonorRow,
    station: Station,
}

impl Owned {
    fn details(&self) -> BookingDetails {
        BookingDetails::build(&self.station, &self.booking, &self.site, &self.donor, None)
    }
}

/// Who is asking for a booking: its owner with a manage token, or a dispatcher.
enum Access<'a> {
    Owner(Option<&'a str>),
    Dispatcher,
}

fn load_owned(
    conn: &mut DbConnection,
    reference: &str,
    token: Option<&str>,
) -> Result<Owned, BookingError> {
    load(conn, reference, Access::Owner(token))
}

fn load(conn: &mut DbConnection, reference: &str, access: Access) -> Result<Owned, BookingError> {
    let not_found = || BookingError::NotFound {
        what: "booking",
        field: "reference",
        id: reference.to_string(),
    };
    let normalised = normalise_reference(reference).ok_or_else(not_found)?;
    let booking = bookings::find_by_reference(conn, &normalised)?.ok_or_else(not_found)?;
    if let Access::Owner(token) = access {
        let token = token.ok_or(BookingError::MissingToken)?;
        if !same_secret(&hash_secret(token), &booking.manage_token_hash) {
            return Err(BookingError::WrongToken);
        }
    }
    let site = registry::find_site(conn, booking.site_id)?.ok_or_else(not_found)?;
    let station_row = registry::find_station(conn, booking.station_id)?.ok_or_else(not_found)?;
    let donor = donors::find(conn, booking.donor_id)?;
    Ok(Owned {
        station: Station::from_row(&station_row)?,
        booking,
        site,
        donor,
    })
}

/// The booking, if `token` is its manage token.
pub fn find_for_owner(
    conn: &mut DbConnection,
    reference: &str,
    token: Option<&str>,
) -> Result<BookingDetails, BookingError> {
    Ok(load_owned(conn, reference, token)?.details())
}

/// The booking, for a dispatcher.
pub fn find_for_dispatcher(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<BookingDetails, BookingError> {
    Ok(load(conn, reference, Access::Dispatcher)?.details())
}

fn ensure_changeable(owned: &Owned, now: DateTime<Utc>) -> Result<(), BookingError> {
    if owned.booking.status != CONFIRMED {
        return Err(BookingError::Cancelled);
    }
    owned.station.booking.check_change_allowed(
        now,
        owned.booking.service_date,
        &owned.booking.time_window,
    )?;
    Ok(())
}

/// The donor's answers as stored, for re-checking eligibility on a new date.
fn stored_answers(donor: &DonorRow) -> Result<DonorAnswers, BookingError> {
    let corrupt =
        |what: &str| BookingError::Internal(format!("stored donor {}: bad {what}", donor.id));
    Ok(DonorAnswers {
        name: DonorName::parse(&donor.name, "donor.name").map_err(|_| corrupt("name"))?,
        phone: PhoneNumber::parse(&donor.phone, "donor.phone").map_err(|_| corrupt("phone"))?,
        email: None,
        birth_date: donor.birth_date,
        sex: Sex::parse(&donor.sex).ok_or_else(|| corrupt("sex"))?,
        weight_kg: donor.weight_kg,
        blood_type: None,
        // `check_eligibility` adds the stored history, adverse reaction and vaccination.
        last_donations: Vec::new(),
        legacy_last_donation: false,
        apheresis_12_months: None,
        adverse_reaction_before: false,
        vaccination: None,
    })
}

/// Serialises changes of one booking (taken before the slot's lock).
fn lock_booking(conn: &mut DbConnection, reference: &str) -> diesel::QueryResult<()> {
    lock(conn, lock_key(&format!("booking:{reference}")))
}

/// Takes a booking out of its day's latest plan, if the day has one.
fn leave_plan(
    conn: &mut DbConnection,
    station: &Station,
    booking: &BookingRow,
    kind: DonationKind,
) -> Result<(), BookingError> {
    if let Some(plan) = plans::latest(conn, booking.station_id, booking.service_date)? {
        placement::remove(conn, station, &plan, booking.id, kind)?;
    }
    Ok(())
}

/// Moves a booking to another site, date or window, if the new slot is open and has a seat
/// (once the new day has a plan: if it fits its routes).
pub fn reschedule_booking(
    conn: &mut DbConnection,
    reference: &str,
    token: Option<&str>,
    change: Change,
    now: DateTime<Utc>,
) -> Result<BookingDetails, BookingError> {
    let owned = load_owned(conn, reference, token)?;
    ensure_changeable(&owned, now)?;
    let site_id = change.site_id.unwrap_or(owned.booking.site_id);
    let date = change.date.unwrap_or(owned.booking.service_date);
    let window = change
        .window
        .unwrap_or_else(|| owned.booking.time_window.clone());
    let target = site_context(conn, site_id, "site_id")?;
    let kind = DonationKind::parse(&owned.booking.kind).ok_or_else(|| {
        BookingError::Internal(format!("booking {}: unknown kind", owned.booking.reference))
    })?;
    let window_index = target.check_slot(date, &window, kind, now)?;
    let (site, station) = (&target.site, &target.station);
    let same_slot = station.id == owned.booking.station_id
        && date == owned.booking.service_date
        && window == owned.booking.time_window;
    if same_slot && site.id == owned.booking.site_id {
        return Ok(owned.details());
    }
    // Checked again on every move: the day, the window (waits in hours) and the station (its
    // plasma policy) all count.
    let answers = stored_answers(&owned.donor)?;
    let requested = Requested {
        kind,
        volume_ml: u32::try_from(owned.booking.volume_ml).unwrap_or(0),
        date,
        starts_at: station.booking.windows[window_index].start,
    };
    check_eligibility(
        conn,
        station,
        &answers,
        Some(&owned.donor),
        requested,
        Language::parse(&owned.booking.language).unwrap_or_default(),
        station.booking.local_today(now),
    )?;
    let moved = write_transaction(conn, |conn| {
        lock_booking(conn, &owned.booking.reference)?;
        let mut days = [
            (owned.booking.station_id, owned.booking.service_date),
            (station.id, date),
        ];
        days.sort_by_key(|(s, d)| (*d, *s));
        lock_day(conn, days[0].0, days[0].1)?;
        if days[1] != days[0] {
            lock_day(conn, days[1].0, days[1].1)?;
        }
        // Re-read under the lock: a concurrent cancel or move wins cleanly.
        let current = bookings::find_by_reference(conn, &owned.booking.reference)?
            .filter(|b| b.status == CONFIRMED)
            .ok_or(BookingError::Cancelled)?;
        let full = || BookingError::Full {
            site_id: site.id,
            date,
            window: window.clone(),
            kind,
        };
        let plan = plans::latest(conn, station.id, date)?;
        if plan.is_none() && !same_slot && !target.has_seat(conn, date, window_index, kind)? {
            return Err(full());
        }
        leave_plan(conn, &owned.station, &current, kind)?;
        let to = Slot {
            station_id: station.id,
            site_id: site.id,
            date,
            window: &window,
        };
        let mut moved = bookings::move_to(conn, current.id, &to, stored_instant(now))?;
        if let Some(plan) = plan {
            let seat = Seat {
                booking_id: moved.id,
                site_id: site.id,
                window: window.clone(),
                kind,
            };
            if placement::place(conn, station, &plan, &seat, now)?.is_none() {
                return Err(full());
            }
            moved = bookings::find_by_reference(conn, &moved.reference)?
                .ok_or(BookingError::Cancelled)?;
        }
        outbox::rescheduled(conn, station, &moved, now)?;
        Ok(moved)
    })?;
    Ok(BookingDetails::build(
        station,
        &moved,
        site,
        &owned.donor,
        None,
    ))
}

/// Cancels a booking, freeing its seat at once: its plan's route is re-timed without it, and
/// the first waitlisted donor of that site and day who is still eligible is booked into it.
pub fn cancel_booking(
    conn: &mut DbConnection,
    reference: &str,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<BookingDetails, BookingError> {
    let owned = load_owned(conn, reference, token)?;
    ensure_changeable(&owned, now)?;
    cancel(conn, &owned, None, now)
}

/// The station cancels a booking (a breakdown, bad weather), with the reason the donor is told.
pub fn cancel_by_station(
    conn: &mut DbConnection,
    reference: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<BookingDetails, BookingError> {
    let owned = load(conn, reference, Access::Dispatcher)?;
    if owned.booking.status != CONFIRMED {
        return Err(BookingError::Cancelled);
    }
    cancel(conn, &owned, Some(reason), now)
}

fn cancel(
    conn: &mut DbConnection,
    owned: &Owned,
    by_station: Option<&str>,
    now: DateTime<Utc>,
) -> Result<BookingDetails, BookingError> {
    let kind = DonationKind::parse(&owned.booking.kind).ok_or_else(|| {
        BookingError::Internal(format!("booking {}: unknown kind", owned.booking.reference))
    })?;
    let cancelled = write_transaction(conn, |conn| {
        lock_booking(conn, &owned.booking.reference)?;
        lock_day(conn, owned.booking.station_id, owned.booking.service_date)?;
        // Re-read under the lock: of two concurrent cancels, the second finds it cancelled.
        let current = bookings::find_by_reference(conn, &owned.booking.reference)?
            .filter(|b| b.status == CONFIRMED)
            .ok_or(BookingError::Cancelled)?;
        let cancelled = bookings::cancel(conn, current.id, stored_instant(now))?;
        leave_plan(conn, &owned.station, &current, kind)?;
        outbox::cancelled(conn, &cancelled, by_station, now)?;
        super::waitlist::offer_freed_seat(conn, &current, now)?;
        Ok::<_, BookingError>(cancelled)
    })?;
    Ok(BookingDetails::build(
        &owned.station,
        &cancelled,
        &owned.site,
        &owned.donor,
        None,
    ))
}
