//! The JSON API under `/api/v1`: thin handlers that parse input into domain types, call the
//! booking service or the registry, and map every error to one JSON shape (`error.rs`).

pub mod auth;
pub mod bookings;
pub mod eligibility;
pub mod error;
pub mod health;
pub mod json;
pub mod limits;
pub mod notices;
pub mod observe;
pub mod openapi;
pub mod plans;
pub mod sites;
pub mod stations;
pub mod vehicles;

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::db::Db;
use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// How long a dispatcher token stays valid.
    pub token_ttl: chrono::Duration,
    /// The bearer token SMS delivery receipts must carry, if any.
    pub sms_receipt_token: Option<String>,
    /// Requests per client (none unless configured).
    pub limits: limits::Limits,
    /// Origins other sites' scripts may call the API from (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<String>,
}

impl AppState {
    /// The state for `db` with the defaults: 12-hour tokens, no limits, no CORS, open metrics.
    pub fn new(db: Db) -> AppState {
        AppState {
            db,
            token_ttl: chrono::Duration::hours(12),
            sms_receipt_token: None,
            limits: limits::Limits::default(),
            cors_origins: Vec::new(),
            metrics_token: None,
        }
    }
}

/// Mounts `/api/v1`, `/healthz` and `/readyz`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            web::scope("/api/v1")
                .service(openapi::document)
                .service(auth::create_token)
                .service(auth::revoke_token)
                .service(sites::list)
                .service(sites::create)
                .service(sites::availability)
                .service(sites::show)
                .service(sites::update)
                .service(bookings::create)
                .service(bookings::show)
                .service(bookings::reschedule)
                .service(bookings::cancel)
                .service(bookings::outcome)
                .service(bookings::cancel_by_station)
                .service(notices::list)
                .service(notices::queue)
                .service(notices::receipt)
                .service(notices::opt_outs)
                .service(notices::add_opt_out)
                .service(notices::remove_opt_out)
                .service(notices::resend)
                .service(bookings::waitlist)
                .service(eligibility::rules)
                .service(stations::list)
                .service(stations::create)
                .service(stations::show)
                .service(stations::update)
                .service(vehicles::list)
                .service(vehicles::create)
                .service(vehicles::update)
                .service(plans::calendar)
                .service(plans::create_plan)
                .service(plans::show)
                .service(plans::change)
                .service(plans::publish)
                .service(plans::csv)
                .service(plans::geojson)
                .default_service(web::to(not_found)),
        );
}

/// The 405 for a path of the API asked with a method it does not offer, naming the ones it
/// does (`Allow`).
pub fn method_not_allowed(req: &HttpRequest, methods: &[&str]) -> HttpResponse {
    let allow = methods.join(", ");
    let mut response = ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} {} is not offered; try {allow}",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_str(&allow)
            .expect("method names are header text"),
    );
    response
}

/// No route under `/api/v1` took the request: a path the API has with another method is a
/// 405, any other a 404.
async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(methods) = openapi::declared_methods(req.path()) {
        return Ok(method_not_allowed(&req, &methods));
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint {} {}", req.method(), req.path()),
    ))
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    // serde_urlencoded names the field in its message ("unknown field `x`", "from: input ...").
    let message = err.to_string();
    let field = field_in_message(&message).unwrap_or_else(|| "query".to_string());
    ApiError::bad_request("invalid_query", &field, message).into()
}

fn path_error(err: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", "path", err.to_string()).into()
}

/// The first `name` quoted in backticks in a serde message, if any.
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}
