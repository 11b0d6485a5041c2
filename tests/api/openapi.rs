//! The OpenAPI document, health checks, and what unknown paths get.

use crate::both;
use crate::helpers::{TestApp, expect_error, read};

both!(openapi_health_and_unknown_paths);

async fn openapi_health_and_unknown_paths(app: &TestApp) {
    let (status, doc) = read(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "OpenAPI 3: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/bookings",
        "/api/v1/bookings/{reference}",
        "/api/v1/sites",
        "/api/v1/sites/{id}",
        "/api/v1/sites/{id}/availability",
        "/api/v1/auth/token",
        "/api/v1/stations",
        "/api/v1/vehicles",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} in {:?}", paths.keys());
    }
    for method in ["get", "patch", "delete"] {
        assert!(
            paths["/api/v1/bookings/{reference}"].get(method).is_some(),
            "{method}"
        );
    }
    assert!(paths["/api/v1/bookings"].get("post").is_some());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in ["BookingDetails", "CreateBookingBody", "ErrorBody"] {
        assert!(schemas.contains_key(schema), "{schema}");
    }

    let (status, health) = read(app.get("/healthz").await).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    let (status, ready) = read(app.get("/readyz").await).await;
    assert_eq!(status, 200);
    assert_eq!(ready["status"], "ready");

    for path in [
        "/api/v1/nope",
        "/api/v1/bookings/ABCD-EFGH/extra",
        "/api/v1/",
    ] {
        let error = expect_error(app.get(path).await, 404, "not_found").await;
        assert!(
            error["message"].as_str().unwrap().contains("/api/v1"),
            "{error}"
        );
    }
    // A method no endpoint answers is a JSON client error too.
    let response = app
        .client
        .put(app.url("/api/v1/bookings"))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert!((400..500).contains(&status), "{status} {body}");
    crate::helpers::assert_error_shape(&body);
}
