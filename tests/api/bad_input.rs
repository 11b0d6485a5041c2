//! Malformed, hostile and unusual input: always a 4xx with `error.code` and `error.message`
//! (never a 5xx), and text stored exactly as given.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{
    TestApp, assert_error_shape, booking_body, day, expect_error, minimal_body, read, unique_phone,
};

both!(
    malformed_json_is_a_400,
    oversized_body_is_a_413_and_the_server_lives_on,
    wrong_content_type_is_a_415,
    unknown_fields_are_rejected_by_name,
    wrong_types_name_the_field,
    invalid_values_name_the_field,
    unknown_site_is_a_404,
    sql_looking_text_is_just_text,
    cjk_and_emoji_names_round_trip,
    bad_query_and_path_parameters,
);

/// An edit of a valid body that makes one field invalid.
type Change = fn(&mut Value);

/// POSTs raw bytes as JSON to `/api/v1/bookings`.
async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/bookings"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST")
}

async fn malformed_json_is_a_400(app: &TestApp) {
    let valid = serde_json::to_string(&minimal_body(app.site_id, day(5), "morning", "13900000001"))
        .unwrap();
    for raw in [
        "{".to_string(),
        "{\"site_id\": 1,}".to_string(),
        "not json at all".to_string(),
        valid[..valid.len() - 1].to_string(),
        "\u{feff}{}".to_string(),
        String::new(),
    ] {
        let error = expect_error(post_raw(app, raw.clone()).await, 400, "malformed_json").await;
        assert!(error["field"].is_string(), "{raw:?}: {error}");
    }
    // Valid JSON of the wrong shape is a field error, not a syntax error.
    for raw in ["[]", "42", "null", "{}"] {
        let (status, body) = read(post_raw(app, raw).await).await;
        assert_eq!(status, 400, "{raw}: {body}");
        assert_error_shape(&body);
    }
    assert_eq!(app.stored_bookings().await, 0);
}

async fn oversized_body_is_a_413_and_the_server_lives_on(app: &TestApp) {
    // 10 MB: a valid booking with a huge name.
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["donor"]["name"] = json!("x".repeat(10 * 1024 * 1024));
    let raw = serde_json::to_vec(&body).unwrap();
    assert!(raw.len() > 10 * 1024 * 1024);
    let error = expect_error(post_raw(app, raw).await, 413, "body_too_large").await;
    assert_eq!(error["field"], "body");

    // Just over the limit (64 KiB) is refused too; the server keeps answering.
    body["donor"]["name"] = json!("y".repeat(70 * 1024));
    expect_error(
        post_raw(app, serde_json::to_vec(&body).unwrap()).await,
        413,
        "body_too_large",
    )
    .await;

    let (status, _) = read(app.get("/healthz").await).await;
    assert_eq!(status, 200);
    app.book_ok(&minimal_body(
        app.site_id,
        day(5),
        "morning",
        &unique_phone(),
    ))
    .await;
    assert_eq!(app.stored_bookings().await, 1);
}

async fn wrong_content_type_is_a_415(app: &TestApp) {
    let body = serde_json::to_string(&minimal_body(app.site_id, day(5), "morning", "13900000002"))
        .unwrap();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = app
            .client
            .post(app.url("/api/v1/bookings"))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        expect_error(request.send().await.unwrap(), 415, "unsupported_media_type").await;
    }
    // A charset parameter is fine.
    let (status, created) = read(
        app.client
            .post(app.url("/api/v1/bookings"))
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}

async fn unknown_fields_are_rejected_by_name(app: &TestApp) {
    let base = booking_body(app.site_id, day(5), "morning", &unique_phone());
    let mut top = base.clone();
    top["coupon"] = json!("FREE");
    let mut nested = base.clone();
    nested["donor"]["nickname"] = json!("小张");
    let mut deeper = base.clone();
    deeper["donor"]["last_donation"]["place"] = json!("武汉");
    for (body, field, name) in [
        (top, "coupon", "coupon"),
        (nested, "donor.nickname", "nickname"),
        (deeper, "donor.last_donation.place", "place"),
    ] {
        let error = expect_error(app.book(&body).await, 400, "invalid_field").await;
        assert_eq!(error["field"], field, "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("unknown field `{name}`")),
            "{error}"
        );
    }
    // Unknown fields in the other bodies too.
    let created = app
        .book_ok(&minimal_body(
            app.site_id,
            day(5),
            "morning",
            &unique_phone(),
        ))
        .await;
    let error = expect_error(
        app.patch_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
            &json!({"date": day(6).to_string(), "seats": 2}),
        )
        .await,
        400,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "seats");
    let error = expect_error(
        app.post_json(
            "/api/v1/auth/token",
            &json!({"username": "a", "password": "b", "remember": true}),
        )
        .await,
        400,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "remember");
    assert_eq!(app.stored_bookings().await, 1);
}

async fn wrong_types_name_the_field(app: &TestApp) {
    let cases: Vec<(&str, Change)> = vec![
        ("site_id", |b| b["site_id"] = json!("twelve")),
        ("site_id", |b| b["site_id"] = json!(1.5)),
        ("date", |b| b["date"] = json!("2026-13-45")),
        ("date", |b| b["date"] = json!("01/12/2026")),
        ("window", |b| b["window"] = json!(1)),
        ("kind", |b| b["kind"] = json!("blood")),
        ("volume_ml", |b| b["volume_ml"] = json!(-400)),
        ("donor.weight_kg", |b| {
            b["donor"]["weight_kg"] = json!("sixty")
        }),
        ("donor.birth_date", |b| {
            b["donor"]["birth_date"] = json!(19900501)
        }),
        ("donor.sex", |b| b["donor"]["sex"] = json!("unknown")),
        ("donor.phone", |b| {
            b["donor"]["phone"] = json!(13800138000u64)
        }),
        ("donor", |b| b["donor"] = json!("张三")),
        ("donor.last_donation.kind", |b| {
            b["donor"]["last_donation"]["kind"] = json!("blood")
        }),
    ];
    for (field, change) in cases {
        let mut body = booking_body(app.site_id, day(5), "morning", &unique_phone());
        change(&mut body);
        let error = expect_error(app.book(&body).await, 400, "invalid_field").await;
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    // Missing required fields: the message names the field, `field` names where it is missing
    // ("body" at the top level; see the report: ideally the missing field itself).
    for (parent, name, remove) in [
        ("body", "site_id", &["site_id"][..]),
        ("donor", "phone", &["donor", "phone"][..]),
    ] {
        let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
        match remove {
            [top] => body.as_object_mut().unwrap().remove(*top),
            [outer, inner] => body[*outer].as_object_mut().unwrap().remove(*inner),
            _ => unreachable!(),
        };
        let error = expect_error(app.book(&body).await, 400, "invalid_field").await;
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("missing field `{name}`")),
            "{error}"
        );
        let field = error["field"].as_str().unwrap();
        assert!(field == parent || field.ends_with(name), "{error}");
    }
    assert_eq!(app.stored_bookings().await, 0);
}

async fn invalid_values_name_the_field(app: &TestApp) {
    let cases: Vec<(&str, &str, Change)> = vec![
        ("donor.phone", "invalid_phone", |b| {
            b["donor"]["phone"] = json!("12345")
        }),
        ("donor.phone", "invalid_phone", |b| {
            b["donor"]["phone"] = json!("23800138000")
        }),
        ("donor.phone", "invalid_phone", |b| {
            b["donor"]["phone"] = json!("+86 138 0013 800a")
        }),
        ("donor.phone", "invalid_phone", |b| {
            b["donor"]["phone"] = json!("")
        }),
        ("donor.email", "invalid_email", |b| {
            b["donor"]["email"] = json!("not-an-email")
        }),
        ("donor.email", "invalid_email", |b| {
            b["donor"]["email"] = json!("a@b@example.com")
        }),
        ("donor.email", "invalid_email", |b| {
            b["donor"]["email"] = json!("zhang@localhost")
        }),
        ("donor.blood_type", "invalid_blood_type", |b| {
            b["donor"]["blood_type"] = json!("C+")
        }),
        ("donor.blood_type", "invalid_blood_type", |b| {
            b["donor"]["blood_type"] = json!("AB")
        }),
        ("donor.weight_kg", "out_of_range", |b| {
            b["donor"]["weight_kg"] = json!(-5)
        }),
        ("donor.weight_kg", "out_of_range", |b| {
            b["donor"]["weight_kg"] = json!(0)
        }),
        ("donor.weight_kg", "out_of_range", |b| {
            b["donor"]["weight_kg"] = json!(1e9)
        }),
        ("donor.name", "name_too_long", |b| {
            b["donor"]["name"] = json!("张".repeat(51))
        }),
        ("donor.name", "name_required", |b| {
            b["donor"]["name"] = json!("   ")
        }),
        ("donor.name", "name_invalid_characters", |b| {
            b["donor"]["name"] = json!("张\n三")
        }),
        ("donor.birth_date", "invalid_date", |b| {
            b["donor"]["birth_date"] = json!("2999-01-01")
        }),
        ("donor.birth_date", "invalid_date", |b| {
            b["donor"]["birth_date"] = json!("1800-01-01")
        }),
        ("donor.last_donation.date", "invalid_date", |b| {
            b["donor"]["last_donation"]["date"] = json!("2999-01-01")
        }),
        ("language", "unsupported_language", |b| {
            b["language"] = json!("fr")
        }),
        ("volume_ml", "invalid_volume", |b| {
            b["volume_ml"] = json!(1000)
        }),
        ("window", "invalid_window", |b| b["window"] = json!("")),
    ];
    for (field, code, change) in cases {
        let mut body = booking_body(app.site_id, day(5), "morning", &unique_phone());
        change(&mut body);
        let error = expect_error(app.book(&body).await, 400, code).await;
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    assert_eq!(app.stored_bookings().await, 0);

    // The boundaries themselves are accepted: a 50-character name, optional fields empty.
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["donor"]["name"] = json!("王".repeat(50));
    body["donor"]["email"] = json!("");
    let created = app.book_ok(&body).await;
    assert_eq!(created["donor"]["name"], "王".repeat(50));
    assert!(created["donor"]["email"].is_null(), "{created}");
}

async fn unknown_site_is_a_404(app: &TestApp) {
    for site_id in [987_654, -1, 0, i64::MAX] {
        let error = expect_error(
            app.book(&minimal_body(site_id, day(5), "morning", &unique_phone()))
                .await,
            404,
            "site_not_found",
        )
        .await;
        assert_eq!(error["field"], "site_id");
    }
    expect_error(app.get("/api/v1/sites/987654").await, 404, "site_not_found").await;
    expect_error(
        app.get(&format!(
            "/api/v1/sites/987654/availability?from={}&to={}",
            day(2),
            day(3)
        ))
        .await,
        404,
        "site_not_found",
    )
    .await;
    // An inactive site is not bookable.
    let site_id = app.site_id;
    app.with_db(move |conn| {
        use bloodmobile::db::schema::sites;
        use diesel::prelude::*;
        diesel::update(sites::table.find(site_id))
            .set(sites::active.eq(false))
            .execute(conn)
    })
    .await;
    expect_error(
        app.book(&minimal_body(
            app.site_id,
            day(5),
            "morning",
            &unique_phone(),
        ))
        .await,
        404,
        "site_not_found",
    )
    .await;
    assert_eq!(app.stored_bookings().await, 0);
}

const SQL: &str = "Robert'); DROP TABLE bookings;--";

async fn sql_looking_text_is_just_text(app: &TestApp) {
    let phone = "+8613700000001";
    let mut body = minimal_body(app.site_id, day(5), "morning", phone);
    body["donor"]["name"] = json!(SQL);
    let created = app.book_ok(&body).await;
    assert_eq!(created["donor"]["name"], SQL);
    let (status, shown) = read(
        app.get_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shown["donor"]["name"], SQL);
    assert_eq!(app.stored_donor_name(phone).await.as_deref(), Some(SQL));

    for q in [
        SQL,
        "' OR '1'='1",
        "\"; SELECT * FROM users; --",
        "%' OR 1=1 --",
        "\\",
    ] {
        let (status, page) = read(
            app.client
                .get(app.url("/api/v1/sites"))
                .query(&[("q", q)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{q}: {page}");
        assert_eq!(page["items"], json!([]), "{q}: {page}");
        assert_eq!(page["total"], 0);
    }
    let (status, page) = read(
        app.client
            .get(app.url("/api/v1/sites"))
            .query(&[("district", "沙市区' OR '1'='1")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 0, "{page}");

    // A site named like SQL is found by its name.
    let station_id = app.station_id;
    app.add_site(station_id, "village", "公安县", SQL).await;
    let (_, page) = read(
        app.client
            .get(app.url("/api/v1/sites"))
            .query(&[("q", "DROP TABLE")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["name"], SQL);

    // Tables intact: the booking is there and another one works.
    assert_eq!(app.stored_bookings().await, 1);
    app.book_ok(&minimal_body(
        app.site_id,
        day(5),
        "morning",
        &unique_phone(),
    ))
    .await;
    assert_eq!(app.confirmed_bookings(app.station_id).await, 2);
    let (_, page) = read(app.get("/api/v1/sites").await).await;
    assert_eq!(page["total"], 3, "{page}");
}

async fn cjk_and_emoji_names_round_trip(app: &TestApp) {
    for name in [
        "张三😀",
        "王小明",
        "欧阳娜娜",
        "Zoë Ünal-Øster",
        "👩‍👩‍👧",
        "买买提·艾力",
        "𠀋𡈽",
    ] {
        let phone = unique_phone();
        let mut body = minimal_body(app.site_id, day(6), "afternoon", &phone);
        body["donor"]["name"] = json!(name);
        let created = app.book_ok(&body).await;
        assert_eq!(
            created["donor"]["name"].as_str().unwrap().as_bytes(),
            name.as_bytes()
        );
        let (_, shown) = read(
            app.get_booking(
                created["reference"].as_str().unwrap(),
                created["manage_token"].as_str(),
            )
            .await,
        )
        .await;
        assert_eq!(
            shown["donor"]["name"].as_str().unwrap().as_bytes(),
            name.as_bytes()
        );
        assert_eq!(
            app.stored_donor_name(&phone).await.unwrap().as_bytes(),
            name.as_bytes()
        );
    }
    // Surrounding spaces are trimmed, inner ones kept.
    let phone = unique_phone();
    let mut body = minimal_body(app.site_id, day(6), "afternoon", &phone);
    body["donor"]["name"] = json!("  李 雷  ");
    let created = app.book_ok(&body).await;
    assert_eq!(created["donor"]["name"], "李 雷");
}

async fn bad_query_and_path_parameters(app: &TestApp) {
    let site = app.site_id;
    for (path, status, code) in [
        (
            format!("/api/v1/sites/{site}/availability?from=yesterday"),
            400,
            "invalid_query",
        ),
        (
            format!("/api/v1/sites/{site}/availability?from=2026-01-01&bogus=1"),
            400,
            "invalid_query",
        ),
        (
            format!(
                "/api/v1/sites/{site}/availability?from={}&to={}",
                day(5),
                day(2)
            ),
            400,
            "invalid_range",
        ),
        (
            format!(
                "/api/v1/sites/{site}/availability?from={}&to={}",
                day(1),
                day(200)
            ),
            400,
            "invalid_range",
        ),
        (
            "/api/v1/sites/abc/availability".to_string(),
            400,
            "invalid_path",
        ),
        ("/api/v1/sites/abc".to_string(), 400, "invalid_path"),
        ("/api/v1/sites?limit=0".to_string(), 400, "out_of_range"),
        (
            "/api/v1/sites?limit=100000".to_string(),
            400,
            "out_of_range",
        ),
        ("/api/v1/sites?offset=-1".to_string(), 400, "out_of_range"),
        ("/api/v1/sites?kind=city".to_string(), 400, "invalid_kind"),
        ("/api/v1/sites?limit=many".to_string(), 400, "invalid_query"),
        (
            format!("/api/v1/sites?q={}", "x".repeat(101)),
            400,
            "invalid_length",
        ),
        (
            "/api/v1/bookings/%00%01".to_string(),
            404,
            "booking_not_found",
        ),
        ("/api/v1/nothing/here".to_string(), 404, "not_found"),
    ] {
        let error = expect_error(app.get(&path).await, status, code).await;
        assert!(error["message"].is_string(), "{path}");
    }
    let error = expect_error(
        app.get(&format!(
            "/api/v1/sites/{site}/availability?from=2026-02-30"
        ))
        .await,
        400,
        "invalid_query",
    )
    .await;
    assert!(error["field"].is_string(), "{error}");
}

both!(oversized_chunked_body_is_a_413);

/// 10 MB sent chunked (no Content-Length), over a raw socket: the limit holds while streaming.
async fn oversized_chunked_body_is_a_413(app: &TestApp) {
    use std::io::{Read, Write};

    let address = app.address.trim_start_matches("http://").to_string();
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let head = format!(
            "POST /api/v1/bookings HTTP/1.1\r\nHost: {address}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("write head");
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        // The server may answer and close before reading everything: stop writing then.
        while sent < 10 * 1024 * 1024 {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&framed).is_err() {
                break;
            }
            sent += chunk.len();
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "expected 413: {}",
        &response[..response.len().min(300)]
    );
    assert!(response.contains("body_too_large"), "{response}");
    let (status, _) = read(app.get("/readyz").await).await;
    assert_eq!(status, 200);
}

both!(nul_bytes_and_extreme_numbers_are_client_errors);

/// PostgreSQL refuses text with NUL bytes outright; every such input must stop at validation.
async fn nul_bytes_and_extreme_numbers_are_client_errors(app: &TestApp) {
    let mut failures = Vec::new();
    let mut check = |what: &str, status: u16, body: &Value| {
        if status >= 500 || !(400..500).contains(&status) && status != 200 {
            failures.push(format!("{what}: {status} {body}"));
        } else if status >= 400 {
            assert_error_shape(body);
        }
    };

    for (what, query) in [
        ("q", vec![("q", "三湾\u{0}")]),
        ("district", vec![("district", "沙市区\u{0}")]),
        ("kind", vec![("kind", "village\u{0}")]),
        ("offset", vec![("offset", "9223372036854775807")]),
        ("limit", vec![("limit", "500"), ("offset", "1000000000")]),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/sites"))
            .query(&query)
            .send()
            .await
            .unwrap();
        let (status, body) = read(response).await;
        check(&format!("GET /api/v1/sites {what}"), status, &body);
    }

    let response = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"username": "admin\u{0}", "password": "whatever-long-enough"}),
        )
        .await;
    let (status, body) = read(response).await;
    check("POST /auth/token username with NUL", status, &body);

    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["window"] = json!("morning\u{0}");
    let (status, error) = read(app.book(&body).await).await;
    check("booking window with NUL", status, &error);
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["donor"]["email"] = json!("a\u{0}b@example.com");
    let (status, error) = read(app.book(&body).await).await;
    check("booking email with NUL", status, &error);
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["language"] = json!("en\u{0}");
    let (status, error) = read(app.book(&body).await).await;
    check("booking language with NUL", status, &error);
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["volume_ml"] = json!(u64::MAX);
    let (status, error) = read(app.book(&body).await).await;
    check("volume_ml u64::MAX", status, &error);
    let (status, error) = read(
        app.get(&format!(
            "/api/v1/sites/{}/availability?from=9999-12-01&to=9999-12-31",
            app.site_id
        ))
        .await,
    )
    .await;
    check("availability at the end of time", status, &error);
    let (status, error) = read(
        app.get(&format!(
            "/api/v1/sites/{}/availability?from=0001-01-01&to=0001-01-31",
            app.site_id
        ))
        .await,
    )
    .await;
    check("availability at the start of time", status, &error);
    let (status, error) = read(app.get("/api/v1/bookings/'%20OR%201=1--").await).await;
    check("reference like SQL", status, &error);
    assert_eq!(status, 404);

    assert!(
        failures.is_empty(),
        "server errors:\n{}",
        failures.join("\n")
    );
    // Nothing got in, and the app still works.
    assert_eq!(app.stored_bookings().await, 0);
    app.book_ok(&minimal_body(
        app.site_id,
        day(5),
        "morning",
        &unique_phone(),
    ))
    .await;
}
