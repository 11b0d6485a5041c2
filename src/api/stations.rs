//! Stations: the blood station's own settings (dispatcher only).

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::db::registry::{self, StationRow};
use crate::domain::eligibility::PlasmaPolicy;
use crate::registry::{StationFields, stations};
use crate::station::{WindowSpec, plasma_from_json, windows_from_json};

/// A blood station and the numbers its booking rules and its planner use.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Station {
    pub id: i64,
    pub name: String,
    /// IANA time zone, e.g. "Asia/Shanghai".
    pub time_zone: String,
    pub depot_name: String,
    pub depot_address: String,
    pub depot_lat: f64,
    pub depot_lon: f64,
    pub windows: Vec<WindowSpec>,
    /// First bookable day, in days from today (local).
    pub horizon_min_days: i32,
    /// Last bookable day, in days from today (local).
    pub horizon_max_days: i32,
    /// Bookings for a day close this many days before it, at `cutoff_time` local.
    pub cutoff_days_before: i32,
    #[schema(value_type = String, example = "18:00:00")]
    pub cutoff_time: NaiveTime,
    /// Cancel and reschedule up to this many minutes before the booked window starts.
    pub change_notice_minutes: i32,
    /// Blood from a route's first stop must reach the depot within this many minutes.
    pub processing_limit_minutes: i32,
    /// Minutes a bed is taken per whole-blood donor.
    pub minutes_per_donor: i32,
    pub platelets_minutes_per_donor: i32,
    pub plasma_minutes_per_donor: i32,
    pub setup_minutes: i32,
    pub packup_minutes: i32,
    /// Share of the fleet's throughput offered for booking (the rest is driving time).
    pub utilisation_percent: i32,
    /// A donor's arrival window opens this many minutes before their stop starts.
    pub arrival_lead_minutes: i32,
    /// Stops with fewer donors are flagged.
    pub min_turnout: i32,
    /// A published arrival window that moves by more than this is announced to the donor.
    pub window_change_minutes: i32,
    /// Local hour of the reminder the day before.
    pub reminder_hour: i32,
    /// Text messages one phone receives in a day at most.
    pub sms_daily_cap: i32,
    /// Road distance over great-circle distance, for estimated drive times.
    pub detour_factor: f64,
    pub average_speed_kmh: f64,
    /// An OSRM table response used for drive times instead of estimates.
    pub travel_matrix_file: Option<String>,
    /// Whether the station collects plasma on its own, and its rules for it (the eligibility
    /// rule list shows them with their codes).
    pub plasma: PlasmaPolicy,
}

impl TryFrom<StationRow> for Station {
    type Error = ApiError;

    fn try_from(row: StationRow) -> Result<Station, ApiError> {
        let windows = windows_from_json(&row.windows).map_err(|e| {
            tracing::error!(station = row.id, error = %e, "stored windows unreadable");
            ApiError::internal()
        })?;
        let plasma = plasma_from_json(&row.plasma_policy).map_err(|e| {
            tracing::error!(station = row.id, error = %e, "stored plasma policy unreadable");
            ApiError::internal()
        })?;
        Ok(Station {
            id: row.id,
            name: row.name,
            time_zone: row.time_zone,
            depot_name: row.depot_name,
            depot_address: row.depot_address,
            depot_lat: row.depot_lat,
            depot_lon: row.depot_lon,
            windows,
            horizon_min_days: row.horizon_min_days,
            horizon_max_days: row.horizon_max_days,
            cutoff_days_before: row.cutoff_days_before,
            cutoff_time: row.cutoff_time,
            change_notice_minutes: row.change_notice_minutes,
            processing_limit_minutes: row.processing_limit_minutes,
            minutes_per_donor: row.minutes_per_donor,
            platelets_minutes_per_donor: row.platelets_minutes_per_donor,
            plasma_minutes_per_donor: row.plasma_minutes_per_donor,
            setup_minutes: row.setup_minutes,
            packup_minutes: row.packup_minutes,
            utilisation_percent: row.utilisation_percent,
            arrival_lead_minutes: row.arrival_lead_minutes,
            min_turnout: row.min_turnout,
            window_change_minutes: row.window_change_minutes,
            reminder_hour: row.reminder_hour,
            sms_daily_cap: row.sms_daily_cap,
            detour_factor: row.detour_factor,
            average_speed_kmh: row.average_speed_kmh,
            travel_matrix_file: row.travel_matrix_file,
            plasma,
        })
    }
}

/// All stations.
#[utoipa::path(
    operation_id = "list_stations", tag = "registry", security(("bearer" = [])), responses((status = 200, body = [Station]), (status = 401, body = ErrorBody)))]
#[get("/stations")]
pub async fn list(state: web::Data<AppState>, _: Dispatcher) -> Result<HttpResponse, ApiError> {
    let rows = state
        .db
        .run(|conn| registry::list_stations(conn).map_err(ApiError::from))
        .await?;
    let stations = rows
        .into_iter()
        .map(Station::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(stations))
}

/// One station.
#[utoipa::path(
    operation_id = "get_station", tag = "registry", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, body = Station), (status = 404, body = ErrorBody)))]
#[get("/stations/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = state
        .db
        .run(move |conn| registry::find_station(conn, id).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::not_found("station", "id", id))?;
    Ok(HttpResponse::Ok().json(Station::try_from(row)?))
}

/// Adds a station.
#[utoipa::path(
    operation_id = "create_station", tag = "registry", request_body = StationFields, security(("bearer" = [])), responses((status = 201, body = Station), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[post("/stations")]
pub async fn create(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<StationFields>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| stations::create(conn, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(Station::try_from(row)?))
}

/// Changes a station's settings; absent fields stay as they are.
#[utoipa::path(
    operation_id = "update_station", tag = "registry", params(("id" = i64, Path)), request_body = StationFields, security(("bearer" = [])), responses((status = 200, body = Station), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/stations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
    body: ValidJson<StationFields>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| stations::update(conn, id, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(Station::try_from(row)?))
}
