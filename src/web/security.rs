//! Headers every response carries, the language cookie, and the tokens that tie a console
//! form to its session (CSRF).

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, Next};

use super::page::{LANGUAGE_COOKIE, asked_language};
use crate::booking::{hash_secret, same_secret};

/// Only the binary's own assets; no frames, no plugins, forms only to this site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The API documentation's Swagger UI sets styles from its scripts.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Security headers of every response (a handler's own header wins).
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        // Manage links carry their token in the URL: never send it on to another site.
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// Gives the API documentation its own policy (runs inside [`headers`], which then keeps it).
pub async fn docs_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/api/docs");
    let mut response = next.call(req).await?;
    if docs {
        response.headers_mut().insert(
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            actix_web::http::header::HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        );
    }
    Ok(response)
}

/// Keeps the language asked for with `?lang=` in a cookie, so later pages follow it.
pub async fn remember_language(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let asked = asked_language(req.request());
    let mut response = next.call(req).await?;
    if let Some(language) = asked {
        let cookie = Cookie::build(LANGUAGE_COOKIE, language.as_str())
            .path("/")
            .max_age(Duration::days(365))
            .same_site(SameSite::Lax)
            .finish();
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

/// The token a session's forms carry: derived from the session's secret, so it needs no
/// storage and a page of another site cannot know it.
pub fn csrf_token(session_secret: &str) -> String {
    hash_secret(&format!("csrf:{session_secret}"))[..32].to_string()
}

/// Whether a form's token is the session's.
pub fn csrf_matches(session_secret: &str, given: &str) -> bool {
    same_secret(&csrf_token(session_secret), given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_token_belongs_to_its_session() {
        let token = csrf_token("session one");
        assert_eq!(token.len(), 32);
        assert!(csrf_matches("session one", &token));
        assert!(!csrf_matches("session two", &token));
        assert!(!csrf_matches("session one", ""));
    }
}
