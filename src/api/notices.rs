//! Notices over the API: dispatchers list them, see the queue, resend failed ones and keep the
//! SMS opt-out list; the SMS gateway posts delivery receipts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Dispatcher, bearer_token};
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::db::notices::{self, NoticeRow};
use crate::db::{bookings, stored_instant};
use crate::domain::donor::{PhoneNumber, mask_phone};
use crate::domain::reference::normalise_reference;
use crate::domain::variant_named;

/// A notice as dispatchers see it (the recipient masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeItem {
    pub id: i64,
    /// The booking's reference.
    pub booking: Option<String>,
    /// booking_received, rescheduled, window_published, window_changed, reminder, cancelled,
    /// waitlist_offer, thank_you.
    pub kind: String,
    /// email or sms.
    pub channel: String,
    /// pending, sending, sent, failed or skipped.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = String, format = DateTime)]
    pub due_at: DateTime<FixedOffset>,
    pub recipient: String,
    /// What the SMS gateway reported: delivered or failed.
    pub delivery: Option<String>,
    /// The id the receiving side sees (Message-ID of a mail, SMS correlation id).
    pub out_id: String,
}

fn utc(at: NaiveDateTime) -> DateTime<FixedOffset> {
    at.and_utc().fixed_offset()
}

fn item(row: NoticeRow, reference: Option<String>) -> NoticeItem {
    let recipient = if row.channel == "sms" {
        mask_phone(&row.recipient)
    } else {
        mask_email(&row.recipient)
    };
    NoticeItem {
        id: row.id,
        booking: reference,
        kind: row.kind,
        channel: row.channel,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        sent_at: row.sent_at.map(utc),
        due_at: utc(row.due_at),
        recipient,
        delivery: row.delivery,
        out_id: row.out_id,
    }
}

/// "z***@example.com".
fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    /// pending, sending, sent, failed or skipped.
    pub status: Option<String>,
    /// A booking's reference.
    pub booking: Option<String>,
    /// At most this many, newest first (1-1000, default 200).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeList {
    pub items: Vec<NoticeItem>,
}

const STATUSES: [&str; 5] = ["pending", "sending", "sent", "failed", "skipped"];

/// Notices by status and booking.
#[utoipa::path(
    operation_id = "list_notices", tag = "notices", params(NoticeQuery), security(("bearer" = [])),
    responses((status = 200, body = NoticeList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[get("/notices")]
pub async fn list(
    state: web::Data<AppState>,
    _: Dispatcher,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid_status",
            "status",
            "one of pending, sending, sent, failed, skipped",
        ));
    }
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "limit",
            "must be between 1 and 1000",
        ));
    }
    let items = state
        .db
        .run(move |conn| {
            let booking = match &query.booking {
                Some(reference) => {
                    let found = normalise_reference(reference)
                        .map(|r| bookings::find_by_reference(conn, &r))
                        .transpose()?
                        .flatten();
                    match found {
                        Some(b) => Some(b),
                        None => return Ok(Vec::new()),
                    }
                }
                None => None,
            };
            let rows = notices::list(
                conn,
                query.status.as_deref(),
                booking.as_ref().map(|b| b.id),
                limit,
            )?;
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let reference = match (&booking, row.booking_id) {
                    (Some(b), _) => Some(b.reference.clone()),
                    (None, Some(id)) => bookings::find(conn, id)?.map(|b| b.reference),
                    (None, None) => None,
                };
                items.push(item(row, reference));
            }
            Ok::<_, ApiError>(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(NoticeList { items }))
}

/// Sends a failed (or skipped) notice again, with the same Message-ID or correlation id.
#[utoipa::path(
    operation_id = "resend_notice", tag = "notices", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = NoticeItem), (status = 404, body = ErrorBody), (status = 409, description = "not failed or skipped", body = ErrorBody)))]
#[post("/notices/{id}/resend")]
pub async fn resend(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = state
        .db
        .write(move |conn| {
            let row =
                notices::find(conn, id)?.ok_or_else(|| ApiError::not_found("notice", "id", id))?;
            if !notices::resend(conn, id, stored_instant(Utc::now()))? {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "not_resendable",
                    format!(
                        "notice {id} is {}: only failed or skipped notices are resent",
                        row.status
                    ),
                ));
            }
            let row =
                notices::find(conn, id)?.ok_or_else(|| ApiError::not_found("notice", "id", id))?;
            let reference = match row.booking_id {
                Some(b) => bookings::find(conn, b)?.map(|b| b.reference),
                None => None,
            };
            Ok::<_, ApiError>(item(row, reference))
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// The queue: how many notices wait, and since when the oldest due one.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub pending: i64,
    pub sending: i64,
    pub failed: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest_due_at: Option<DateTime<FixedOffset>>,
    /// Seconds the oldest due notice has waited.
    pub oldest_due_age_seconds: Option<i64>,
}

#[utoipa::path(
    operation_id = "notice_queue", tag = "notices", security(("bearer" = [])),
    responses((status = 200, body = QueueView), (status = 401, body = ErrorBody)))]
#[get("/notices/queue")]
pub async fn queue(state: web::Data<AppState>, _: Dispatcher) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let stats = state
        .db
        .run(move |conn| notices::queue_stats(conn, stored_instant(now)).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(QueueView {
        pending: stats.pending,
        sending: stats.sending,
        failed: stats.failed,
        oldest_due_at: stats.oldest_due.map(utc),
        oldest_due_age_seconds: stats
            .oldest_due
            .map(|at| (now.naive_utc() - at).num_seconds().max(0)),
    }))
}

/// A delivery receipt from the SMS gateway (other members a gateway adds are ignored).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub out_id: String,
    // Read as text, so that another word gets a field-level error.
    #[schema(value_type = ReceiptStatus)]
    pub status: String,
    pub error: Option<String>,
}

/// What became of a text message: the words a receipt's `status` may be, for the handler and
/// the API document alike.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Delivered,
    Failed,
}

/// Records a delivery receipt: the same receipt again, or receipts out of order, change
/// nothing once a message is known delivered.
#[utoipa::path(
    operation_id = "notice_receipt", tag = "notices", request_body = Receipt,
    responses((status = 200, body = NoticeItem), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, description = "unknown out_id", body = ErrorBody)))]
#[post("/notices/receipts")]
pub async fn receipt(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<Receipt>,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.sms_receipt_token {
        let given = bearer_token(&req).unwrap_or_default();
        let matches = crate::booking::same_secret(&given, expected);
        if !matches {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "receipts need the gateway's token",
            ));
        }
    }
    let receipt = body.value;
    let delivered = match variant_named(&receipt.status) {
        Some(ReceiptStatus::Delivered) => true,
        Some(ReceiptStatus::Failed) => false,
        None => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status",
                "delivered or failed",
            ));
        }
    };
    let out_id = receipt.out_id.clone();
    let row = state
        .db
        .write(move |conn| {
            let row = notices::record_receipt(
                conn,
                &receipt.out_id,
                delivered,
                receipt.error.as_deref(),
                stored_instant(Utc::now()),
            )?
            .ok_or_else(|| ApiError::not_found("notice", "out_id", &receipt.out_id))?;
            let reference = match row.booking_id {
                Some(b) => bookings::find(conn, b)?.map(|b| b.reference),
                None => None,
            };
            Ok::<_, ApiError>(item(row, reference))
        })
        .await?;
    debug_assert_eq!(row.out_id, out_id);
    Ok(HttpResponse::Ok().json(row))
}

/// A phone that is to get no text messages.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOut {
    /// E.164 ("+8613800138000") or a Chinese 11-digit mobile ("13800138000").
    #[schema(example = "+8613800138000")]
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutItem {
    /// Masked but for the last four digits.
    pub phone: String,
    #[schema(value_type = String, format = DateTime)]
    pub since: DateTime<FixedOffset>,
}

/// Phones that get no text messages (they still get mail).
#[utoipa::path(
    operation_id = "list_opt_outs", tag = "notices", security(("bearer" = [])),
    responses((status = 200, body = [OptOutItem]), (status = 401, body = ErrorBody)))]
#[get("/notices/opt-outs")]
pub async fn opt_outs(state: web::Data<AppState>, _: Dispatcher) -> Result<HttpResponse, ApiError> {
    let rows = state
        .db
        .run(|conn| notices::opt_outs(conn).map_err(ApiError::from))
        .await?;
    let items: Vec<OptOutItem> = rows
        .into_iter()
        .map(|(phone, since)| OptOutItem {
            phone: mask_phone(&phone),
            since: utc(since),
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// Stops text messages to a phone.
#[utoipa::path(
    operation_id = "add_opt_out", tag = "notices", request_body = OptOut, security(("bearer" = [])),
    responses((status = 204, description = "opted out"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[post("/notices/opt-outs")]
pub async fn add_opt_out(
    state: web::Data<AppState>,
    _: Dispatcher,
    body: ValidJson<OptOut>,
) -> Result<HttpResponse, ApiError> {
    let phone = PhoneNumber::parse(&body.value.phone, "phone")?;
    state
        .db
        .write(move |conn| {
            notices::opt_out(conn, phone.as_str(), stored_instant(Utc::now()))
                .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lets text messages reach a phone again.
#[utoipa::path(
    operation_id = "remove_opt_out", tag = "notices", params(("phone" = String, Path, description = "The phone as it was opted out (E.164 or an 11-digit Chinese mobile)", example = "+8613800138000")), security(("bearer" = [])),
    responses((status = 204, description = "opted in"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/notices/opt-outs/{phone}")]
pub async fn remove_opt_out(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let phone = PhoneNumber::parse(&path.into_inner(), "phone")?;
    let removed = state
        .db
        .write(move |conn| notices::opt_in(conn, phone.as_str()).map_err(ApiError::from))
        .await?;
    if !removed {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_opted_out",
            "this phone is not on the opt-out list",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}
