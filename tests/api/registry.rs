//! The registry dispatchers keep (stations, sites, vehicles) and the public site search.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, day, expect_error, minimal_body, read, unique_phone};

both!(
    creates_a_station_a_site_and_a_vehicle,
    refuses_invalid_registry_data_by_field,
    vehicles_in_and_out_of_service_change_capacity,
    station_settings_change_the_calendar,
    site_search_filters_and_escapes,
    documented_bounds_are_the_services,
);

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    read(app.dispatcher(method, path, Some(token), Some(body)).await).await
}

/// `station_body` created; the new station as the API answers it.
async fn create_station(app: &TestApp, token: &str) -> Value {
    let (status, station) = send(
        app,
        Method::POST,
        "/api/v1/stations",
        token,
        &station_body(),
    )
    .await;
    assert_eq!(status, 201, "{station}");
    station
}

fn station_body() -> Value {
    json!({
        "name": "宜昌市中心血站",
        "time_zone": "Asia/Shanghai",
        "depot_name": "宜昌血站",
        "depot_address": "宜昌市西陵区",
        "depot_lat": 30.7,
        "depot_lon": 111.3
    })
}

fn site_body(station_id: i64) -> Value {
    json!({
        "station_id": station_id,
        "kind": "village",
        "district": "夷陵区",
        "township": "小溪塔街道",
        "name": "石河村",
        "address": "宜昌市夷陵区小溪塔街道石河村",
        "lat": 30.77,
        "lon": 111.32,
        "contact_name": "王主任",
        "contact_phone": "13912345678"
    })
}

fn vehicle_body(station_id: i64) -> Value {
    json!({
        "station_id": station_id,
        "name": "鄂E-献血01",
        "plate": "鄂E12345",
        "beds": 3,
        "donors_per_day": 30,
        "shift_start": "07:30:00",
        "shift_end": "17:30:00",
        "kinds": ["whole_blood", "plasma"]
    })
}

async fn creates_a_station_a_site_and_a_vehicle(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let station = create_station(app, &token).await;
    let station_id = station["id"].as_i64().unwrap();
    assert_eq!(station["name"], "宜昌市中心血站");
    assert_eq!(station["time_zone"], "Asia/Shanghai");
    // DESIGN.md's defaults.
    assert_eq!(station["horizon_min_days"], 1);
    assert_eq!(station["horizon_max_days"], 30);
    assert_eq!(station["cutoff_days_before"], 1);
    assert_eq!(station["cutoff_time"], "18:00:00");
    assert_eq!(station["change_notice_minutes"], 120);
    assert_eq!(
        station["windows"],
        json!([
            {"name": "morning", "start": "08:00:00", "end": "12:00:00"},
            {"name": "afternoon", "start": "13:00:00", "end": "17:30:00"}
        ])
    );
    let (status, shown) = read(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/stations/{station_id}"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shown, station);
    let (_, all) = read(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    let (status, site) = send(
        app,
        Method::POST,
        "/api/v1/sites",
        &token,
        &site_body(station_id),
    )
    .await;
    assert_eq!(status, 201, "{site}");
    let site_id = site["id"].as_i64().unwrap();
    assert_eq!(site["station_id"], station_id);
    assert_eq!(site["kind"], "village");
    assert_eq!(site["name"], "石河村");
    assert_eq!(site["contact_phone"], "+8613912345678", "stored in E.164");
    assert_eq!(site["active"], true);
    let (status, public) = read(app.get(&format!("/api/v1/sites/{site_id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(public["name"], "石河村");
    assert!(
        public["contact_phone"].is_null(),
        "no phone for the public: {public}"
    );
    assert!(
        public["contact_name"].is_null(),
        "no name for the public: {public}"
    );
    let (_, listed) = read(
        app.get(&format!("/api/v1/sites?station_id={station_id}"))
            .await,
    )
    .await;
    assert!(listed["items"][0]["contact_phone"].is_null(), "{listed}");
    let (_, signed_in) = read(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/sites/{site_id}"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(signed_in["contact_phone"], "+8613912345678", "{signed_in}");
    assert_eq!(signed_in["contact_name"], "王主任", "{signed_in}");
    // The same site twice is a conflict.
    let (status, error) = send(
        app,
        Method::POST,
        "/api/v1/sites",
        &token,
        &site_body(station_id),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"]["code"], "conflict");

    // No vehicle yet: nothing to book.
    let window = app.window(site_id, day(5), "morning").await;
    assert_eq!(window["capacity"], 0, "{window}");

    let (status, vehicle) = send(
        app,
        Method::POST,
        "/api/v1/vehicles",
        &token,
        &vehicle_body(station_id),
    )
    .await;
    assert_eq!(status, 201, "{vehicle}");
    assert_eq!(vehicle["station_id"], station_id);
    assert_eq!(vehicle["beds"], 3);
    assert_eq!(vehicle["kinds"], json!(["plasma", "whole_blood"]));
    assert_eq!(vehicle["active"], true);
    let (_, fleet) = read(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/vehicles?station_id={station_id}"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(fleet.as_array().unwrap().len(), 1, "{fleet}");

    // Now the new site takes bookings, counted against its own station.
    let window = app.window(site_id, day(5), "morning").await;
    assert!(window["capacity"].as_u64().unwrap() > 0, "{window}");
    let created = app
        .book_ok(&minimal_body(site_id, day(5), "morning", &unique_phone()))
        .await;
    assert_eq!(created["station_id"], station_id);
    assert_eq!(app.confirmed_bookings(station_id).await, 1);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 0);

    // PATCH a site: absent fields stay, an inactive site leaves the search.
    let (status, patched) = send(
        app,
        Method::PATCH,
        &format!("/api/v1/sites/{site_id}"),
        &token,
        &json!({"address": "新地址", "contact_name": ""}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["address"], "新地址");
    assert_eq!(patched["name"], "石河村");
    assert!(patched["contact_name"].is_null(), "{patched}");
    send(
        app,
        Method::PATCH,
        &format!("/api/v1/sites/{site_id}"),
        &token,
        &json!({"active": false}),
    )
    .await;
    let (_, page) = read(
        app.get(&format!("/api/v1/sites?station_id={station_id}"))
            .await,
    )
    .await;
    assert_eq!(page["total"], 0, "{page}");
}

async fn refuses_invalid_registry_data_by_field(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let station_cases: Vec<(&str, &str, Value)> = vec![
        (
            "time_zone",
            "invalid_time_zone",
            json!({"time_zone": "Mars/Olympus"}),
        ),
        (
            "time_zone",
            "invalid_time_zone",
            json!({"time_zone": "+08:00"}),
        ),
        ("depot_lat", "out_of_range", json!({"depot_lat": 200.0})),
        ("depot_lon", "out_of_range", json!({"depot_lon": -181.0})),
        ("name", "invalid_length", json!({"name": "  "})),
        (
            "horizon_max_days",
            "out_of_range",
            json!({"horizon_max_days": 1000}),
        ),
        (
            "horizon_max_days",
            "out_of_range",
            json!({"horizon_min_days": 10, "horizon_max_days": 5}),
        ),
        (
            "cutoff_days_before",
            "out_of_range",
            json!({"cutoff_days_before": -1}),
        ),
        (
            "utilisation_percent",
            "out_of_range",
            json!({"utilisation_percent": 0}),
        ),
        (
            "windows[0]",
            "invalid_window",
            json!({"windows": [{"name": "morning", "start": "12:00:00", "end": "08:00:00"}]}),
        ),
        (
            "windows[1]",
            "duplicate_window",
            json!({"windows": [
                {"name": "morning", "start": "08:00:00", "end": "10:00:00"},
                {"name": "morning", "start": "10:00:00", "end": "12:00:00"}
            ]}),
        ),
        ("windows", "invalid_windows", json!({"windows": []})),
        (
            "cutoff_time",
            "invalid_field",
            json!({"cutoff_time": "25:00"}),
        ),
        ("colour", "invalid_field", json!({"colour": "red"})),
    ];
    expect_field_errors(
        app,
        &token,
        "/api/v1/stations",
        station_body(),
        station_cases,
    )
    .await;
    let mut missing = station_body();
    missing.as_object_mut().unwrap().remove("time_zone");
    let error = expect_error(
        app.dispatcher(
            Method::POST,
            "/api/v1/stations",
            Some(&token),
            Some(&missing),
        )
        .await,
        400,
        "required",
    )
    .await;
    assert_eq!(error["field"], "time_zone");
    // PATCH validates the merged result the same way.
    let error = expect_error(
        app.dispatcher(
            Method::PATCH,
            &format!("/api/v1/stations/{}", app.station_id),
            Some(&token),
            Some(&json!({"time_zone": "Europe/Nowhere"})),
        )
        .await,
        400,
        "invalid_time_zone",
    )
    .await;
    assert_eq!(error["field"], "time_zone");
    expect_error(
        app.dispatcher(
            Method::PATCH,
            "/api/v1/stations/987654",
            Some(&token),
            Some(&json!({"cutoff_days_before": 2})),
        )
        .await,
        404,
        "station_not_found",
    )
    .await;

    let station = app.station_id;
    let site_cases: Vec<(&str, &str, Value)> = vec![
        ("lat", "out_of_range", json!({"lat": 200.0})),
        ("lat", "out_of_range", json!({"lat": -90.5})),
        ("lon", "out_of_range", json!({"lon": 181.0})),
        ("kind", "invalid_kind", json!({"kind": "city"})),
        ("name", "invalid_length", json!({"name": ""})),
        ("name", "invalid_length", json!({"name": "村".repeat(101)})),
        (
            "district",
            "invalid_text",
            json!({"district": "沙市\u{7}区"}),
        ),
        (
            "contact_phone",
            "invalid_phone",
            json!({"contact_phone": "110"}),
        ),
        ("lat", "invalid_field", json!({"lat": "north"})),
    ];
    expect_field_errors(app, &token, "/api/v1/sites", site_body(station), site_cases).await;
    let error = expect_error(
        app.dispatcher(
            Method::POST,
            "/api/v1/sites",
            Some(&token),
            Some(&site_body(987_654)),
        )
        .await,
        404,
        "station_not_found",
    )
    .await;
    assert_eq!(error["field"], "station_id");

    let vehicle_cases: Vec<(&str, &str, Value)> = vec![
        (
            "shift_end",
            "invalid_shift",
            json!({"shift_start": "17:00:00", "shift_end": "08:00:00"}),
        ),
        (
            "shift_end",
            "invalid_shift",
            json!({"shift_start": "08:00:00", "shift_end": "08:00:00"}),
        ),
        ("beds", "out_of_range", json!({"beds": 0})),
        ("beds", "out_of_range", json!({"beds": 51})),
        (
            "donors_per_day",
            "out_of_range",
            json!({"donors_per_day": -3}),
        ),
        ("kinds", "required", json!({"kinds": []})),
        ("kinds[0]", "invalid_field", json!({"kinds": ["urine"]})),
        ("name", "invalid_length", json!({"name": " "})),
        ("plate", "invalid_length", json!({"plate": "X".repeat(21)})),
    ];
    expect_field_errors(
        app,
        &token,
        "/api/v1/vehicles",
        vehicle_body(station),
        vehicle_cases,
    )
    .await;
    expect_error(
        app.dispatcher(
            Method::PATCH,
            "/api/v1/vehicles/987654",
            Some(&token),
            Some(&json!({"active": false})),
        )
        .await,
        404,
        "vehicle_not_found",
    )
    .await;
    // Nothing invalid was stored.
    let (_, stations) = read(
        app.dispatcher(Method::GET, "/api/v1/stations", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(stations.as_array().unwrap().len(), 1);
    let (_, vehicles) = read(
        app.dispatcher(Method::GET, "/api/v1/vehicles", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(vehicles.as_array().unwrap().len(), 1);
}

async fn vehicles_in_and_out_of_service_change_capacity(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let date = day(5);
    let one = app.window(app.site_id, date, "morning").await["capacity"]
        .as_u64()
        .unwrap();
    assert!(one > 0);

    let mut body = vehicle_body(app.station_id);
    body["kinds"] = json!(["whole_blood"]);
    let (status, second) = send(app, Method::POST, "/api/v1/vehicles", &token, &body).await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    let two = app.window(app.site_id, date, "morning").await["capacity"]
        .as_u64()
        .unwrap();
    assert!(two > one, "a second vehicle adds seats: {one} -> {two}");

    let (status, patched) = send(
        app,
        Method::PATCH,
        &format!("/api/v1/vehicles/{}", app.vehicle_id),
        &token,
        &json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["beds"], 4, "absent fields stay");
    let without_first = app.window(app.site_id, date, "morning").await;
    let left = without_first["capacity"].as_u64().unwrap();
    assert!(left > 0 && left < two, "{without_first}");
    assert_eq!(without_first["seats_left"], without_first["capacity"]);

    // Fewer beds, fewer seats; the whole fleet out of service, none.
    send(
        app,
        Method::PATCH,
        &format!("/api/v1/vehicles/{second_id}"),
        &token,
        &json!({"donors_per_day": 2}),
    )
    .await;
    let window = app.window(app.site_id, date, "morning").await;
    assert!(window["capacity"].as_u64().unwrap() <= 2, "{window}");
    send(
        app,
        Method::PATCH,
        &format!("/api/v1/vehicles/{second_id}"),
        &token,
        &json!({"active": false}),
    )
    .await;
    let window = app.window(app.site_id, date, "morning").await;
    assert_eq!(window["capacity"], 0, "{window}");
    assert_eq!(window["seats_left"], 0);
    expect_error(
        app.book(&minimal_body(app.site_id, date, "morning", &unique_phone()))
            .await,
        422,
        "kind_not_offered",
    )
    .await;

    // Back in service.
    send(
        app,
        Method::PATCH,
        &format!("/api/v1/vehicles/{}", app.vehicle_id),
        &token,
        &json!({"active": true}),
    )
    .await;
    assert_eq!(
        app.window(app.site_id, date, "morning").await["capacity"],
        one
    );
}

async fn station_settings_change_the_calendar(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let tomorrow = day(1);
    // Bookings close two days ahead: tomorrow is closed whatever the time of day.
    let (status, station) = send(
        app,
        Method::PATCH,
        &format!("/api/v1/stations/{}", app.station_id),
        &token,
        &json!({"cutoff_days_before": 2}),
    )
    .await;
    assert_eq!(status, 200, "{station}");
    assert_eq!(station["cutoff_days_before"], 2);
    assert_eq!(station["horizon_max_days"], 30, "absent fields stay");
    let window = app.window(app.site_id, tomorrow, "morning").await;
    assert_eq!(window["open"], false, "{window}");
    assert_eq!(window["closed_reason"], "after_cutoff");
    let error = expect_error(
        app.book(&minimal_body(
            app.site_id,
            tomorrow,
            "morning",
            &unique_phone(),
        ))
        .await,
        422,
        "after_cutoff",
    )
    .await;
    assert_eq!(error["field"], "date");

    // A longer horizon opens later days; renamed windows replace the defaults.
    let far = day(45);
    expect_error(
        app.book(&minimal_body(app.site_id, far, "morning", &unique_phone()))
            .await,
        422,
        "outside_horizon",
    )
    .await;
    let (status, station) = send(
        app,
        Method::PATCH,
        &format!("/api/v1/stations/{}", app.station_id),
        &token,
        &json!({
            "horizon_max_days": 60,
            "windows": [{"name": "day", "start": "09:00:00", "end": "16:00:00"}]
        }),
    )
    .await;
    assert_eq!(status, 200, "{station}");
    let created = app
        .book_ok(&minimal_body(app.site_id, far, "day", &unique_phone()))
        .await;
    assert_eq!(created["window_start"], format!("{far}T09:00:00+08:00"));
    expect_error(
        app.book(&minimal_body(app.site_id, far, "morning", &unique_phone()))
            .await,
        400,
        "unknown_window",
    )
    .await;
}

async fn site_search_filters_and_escapes(app: &TestApp) {
    let station = app.station_id;
    app.add_site(station, "community", "沙市区", "100%社区")
        .await;
    app.add_site(station, "community", "沙市区", "1000社区")
        .await;
    app.add_site(station, "village", "洪湖市", "a_b村").await;
    app.add_site(station, "village", "洪湖市", "axb村").await;
    app.add_site(station, "village", "监利市", "三湾新村").await;

    let search = |query: Vec<(&'static str, String)>| async move {
        let (status, page) = read(
            app.client
                .get(app.url("/api/v1/sites"))
                .query(&query)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let names: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            names.len(),
            "{page}"
        );
        names
    };
    let mut all = search(vec![]).await;
    all.sort();
    assert_eq!(all.len(), 7, "{all:?}");

    let mut found = search(vec![("q", "三湾".into())]).await;
    found.sort();
    assert_eq!(found, ["三湾新村", "三湾社区"]);
    assert_eq!(search(vec![("q", "%".into())]).await, ["100%社区"]);
    assert_eq!(search(vec![("q", "0%".into())]).await, ["100%社区"]);
    assert_eq!(search(vec![("q", "_".into())]).await, ["a_b村"]);
    assert_eq!(search(vec![("q", "a_b".into())]).await, ["a_b村"]);
    assert!(search(vec![("q", "不存在".into())]).await.is_empty());
    // The township and the address match too.
    assert_eq!(search(vec![("q", "川店".into())]).await, ["太湖港村"]);

    let mut hong_hu = search(vec![("district", "洪湖市".into())]).await;
    hong_hu.sort();
    assert_eq!(hong_hu, ["a_b村", "axb村"]);
    assert_eq!(
        search(vec![("district", "洪湖市".into()), ("q", "x".into())]).await,
        ["axb村"]
    );
    assert!(
        search(vec![("district", "洪湖".into())]).await.is_empty(),
        "exact district"
    );
    let villages = search(vec![("kind", "village".into())]).await;
    assert_eq!(villages.len(), 4, "{villages:?}");

    let (_, page) = read(app.get("/api/v1/sites?limit=2&offset=1").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 7);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 1);
    let item = &page["items"][0];
    for key in ["id", "name", "kind", "district", "lat", "lon"] {
        assert!(!item[key].is_null(), "{key} in {item}");
    }
}

/// POSTs `base` changed by each case's fields and expects a 400 with the case's code and field.
async fn expect_field_errors(
    app: &TestApp,
    token: &str,
    path: &str,
    base: Value,
    cases: Vec<(&str, &str, Value)>,
) {
    for (field, code, change) in cases {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let error = expect_error(
            app.dispatcher(Method::POST, path, Some(token), Some(&body))
                .await,
            400,
            code,
        )
        .await;
        assert_eq!(error["field"], field, "{body}: {error}");
    }
}

/// The bounds and values the OpenAPI document gives sites and vehicles are the ones the
/// service checks: its least and greatest values are taken, one step beyond is refused by field.
async fn documented_bounds_are_the_services(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let (_, doc) = read(app.get("/api/v1/openapi.json").await).await;
    let schemas = &doc["components"]["schemas"];
    let station = create_station(app, &token).await;
    let station_id = station["id"].as_i64().unwrap();
    let mut made = 0;
    let mut create = async |path: &str, mut body: Value| {
        made += 1;
        body["name"] = json!(format!("边界{made}"));
        send(app, Method::POST, path, &token, &body).await
    };
    let cases = [
        (
            "VehicleFields",
            "beds",
            "/api/v1/vehicles",
            vehicle_body(station_id),
        ),
        (
            "VehicleFields",
            "donors_per_day",
            "/api/v1/vehicles",
            vehicle_body(station_id),
        ),
        ("SiteFields", "lat", "/api/v1/sites", site_body(station_id)),
        ("SiteFields", "lon", "/api/v1/sites", site_body(station_id)),
    ];
    for (schema, field, path, base) in cases {
        let bounds = &schemas[schema]["properties"][field];
        let (min, max) = (bounds["minimum"].as_f64(), bounds["maximum"].as_f64());
        let (min, max) = (min.expect(field), max.expect(field));
        let whole = base[field].is_i64();
        let step = if whole { 1.0 } else { 0.001 };
        let number = |v: f64| if whole { json!(v as i64) } else { json!(v) };
        for (value, taken) in [
            (min - step, false),
            (min, true),
            (max, true),
            (max + step, false),
        ] {
            let mut body = base.clone();
            body[field] = number(value);
            let (status, answer) = create(path, body).await;
            if taken {
                assert_eq!(status, 201, "{field} = {value}: {answer}");
            } else {
                assert_eq!(status, 400, "{field} = {value}: {answer}");
                assert_eq!(answer["error"]["field"], field, "{answer}");
            }
        }
    }
    let kinds = schemas["SiteKind"]["enum"].as_array().expect("site kinds");
    assert!(!kinds.is_empty());
    for kind in kinds {
        let mut body = site_body(station_id);
        body["kind"] = kind.clone();
        let (status, answer) = create("/api/v1/sites", body).await;
        assert_eq!(status, 201, "{kind}: {answer}");
    }
    let mut body = site_body(station_id);
    body["kind"] = json!("town");
    let (status, answer) = create("/api/v1/sites", body).await;
    assert_eq!(
        (status, &answer["error"]["field"]),
        (400, &json!("kind")),
        "{answer}"
    );
}
