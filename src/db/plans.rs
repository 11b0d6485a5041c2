//! Plan versions of a station-day: routes, stops and each booking's place.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{plan_bookings, plan_routes, plan_stops, plans};

pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub id: i64,
    pub station_id: i64,
    pub service_date: NaiveDate,
    pub version: i32,
    pub status: String,
    pub origin: String,
    pub vehicles_out: String,
    pub seed: i64,
    pub solve_ms: i32,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

impl PlanRow {
    /// Vehicles taken out for the day.
    pub fn vehicles_out(&self) -> Vec<i64> {
        self.vehicles_out
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = plans, treat_none_as_default_value = false)]
pub struct NewPlan {
    pub station_id: i64,
    pub service_date: NaiveDate,
    pub version: i32,
    pub status: String,
    pub origin: String,
    pub vehicles_out: String,
    pub seed: i64,
    pub solve_ms: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_routes, treat_none_as_default_value = false)]
pub struct RouteRow {
    pub plan_id: i64,
    pub vehicle_id: i64,
    pub depart_at: NaiveDateTime,
    pub return_at: NaiveDateTime,
    pub drive_seconds: i32,
    pub distance_m: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_stops, treat_none_as_default_value = false)]
pub struct StopRow {
    pub plan_id: i64,
    pub stop_id: i32,
    pub site_id: i64,
    pub time_window: String,
    pub vehicle_id: Option<i64>,
    pub position: i32,
    pub arrival_at: Option<NaiveDateTime>,
    pub start_at: Option<NaiveDateTime>,
    pub end_at: Option<NaiveDateTime>,
    pub locked: bool,
    pub whole_blood: i32,
    pub platelets: i32,
    pub plasma: i32,
    pub left_out_reason: Option<String>,
    pub promised_from: Option<NaiveDateTime>,
    pub promised_to: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_bookings, treat_none_as_default_value = false)]
pub struct PlanBookingRow {
    pub plan_id: i64,
    pub booking_id: i64,
    pub stop_id: i32,
}

/// Rows per multi-row insert, well under both backends' limit on bound parameters.
const CHUNK: usize = 500;

/// Inserts many rows in few statements (the multi-connection cannot batch, its backends can).
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted = 0;
        for chunk in $rows.chunks(CHUNK) {
            inserted += match $conn {
                DbConnection::Postgresql(pg) => {
                    diesel::insert_into($table).values(chunk).execute(pg)?
                }
                DbConnection::Sqlite(sqlite) => {
                    diesel::insert_into($table).values(chunk).execute(sqlite)?
                }
            };
        }
        QueryResult::Ok(inserted)
    }};
}

/// The newest version of a station-day's plan.
pub fn latest(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<PlanRow>> {
    super::on_backend!(conn, |c| plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.eq(date))
        .order(plans::version.desc())
        .select(PlanRow::as_select())
        .load(c))
    .map(super::first_row)
}

/// One version of a station-day's plan.
pub fn version(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
    version: i32,
) -> QueryResult<Option<PlanRow>> {
    plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.eq(date))
        .filter(plans::version.eq(version))
        .select(PlanRow::as_select())
        .load(conn)
        .map(super::single)
}

/// Every version of a station-day, oldest first.
pub fn versions(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<PlanRow>> {
    plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.eq(date))
        .order(plans::version.asc())
        .select(PlanRow::as_select())
        .load(conn)
}

/// The latest published version of a station-day.
pub fn latest_published(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<PlanRow>> {
    plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.eq(date))
        .filter(plans::status.eq(PUBLISHED))
        .order(plans::version.desc())
        .select(PlanRow::as_select())
        .load(conn)
        .map(super::first_row)
}

/// The newest version of each planned day of a station in a date range.
pub fn latest_per_day(
    conn: &mut DbConnection,
    station_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<std::collections::HashMap<NaiveDate, PlanRow>> {
    let rows: Vec<PlanRow> = plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.between(from, to))
        .order((plans::service_date.asc(), plans::version.desc()))
        .select(PlanRow::as_select())
        .load(conn)?;
    let mut newest = std::collections::HashMap::new();
    for row in rows {
        newest.entry(row.service_date).or_insert(row);
    }
    Ok(newest)
}

pub fn insert_plan(conn: &mut DbConnection, plan: &NewPlan) -> QueryResult<PlanRow> {
    diesel::insert_into(plans::table)
        .values(plan)
        .returning(plans::all_columns)
        .get_result(conn)
}

pub fn mark_published(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(plans::table.find(id))
        .set((
            plans::status.eq(PUBLISHED),
            plans::published_at.eq(Some(at)),
        ))
        .execute(conn)
}

/// Records the arrival window a stop's donors were told.
pub fn set_promise(
    conn: &mut DbConnection,
    plan_id: i64,
    stop_id: i32,
    window: Option<(NaiveDateTime, NaiveDateTime)>,
) -> QueryResult<usize> {
    diesel::update(plan_stops::table.find((plan_id, stop_id)))
        .set((
            plan_stops::promised_from.eq(window.map(|w| w.0)),
            plan_stops::promised_to.eq(window.map(|w| w.1)),
        ))
        .execute(conn)
}

pub fn insert_routes(conn: &mut DbConnection, rows: &[RouteRow]) -> QueryResult<usize> {
    insert_many!(conn, plan_routes::table, rows)
}

pub fn insert_stops(conn: &mut DbConnection, rows: &[StopRow]) -> QueryResult<usize> {
    insert_many!(conn, plan_stops::table, rows)
}

pub fn insert_bookings(conn: &mut DbConnection, rows: &[PlanBookingRow]) -> QueryResult<usize> {
    insert_many!(conn, plan_bookings::table, rows)
}

pub fn routes_of(conn: &mut DbConnection, plan_id: i64) -> QueryResult<Vec<RouteRow>> {
    plan_routes::table
        .filter(plan_routes::plan_id.eq(plan_id))
        .order(plan_routes::vehicle_id)
        .select(RouteRow::as_select())
        .load(conn)
}

pub fn stops_of(conn: &mut DbConnection, plan_id: i64) -> QueryResult<Vec<StopRow>> {
    plan_stops::table
        .filter(plan_stops::plan_id.eq(plan_id))
        .order((
            plan_stops::vehicle_id,
            plan_stops::position,
            plan_stops::stop_id,
        ))
        .select(StopRow::as_select())
        .load(conn)
}

pub fn bookings_of(conn: &mut DbConnection, plan_id: i64) -> QueryResult<Vec<PlanBookingRow>> {
    plan_bookings::table
        .filter(plan_bookings::plan_id.eq(plan_id))
        .select(PlanBookingRow::as_select())
        .load(conn)
}

/// Where a booking is in a plan version, if it is in it.
pub fn place_of(
    conn: &mut DbConnection,
    plan_id: i64,
    booking_id: i64,
) -> QueryResult<Option<PlanBookingRow>> {
    plan_bookings::table
        .filter(plan_bookings::plan_id.eq(plan_id))
        .filter(plan_bookings::booking_id.eq(booking_id))
        .select(PlanBookingRow::as_select())
        .load(conn)
        .map(super::single)
}

pub fn remove_booking(
    conn: &mut DbConnection,
    plan_id: i64,
    booking_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        plan_bookings::table
            .filter(plan_bookings::plan_id.eq(plan_id))
            .filter(plan_bookings::booking_id.eq(booking_id)),
    )
    .execute(conn)
}

/// Replaces one vehicle's stops and route row in a version (after an insertion or a removal);
/// `route` none removes the route.
pub fn replace_route(
    conn: &mut DbConnection,
    plan_id: i64,
    vehicle_id: i64,
    stops: &[StopRow],
    route: Option<&RouteRow>,
) -> QueryResult<()> {
    diesel::delete(
        plan_stops::table
            .filter(plan_stops::plan_id.eq(plan_id))
            .filter(plan_stops::vehicle_id.eq(vehicle_id)),
    )
    .execute(conn)?;
    insert_stops(conn, stops)?;
    diesel::delete(
        plan_routes::table
            .filter(plan_routes::plan_id.eq(plan_id))
            .filter(plan_routes::vehicle_id.eq(vehicle_id)),
    )
    .execute(conn)?;
    if let Some(route) = route {
        insert_routes(conn, std::slice::from_ref(route))?;
    }
    Ok(())
}

/// Replaces one stop row (a left-out stop whose donors changed); none removes it.
pub fn replace_stop(
    conn: &mut DbConnection,
    plan_id: i64,
    stop_id: i32,
    stop: Option<&StopRow>,
) -> QueryResult<()> {
    diesel::delete(plan_stops::table.find((plan_id, stop_id))).execute(conn)?;
    if let Some(stop) = stop {
        insert_stops(conn, std::slice::from_ref(stop))?;
    }
    Ok(())
}

/// Plans of a vehicle's station on or after a date that are published, newest version per day.
pub fn published_days(
    conn: &mut DbConnection,
    station_id: i64,
    from: NaiveDate,
) -> QueryResult<Vec<PlanRow>> {
    let rows: Vec<PlanRow> = plans::table
        .filter(plans::station_id.eq(station_id))
        .filter(plans::service_date.ge(from))
        .filter(plans::status.eq(PUBLISHED))
        .order((plans::service_date.asc(), plans::version.desc()))
        .select(PlanRow::as_select())
        .load(conn)?;
    let mut newest: Vec<PlanRow> = Vec::new();
    for row in rows {
        if newest
            .last()
            .is_none_or(|last| last.service_date != row.service_date)
        {
            newest.push(row);
        }
    }
    Ok(newest)
}
