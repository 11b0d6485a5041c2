//! The waitlist of a full site-day-window: a cancellation books the first waiting donor of that
//! site and day who is still eligible into the freed room.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};

use super::create::{book_in_transaction, check_eligibility, site_context};
use super::{BookingDetails, BookingError, BookingRequest, DonorAnswers};
use crate::db::bookings::{BookingRow, CONFIRMED};
use crate::db::schema::{bookings, donors, waitlist};
use crate::db::{DbConnection, DbError, plans, stored_instant, write_transaction};
use crate::dispatch::day::lock_day;
use crate::dispatch::placement;
use crate::domain::donation::{BloodType, DonationKind, Sex};
use crate::domain::donor::{DonorName, Email, PhoneNumber};
use crate::domain::eligibility::{ApheresisCount, PastDonation, Vaccination};
use crate::domain::language::Language;

/// A place on a waitlist.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Waitlisted {
    pub waitlist_id: i64,
    /// 1 for the first donor waiting for this site and day.
    pub position: i64,
}

/// The request as kept until a seat is offered (plain values, parsed again then).
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    site_id: i64,
    date: NaiveDate,
    window: String,
    kind: DonationKind,
    volume_ml: Option<u32>,
    language: Language,
    name: String,
    phone: String,
    email: Option<String>,
    birth_date: NaiveDate,
    sex: Sex,
    weight_kg: f64,
    blood_type: Option<BloodType>,
    /// Requests kept before declared histories were lists hold at most this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_donation: Option<PastDonation>,
    #[serde(default)]
    last_donations: Vec<PastDonation>,
    #[serde(default)]
    legacy_last_donation: bool,
    #[serde(default)]
    apheresis_12_months: Option<ApheresisCount>,
    #[serde(default)]
    adverse_reaction_before: bool,
    vaccination: Option<Vaccination>,
}

impl Kept {
    fn of(request: &BookingRequest) -> Kept {
        let donor = &request.donor;
        Kept {
            site_id: request.site_id,
            date: request.date,
            window: request.window.clone(),
            kind: request.kind,
            volume_ml: request.volume_ml,
            language: request.language,
            name: donor.name.as_str().to_string(),
            phone: donor.phone.as_str().to_string(),
            email: donor.email.as_ref().map(|e| e.as_str().to_string()),
            birth_date: donor.birth_date,
            sex: donor.sex,
            weight_kg: donor.weight_kg,
            blood_type: donor.blood_type,
            last_donation: None,
            last_donations: donor.last_donations.clone(),
            legacy_last_donation: donor.legacy_last_donation,
            apheresis_12_months: donor.apheresis_12_months,
            adverse_reaction_before: donor.adverse_reaction_before,
            vaccination: donor.vaccination.clone(),
        }
    }

    fn request(self) -> Option<BookingRequest> {
        let mut last_donations = self.last_donations;
        last_donations.extend(self.last_donation);
        Some(BookingRequest {
            site_id: self.site_id,
            date: self.date,
            window: self.window,
            kind: self.kind,
            volume_ml: self.volume_ml,
            language: self.language,
            donor: DonorAnswers {
                name: DonorName::parse(&self.name, "donor.name").ok()?,
                phone: PhoneNumber::parse(&self.phone, "donor.phone").ok()?,
                email: Email::parse_optional(self.email.as_deref(), "donor.email").ok()?,
                birth_date: self.birth_date,
                sex: self.sex,
                weight_kg: self.weight_kg,
                blood_type: self.blood_type,
                last_donations,
                legacy_last_donation: self.legacy_last_donation,
                apheresis_12_months: self.apheresis_12_months,
                adverse_reaction_before: self.adverse_reaction_before,
                vaccination: self.vaccination,
            },
        })
    }
}

const WAITING: &str = "waiting";
const OFFERED: &str = "offered";

/// Whether the donor with this phone holds a confirmed booking still to come.
fn has_active_booking(conn: &mut DbConnection, phone: &str) -> QueryResult<bool> {
    let found: i64 = bookings::table
        .inner_join(donors::table)
        .filter(donors::phone.eq(phone))
        .filter(bookings::status.eq(CONFIRMED))
        .filter(bookings::outcome.is_null())
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Puts a donor on the waitlist of a full site-day-window. Refused when the window still has
/// room (book it instead), when the donor could not book it anyway, or is already waiting.
pub fn join_waitlist(
    conn: &mut DbConnection,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> Result<Waitlisted, BookingError> {
    write_transaction(conn, |conn| {
        let context = site_context(conn, request.site_id, "site_id")?;
        let window_index = context.check_slot(request.date, &request.window, request.kind, now)?;
        let requested = context.requested(&request, window_index)?;
        let today = context.station.booking.local_today(now);
        super::create::check_declared_dates(&request.donor, today)?;
        let stored = crate::db::donors::find_by_phone(conn, request.donor.phone.as_str())?;
        check_eligibility(
            conn,
            &context.station,
            &request.donor,
            stored.as_ref(),
            requested,
            request.language,
            today,
        )?;
        if has_active_booking(conn, request.donor.phone.as_str())? {
            return Err(BookingError::AlreadyBooked);
        }
        let station = &context.station;
        lock_day(conn, station.id, request.date)?;
        let room = match plans::latest(conn, station.id, request.date)? {
            Some(plan) => {
                placement::room_for(
                    conn,
                    station,
                    &plan,
                    request.site_id,
                    &request.window,
                    request.kind,
                    1,
                )? > 0
            }
            None => context.has_seat(conn, request.date, window_index, request.kind)?,
        };
        if room {
            return Err(BookingError::SeatsAvailable);
        }
        let at = stored_instant(now);
        let inserted = diesel::insert_into(waitlist::table)
            .values((
                waitlist::station_id.eq(station.id),
                waitlist::site_id.eq(request.site_id),
                waitlist::service_date.eq(request.date),
                waitlist::time_window.eq(&request.window),
                waitlist::kind.eq(request.kind.as_str()),
                waitlist::phone.eq(request.donor.phone.as_str()),
                waitlist::request
                    .eq(serde_json::to_string(&Kept::of(&request)).expect("a request serialises")),
                waitlist::status.eq(WAITING),
                waitlist::created_at.eq(at),
                waitlist::updated_at.eq(at),
            ))
            .returning(waitlist::id)
            .get_result::<i64>(conn);
        let id = match inserted {
            Ok(id) => id,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(BookingError::AlreadyWaiting);
            }
            Err(e) => return Err(e.into()),
        };
        let position: i64 = waitlist::table
            .filter(waitlist::site_id.eq(request.site_id))
            .filter(waitlist::service_date.eq(request.date))
            .filter(waitlist::status.eq(WAITING))
            .filter(waitlist::id.le(id))
            .count()
            .get_result(conn)?;
        Ok(Waitlisted {
            waitlist_id: id,
            position,
        })
    })
}

/// After `freed` was cancelled (in the caller's transaction): books the first waiting donor of
/// its site and day who is still eligible and fits, and returns the new booking.
pub fn offer_freed_seat(
    conn: &mut DbConnection,
    freed: &BookingRow,
    now: DateTime<Utc>,
) -> Result<Option<(i64, BookingDetails)>, BookingError> {
    let waiting: Vec<(i64, String)> = waitlist::table
        .filter(waitlist::site_id.eq(freed.site_id))
        .filter(waitlist::service_date.eq(freed.service_date))
        .filter(waitlist::status.eq(WAITING))
        .order(waitlist::id)
        .select((waitlist::id, waitlist::request))
        .load(conn)?;
    for (id, kept) in waiting {
        let Some(request) = serde_json::from_str::<Kept>(&kept)
            .ok()
            .and_then(Kept::request)
        else {
            continue;
        };
        // Each attempt in a savepoint of its own: a donor who no longer qualifies leaves no trace.
        let attempt = write_transaction(conn, |conn| {
            book_in_transaction(conn, &request, now, true, None)
        });
        match attempt {
            Ok(details) => {
                let booking_id: i64 = bookings::table
                    .filter(bookings::reference.eq(&details.reference))
                    .select(bookings::id)
                    .first(conn)?;
                diesel::update(waitlist::table.find(id))
                    .set((
                        waitlist::status.eq(OFFERED),
                        waitlist::booking_id.eq(Some(booking_id)),
                        waitlist::updated_at.eq(stored_instant(now)),
                    ))
                    .execute(conn)?;
                return Ok(Some((id, details)));
            }
            Err(BookingError::Db(DbError::Query(e))) if !is_unique_violation(&e) => {
                return Err(BookingError::Db(DbError::Query(e)));
            }
            Err(BookingError::Db(e)) if !matches!(e, DbError::Query(_)) => {
                return Err(BookingError::Db(e));
            }
            // Ineligible now, already booked elsewhere, the window closed, or the freed room
            // does not fit them: the next donor may fit.
            Err(_) => continue,
        }
    }
    Ok(None)
}

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
