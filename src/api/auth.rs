//! Dispatcher accounts: argon2 password hashes, bearer tokens that expire and can be revoked.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, post, web};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::booking::{hash_secret, new_secret};
use crate::db::{DbConnection, DbError, stored_instant, users};

/// A real hash to verify against when the username is unknown.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password"));

/// Hashes a dispatcher's password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Creates a dispatcher account; refuses a taken username.
pub fn add_user(conn: &mut DbConnection, username: &str, password: &str) -> Result<(), ApiError> {
    let username = username.trim();
    if username.is_empty()
        || username.chars().count() > 64
        || username.chars().any(char::is_whitespace)
    {
        return Err(ApiError::bad_request(
            "invalid_username",
            "username",
            "1-64 characters, no spaces",
        ));
    }
    if password.chars().count() < 10 {
        return Err(ApiError::bad_request(
            "weak_password",
            "password",
            "at least 10 characters",
        ));
    }
    if users::find_user(conn, username)?.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "username_taken",
            format!("user {username} exists"),
        )
        .with_field("username"));
    }
    users::insert_user(
        conn,
        username,
        &hash_password(password),
        stored_instant(Utc::now()),
    )?;
    Ok(())
}

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
            let lookup = token_hash.clone();
            let user = state
                .db
                .run(move |conn| {
                    users::user_for_token(conn, &lookup, stored_instant(Utc::now()))
                        .map_err(DbError::from)
                })
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
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    body: ValidJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { username, password } = body.value;
    // Text the database cannot hold (a NUL byte) names no account.
    if username.chars().any(char::is_control) || username.chars().count() > 64 {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        ));
    }
    let ttl = state.token_ttl;
    let created = state
        .db
        .run(
            move |conn| -> Result<Option<(String, DateTime<Utc>)>, ApiError> {
                let Some(user) = users::find_user(conn, &username)?.filter(|u| u.active) else {
                    // Same work as a real check, so timing does not reveal which usernames exist.
                    let _ = verify_password(&password, &DUMMY_HASH);
                    return Ok(None);
                };
                if !verify_password(&password, &user.password_hash) {
                    return Ok(None);
                }
                let token = new_secret();
                let now = Utc::now();
                let expires_at = now + ttl;
                users::insert_token(
                    conn,
                    user.id,
                    &hash_secret(&token),
                    stored_instant(now),
                    stored_instant(expires_at),
                )?;
                Ok(Some((token, expires_at)))
            },
        )
        .await?;
    let (token, expires_at) = created.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        )
    })?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token,
        expires_at: expires_at.fixed_offset(),
    }))
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
        .run(move |conn| {
            users::revoke_token(conn, &dispatcher.token_hash, stored_instant(Utc::now()))
                .map_err(DbError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
