//! What a station-day holds: its station, fleet, the sites involved, its confirmed bookings and
//! its plan versions, loaded in reads.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DispatchError;
use super::clock::DayClock;
use crate::db::plans::{self, PlanBookingRow, PlanRow, RouteRow, StopRow};
use crate::db::registry::{self, SiteRow, VehicleRow};
use crate::db::schema::{bookings, donors, sites, vehicles};
use crate::db::{DbConnection, lock, lock_key};
use crate::domain::donation::DonationKind;
use crate::station::Station;

/// A confirmed booking of the day, as dispatch sees it.
#[derive(Debug, Clone)]
pub struct DayBooking {
    pub id: i64,
    pub reference: String,
    pub site_id: i64,
    pub window: String,
    pub kind: DonationKind,
    pub volume_ml: i32,
    pub blood_type: Option<String>,
    pub name: String,
    pub phone: String,
    pub arrival_from: Option<NaiveDateTime>,
    pub arrival_to: Option<NaiveDateTime>,
}

/// A stored plan version with its rows.
#[derive(Debug, Clone)]
pub struct StoredPlan {
    pub plan: PlanRow,
    pub routes: Vec<RouteRow>,
    pub stops: Vec<StopRow>,
    pub bookings: Vec<PlanBookingRow>,
}

impl StoredPlan {
    pub fn load(conn: &mut DbConnection, plan: PlanRow) -> QueryResult<StoredPlan> {
        Ok(StoredPlan {
            routes: plans::routes_of(conn, plan.id)?,
            stops: plans::stops_of(conn, plan.id)?,
            bookings: plans::bookings_of(conn, plan.id)?,
            plan,
        })
    }

    /// Booking ids per stop id.
    pub fn bookings_by_stop(&self) -> HashMap<i32, Vec<i64>> {
        let mut by_stop: HashMap<i32, Vec<i64>> = HashMap::new();
        for row in &self.bookings {
            by_stop.entry(row.stop_id).or_default().push(row.booking_id);
        }
        for ids in by_stop.values_mut() {
            ids.sort_unstable();
        }
        by_stop
    }
}

/// A station-day and everything planning it reads.
#[derive(Debug, Clone)]
pub struct DayData {
    pub station: Station,
    pub date: NaiveDate,
    pub clock: DayClock,
    /// The station's active vehicles (those taken out for the day included; see the plan).
    pub vehicles: Vec<VehicleRow>,
    /// Sites of the day's bookings and of its plans' stops.
    pub sites: HashMap<i64, SiteRow>,
    /// Confirmed bookings of the day, by id.
    pub bookings: Vec<DayBooking>,
}

impl DayData {
    pub fn booking(&self, id: i64) -> Option<&DayBooking> {
        self.bookings
            .binary_search_by_key(&id, |b| b.id)
            .ok()
            .map(|i| &self.bookings[i])
    }
}

/// The station or a 404.
pub fn station(conn: &mut DbConnection, station_id: i64) -> Result<Station, DispatchError> {
    let row = registry::find_station(conn, station_id)?.ok_or(DispatchError::NotFound {
        what: "station",
        field: "id",
        id: station_id.to_string(),
    })?;
    Ok(Station::from_row(&row)?)
}

/// The station's active vehicles.
pub fn active_vehicles(conn: &mut DbConnection, station_id: i64) -> QueryResult<Vec<VehicleRow>> {
    vehicles::table
        .filter(vehicles::station_id.eq(station_id))
        .filter(vehicles::active.eq(true))
        .order(vehicles::id)
        .select(VehicleRow::as_select())
        .load(conn)
}

type BookingTuple = (
    i64,
    String,
    i64,
    String,
    String,
    i32,
    Option<String>,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Confirmed bookings of a station-day, ordered by id.
pub fn day_bookings(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<DayBooking>> {
    let rows: Vec<BookingTuple> = bookings::table
        .inner_join(donors::table)
        .filter(bookings::station_id.eq(station_id))
        .filter(bookings::service_date.eq(date))
        .filter(bookings::status.eq(crate::db::bookings::CONFIRMED))
        .order(bookings::id)
        .select((
            bookings::id,
            bookings::reference,
            bookings::site_id,
            bookings::time_window,
            bookings::kind,
            bookings::volume_ml,
            donors::blood_type,
            donors::name,
            donors::phone,
            bookings::arrival_from,
            bookings::arrival_to,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(DayBooking {
                id: r.0,
                reference: r.1,
                site_id: r.2,
                window: r.3,
                kind: DonationKind::parse(&r.4)?,
                volume_ml: r.5,
                blood_type: r.6,
                name: r.7,
                phone: r.8,
                arrival_from: r.9,
                arrival_to: r.10,
            })
        })
        .collect())
}

/// Sites by id.
pub fn sites_by_id(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, SiteRow>> {
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(500) {
        let rows: Vec<SiteRow> = sites::table
            .filter(sites::id.eq_any(chunk))
            .select(SiteRow::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().map(|s| (s.id, s)));
    }
    Ok(found)
}

/// Loads a station-day; `plans` are the versions whose stops' sites must be known too.
pub fn load_day(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
    plans: &[&StoredPlan],
) -> Result<DayData, DispatchError> {
    let station = station(conn, station_id)?;
    let vehicles = active_vehicles(conn, station_id)?;
    let bookings = day_bookings(conn, station_id, date)?;
    let mut site_ids: Vec<i64> = bookings.iter().map(|b| b.site_id).collect();
    for plan in plans {
        site_ids.extend(plan.stops.iter().map(|s| s.site_id));
    }
    let sites = sites_by_id(conn, &site_ids)?;
    Ok(DayData {
        clock: DayClock::new(station.tz, date),
        station,
        date,
        vehicles,
        sites,
        bookings,
    })
}

/// Serialises the writes of one station-day's plans and bookings (PostgreSQL; SQLite's writes
/// are serial already). Take days in date order when a change touches two.
pub fn lock_day(conn: &mut DbConnection, station_id: i64, date: NaiveDate) -> QueryResult<()> {
    lock(conn, day_key(station_id, date))
}

/// The lock key of a station-day (see `lock_day`).
pub fn day_key(station_id: i64, date: NaiveDate) -> i64 {
    lock_key(&format!("day:{station_id}:{date}"))
}
