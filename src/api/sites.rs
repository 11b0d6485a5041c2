//! Sites (communities and villages): public search and availability, dispatcher registry.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Dispatcher;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::booking::{self, DayAvailability};
use crate::db::registry::{self, SiteFilter, SiteRow};
use crate::registry::fields::check_text;
use crate::registry::sites::{self, SiteFields, check_kind};

/// A community (社区) or village (村) the bloodmobile can visit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub station_id: i64,
    /// "community" or "village".
    pub kind: String,
    pub district: String,
    pub township: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// The site's contact person: shown to signed-in dispatchers only (null for anyone else).
    pub contact_name: Option<String>,
    /// E.164; shown to signed-in dispatchers only (null for anyone else).
    pub contact_phone: Option<String>,
    pub active: bool,
}

impl Site {
    /// The site for `reader`: with its contact for a dispatcher; for anyone else without any
    /// person's name or phone.
    fn for_reader(row: SiteRow, reader: &Option<Dispatcher>) -> Site {
        let site = Site::from(row);
        match reader {
            Some(_) => site,
            None => Site {
                contact_name: None,
                contact_phone: None,
                ..site
            },
        }
    }
}

impl From<SiteRow> for Site {
    fn from(row: SiteRow) -> Site {
        Site {
            id: row.id,
            station_id: row.station_id,
            kind: row.kind,
            district: row.district,
            township: row.township,
            name: row.name,
            address: row.address,
            lat: row.lat,
            lon: row.lon,
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
            active: row.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SiteQuery {
    /// Text in the name, township or address.
    pub q: Option<String>,
    pub district: Option<String>,
    pub station_id: Option<i64>,
    /// "community" or "village".
    pub kind: Option<String>,
    /// 1-500, default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SitePage {
    pub items: Vec<Site>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Lists and searches active sites (with their contacts for a dispatcher's bearer token).
#[utoipa::path(
    operation_id = "list_sites", tag = "sites", params(SiteQuery), responses((status = 200, body = SitePage), (status = 400, body = ErrorBody)))]
#[get("/sites")]
pub async fn list(
    state: web::Data<AppState>,
    reader: Option<Dispatcher>,
    query: web::Query<SiteQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "limit",
            "must be between 1 and 500",
        ));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request(
            "out_of_range",
            "offset",
            "must not be negative",
        ));
    }
    if let Some(q) = &query.q {
        check_text("q", q, 0, 100)?;
    }
    if let Some(district) = &query.district {
        check_text("district", district, 0, 64)?;
    }
    if let Some(kind) = &query.kind {
        check_kind(kind)?;
    }
    let filter = SiteFilter {
        q: query.q.map(|q| q.trim().to_string()),
        district: query.district,
        station_id: query.station_id,
        kind: query.kind,
        include_inactive: false,
    };
    let (rows, total) = state
        .db
        .run(move |conn| {
            registry::search_sites(conn, &filter, limit, offset).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SitePage {
        items: rows
            .into_iter()
            .map(|row| Site::for_reader(row, &reader))
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// One site (with its contact for a dispatcher's bearer token).
#[utoipa::path(
    operation_id = "get_site", tag = "sites", params(("id" = i64, Path)), responses((status = 200, body = Site), (status = 404, body = ErrorBody)))]
#[get("/sites/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    reader: Option<Dispatcher>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = state
        .db
        .run(move |conn| registry::find_site(conn, id).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::not_found("site", "id", id))?;
    Ok(HttpResponse::Ok().json(Site::for_reader(row, &reader)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityQuery {
    /// First day, YYYY-MM-DD (default: the station's first bookable day).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day, YYYY-MM-DD, at most 62 days after `from` (default: `from` + 13 days).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Availability {
    pub site_id: i64,
    pub days: Vec<DayAvailability>,
}

/// Days and windows of a site with the seats still free.
#[utoipa::path(
    operation_id = "site_availability",
    tag = "sites",
    params(("id" = i64, Path), AvailabilityQuery),
    responses((status = 200, body = Availability), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/sites/{id}/availability")]
pub async fn availability(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<AvailabilityQuery>,
) -> Result<HttpResponse, ApiError> {
    let site_id = path.into_inner();
    let (from, to) = (query.from, query.to);
    let days = state
        .db
        .run(move |conn| booking::site_availability(conn, site_id, from, to, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(Availability { site_id, days }))
}

/// Adds a site.
#[utoipa::path(
    operation_id = "create_site",
    tag = "registry",
    request_body = SiteFields,
    security(("bearer" = [])),
    responses((status = 201, body = Site), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/sites")]
pub async fn create(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<SiteFields>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| sites::create(conn, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(Site::from(row)))
}

/// Changes a site; absent fields stay as they are.
#[utoipa::path(
    operation_id = "update_site",
    tag = "registry",
    params(("id" = i64, Path)),
    request_body = SiteFields,
    security(("bearer" = [])),
    responses((status = 200, body = Site), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[patch("/sites/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
    body: ValidJson<SiteFields>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let fields = body.value;
    let row = state
        .db
        .write(move |conn| sites::update(conn, id, fields, Utc::now()).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(Site::from(row)))
}
