//! Liveness and readiness for load balancers and operators.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::RunQueryDsl;
use serde_json::json;

use super::auth::bearer_token;
use super::{ApiError, AppState};
use crate::db::DbError;

/// The process is up.
#[utoipa::path(
    operation_id = "healthz", tag = "health", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers.
#[utoipa::path(
    operation_id = "readyz", tag = "health", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ping = state
        .db
        .run(|conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(DbError::from)
        })
        .await;
    match ping {
        Ok(_) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "reason": "database unreachable"}))
        }
    }
}

/// Prometheus metrics of this process, with the notice queue and the database pool read now;
/// with a metrics token configured, only for requests that carry it.
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.metrics_token {
        let given = bearer_token(&req).unwrap_or_default();
        if !crate::booking::same_secret(&given, expected) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "metrics need the monitoring token",
            ));
        }
    }
    let m = crate::metrics::metrics();
    let (open, idle) = state.db.pool_state();
    m.pool.with_label_values(&["open"]).set(i64::from(open));
    m.pool.with_label_values(&["idle"]).set(i64::from(idle));
    let now = chrono::Utc::now();
    let stats = state
        .db
        .run(move |conn| {
            crate::db::notices::queue_stats(conn, crate::db::stored_instant(now))
                .map_err(DbError::from)
        })
        .await;
    if let Ok(stats) = stats {
        m.queue.with_label_values(&["pending"]).set(stats.pending);
        m.queue.with_label_values(&["sending"]).set(stats.sending);
        m.queue.with_label_values(&["failed"]).set(stats.failed);
        let waited = stats
            .oldest_due
            .map_or(0, |due| (now.naive_utc() - due).num_seconds().max(0));
        m.oldest_due_seconds.set(waited);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(m.render()))
}
