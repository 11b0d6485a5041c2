//! Creating a booking: every rule checked, the seat taken in one serialised transaction.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use diesel::result::DatabaseErrorKind;
use rand::Rng;

use super::secrets::{seal, unseal};
use super::{BookingDetails, BookingError, hash_secret, new_secret};
use crate::db::bookings::{self, BookedDay, BookingRow, CONFIRMED, NewBooking};
use crate::db::donations::{self, NewDeclared};
use crate::db::donors::{DonorRow, DonorValues};
use crate::db::idempotency::{self, SavedResponse};
use crate::db::registry::{self, SiteRow};
use crate::db::{DbConnection, DbError, lock_key, plans, stored_instant, write_transaction_locked};
use crate::db::{new_booking, notices as queued};
use crate::dispatch::day::{day_key, lock_day};
use crate::dispatch::placement::{self, Seat};
use crate::domain::FieldError;
use crate::domain::capacity::{FleetVehicle, kind_offered};
use crate::domain::donation::{BloodType, DonationKind, Sex};
use crate::domain::donor::{DonorName, Email, PhoneNumber};
use crate::domain::eligibility::{
    ApheresisCount, DonorProfile, HistoryConflict, PastDonation, Requested, Vaccination,
    VaccineType, check_against_records, latest_statements,
};
use crate::domain::language::Language;
use crate::domain::reference::booking_reference;
use crate::notices::outbox;
use crate::station::{Station, fleet};

/// How long a create's response is kept for retries under the same Idempotency-Key.
pub const IDEMPOTENCY_RETENTION: TimeDelta = TimeDelta::hours(24);

/// What the donor tells us about themselves, already parsed.
#[derive(Debug, Clone)]
pub struct DonorAnswers {
    pub name: DonorName,
    pub phone: PhoneNumber,
    pub email: Option<Email>,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub weight_kg: f64,
    pub blood_type: Option<BloodType>,
    /// The last donation of each kind, as declared now (empty: nothing new declared).
    pub last_donations: Vec<PastDonation>,
    /// Whether they came as the one-item `last_donation` (for naming fields in errors).
    pub legacy_last_donation: bool,
    /// Apheresis donations in the 12 months up to today, as the donor counts them.
    pub apheresis_12_months: Option<ApheresisCount>,
    /// An adverse reaction at an earlier donation (once declared, kept).
    pub adverse_reaction_before: bool,
    pub vaccination: Option<Vaccination>,
}

impl DonorAnswers {
    /// The JSON path of declared item `index`: "donor.last_donations[0]", or
    /// "donor.last_donation" when it came as the one-item form (`legacy`).
    pub fn declared_item(legacy: bool, index: usize) -> String {
        if legacy {
            "donor.last_donation".to_string()
        } else {
            format!("donor.last_donations[{index}]")
        }
    }

    /// The field a history conflict names.
    fn conflict_field(&self, conflict: &HistoryConflict) -> String {
        match conflict {
            HistoryConflict::LastDonationBeforeRecord { index, .. } => {
                let item = Self::declared_item(self.legacy_last_donation, *index);
                format!("{item}.date")
            }
            HistoryConflict::FewerApheresisThanRecorded { .. } => {
                "donor.apheresis_12_months.count".to_string()
            }
            HistoryConflict::LessApheresisVolumeThanRecorded { .. } => {
                "donor.apheresis_12_months.volume_ml".to_string()
            }
        }
    }
}

/// A parsed booking request.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub site_id: i64,
    pub date: NaiveDate,
    pub window: String,
    pub kind: DonationKind,
    /// `None`: the station's usual volume of the kind.
    pub volume_ml: Option<u32>,
    pub language: Language,
    pub donor: DonorAnswers,
}

/// What a create returns: a new booking, or the response saved under the same Idempotency-Key.
#[derive(Debug)]
pub enum Created {
    New(Box<BookingDetails>),
    Replayed { status: u16, body: String },
}

/// An `Idempotency-Key` and a fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// Marks a saved response's manage token as sealed with the client's idempotency key.
const SEALED: &str = "sealed:";

impl IdempotencyKey {
    /// The key as the database keeps it: a hash, so that the saved responses alone open nothing.
    fn stored_key(&self) -> String {
        hash_secret(&self.key)
    }

    /// The response to save: the manage token sealed with the key the client holds.
    fn sealed_body(&self, details: &BookingDetails) -> String {
        let mut body = serde_json::to_value(details).expect("details serialise");
        if let Some(token) = &details.manage_token {
            body["manage_token"] = match seal(token, &self.key, &self.request_hash) {
                Some(sealed) => format!("{SEALED}{sealed}").into(),
                None => serde_json::Value::Null,
            };
        }
        body.to_string()
    }

    /// A saved response as the client first saw it, its manage token opened again.
    fn opened_body(&self, saved: &str) -> String {
        let Ok(mut body) = serde_json::from_str::<serde_json::Value>(saved) else {
            return saved.to_string();
        };
        if let Some(sealed) = body["manage_token"]
            .as_str()
            .and_then(|token| token.strip_prefix(SEALED))
        {
            body["manage_token"] = unseal(sealed, &self.key, &self.request_hash).into();
        }
        body.to_string()
    }
}

/// A site with what booking it depends on: its station's rules and active fleet.
#[derive(Clone)]
pub(super) struct SiteContext {
    pub site: SiteRow,
    pub station: Station,
    pub fleet: Vec<FleetVehicle>,
}

/// Site contexts by registry version and site, shared by every connection of the process.
type ContextCache = HashMap<(i64, i64), Arc<SiteContext>>;
static CONTEXTS: LazyLock<Mutex<ContextCache>> = LazyLock::new(Mutex::default);

/// Most contexts kept: a station has a few thousand sites.
const MOST_CONTEXTS: usize = 8192;

/// The station of each site whose context was read, by site: which day to lock before reading
/// anything. A site can move to another station, so a booking checks under the lock that it
/// locked its site's station's day (see `book_in_transaction`).
static SITE_STATIONS: LazyLock<Mutex<HashMap<i64, i64>>> = LazyLock::new(Mutex::default);

/// A site's context; an unknown or inactive site is a 404 naming `field`. Read once per
/// registry version (which every change to stations, sites and vehicles replaces): a booking
/// then reads one number instead of the site, its station's rules and its fleet. The version is
/// read first, so what is kept under it is at least that new.
pub(super) fn site_context(
    conn: &mut DbConnection,
    site_id: i64,
    field: &'static str,
) -> Result<Arc<SiteContext>, BookingError> {
    let version = registry::version(conn)?;
    site_context_at(conn, site_id, field, version)
}

/// `site_context` with the registry's version read already (in the same transaction).
fn site_context_at(
    conn: &mut DbConnection,
    site_id: i64,
    field: &'static str,
    version: Option<i64>,
) -> Result<Arc<SiteContext>, BookingError> {
    let cached = |version| {
        let contexts = CONTEXTS.lock().unwrap_or_else(PoisonError::into_inner);
        contexts.get(&(version, site_id)).cloned()
    };
    if let Some(context) = version.and_then(cached) {
        return Ok(context);
    }
    let context = Arc::new(read_site_context(conn, site_id, field)?);
    SITE_STATIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(site_id, context.station.id);
    if let Some(version) = version {
        let mut contexts = CONTEXTS.lock().unwrap_or_else(PoisonError::into_inner);
        if contexts.len() >= MOST_CONTEXTS {
            contexts.clear();
        }
        contexts.insert((version, site_id), context.clone());
    }
    Ok(context)
}

fn read_site_context(
    conn: &mut DbConnection,
    site_id: i64,
    field: &'static str,
) -> Result<SiteContext, BookingError> {
    let (site, station) = registry::find_site_with_station(conn, site_id)?
        .filter(|(site, _)| site.active)
        .ok_or_else(|| BookingError::NotFound {
            what: "site",
            field,
            id: site_id.to_string(),
        })?;
    Ok(SiteContext {
        site,
        station: Station::from_row(&station)?,
        fleet: fleet(&registry::active_fleet(conn, station.id)?),
    })
}

impl SiteContext {
    /// Checks the slot exists, is open now and the fleet collects the kind; returns the
    /// window's index.
    pub fn check_slot(
        &self,
        date: NaiveDate,
        window: &str,
        kind: DonationKind,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        self.station.booking.check_bookable(now, date, window)?;
        if !kind_offered(&self.fleet, kind) {
            return Err(BookingError::KindNotOffered {
                kind: kind.as_str(),
            });
        }
        Ok(self
            .station
            .window_index(window)
            .expect("window checked by check_bookable"))
    }

    /// The donation asked for in the slot: the volume (the station's usual one when not given)
    /// checked against what the station collects, the window's start for waits in hours.
    pub fn requested(
        &self,
        request: &BookingRequest,
        window_index: usize,
    ) -> Result<Requested, BookingError> {
        let volumes = self.station.volumes();
        let volume_ml = request
            .volume_ml
            .unwrap_or_else(|| volumes.default_volume(request.kind));
        // A kind the station does not collect is refused by the rules, with their code.
        if self.station.collects(request.kind, request.date) {
            volumes.check(request.kind, volume_ml)?;
        }
        Ok(Requested {
            kind: request.kind,
            volume_ml,
            date: request.date,
            starts_at: self.station.booking.windows[window_index].start,
        })
    }

    /// Whether a bloodmobile can serve this site at all in the window.
    pub fn reaches(&self, date: NaiveDate, window_index: usize, kind: DonationKind) -> bool {
        let site = crate::routing::GeoPoint {
            lon: self.site.lon,
            lat: self.site.lat,
        };
        let window = &self.station.booking.windows[window_index].name;
        crate::dispatch::reach::reaches(&self.station, &self.fleet, site, date, window, kind)
    }

    /// Whether one more donor of `kind` fits the slot before the day has a plan (take the
    /// day's lock first).
    pub fn has_seat(
        &self,
        conn: &mut DbConnection,
        date: NaiveDate,
        window_index: usize,
        kind: DonationKind,
    ) -> Result<bool, BookingError> {
        let booked = bookings::booked_by_day(conn, self.station.id, date, date)?
            .remove(&date)
            .unwrap_or_default();
        Ok(self.has_room(&booked, date, window_index, kind))
    }

    /// `has_seat` with the day's confirmed bookings read already.
    pub fn has_room(
        &self,
        booked: &BookedDay,
        date: NaiveDate,
        window_index: usize,
        kind: DonationKind,
    ) -> bool {
        self.reaches(date, window_index, kind)
            && self
                .station
                .room(&self.fleet, window_index, self.site.id, booked, kind, 1)
                > 0
    }
}

/// A stored donation as the rules see it; an unknown kind is a corrupt row.
fn past_donation(
    donor_id: i64,
    date: NaiveDate,
    kind: &str,
    volume_ml: Option<i32>,
) -> Result<PastDonation, BookingError> {
    Ok(PastDonation {
        date,
        kind: DonationKind::parse(kind).ok_or_else(|| {
            BookingError::Internal(format!("donor {donor_id}: a donation of kind {kind}"))
        })?,
        volume_ml: volume_ml.and_then(|ml| u32::try_from(ml).ok()),
    })
}

/// The donations the station recorded for a donor, and those the donor declared before.
fn stored_history(
    conn: &mut DbConnection,
    donor_id: i64,
) -> Result<(Vec<PastDonation>, Vec<PastDonation>), BookingError> {
    let recorded = donations::recorded(conn, donor_id)?
        .into_iter()
        .map(|r| past_donation(donor_id, r.donated_on, &r.kind, Some(r.volume_ml)))
        .collect::<Result<_, _>>()?;
    let declared = donations::declared(conn, donor_id)?
        .into_iter()
        .map(|d| past_donation(donor_id, d.donated_on, &d.kind, d.volume_ml))
        .collect::<Result<_, _>>()?;
    Ok((recorded, declared))
}

/// The apheresis count a donor gave in an earlier booking, with the day they gave it.
fn stored_apheresis(row: &DonorRow) -> Option<(ApheresisCount, NaiveDate)> {
    Some((
        ApheresisCount {
            count: u32::try_from(row.apheresis_12m_count?).ok()?,
            volume_ml: u32::try_from(row.apheresis_12m_volume_ml?).ok()?,
        },
        row.apheresis_12m_as_of?,
    ))
}

/// The last vaccination a donor told us about in an earlier booking.
fn stored_vaccination(row: &DonorRow) -> Option<Vaccination> {
    Some(Vaccination {
        date: row.vaccination_date?,
        time: row.vaccination_time,
        vaccine: VaccineType::parse(row.vaccine_type.as_deref()?)?,
    })
}

/// The rules of `station` in force on the requested day, applied to the donor's whole history:
/// what the station recorded, what they declared before and what they declare now (`today`,
/// the station's local day). A declaration the records contradict is refused first.
pub(super) fn check_eligibility(
    conn: &mut DbConnection,
    station: &Station,
    donor: &DonorAnswers,
    stored: Option<&DonorRow>,
    requested: Requested,
    language: Language,
    today: NaiveDate,
) -> Result<(), BookingError> {
    let (recorded, stored_declared) = match stored {
        Some(row) => stored_history(conn, row.id)?,
        None => (Vec::new(), Vec::new()),
    };
    check_against_records(
        &recorded,
        &donor.last_donations,
        donor.apheresis_12_months,
        today,
    )
    .map_err(|conflict| BookingError::HistoryConflict {
        field: donor.conflict_field(&conflict),
        conflict,
        language,
    })?;
    let declared = latest_statements(&stored_declared, &donor.last_donations);
    let apheresis = donor
        .apheresis_12_months
        .map(|count| (count, today))
        .or_else(|| stored.and_then(stored_apheresis));
    let book = station.rule_book();
    let history = book.history(&recorded, &declared, apheresis);
    let profile = DonorProfile {
        birth_date: donor.birth_date,
        sex: donor.sex,
        weight_kg: donor.weight_kg,
        adverse_reaction_before: donor.adverse_reaction_before
            || stored.is_some_and(|s| s.adverse_reaction_before),
    };
    let vaccination = donor
        .vaccination
        .clone()
        .or_else(|| stored.and_then(stored_vaccination));
    book.check(&profile, &history, vaccination.as_ref(), requested)
        .map_err(|refusal| BookingError::Ineligible { refusal, language })
}

fn donor_values(
    donor: &DonorAnswers,
    stored: Option<&DonorRow>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> DonorValues {
    // Keep what an earlier booking told us when this one does not mention it.
    let (vaccination_date, vaccination_time, vaccine_type) = match &donor.vaccination {
        Some(v) => (Some(v.date), v.time, Some(v.vaccine.as_str().to_string())),
        None => (
            stored.and_then(|s| s.vaccination_date),
            stored.and_then(|s| s.vaccination_time),
            stored.and_then(|s| s.vaccine_type.clone()),
        ),
    };
    let signed = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let (count, volume, as_of) = match donor.apheresis_12_months {
        Some(c) => (
            Some(signed(c.count)),
            Some(signed(c.volume_ml)),
            Some(today),
        ),
        None => (
            stored.and_then(|s| s.apheresis_12m_count),
            stored.and_then(|s| s.apheresis_12m_volume_ml),
            stored.and_then(|s| s.apheresis_12m_as_of),
        ),
    };
    DonorValues {
        phone: donor.phone.as_str().to_string(),
        name: donor.name.as_str().to_string(),
        email: donor.email.as_ref().map(|e| e.as_str().to_string()),
        birth_date: donor.birth_date,
        sex: donor.sex.as_str().to_string(),
        weight_kg: donor.weight_kg,
        blood_type: donor.blood_type.map(|b| b.as_str().to_string()),
        vaccination_date,
        vaccine_type,
        updated_at: stored_instant(now),
        apheresis_12m_count: count,
        apheresis_12m_volume_ml: volume,
        apheresis_12m_as_of: as_of,
        adverse_reaction_before: donor.adverse_reaction_before
            || stored.is_some_and(|s| s.adverse_reaction_before),
        vaccination_time,
    }
}

/// Books a seat: every rule, the seat count, the one-active-booking rule and the insert in one
/// write transaction, serialised per idempotency key, phone and slot.
pub fn create_booking(
    conn: &mut DbConnection,
    request: BookingRequest,
    idempotency: Option<IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Created, BookingError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match book_once(conn, &request, idempotency.as_ref(), now) {
            Err(e) if attempts < 3 && violates(&e, &REFERENCE_INDEX) => continue,
            Err(e) if violates(&e, &ONE_DONOR_INDEXES) => return Err(BookingError::AlreadyBooked),
            other => return other,
        }
    }
}

/// Makes a booking inside the caller's write transaction: the site and its station's rules,
/// the calendar, the donor's eligibility, the seat (the day's plan, once it has one) and the
/// inserts. The returned details carry the new manage token.
/// Declared days (birth, last donations, vaccination) on or before the station's local today:
/// the request was parsed without knowing the station, against the latest date on Earth.
pub(super) fn check_declared_dates(
    donor: &DonorAnswers,
    today: NaiveDate,
) -> Result<(), FieldError> {
    let future = |field: String, date: NaiveDate| {
        (date > today).then(|| {
            FieldError::new(
                field,
                "invalid_date",
                format!("must not be after today ({today}, the station's local date)"),
            )
        })
    };
    let declared = donor.last_donations.iter().enumerate().map(|(i, d)| {
        (
            format!(
                "{}.date",
                DonorAnswers::declared_item(donor.legacy_last_donation, i)
            ),
            d.date,
        )
    });
    let vaccination = donor
        .vaccination
        .as_ref()
        .map(|v| ("donor.vaccination.date".to_string(), v.date));
    std::iter::once(("donor.birth_date".to_string(), donor.birth_date))
        .chain(declared)
        .chain(vaccination)
        .find_map(|(field, date)| future(field, date))
        .map_or(Ok(()), Err)
}

/// `day_locked`: the station whose day of the request the transaction locked already, if any.
pub(super) fn book_in_transaction(
    conn: &mut DbConnection,
    request: &BookingRequest,
    now: DateTime<Utc>,
    from_waitlist: bool,
    day_locked: Option<i64>,
) -> Result<BookingDetails, BookingError> {
    // One confirmed booking per phone is kept by the unique indexes on the donor's phone and
    // on a donor's confirmed booking, also for two requests at once: the insert that would
    // break them fails and is reported as `AlreadyBooked`.
    let phone = request.donor.phone.as_str();
    let station_id = match day_locked {
        Some(station_id) => station_id,
        None => {
            let station_id = station_of(conn, request.site_id)?;
            lock_day(conn, station_id, request.date)?;
            station_id
        }
    };
    let read = new_booking::read(conn, phone, station_id, request.date)?;
    let context = site_context_at(
        conn,
        request.site_id,
        "site_id",
        Some(read.registry_version),
    )?;
    let (site, station) = (&context.site, &context.station);
    let (mut plan_version, mut booked) = (read.plan_version, read.booked);
    if station.id != station_id {
        // The site moved to another station since this process last read it: that one's day.
        lock_day(conn, station.id, request.date)?;
        plan_version = plans::latest(conn, station.id, request.date)?.map(|p| p.version);
        booked = bookings::booked_by_day(conn, station.id, request.date, request.date)?
            .remove(&request.date)
            .unwrap_or_default();
    }
    let window_index = context.check_slot(request.date, &request.window, request.kind, now)?;
    let requested = context.requested(request, window_index)?;
    let today = station.booking.local_today(now);
    check_declared_dates(&request.donor, today)?;
    let stored = read.donor;
    check_eligibility(
        conn,
        station,
        &request.donor,
        stored.as_ref(),
        requested,
        request.language,
        today,
    )?;
    let full = || BookingError::Full {
        site_id: site.id,
        date: request.date,
        window: request.window.clone(),
        kind: request.kind,
    };
    // Once the day has a plan, what is sold must fit its routes; before, the seat rule.
    let plan = match plan_version {
        Some(version) => plans::version(conn, station.id, request.date, version)?,
        None => None,
    };
    if plan.is_none() && !context.has_room(&booked, request.date, window_index, request.kind) {
        return Err(full());
    }
    let values = donor_values(&request.donor, stored.as_ref(), now, today);
    let donor = match &stored {
        Some(stored) => values.stored_as(stored.id, stored.created_at),
        None => {
            let first_stored = values.updated_at;
            values.stored_as(read.new_donor_id, first_stored)
        }
    };
    let at = stored_instant(now);
    let token = new_secret();
    let mut booking = NewBooking {
        // A collision (one chance in 2^40 per stored booking) breaks the unique index;
        // `create_booking` then tries again with a new reference.
        reference: booking_reference(rand::thread_rng().r#gen()),
        manage_token_hash: hash_secret(&token),
        donor_id: donor.id,
        station_id: station.id,
        site_id: site.id,
        service_date: request.date,
        time_window: request.window.clone(),
        kind: request.kind.as_str().to_string(),
        volume_ml: requested.volume_ml as i32,
        language: request.language.as_str().to_string(),
        status: CONFIRMED.to_string(),
        created_at: at,
        updated_at: at,
    }
    .stored_as(read.booking_id);
    let contacts = outbox::Contacts {
        phone: donor.phone.clone(),
        email: donor.email.clone(),
    };
    let notices = |booking: &BookingRow| {
        outbox::booked_notices(station, booking, &contacts, &token, from_waitlist, now)
    };
    // Without a plan the notices are written with the booking; with one, once it is placed
    // (a published plan gives it its window, which they tell).
    let with_booking = match plan {
        None => notices(&booking),
        Some(_) => Vec::new(),
    };
    new_booking::write(
        conn,
        &new_booking::Rows {
            donor: &donor,
            donor_is_new: stored.is_none(),
            booking: &booking,
            notices: &with_booking,
        },
    )?;
    let declared: Vec<NewDeclared> = request
        .donor
        .last_donations
        .iter()
        .map(|d| NewDeclared {
            kind: d.kind.as_str().to_string(),
            donated_on: d.date,
            volume_ml: d.volume_ml.and_then(|ml| i32::try_from(ml).ok()),
        })
        .collect();
    donations::declare(conn, donor.id, &declared, today, at)?;
    if let Some(plan) = plan {
        let seat = Seat {
            booking_id: booking.id,
            site_id: site.id,
            window: request.window.clone(),
            kind: request.kind,
        };
        if placement::place(conn, station, &plan, &seat, now)?.is_none() {
            return Err(full());
        }
        if plan.status == crate::db::plans::PUBLISHED {
            booking = bookings::find_by_reference(conn, &booking.reference)?
                .ok_or_else(|| BookingError::Internal("a new booking vanished".into()))?;
        }
        queued::enqueue(conn, &notices(&booking))?;
    }
    Ok(BookingDetails::build(
        station,
        &booking,
        site,
        &donor,
        Some(token),
    ))
}

/// The station of a site, as last read in this process (read now if never).
fn station_of(conn: &mut DbConnection, site_id: i64) -> Result<i64, BookingError> {
    let known = SITE_STATIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&site_id)
        .copied();
    match known {
        Some(station_id) => Ok(station_id),
        None => Ok(site_context(conn, site_id, "site_id")?.station.id),
    }
}

fn book_once(
    conn: &mut DbConnection,
    request: &BookingRequest,
    idempotency: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Created, BookingError> {
    // The locks come with the transaction's first statement: the idempotency key's, then the
    // day's (of the site's station as last known; checked once the site is read).
    let station_id = station_of(conn, request.site_id)?;
    let mut keys = Vec::with_capacity(2);
    if let Some(key) = &idempotency {
        keys.push(lock_key(&format!("idempotency:{}", key.key)));
    }
    keys.push(day_key(station_id, request.date));
    write_transaction_locked(conn, &keys, |conn| {
        if let Some(key) = &idempotency {
            // Saved responses are kept only as long as a client may retry: older ones are
            // never replayed, and deleted now and then.
            let kept_since = stored_instant(now - IDEMPOTENCY_RETENTION);
            static PURGED: std::sync::atomic::AtomicI64 =
                std::sync::atomic::AtomicI64::new(i64::MIN);
            if crate::db::once_a_minute(&PURGED, now) {
                idempotency::purge(conn, kept_since)?;
            }
            if let Some(saved) = idempotency::find(conn, &key.stored_key(), kept_since)? {
                return replay(saved, key);
            }
        }
        let details = book_in_transaction(conn, request, now, false, Some(station_id))?;
        let at = stored_instant(now);
        if let Some(key) = &idempotency {
            idempotency::save(
                conn,
                &SavedResponse {
                    idempotency_key: key.stored_key(),
                    request_hash: key.request_hash.clone(),
                    response_status: 201,
                    response_body: key.sealed_body(&details),
                    created_at: at,
                },
            )?;
        }
        Ok(Created::New(Box::new(details)))
    })
}

/// A unique index as each backend names it when it is broken: PostgreSQL by the constraint,
/// SQLite by the columns in its message.
struct UniqueIndex {
    postgres: &'static [&'static str],
    sqlite: &'static [&'static str],
}

const REFERENCE_INDEX: UniqueIndex = UniqueIndex {
    postgres: &["bookings_reference_key"],
    sqlite: &["bookings.reference"],
};

/// One donor per phone, one confirmed booking per donor.
const ONE_DONOR_INDEXES: UniqueIndex = UniqueIndex {
    postgres: &["donors_phone_key", "bookings_one_active_per_donor"],
    sqlite: &["donors.phone", "bookings.donor_id"],
};

fn violates(error: &BookingError, index: &UniqueIndex) -> bool {
    let BookingError::Db(DbError::Query(diesel::result::Error::DatabaseError(
        DatabaseErrorKind::UniqueViolation,
        info,
    ))) = error
    else {
        return false;
    };
    info.constraint_name()
        .is_some_and(|name| index.postgres.contains(&name))
        || index
            .sqlite
            .iter()
            .any(|columns| info.message().contains(columns))
}

fn replay(saved: SavedResponse, key: &IdempotencyKey) -> Result<Created, BookingError> {
    if saved.request_hash != key.request_hash {
        return Err(BookingError::IdempotencyKeyReused);
    }
    Ok(Created::Replayed {
        status: saved.response_status as u16,
        body: key.opened_body(&saved.response_body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_days_after_the_stations_today_are_refused_by_field() {
        let donor = DonorAnswers {
            name: DonorName::parse("张三", "donor.name").unwrap(),
            phone: PhoneNumber::parse("13800138000", "donor.phone").unwrap(),
            email: None,
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 1).unwrap(),
            sex: Sex::Male,
            weight_kg: 65.0,
            blood_type: None,
            last_donations: vec![PastDonation {
                date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
                kind: DonationKind::WholeBlood,
                volume_ml: None,
            }],
            legacy_last_donation: true,
            apheresis_12_months: None,
            adverse_reaction_before: false,
            vaccination: None,
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert!(
            check_declared_dates(&donor, today).is_ok(),
            "today is not the future"
        );
        let e = check_declared_dates(&donor, today.pred_opt().unwrap()).unwrap_err();
        assert_eq!(e.field, "donor.last_donation.date");
        assert_eq!(e.code, "invalid_date");
    }
}
