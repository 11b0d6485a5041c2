//! Console sessions: a sign-in opens a dispatcher token (as the API's `POST /auth/token` does)
//! kept in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` over TLS); signing out revokes it.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::CsrfOnly;
use crate::accounts::{self, SignIn};
use crate::api::AppState;
use crate::booking::{hash_secret, new_secret, same_secret};
use crate::web::page::{Operator, PageError, Ui, ok, render, see_other};
use crate::web::security::{csrf_matches, csrf_token};

/// The session cookie (its value is a dispatcher token).
pub const SESSION_COOKIE: &str = "bm_session";
/// The sign-in form's own token, before there is a session.
const SIGN_IN_COOKIE: &str = "bm_sign_in";

/// A signed-in dispatcher.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    secret: String,
}

impl Session {
    /// The page frame of a console page.
    pub fn ui(&self, req: &HttpRequest) -> Ui {
        Ui::new(req).console(Operator {
            username: self.username.clone(),
            csrf: csrf_token(&self.secret),
        })
    }

    /// Refuses a form that does not carry this session's token.
    pub fn check(&self, csrf: &str) -> Result<(), PageError> {
        if csrf_matches(&self.secret, csrf) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

/// Where to go after signing in: the page asked for, if it is a console page.
fn next_page(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console") && !n.contains("//") && !n.contains('\\'))
        .unwrap_or("/console")
        .to_string()
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let next = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        Box::pin(async move {
            let sign_in = || PageError::SignIn { next: next.clone() };
            let secret = secret.filter(|s| !s.is_empty()).ok_or_else(sign_in)?;
            let state = state.ok_or(PageError::Internal)?;
            let token = secret.clone();
            let user = state
                .db
                .run(move |conn| accounts::user_for_token(conn, &token, Utc::now()))
                .await?
                .ok_or_else(sign_in)?;
            Ok(Session {
                user_id: user.id,
                username: user.username,
                secret,
            })
        })
    }
}

/// Whether the request came over TLS (directly, or through a proxy that says so).
fn over_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String, path: &'a str) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req))
        .finish()
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    ui: Ui,
    next: String,
    csrf: String,
    username: String,
    failed: bool,
    /// Seconds the account must wait after repeated failures (0: no wait).
    wait_seconds: u64,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// The sign-in form.
#[get("/console/sign-in")]
pub async fn sign_in_form(req: HttpRequest, query: web::Query<NextQuery>) -> HttpResponse {
    let csrf = new_secret();
    let mut response = ok(&SignInPage {
        ui: Ui::new(&req),
        next: next_page(query.next.as_deref()),
        csrf: csrf.clone(),
        username: String::new(),
        failed: false,
        wait_seconds: 0,
    });
    let _ = response.add_cookie(&cookie(&req, SIGN_IN_COOKIE, csrf, "/console"));
    response
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub csrf: String,
    pub next: Option<String>,
}

/// Checks the account; opens a session, or shows the form again.
#[post("/console/sign-in")]
pub async fn sign_in_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let expected = req
        .cookie(SIGN_IN_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &form.csrf) {
        return Err(PageError::Forbidden);
    }
    let refuse = |status, wait_seconds: u64| {
        render(
            status,
            &SignInPage {
                ui: Ui::new(&req),
                next: next_page(form.next.as_deref()),
                csrf: expected.clone(),
                username: form.username.clone(),
                failed: wait_seconds == 0,
                wait_seconds,
            },
        )
    };
    let ttl = state.token_ttl;
    let user =
        match accounts::sign_in(&state.db, &form.username, &form.password, Utc::now()).await? {
            SignIn::Accepted(user) => user,
            SignIn::Refused => return Ok(refuse(StatusCode::UNAUTHORIZED, 0)),
            SignIn::Wait(wait) => {
                let seconds = accounts::seconds_up(wait);
                let mut page = refuse(StatusCode::TOO_MANY_REQUESTS, seconds);
                page.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(seconds),
                );
                return Ok(page);
            }
        };
    let (token, _) = state
        .db
        .write(move |conn| accounts::open_token(conn, user.id, ttl, Utc::now()))
        .await?;
    let mut response = see_other(&next_page(form.next.as_deref()));
    let _ = response.add_cookie(&cookie(&req, SESSION_COOKIE, token, "/"));
    Ok(response)
}

/// Signs out: the session's token is revoked.
#[post("/console/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let hash = hash_secret(&session.secret);
    state
        .db
        .write(move |conn| accounts::revoke_token(conn, &hash, Utc::now()))
        .await?;
    let mut response = see_other("/console/sign-in");
    let mut gone = cookie(&req, SESSION_COOKIE, String::new(), "/");
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    Ok(response)
}
