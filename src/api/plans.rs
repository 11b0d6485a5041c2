//! Dispatch over the API: plan a station-day, read a version, change it, publish it, export it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::{OptionalJson, ValidJson};
use crate::db::{Db, write_transaction};
use crate::dispatch::changes::{self, Change};
use crate::dispatch::planning::{self, SolveOptions};
use crate::dispatch::view::{PlanView, read_plan};
use crate::dispatch::{DispatchError, export, publish as publishing};

/// How long to search, and with which seed (the same seed and input give the same plan when the
/// search is not cut short by the clock).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Seconds of search, more than 0 and at most 60 (default 2).
    pub time_limit_s: Option<f64>,
    /// Any unsigned 64-bit number: the same seed and time limit give the same plan.
    #[schema(format = "uint64", minimum = 0)]
    pub seed: Option<u64>,
}

/// One change to the latest version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeRequest {
    /// Put a stop on a vehicle's route at a position (1 = first stop).
    Move {
        stop_id: i32,
        vehicle_id: i64,
        position: usize,
    },
    /// Keep a stop on its vehicle when re-optimising.
    Lock {
        stop_id: i32,
    },
    Unlock {
        stop_id: i32,
    },
    /// Take a vehicle out for the day (a breakdown) and re-plan the rest.
    VehicleOut {
        vehicle_id: i64,
    },
    /// Re-plan the rest, keeping locked stops and published windows where it can.
    Reoptimise {
        time_limit_s: Option<f64>,
        #[schema(format = "uint64", minimum = 0)]
        seed: Option<u64>,
    },
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The version to publish (default: the latest).
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A plan version (default: the latest).
    pub version: Option<i32>,
}

type DayPath = web::Path<(i64, NaiveDate)>;

/// Runs blocking dispatch work off the async executor.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, DispatchError> + Send + 'static,
{
    web::block(work)
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(ApiError::from)
}

async fn view(
    db: &Db,
    station_id: i64,
    date: NaiveDate,
    version: Option<i32>,
) -> Result<PlanView, ApiError> {
    db.run(move |conn| {
        read_plan(conn, station_id, date, version)
            .map(|(_, _, view)| view)
            .map_err(ApiError::from)
    })
    .await
}

/// Plans the day: groups its bookings into stops, solves within the time limit and stores a new
/// draft version.
#[utoipa::path(
    operation_id = "plan_day", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date)),
    request_body(content = Option<PlanRequest>),
    security(("bearer" = [])),
    responses((status = 201, body = PlanView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/stations/{id}/days/{date}/plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    body: OptionalJson<PlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let options = SolveOptions::new(body.0.time_limit_s, body.0.seed)?;
    let db = state.db.clone();
    let (plan, _) =
        blocking(move || planning::plan_day(&db, station_id, date, options, Utc::now())).await?;
    let view = view(&state.db, station_id, date, Some(plan.version)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// A version of the day's plan (the latest by default).
#[utoipa::path(
    operation_id = "get_plan", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date), VersionQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 401, body = ErrorBody), (status = 404, description = "no plan, or no such version", body = ErrorBody)))]
#[get("/stations/{id}/days/{date}/plan")]
pub async fn show(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let view = view(&state.db, station_id, date, query.version).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes the latest version: move, lock, unlock, vehicle_out or reoptimise. An accepted change
/// is a new version; a change that breaks a rule is a 422 naming the constraint and the stop.
#[utoipa::path(
    operation_id = "change_plan", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date)),
    request_body = ChangeRequest,
    security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "another version was stored meanwhile", body = ErrorBody), (status = 422, description = "infeasible", body = ErrorBody)))]
#[post("/stations/{id}/days/{date}/plan/changes")]
pub async fn change(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    body: ValidJson<ChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let change = match body.value {
        ChangeRequest::Move {
            stop_id,
            vehicle_id,
            position,
        } => Change::Move {
            stop_id,
            vehicle_id,
            position,
        },
        ChangeRequest::Lock { stop_id } => Change::Lock { stop_id },
        ChangeRequest::Unlock { stop_id } => Change::Unlock { stop_id },
        ChangeRequest::VehicleOut { vehicle_id } => Change::VehicleOut { vehicle_id },
        ChangeRequest::Reoptimise { time_limit_s, seed } => Change::Reoptimise {
            options: SolveOptions::new(time_limit_s, seed)?,
        },
    };
    let db = state.db.clone();
    let plan = blocking(move || changes::apply(&db, station_id, date, change, Utc::now())).await?;
    let view = view(&state.db, station_id, date, Some(plan.version)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Publishes a version (the latest by default): each booking on it gets its arrival window.
#[utoipa::path(
    operation_id = "publish_plan", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date)),
    request_body(content = Option<PublishRequest>),
    security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/stations/{id}/days/{date}/plan/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    body: OptionalJson<PublishRequest>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let version = body.0.version;
    let (plan, _) = state
        .db
        .write(move |conn| {
            write_transaction(conn, |conn| {
                publishing::publish(conn, station_id, date, version, Utc::now())
            })
            .map_err(ApiError::from)
        })
        .await?;
    let view = view(&state.db, station_id, date, Some(plan.version)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The plan as CSV: one row per booking, phones masked but for the last four digits.
#[utoipa::path(
    operation_id = "plan_csv", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date), VersionQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
#[get("/stations/{id}/days/{date}/plan.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let version = query.version;
    let text = state
        .db
        .run(move |conn| {
            let (day, _, view) = read_plan(conn, station_id, date, version)?;
            export::plan_csv(&day, &view).map_err(|e| {
                tracing::error!(error = %e, "CSV export");
                ApiError::internal()
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"plan-{station_id}-{date}.csv\""),
        ))
        .body(text))
}

/// The plan as GeoJSON: a LineString per route, a Point per stop.
#[utoipa::path(
    operation_id = "plan_geojson", tag = "dispatch",
    params(("id" = i64, Path), ("date" = String, Path, format = Date), VersionQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 404, body = ErrorBody)))]
#[get("/stations/{id}/days/{date}/plan.geojson")]
pub async fn geojson(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: DayPath,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (station_id, date) = path.into_inner();
    let version = query.version;
    let value = state
        .db
        .run(move |conn| {
            let (day, _, view) = read_plan(conn, station_id, date, version)?;
            Ok::<_, ApiError>(export::plan_geojson(&day, &view))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .body(value.to_string()))
}

/// An iCalendar feed of the vehicle's published stops, from a week ago on.
#[utoipa::path(
    operation_id = "vehicle_calendar", tag = "dispatch",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
#[get("/vehicles/{id}/calendar.ics")]
pub async fn calendar(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let vehicle_id = path.into_inner();
    let from = (Utc::now() - chrono::Duration::days(7)).date_naive();
    let (name, stops) = state
        .db
        .run(move |conn| export::vehicle_stops(conn, vehicle_id, from).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("text/calendar; charset=utf-8")
        .body(export::vehicle_calendar(&name, &stops)))
}
