//! Stations, sites and vehicles: the registry dispatchers keep.

use chrono::{NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{registry_version, sites, stations, vehicles};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = stations)]
pub struct StationRow {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub depot_name: String,
    pub depot_address: String,
    pub depot_lat: f64,
    pub depot_lon: f64,
    pub windows: String,
    pub horizon_min_days: i32,
    pub horizon_max_days: i32,
    pub cutoff_days_before: i32,
    pub cutoff_time: NaiveTime,
    pub change_notice_minutes: i32,
    pub processing_limit_minutes: i32,
    pub minutes_per_donor: i32,
    pub setup_minutes: i32,
    pub packup_minutes: i32,
    pub utilisation_percent: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub platelets_minutes_per_donor: i32,
    pub plasma_minutes_per_donor: i32,
    pub arrival_lead_minutes: i32,
    pub min_turnout: i32,
    pub window_change_minutes: i32,
    pub detour_factor: f64,
    pub average_speed_kmh: f64,
    pub travel_matrix_file: Option<String>,
    /// The station's `PlasmaPolicy` as JSON.
    pub plasma_policy: String,
    pub reminder_hour: i32,
    pub sms_daily_cap: i32,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = stations, treat_none_as_null = true)]
pub struct StationValues {
    pub name: String,
    pub time_zone: String,
    pub depot_name: String,
    pub depot_address: String,
    pub depot_lat: f64,
    pub depot_lon: f64,
    pub windows: String,
    pub horizon_min_days: i32,
    pub horizon_max_days: i32,
    pub cutoff_days_before: i32,
    pub cutoff_time: NaiveTime,
    pub change_notice_minutes: i32,
    pub processing_limit_minutes: i32,
    pub minutes_per_donor: i32,
    pub setup_minutes: i32,
    pub packup_minutes: i32,
    pub utilisation_percent: i32,
    pub platelets_minutes_per_donor: i32,
    pub plasma_minutes_per_donor: i32,
    pub arrival_lead_minutes: i32,
    pub min_turnout: i32,
    pub window_change_minutes: i32,
    pub detour_factor: f64,
    pub average_speed_kmh: f64,
    pub travel_matrix_file: Option<String>,
    pub plasma_policy: String,
    pub reminder_hour: i32,
    pub sms_daily_cap: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub id: i64,
    pub station_id: i64,
    pub kind: String,
    pub district: String,
    pub township: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = sites, treat_none_as_null = true)]
pub struct SiteValues {
    pub station_id: i64,
    pub kind: String,
    pub district: String,
    pub township: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = vehicles)]
pub struct VehicleRow {
    pub id: i64,
    pub station_id: i64,
    pub name: String,
    pub plate: Option<String>,
    pub beds: i32,
    pub donors_per_day: i32,
    pub shift_start: NaiveTime,
    pub shift_end: NaiveTime,
    pub kinds: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = vehicles, treat_none_as_null = true)]
pub struct VehicleValues {
    pub station_id: i64,
    pub name: String,
    pub plate: Option<String>,
    pub beds: i32,
    pub donors_per_day: i32,
    pub shift_start: NaiveTime,
    pub shift_end: NaiveTime,
    pub kinds: String,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

pub fn list_stations(conn: &mut DbConnection) -> QueryResult<Vec<StationRow>> {
    stations::table
        .order(stations::id)
        .select(StationRow::as_select())
        .load(conn)
}

pub fn find_station(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StationRow>> {
    stations::table
        .find(id)
        .select(StationRow::as_select())
        .load(conn)
        .map(super::single)
}

pub fn insert_station(conn: &mut DbConnection, values: &StationValues) -> QueryResult<StationRow> {
    diesel::insert_into(stations::table)
        .values((values, stations::created_at.eq(values.updated_at)))
        .returning(stations::all_columns)
        .get_result(conn)
}

pub fn update_station(
    conn: &mut DbConnection,
    id: i64,
    values: &StationValues,
) -> QueryResult<Option<StationRow>> {
    diesel::update(stations::table.find(id))
        .set(values)
        .returning(stations::all_columns)
        .get_result(conn)
        .optional()
}

/// Site search: text in the name, township or address; optional district and station.
#[derive(Debug, Default, Clone)]
pub struct SiteFilter {
    pub q: Option<String>,
    pub district: Option<String>,
    pub station_id: Option<i64>,
    pub kind: Option<String>,
    pub include_inactive: bool,
}

pub fn search_sites(
    conn: &mut DbConnection,
    filter: &SiteFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<SiteRow>, i64)> {
    let build = || {
        let mut query = sites::table.into_boxed();
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(q));
            query = query.filter(
                sites::name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(sites::township.like(pattern.clone()).escape('\\'))
                    .or(sites::address.like(pattern).escape('\\')),
            );
        }
        if let Some(district) = filter.district.as_deref().filter(|d| !d.is_empty()) {
            query = query.filter(sites::district.eq(district.to_string()));
        }
        if let Some(station_id) = filter.station_id {
            query = query.filter(sites::station_id.eq(station_id));
        }
        if let Some(kind) = filter.kind.as_deref() {
            query = query.filter(sites::kind.eq(kind.to_string()));
        }
        if !filter.include_inactive {
            query = query.filter(sites::active.eq(true));
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let items = build()
        .order((sites::district, sites::township, sites::name, sites::id))
        .limit(limit)
        .offset(offset)
        .select(SiteRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The districts that have an active site, in order.
pub fn districts(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    sites::table
        .filter(sites::active.eq(true))
        .select(sites::district)
        .distinct()
        .order(sites::district)
        .load(conn)
}

/// `%`, `_` and `\` typed by a user match themselves, not any text.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn find_site(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SiteRow>> {
    sites::table
        .find(id)
        .select(SiteRow::as_select())
        .load(conn)
        .map(super::single)
}

/// A site with the station it belongs to, in one round trip.
/// The number that changes with every change to stations, sites or vehicles.
pub fn version(conn: &mut DbConnection) -> QueryResult<Option<i64>> {
    super::on_backend!(conn, |c| registry_version::table
        .select(registry_version::version)
        .load(c))
    .map(super::single)
}

pub fn find_site_with_station(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<Option<(SiteRow, StationRow)>> {
    sites::table
        .inner_join(stations::table)
        .filter(sites::id.eq(id))
        .select((SiteRow::as_select(), StationRow::as_select()))
        .load(conn)
        .map(super::single)
}

/// What the capacity rule reads of a vehicle. Only these columns are loaded: a booking reads
/// the whole active fleet, and (joined to the site instead) the wider rows cost SQLite a fifth
/// of its throughput in decoding.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vehicles)]
pub struct FleetRow {
    pub beds: i32,
    pub donors_per_day: i32,
    pub shift_start: NaiveTime,
    pub shift_end: NaiveTime,
    pub kinds: String,
}

/// The active vehicles of a station.
pub fn active_fleet(conn: &mut DbConnection, station_id: i64) -> QueryResult<Vec<FleetRow>> {
    vehicles::table
        .filter(vehicles::station_id.eq(station_id))
        .filter(vehicles::active.eq(true))
        .order(vehicles::id)
        .select(FleetRow::as_select())
        .load(conn)
}

pub fn insert_site(conn: &mut DbConnection, values: &SiteValues) -> QueryResult<SiteRow> {
    diesel::insert_into(sites::table)
        .values((values, sites::created_at.eq(values.updated_at)))
        .returning(sites::all_columns)
        .get_result(conn)
}

pub fn update_site(
    conn: &mut DbConnection,
    id: i64,
    values: &SiteValues,
) -> QueryResult<Option<SiteRow>> {
    diesel::update(sites::table.find(id))
        .set(values)
        .returning(sites::all_columns)
        .get_result(conn)
        .optional()
}

pub fn list_vehicles(
    conn: &mut DbConnection,
    station_id: Option<i64>,
) -> QueryResult<Vec<VehicleRow>> {
    let mut query = vehicles::table.into_boxed();
    if let Some(station_id) = station_id {
        query = query.filter(vehicles::station_id.eq(station_id));
    }
    query
        .order(vehicles::id)
        .select(VehicleRow::as_select())
        .load(conn)
}

pub fn find_vehicle(conn: &mut DbConnection, id: i64) -> QueryResult<Option<VehicleRow>> {
    vehicles::table
        .find(id)
        .select(VehicleRow::as_select())
        .load(conn)
        .map(super::single)
}

pub fn insert_vehicle(conn: &mut DbConnection, values: &VehicleValues) -> QueryResult<VehicleRow> {
    diesel::insert_into(vehicles::table)
        .values((values, vehicles::created_at.eq(values.updated_at)))
        .returning(vehicles::all_columns)
        .get_result(conn)
}

pub fn update_vehicle(
    conn: &mut DbConnection,
    id: i64,
    values: &VehicleValues,
) -> QueryResult<Option<VehicleRow>> {
    diesel::update(vehicles::table.find(id))
        .set(values)
        .returning(vehicles::all_columns)
        .get_result(conn)
        .optional()
}
