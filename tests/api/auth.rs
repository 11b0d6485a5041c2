//! Dispatcher accounts: bearer tokens that are checked, expire and can be revoked.

use bloodmobile::booking::hash_secret;
use bloodmobile::db::schema::users;
use bloodmobile::db::{stored_instant, users as user_rows};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::both;
use crate::helpers::{DISPATCHER, DISPATCHER_PASSWORD, TestApp, expect_error, read};

both!(
    dispatcher_endpoints_need_a_token,
    sign_in_use_and_revoke_a_token,
    expired_tokens_and_disabled_users_are_refused,
    repeated_sign_in_failures_slow_the_account_down,
    sign_in_failures_count_on_every_instance,
);

/// Every dispatcher endpoint, with a body valid enough to reach the authentication check.
fn dispatcher_endpoints(app: &TestApp) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let station = app.station_id;
    vec![
        (Method::GET, "/api/v1/stations".into(), None),
        (Method::GET, format!("/api/v1/stations/{station}"), None),
        (
            Method::POST,
            "/api/v1/stations".into(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/stations/{station}"),
            Some(json!({"cutoff_days_before": 3})),
        ),
        (Method::GET, "/api/v1/vehicles".into(), None),
        (
            Method::POST,
            "/api/v1/vehicles".into(),
            Some(json!({"station_id": station})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/vehicles/{}", app.vehicle_id),
            Some(json!({"active": false})),
        ),
        (
            Method::POST,
            "/api/v1/sites".into(),
            Some(json!({"station_id": station})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/sites/{}", app.site_id),
            Some(json!({"active": false})),
        ),
        (Method::DELETE, "/api/v1/auth/token".into(), None),
    ]
}

async fn dispatcher_endpoints_need_a_token(app: &TestApp) {
    for (method, path, body) in dispatcher_endpoints(app) {
        let response = app
            .dispatcher(method.clone(), &path, None, body.as_ref())
            .await;
        let error = expect_error(response, 401, "missing_token").await;
        assert!(error["message"].is_string(), "{method} {path}");
        for garbage in ["garbage", "Bearer", "' OR 1=1 --", &"a".repeat(5000)] {
            let response = app
                .dispatcher(method.clone(), &path, Some(garbage), body.as_ref())
                .await;
            expect_error(response, 401, "invalid_token").await;
        }
        // Another scheme is no token at all.
        let mut request = app.client.request(method.clone(), app.url(&path));
        request = request.header("Authorization", "Basic ZGlzcGF0Y2hlcjpwYXNz");
        expect_error(request.send().await.unwrap(), 401, "missing_token").await;
    }
    // Nothing changed.
    let (_, site) = read(app.get(&format!("/api/v1/sites/{}", app.site_id)).await).await;
    assert_eq!(site["active"], true);
}

async fn sign_in_use_and_revoke_a_token(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let (status, stations) = read(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{stations}");
    assert_eq!(stations.as_array().unwrap().len(), 1);
    // The scheme is case-insensitive.
    let response = app
        .client
        .get(app.url("/api/v1/vehicles"))
        .header("Authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Wrong password, unknown user, empty password: one answer, no token.
    for (username, password) in [
        (DISPATCHER, "wrong password!"),
        (DISPATCHER, ""),
        ("nobody", DISPATCHER_PASSWORD),
        (&format!("{DISPATCHER}' --"), DISPATCHER_PASSWORD),
    ] {
        let response = app
            .post_json(
                "/api/v1/auth/token",
                &json!({"username": username, "password": password}),
            )
            .await;
        let error = expect_error(response, 401, "invalid_credentials").await;
        assert!(error.get("token").is_none());
    }

    // A second sign-in gives a second, independent token.
    let second = app.login(DISPATCHER, DISPATCHER_PASSWORD).await;
    assert_ne!(second, token);

    let response = app
        .dispatcher(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(response.status(), 204);
    expect_error(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&token), None)
            .await,
        401,
        "invalid_token",
    )
    .await;
    expect_error(
        app.dispatcher(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
            .await,
        401,
        "invalid_token",
    )
    .await;
    let (status, _) = read(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&second), None)
            .await,
    )
    .await;
    assert_eq!(status, 200, "revoking one token keeps the other");
}

async fn expired_tokens_and_disabled_users_are_refused(app: &TestApp) {
    let token = app.dispatcher_token().await;
    // A token that expired a minute ago, stored directly.
    let expired = "expired-token-for-tests";
    app.with_db(move |conn| {
        let user = user_rows::find_user(conn, DISPATCHER)?.expect("dispatcher");
        let now = Utc::now();
        user_rows::insert_token(
            conn,
            user.id,
            &hash_secret(expired),
            stored_instant(now - Duration::hours(2)),
            stored_instant(now - Duration::minutes(1)),
        )
    })
    .await;
    expect_error(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(expired), None)
            .await,
        401,
        "invalid_token",
    )
    .await;

    // A disabled account: its tokens stop working and it cannot sign in.
    app.with_db(|conn| {
        diesel::update(users::table.filter(users::username.eq(DISPATCHER)))
            .set(users::active.eq(false))
            .execute(conn)
    })
    .await;
    expect_error(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&token), None)
            .await,
        401,
        "invalid_token",
    )
    .await;
    expect_error(
        app.post_json(
            "/api/v1/auth/token",
            &json!({"username": DISPATCHER, "password": DISPATCHER_PASSWORD}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
}

async fn repeated_sign_in_failures_slow_the_account_down(app: &TestApp) {
    app.dispatcher_token().await;
    let attempt = |password: &'static str| async move {
        let body = json!({"username": DISPATCHER, "password": password});
        app.post_json("/api/v1/auth/token", &body).await
    };
    // Three wrong tries are free; the fourth makes the account wait.
    for _ in 0..4 {
        expect_error(attempt("guess").await, 401, "invalid_credentials").await;
    }
    let refused = attempt(DISPATCHER_PASSWORD).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "2");
    let error = expect_error(refused, 429, "too_many_failures").await;
    assert_eq!(error["field"], "username");
    // Another account is not slowed.
    expect_error(
        app.post_json(
            "/api/v1/auth/token",
            &json!({"username": "someone-else", "password": "guess"}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    // After the wait the right password works and clears the count.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (status, body) = read(attempt(DISPATCHER_PASSWORD).await).await;
    assert_eq!(status, 200, "{body}");
    expect_error(attempt("guess").await, 401, "invalid_credentials").await;
}

/// Another instance of the service: its own server, its own connections, the same database.
async fn second_instance(app: &TestApp) -> (String, actix_web::dev::ServerHandle) {
    let url = app.db.display_url();
    let db = tokio::task::spawn_blocking(move || bloodmobile::db::Db::open(&url, 2))
        .await
        .unwrap()
        .expect("a second pool on the same database");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server =
        bloodmobile::startup::server(bloodmobile::api::AppState::new(db), listener, Some(1))
            .unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    (address, handle)
}

async fn sign_in_failures_count_on_every_instance(app: &TestApp) {
    app.dispatcher_token().await;
    let (other, handle) = second_instance(app).await;
    let attempt = |base: String, password: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .post(format!("{base}/api/v1/auth/token"))
                .json(&json!({"username": DISPATCHER, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    // Two wrong tries on each instance, at once: four failures of one account.
    let tries = [
        attempt(app.address.clone(), "guess"),
        attempt(app.address.clone(), "guess"),
        attempt(other.clone(), "guess"),
        attempt(other.clone(), "guess"),
    ];
    for response in futures::future::join_all(tries).await {
        expect_error(response, 401, "invalid_credentials").await;
    }
    // Either instance now makes the account wait, even for the right password.
    for base in [app.address.clone(), other.clone()] {
        let refused = attempt(base, DISPATCHER_PASSWORD).await;
        expect_error(refused, 429, "too_many_failures").await;
    }
    handle.stop(false).await;
}
