//! Bloodmobiles (dispatcher only): beds, bag stock, shift and the kinds each collects.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::db::registry::{self, VehicleRow};
use crate::domain::donation::DonationKind;
use crate::registry::vehicles::{self, VehicleFields};
use crate::station::parse_kinds;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Vehicle {
    pub id: i64,
    pub station_id: i64,
    pub name: String,
    pub plate: Option<String>,
    /// Donors at once.
    pub beds: i32,
    /// Bag stock: donors per day.
    pub donors_per_day: i32,
    #[schema(value_type = String, example = "07:30:00")]
    pub shift_start: NaiveTime,
    #[schema(value_type = String, example = "17:30:00")]
    pub shift_end: NaiveTime,
    pub kinds: Vec<DonationKind>,
    pub active: bool,
}

impl From<VehicleRow> for Vehicle {
    fn from(row: VehicleRow) -> Vehicle {
        Vehicle {
            kinds: parse_kinds(&row.kinds),
            id: row.id,
            station_id: row.station_id,
            name: row.name,
            plate: row.plate,
            beds: row.beds,
            donors_per_day: row.donors_per_day,
            shift_start: row.shift_start,
            shift_end: row.shift_end,
            active: row.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VehicleQuery {
    pub station_id: Option<i64>,
}

/// The fleet.
#[utoipa::path(
    operation_id = "list_vehicles", tag = "registry", params(VehicleQuery), security(("bearer" = [])), responses((status = 200, body = [Vehicle]), (status = 401, body = ErrorBody)))]
#[get("/vehicles")]
pub async fn list(
    state: web::Data<AppState>,
    _: Dispatcher,
    query: web::Query<VehicleQuery>,
) -> Result<HttpResponse, ApiError> {
    let station_id = query.station_id;
    let rows = state
        .db
        .run(move |conn| registry::list_vehicles(conn, station_id).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(Vehicle::from).collect::<Vec<_>>()))
}

/// Adds a vehicle.
#[utoipa::path(
    operation_id = "create_vehicle", tag = "registry", request_body = VehicleFields, security(("bearer" = [])), responses((status = 201, body = Vehicle), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/vehicles")]
pub async fn create(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<VehicleFields>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| vehicles::create(conn, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(Vehicle::from(row)))
}

/// Changes a vehicle; absent fields stay as they are (`"active": false` takes it out of service).
#[utoipa::path(
    operation_id = "update_vehicle", tag = "registry", params(("id" = i64, Path)), request_body = VehicleFields, security(("bearer" = [])), responses((status = 200, body = Vehicle), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/vehicles/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
    body: ValidJson<VehicleFields>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| vehicles::update(conn, id, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(Vehicle::from(row)))
}
