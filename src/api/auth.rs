//! Dispatcher sign-in over the API: bearer tokens that expire and can be revoked.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::accounts::{self, SignIn};
use crate::booking::hash_secret;

/// A signed-in dispatcher, extracted from `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub user_id: i64,
    pub username: String,
    pub token_hash: String,
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

impl FromRequest for Dispatcher {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_token",
                    "dispatcher endpoints need a bearer token",
                )
            })?;
            let state = state.ok_or_else(ApiError::internal)?;
            let token_hash = hash_secret(&token);
            let user = state
                .db
                .run(move |conn| accounts::user_for_token(conn, &token, Utc::now()))
                .await?;
            let user = user.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the token is unknown, expired or revoked",
                )
            })?;
            Ok(Dispatcher {
                user_id: user.id,
                username: user.username,
                token_hash,
            })
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<FixedOffset>,
}

/// Signs a dispatcher in.
#[utoipa::path(
    operation_id = "create_token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "wrong username or password", body = ErrorBody),
        (status = 429, description = "too many failed sign-ins for this account: wait `Retry-After` seconds", body = ErrorBody),
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    body: ValidJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { username, password } = body.value;
    let user = match accounts::sign_in(&state.db, &username, &password, Utc::now()).await? {
        SignIn::Accepted(user) => user,
        SignIn::Wait(wait) => return Err(too_many_failures(wait)),
        SignIn::Refused => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            ));
        }
    };
    let ttl = state.token_ttl;
    let (token, expires_at) = state
        .db
        .write(move |conn| accounts::open_token(conn, user.id, ttl, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token,
        expires_at: expires_at.fixed_offset(),
    }))
}

/// The answer while an account waits after repeated failures.
fn too_many_failures(wait: std::time::Duration) -> ApiError {
    let seconds = accounts::seconds_up(wait);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_failures",
        format!("too many failed sign-ins for this account; try again in {seconds} s"),
    )
    .with_field("username")
    .with_retry_after(seconds.max(1) as u32)
}

/// Revokes the token that authenticates this request.
#[utoipa::path(
    operation_id = "revoke_token",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody))
)]
#[delete("/auth/token")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    dispatcher: Dispatcher,
) -> Result<HttpResponse, ApiError> {
    state
        .db
        .write(move |conn| accounts::revoke_token(conn, &dispatcher.token_hash, Utc::now()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
