//! What every request meets before a handler (per-client rate limits, CORS, request ids) and
//! the metrics, behind their token when one is set. They do not depend on the database, so
//! they run on SQLite only.

use bloodmobile::api::limits::Limits;

use crate::helpers::{Backend, TestApp, read, spawn_app, spawn_app_with};

async fn app_with_limit(per_second: u32) -> TestApp {
    spawn_app_with(Backend::Sqlite, |state| {
        state.limits = Limits::new(per_second, false);
    })
    .await
    .expect("SQLite always runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_told_when_to_come_back() {
    // 1 a second in bursts of 10.
    let app = app_with_limit(1).await;
    let path = format!("/api/v1/sites/{}", app.site_id);
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..15 {
        let response = app.get(&path).await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 && refused.is_none() {
            refused = Some(response);
        }
    }
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    assert!(
        (10..=11).contains(&ok),
        "a burst of 10 passes: {statuses:?}"
    );
    let refused = refused.expect("the 12th request in a second is refused");
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let (_, body) = read(refused).await;
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // Probes are never limited.
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    // After the wait the client is served again.
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    assert_eq!(app.get(&path).await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_origins_are_configured() {
    let preflight = |app: &TestApp, origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/bookings"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let closed = spawn_app(Backend::Sqlite).await.unwrap();
    let response = preflight(&closed, "https://other.example").await.unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        response.headers()
    );
    let simple = closed
        .client
        .get(closed.url("/api/v1/sites"))
        .header("Origin", "https://other.example")
        .send()
        .await
        .unwrap();
    assert!(
        simple
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    closed.stop().await;

    let open = spawn_app_with(Backend::Sqlite, |state| {
        state.cors_origins = vec!["https://partner.example".into()];
    })
    .await
    .unwrap();
    let allowed = preflight(&open, "https://partner.example").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://partner.example"
    );
    let other = preflight(&open, "https://other.example").await.unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "{:?}",
        other.headers()
    );
    open.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_path_does_not_offer_is_a_405_naming_the_ones_it_does() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for (method, path, allow) in [
        (
            reqwest::Method::PUT,
            format!("/api/v1/sites/{}", app.site_id),
            "GET, PATCH",
        ),
        (
            reqwest::Method::DELETE,
            "/api/v1/sites".to_string(),
            "GET, POST",
        ),
        (reqwest::Method::POST, "/healthz".to_string(), "GET"),
        (
            reqwest::Method::TRACE,
            "/api/v1/bookings".to_string(),
            "POST",
        ),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let (status, body) = read(response).await;
        assert_eq!(status, 405, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    // A path the API does not have is still a 404.
    let (status, body) = read(app.get("/api/v1/nowhere").await).await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_must_be_one_json_object_and_an_optional_one_may_be_null() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let token = app.dispatcher_token().await;
    let send = |path: String, body: &'static str| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let day = crate::helpers::day(5);
    let plans = format!("/api/v1/stations/{}/days/{day}/plans", app.station_id);
    // serde would read a struct from an array of its fields; no client means that.
    let (status, body) = read(send(plans.clone(), "[null, null]").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "body");
    let (status, body) = read(send("/api/v1/bookings".into(), "[1]").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = read(send(plans, "null").await.unwrap()).await;
    assert_eq!(status, 201, "an optional body may be null: {body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id_and_metrics_count_what_happened() {
    use crate::helpers::{day, minimal_body, unique_phone};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 16, "{id}");
    let again = app.get("/healthz").await;
    assert_ne!(
        again.headers()["x-request-id"],
        id.as_str(),
        "a new id each time"
    );
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        echoed.headers()["x-request-id"],
        "lb-42",
        "the caller's id is kept"
    );
    let refused = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(refused.headers()["x-request-id"], "a b\tc");

    app.book_ok(&minimal_body(
        app.site_id,
        day(5),
        "morning",
        &unique_phone(),
    ))
    .await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for line in [
        "bloodmobile_bookings_total{outcome=\"created\"}",
        "bloodmobile_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/bookings\",status=\"201\"",
        "bloodmobile_notice_queue{status=\"pending\"}",
        "bloodmobile_notice_oldest_due_age_seconds",
        "bloodmobile_db_pool_connections{state=\"open\"}",
        "bloodmobile_sqlite_writer_batch_size_count",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_ask_for_the_token_when_one_is_configured() {
    let app = spawn_app_with(Backend::Sqlite, |state| {
        state.metrics_token = Some("scrape-secret".into());
    })
    .await
    .expect("SQLite always runs");
    let scrape = |token: Option<&'static str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for token in [None, Some("scrape-secreT"), Some("scrape-secret-and-more")] {
        let response = scrape(token).await.unwrap();
        assert_eq!(response.status(), 401, "{token:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_token", "{body}");
    }
    let response = scrape(Some("scrape-secret")).await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("bloodmobile_db_pool_connections"), "{text}");
    app.stop().await;
}
