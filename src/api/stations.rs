//! Stations: the blood station's own settings (dispatcher only).

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use super::registry_fields::{check_coordinates, check_text, required};
use crate::booking::{WindowSpec, windows_from_json, windows_to_json};
use crate::db::registry::{self, StationRow, StationValues};
use crate::db::stored_instant;

/// A blood station and the numbers its booking rules use.
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
    pub minutes_per_donor: i32,
    pub setup_minutes: i32,
    pub packup_minutes: i32,
    /// Share of the fleet's throughput offered for booking (the rest is driving time).
    pub utilisation_percent: i32,
}

impl TryFrom<StationRow> for Station {
    type Error = ApiError;

    fn try_from(row: StationRow) -> Result<Station, ApiError> {
        let windows = windows_from_json(&row.windows).map_err(|e| {
            tracing::error!(station = row.id, error = %e, "stored windows unreadable");
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
            setup_minutes: row.setup_minutes,
            packup_minutes: row.packup_minutes,
            utilisation_percent: row.utilisation_percent,
        })
    }
}

/// A station as a dispatcher enters it; on create only `name`, `time_zone`, the depot and its
/// coordinates are required, every other number takes the documented default.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationBody {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub depot_name: Option<String>,
    pub depot_address: Option<String>,
    pub depot_lat: Option<f64>,
    pub depot_lon: Option<f64>,
    pub windows: Option<Vec<WindowSpec>>,
    pub horizon_min_days: Option<i32>,
    pub horizon_max_days: Option<i32>,
    pub cutoff_days_before: Option<i32>,
    #[schema(value_type = Option<String>)]
    pub cutoff_time: Option<NaiveTime>,
    pub change_notice_minutes: Option<i32>,
    pub processing_limit_minutes: Option<i32>,
    pub minutes_per_donor: Option<i32>,
    pub setup_minutes: Option<i32>,
    pub packup_minutes: Option<i32>,
    pub utilisation_percent: Option<i32>,
}

/// DESIGN.md's defaults for a new station.
pub fn default_station(
    name: &str,
    time_zone: &str,
    depot_name: &str,
    depot_address: &str,
    lat: f64,
    lon: f64,
) -> StationValues {
    let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    StationValues {
        name: name.to_string(),
        time_zone: time_zone.to_string(),
        depot_name: depot_name.to_string(),
        depot_address: depot_address.to_string(),
        depot_lat: lat,
        depot_lon: lon,
        windows: windows_to_json(&[
            WindowSpec {
                name: "morning".into(),
                start: time(8, 0),
                end: time(12, 0),
            },
            WindowSpec {
                name: "afternoon".into(),
                start: time(13, 0),
                end: time(17, 30),
            },
        ]),
        horizon_min_days: 1,
        horizon_max_days: 30,
        cutoff_days_before: 1,
        cutoff_time: time(18, 0),
        change_notice_minutes: 120,
        processing_limit_minutes: 6 * 60,
        minutes_per_donor: 15,
        setup_minutes: 20,
        packup_minutes: 15,
        utilisation_percent: 80,
        updated_at: stored_instant(Utc::now()),
    }
}

fn in_range(field: &str, value: i32, min: i32, max: i32) -> Result<(), ApiError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "out_of_range",
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

fn check_windows(windows: &[WindowSpec]) -> Result<(), ApiError> {
    if windows.is_empty() || windows.len() > 6 {
        return Err(ApiError::bad_request(
            "invalid_windows",
            "windows",
            "1-6 windows",
        ));
    }
    for (i, window) in windows.iter().enumerate() {
        let field = format!("windows[{i}]");
        super::bookings::check_window_name(&window.name)
            .map_err(|e| ApiError::bad_request(e.code, &field, e.message))?;
        if window.start >= window.end {
            return Err(ApiError::bad_request(
                "invalid_window",
                &field,
                "start must be before end",
            ));
        }
        if windows[..i].iter().any(|w| w.name == window.name) {
            return Err(ApiError::bad_request(
                "duplicate_window",
                &field,
                "window names must be unique",
            ));
        }
    }
    Ok(())
}

impl StationBody {
    fn merge(self, mut values: StationValues) -> Result<StationValues, ApiError> {
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { values.$field = v; })* };
        }
        take!(
            name,
            time_zone,
            depot_name,
            depot_address,
            depot_lat,
            depot_lon,
            horizon_min_days,
            horizon_max_days,
            cutoff_days_before,
            cutoff_time,
            change_notice_minutes,
            processing_limit_minutes,
            minutes_per_donor,
            setup_minutes,
            packup_minutes,
            utilisation_percent
        );
        if let Some(windows) = self.windows {
            check_windows(&windows)?;
            values.windows = windows_to_json(&windows);
        }
        values.name = values.name.trim().to_string();
        check_text("name", &values.name, 1, 100)?;
        check_text("depot_name", &values.depot_name, 1, 100)?;
        check_text("depot_address", &values.depot_address, 1, 200)?;
        if values.time_zone.parse::<Tz>().is_err() {
            return Err(ApiError::bad_request(
                "invalid_time_zone",
                "time_zone",
                "an IANA time zone such as Asia/Shanghai",
            ));
        }
        check_coordinates(values.depot_lat, values.depot_lon).map_err(|mut e| {
            e.field = e.field.map(|f| format!("depot_{f}"));
            e
        })?;
        in_range("horizon_min_days", values.horizon_min_days, 0, 365)?;
        in_range(
            "horizon_max_days",
            values.horizon_max_days,
            values.horizon_min_days,
            366,
        )?;
        in_range("cutoff_days_before", values.cutoff_days_before, 0, 30)?;
        in_range(
            "change_notice_minutes",
            values.change_notice_minutes,
            0,
            30 * 24 * 60,
        )?;
        in_range(
            "processing_limit_minutes",
            values.processing_limit_minutes,
            30,
            24 * 60,
        )?;
        in_range("minutes_per_donor", values.minutes_per_donor, 1, 240)?;
        in_range("setup_minutes", values.setup_minutes, 0, 240)?;
        in_range("packup_minutes", values.packup_minutes, 0, 240)?;
        in_range("utilisation_percent", values.utilisation_percent, 1, 100)?;
        values.updated_at = stored_instant(Utc::now());
        Ok(values)
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
    operation_id = "create_station", tag = "registry", request_body = StationBody, security(("bearer" = [])), responses((status = 201, body = Station), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[post("/stations")]
pub async fn create(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<StationBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value;
    let base = default_station(
        &required(body.name.clone(), "name")?,
        &required(body.time_zone.clone(), "time_zone")?,
        &required(body.depot_name.clone(), "depot_name")?,
        &required(body.depot_address.clone(), "depot_address")?,
        required(body.depot_lat, "depot_lat")?,
        required(body.depot_lon, "depot_lon")?,
    );
    let values = body.merge(base)?;
    let row = state
        .db
        .run(move |conn| registry::insert_station(conn, &values).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(Station::try_from(row)?))
}

/// Changes a station's settings; absent fields stay as they are.
#[utoipa::path(
    operation_id = "update_station", tag = "registry", params(("id" = i64, Path)), request_body = StationBody, security(("bearer" = [])), responses((status = 200, body = Station), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/stations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
    body: ValidJson<StationBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.value;
    let row = state
        .db
        .run(move |conn| {
            let current = registry::find_station(conn, id)?
                .ok_or_else(|| ApiError::not_found("station", "id", id))?;
            let values = body.merge(values_of(current))?;
            registry::update_station(conn, id, &values)?
                .ok_or_else(|| ApiError::not_found("station", "id", id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Station::try_from(row)?))
}

fn values_of(row: StationRow) -> StationValues {
    StationValues {
        name: row.name,
        time_zone: row.time_zone,
        depot_name: row.depot_name,
        depot_address: row.depot_address,
        depot_lat: row.depot_lat,
        depot_lon: row.depot_lon,
        windows: row.windows,
        horizon_min_days: row.horizon_min_days,
        horizon_max_days: row.horizon_max_days,
        cutoff_days_before: row.cutoff_days_before,
        cutoff_time: row.cutoff_time,
        change_notice_minutes: row.change_notice_minutes,
        processing_limit_minutes: row.processing_limit_minutes,
        minutes_per_donor: row.minutes_per_donor,
        setup_minutes: row.setup_minutes,
        packup_minutes: row.packup_minutes,
        utilisation_percent: row.utilisation_percent,
        updated_at: row.updated_at,
    }
}
