//! Every client-visible error, mapped to HTTP in one place:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::accounts::AccountError;
use crate::booking::BookingError;
use crate::db::DbError;
use crate::dispatch::DispatchError;
use crate::domain::FieldError;
use crate::domain::calendar::CalendarError;
use crate::registry::RegistryError;

/// The error body every endpoint uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable machine-readable `code`, a readable `message`, the offending `field` when there is
/// one, and extra facts for some codes: for `ineligible`, `rule` (the most binding rule's code),
/// `eligible_from` (the first day the same request passes every rule, or null) and `rules`
/// (each failed rule's `rule`, `eligible_from` and `message`). Refusals of a booking are
/// written in its `language`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub extra: Map<String, Value>,
    /// Members of the body beside `error` (e.g. `alternatives` of a full window).
    pub beside: Option<Box<Map<String, Value>>>,
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            field: None,
            extra: Map::new(),
            beside: None,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn bad_request(code: &str, field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message).with_field(field)
    }

    pub fn not_found(what: &str, field: &str, id: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            &format!("{what}_not_found"),
            format!("{what} {id} does not exist"),
        )
        .with_field(field)
    }

    /// Adds a member beside `error` in the body.
    pub fn beside(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.beside
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.into());
        self
    }

    /// Tells the client when to try again (`Retry-After`, seconds).
    pub fn with_retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.clone(),
                message: self.message.clone(),
                field: self.field.clone(),
                extra: self.extra.clone(),
            },
        };
        let Some(beside) = &self.beside else {
            return response.json(body);
        };
        let mut value = serde_json::to_value(body).expect("error bodies serialise");
        if let Value::Object(members) = &mut value {
            members.extend(beside.as_ref().clone());
        }
        response.json(value)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::bad_request(e.code, &e.field, e.message)
    }
}

impl From<CalendarError> for ApiError {
    fn from(e: CalendarError) -> ApiError {
        let status = match e {
            CalendarError::UnknownWindow { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string()).with_field(e.field())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("already exists: {}", info.message()),
                )
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "a referenced record does not exist or is still in use",
                )
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is busy; try again",
                )
                .with_retry_after(1)
            }
            other => {
                tracing::error!(error = %other, "database error");
                ApiError::internal()
            }
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::from(DbError::Query(e))
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        match e {
            RegistryError::Invalid(fe) => fe.into(),
            RegistryError::NotFound { what, field, id } => ApiError::not_found(what, field, id),
            RegistryError::Db(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::Invalid(fe) => fe.into(),
            AccountError::UsernameTaken(_) => {
                ApiError::new(StatusCode::CONFLICT, "username_taken", e.to_string())
                    .with_field("username")
            }
            AccountError::Db(e) => e.into(),
        }
    }
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> ApiError {
        let message = e.to_string();
        match e {
            DispatchError::NotFound { what, field, id } => {
                ApiError::not_found(&what.replace(' ', "_"), field, id)
            }
            DispatchError::NoPlan => ApiError::new(StatusCode::NOT_FOUND, "no_plan", message),
            DispatchError::Invalid(fe) => fe.into(),
            DispatchError::Infeasible {
                constraint,
                stop_id,
                ..
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "infeasible", message)
                .with("constraint", constraint)
                .with(
                    "stop_id",
                    serde_json::to_value(stop_id).unwrap_or(Value::Null),
                ),
            DispatchError::PlanChanged { latest, .. } => {
                ApiError::new(StatusCode::CONFLICT, "plan_changed", message).with("latest", latest)
            }
            DispatchError::Matrix(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "travel_matrix", message)
                    .with_field("travel_matrix_file")
            }
            DispatchError::Corrupt(_) => {
                tracing::error!(error = %message, "dispatch");
                ApiError::internal()
            }
            DispatchError::Db(e) => e.into(),
        }
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> ApiError {
        let message = e.to_string();
        match e {
            BookingError::Invalid(fe) => fe.into(),
            BookingError::NotFound { what, field, id } => ApiError::not_found(what, field, id),
            BookingError::MissingToken => {
                ApiError::new(StatusCode::UNAUTHORIZED, "missing_token", message)
            }
            BookingError::WrongToken => {
                ApiError::new(StatusCode::FORBIDDEN, "wrong_token", message)
            }
            BookingError::Ineligible { refusal, language } => {
                let rules: Vec<Value> = refusal
                    .failures
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "rule": f.rule,
                            "message": f.message(language),
                            "eligible_from": f.eligible_from,
                        })
                    })
                    .collect();
                let first = refusal.failures.first().map(|f| f.rule).unwrap_or_default();
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "ineligible",
                    refusal.message(language),
                )
                .with_field("donor")
                .with("rule", first)
                .with(
                    "eligible_from",
                    serde_json::to_value(refusal.eligible_from).unwrap_or(Value::Null),
                )
                .with("rules", rules)
            }
            BookingError::HistoryConflict {
                conflict,
                field,
                language,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "history_conflict",
                conflict.message(language),
            )
            .with_field(field),
            BookingError::Calendar(e) => e.into(),
            BookingError::KindNotOffered { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "kind_not_offered",
                message,
            )
            .with_field("kind"),
            BookingError::Full { .. } => {
                ApiError::new(StatusCode::CONFLICT, "full", message).with_field("window")
            }
            BookingError::AlreadyBooked => {
                ApiError::new(StatusCode::CONFLICT, "already_booked", message)
                    .with_field("donor.phone")
            }
            BookingError::SeatsAvailable => {
                ApiError::new(StatusCode::CONFLICT, "seats_available", message).with_field("window")
            }
            BookingError::AlreadyWaiting => {
                ApiError::new(StatusCode::CONFLICT, "already_waiting", message)
                    .with_field("donor.phone")
            }
            BookingError::NotYet { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "day_not_come", message)
            }
            BookingError::Cancelled => {
                ApiError::new(StatusCode::CONFLICT, "booking_cancelled", message)
            }
            BookingError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                message,
            )
            .with_field("Idempotency-Key"),
            BookingError::Internal(_) => {
                tracing::error!(error = %message, "booking service");
                ApiError::internal()
            }
            BookingError::Db(e) => e.into(),
        }
    }
}
