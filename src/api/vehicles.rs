//! Bloodmobiles (dispatcher only): beds, bag stock, shift and the kinds each collects.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use super::registry_fields::{check_positive, check_text, ensure_station, optional_text, required};
use crate::booking::station::{kinds_to_text, parse_kinds};
use crate::db::registry::{self, VehicleRow, VehicleValues};
use crate::db::stored_instant;
use crate::domain::donation::DonationKind;

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

/// A vehicle as a dispatcher enters it. On PATCH every field is optional.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleBody {
    pub station_id: Option<i64>,
    pub name: Option<String>,
    pub plate: Option<String>,
    pub beds: Option<i32>,
    pub donors_per_day: Option<i32>,
    #[schema(value_type = Option<String>)]
    pub shift_start: Option<NaiveTime>,
    #[schema(value_type = Option<String>)]
    pub shift_end: Option<NaiveTime>,
    pub kinds: Option<Vec<DonationKind>>,
    pub active: Option<bool>,
}

impl VehicleBody {
    fn merge(self, base: Option<&VehicleRow>) -> Result<VehicleValues, ApiError> {
        let kinds = match self.kinds {
            Some(mut kinds) => {
                kinds.sort_by_key(|k| k.as_str());
                kinds.dedup();
                if kinds.is_empty() {
                    return Err(ApiError::bad_request(
                        "required",
                        "kinds",
                        "at least one donation kind",
                    ));
                }
                kinds_to_text(&kinds)
            }
            None => base
                .map(|b| b.kinds.clone())
                .unwrap_or_else(|| DonationKind::WholeBlood.as_str().to_string()),
        };
        let values = VehicleValues {
            station_id: required(self.station_id.or(base.map(|b| b.station_id)), "station_id")?,
            name: required(self.name.or(base.map(|b| b.name.clone())), "name")?
                .trim()
                .to_string(),
            plate: optional_text(self.plate, base.and_then(|b| b.plate.clone())),
            beds: required(self.beds.or(base.map(|b| b.beds)), "beds")?,
            donors_per_day: required(
                self.donors_per_day.or(base.map(|b| b.donors_per_day)),
                "donors_per_day",
            )?,
            shift_start: required(
                self.shift_start.or(base.map(|b| b.shift_start)),
                "shift_start",
            )?,
            shift_end: required(self.shift_end.or(base.map(|b| b.shift_end)), "shift_end")?,
            kinds,
            active: self.active.or(base.map(|b| b.active)).unwrap_or(true),
            updated_at: stored_instant(Utc::now()),
        };
        check_text("name", &values.name, 1, 64)?;
        if let Some(plate) = &values.plate {
            check_text("plate", plate, 1, 20)?;
        }
        check_positive("beds", values.beds.into(), 50)?;
        check_positive("donors_per_day", values.donors_per_day.into(), 1000)?;
        if values.shift_start >= values.shift_end {
            return Err(ApiError::bad_request(
                "invalid_shift",
                "shift_end",
                "must be after shift_start",
            ));
        }
        Ok(values)
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
    operation_id = "create_vehicle", tag = "registry", request_body = VehicleBody, security(("bearer" = [])), responses((status = 201, body = Vehicle), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/vehicles")]
pub async fn create(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<VehicleBody>,
) -> Result<HttpResponse, ApiError> {
    let values = body.value.merge(None)?;
    let row = state
        .db
        .run(move |conn| {
            ensure_station(conn, values.station_id)?;
            registry::insert_vehicle(conn, &values).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Created().json(Vehicle::from(row)))
}

/// Changes a vehicle; absent fields stay as they are (`"active": false` takes it out of service).
#[utoipa::path(
    operation_id = "update_vehicle", tag = "registry", params(("id" = i64, Path)), request_body = VehicleBody, security(("bearer" = [])), responses((status = 200, body = Vehicle), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/vehicles/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
    body: ValidJson<VehicleBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.value;
    let row = state
        .db
        .run(move |conn| {
            let current = registry::find_vehicle(conn, id)?
                .ok_or_else(|| ApiError::not_found("vehicle", "id", id))?;
            let values = body.merge(Some(&current))?;
            ensure_station(conn, values.station_id)?;
            registry::update_vehicle(conn, id, &values)?
                .ok_or_else(|| ApiError::not_found("vehicle", "id", id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Vehicle::from(row)))
}
