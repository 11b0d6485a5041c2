//! A JSON body extractor whose errors name the offending field (via serde_path_to_error) and
//! distinguish an oversized body (413) from a malformed one (400).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest JSON body accepted; a booking is well under 4 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A deserialized JSON body, plus its raw bytes (for idempotency fingerprints).
pub struct ValidJson<T> {
    pub value: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move {
            let raw = body.await?;
            let value = parse(&raw)?;
            Ok(ValidJson { value, raw })
        })
    }
}

/// Reads a JSON body: `application/json`, at most [`MAX_BODY_BYTES`].
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, ApiError>> + 'static {
    let content_type_ok = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    let declared_length = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if !content_type_ok {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        if declared_length.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request("bad_body", "body", e.to_string()))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// The first byte of a body that is not white space.
fn first_byte(raw: &[u8]) -> Option<u8> {
    raw.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Parses a body that must be one JSON object (serde would also take a struct from an array
/// of its fields in order, which no client means to send; anything else that is not an object
/// serde refuses itself).
fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    if first_byte(raw) == Some(b'[') {
        return Err(ApiError::bad_request(
            "invalid_field",
            "body",
            "the body must be a JSON object",
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(raw);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = field_path(&path, &inner.to_string());
        let code = if inner.is_syntax() || inner.is_eof() {
            "malformed_json"
        } else {
            "invalid_field"
        };
        ApiError::bad_request(code, &field, inner.to_string())
    })
}

/// The JSON path of the offending field; for a missing field serde names it only in its message
/// ("missing field `phone`"), so it is appended to the path of the object that lacks it.
fn field_path(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (parent, missing) {
        ("", Some(name)) => name.to_string(),
        (_, Some(name)) => format!("{parent}.{name}"),
        ("", None) => "body".to_string(),
        (_, None) => parent.to_string(),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the body must be at most {MAX_BODY_BYTES} bytes"),
    )
    .with_field("body")
}

/// An optional JSON body: none at all (no `Content-Type`, an empty body) is `T::default()`;
/// anything else must be valid JSON as for [`ValidJson`].
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let length = headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let streamed = headers.contains_key(actix_web::http::header::TRANSFER_ENCODING);
        let empty = length == Some(0) || (length.is_none() && !streamed);
        if empty && !headers.contains_key(CONTENT_TYPE) || length == Some(0) {
            return Box::pin(async { Ok(OptionalJson(T::default())) });
        }
        let body = read_body(req, payload);
        Box::pin(async move {
            let raw = body.await?;
            // `null` is no body too, as the document's optional body allows.
            if raw.trim_ascii() == b"null" {
                return Ok(OptionalJson(T::default()));
            }
            parse(&raw).map(OptionalJson)
        })
    }
}
