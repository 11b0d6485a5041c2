//! A donor's booking from creation to cancellation, and the rules that refuse one.

use chrono::{Days, Months};
use serde_json::json;

use crate::both;
use crate::helpers::{
    SHANGHAI, TestApp, booking_body, day, expect_error, local_today, minimal_body, read,
    unique_phone,
};

both!(
    creates_and_shows_a_booking,
    reschedules_a_booking,
    cancels_a_booking_and_frees_its_seat,
    one_active_booking_per_phone,
    capacity_fills_then_refuses,
    idempotency_key_replays_the_first_result,
    ineligible_donors_are_refused_with_the_rule,
    calendar_rules_refuse_dates,
    kind_not_collected_by_the_fleet_is_refused,
);

async fn creates_and_shows_a_booking(app: &TestApp) {
    let date = day(5);
    let seats_before = app.seats_left(app.site_id, date, "morning").await;
    let body = booking_body(app.site_id, date, "morning", "+8613800138000");

    let created = app.book_ok(&body).await;

    let reference = created["reference"]
        .as_str()
        .expect("reference")
        .to_string();
    let token = created["manage_token"].as_str().expect("token").to_string();
    assert!(reference.len() >= 8, "{reference}");
    assert!(token.len() >= 32, "{token}");
    assert_eq!(created["status"], "confirmed");
    assert_eq!(created["site_id"], app.site_id);
    assert_eq!(created["station_id"], app.station_id);
    assert_eq!(created["date"], date.to_string());
    assert_eq!(created["window"], "morning");
    assert_eq!(created["window_start"], format!("{date}T08:00:00+08:00"));
    assert_eq!(created["window_end"], format!("{date}T12:00:00+08:00"));
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("+08:00")),
        "{created}"
    );
    assert_eq!(created["kind"], "whole_blood");
    assert_eq!(created["volume_ml"], 400);
    assert_eq!(created["language"], "zh-CN");
    assert_eq!(created["donor"]["name"], "张三");
    assert_eq!(created["donor"]["phone"], "+8613800138000");
    assert_eq!(created["donor"]["email"], "zhang@example.com");
    assert_eq!(created["site"]["name"], "三湾社区");
    assert_eq!(
        created["manage_path"],
        format!("/api/v1/bookings/{reference}")
    );

    // What is stored: one confirmed booking, a seat fewer.
    assert_eq!(app.confirmed_bookings(app.station_id).await, 1);
    assert_eq!(
        app.stored_donor_name("+8613800138000").await.as_deref(),
        Some("张三")
    );
    assert_eq!(
        app.seats_left(app.site_id, date, "morning").await,
        seats_before - 1
    );

    // The owner sees it; the token is not shown again.
    let (status, shown) = read(app.get_booking(&reference, Some(&token)).await).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["reference"], reference);
    assert_eq!(shown["status"], "confirmed");
    assert_eq!(shown["window_start"], created["window_start"]);
    assert!(shown.get("manage_token").is_none(), "{shown}");

    // The reference is forgiving about case and the dash.
    for variant in [reference.to_lowercase(), reference.replace('-', "")] {
        let (status, shown) = read(app.get_booking(&variant, Some(&token)).await).await;
        assert_eq!(status, 200, "{variant}: {shown}");
        assert_eq!(shown["reference"], reference);
    }

    expect_error(
        app.get_booking(&reference, None).await,
        401,
        "missing_token",
    )
    .await;
    expect_error(
        app.get_booking(&reference, Some("not-the-token")).await,
        403,
        "wrong_token",
    )
    .await;
    let other = if reference.starts_with('2') {
        "3333-3333"
    } else {
        "2222-2222"
    };
    expect_error(
        app.get_booking(other, Some(&token)).await,
        404,
        "booking_not_found",
    )
    .await;
    expect_error(
        app.get_booking("no-such-reference", Some(&token)).await,
        404,
        "booking_not_found",
    )
    .await;
}

async fn reschedules_a_booking(app: &TestApp) {
    let (first, second) = (day(4), day(6));
    let created = app
        .book_ok(&minimal_body(
            app.site_id,
            first,
            "morning",
            &unique_phone(),
        ))
        .await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let first_seats = app.seats_left(app.site_id, first, "morning").await;
    let second_seats = app.seats_left(app.site_id, second, "morning").await;

    // Another date: the seat moves with it.
    let (status, moved) = read(
        app.patch_booking(reference, token, &json!({"date": second.to_string()}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["date"], second.to_string());
    assert_eq!(moved["window"], "morning");
    assert_eq!(moved["reference"], reference);
    assert!(moved.get("manage_token").is_none());
    assert_eq!(
        app.seats_left(app.site_id, first, "morning").await,
        first_seats + 1
    );
    assert_eq!(
        app.seats_left(app.site_id, second, "morning").await,
        second_seats - 1
    );

    // Another window.
    let (status, moved) = read(
        app.patch_booking(reference, token, &json!({"window": "afternoon"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["window"], "afternoon");
    assert_eq!(moved["window_start"], format!("{second}T13:00:00+08:00"));
    assert_eq!(moved["window_end"], format!("{second}T17:30:00+08:00"));
    // The morning seat is free again; the windows share the vehicle's day and bags, so the
    // morning offers at least what it did with the booking in it.
    assert!(app.seats_left(app.site_id, second, "morning").await >= second_seats - 1);

    // Another site of the same station.
    let (status, moved) = read(
        app.patch_booking(reference, token, &json!({"site_id": app.other_site_id}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["site_id"], app.other_site_id);
    assert_eq!(moved["site"]["name"], "太湖港村");

    // All at once, then the owner sees the result.
    let third = day(8);
    let (status, moved) = read(
        app.patch_booking(
            reference,
            token,
            &json!({"date": third.to_string(), "window": "morning", "site_id": app.site_id}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let (_, shown) = read(app.get_booking(reference, Some(token)).await).await;
    assert_eq!(shown["date"], third.to_string());
    assert_eq!(shown["window"], "morning");
    assert_eq!(shown["site_id"], app.site_id);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 1);

    // Refused moves leave it where it is.
    let error = expect_error(
        app.patch_booking(reference, token, &json!({"window": "evening"}))
            .await,
        400,
        "unknown_window",
    )
    .await;
    assert_eq!(error["field"], "window");
    expect_error(
        app.patch_booking(reference, token, &json!({})).await,
        400,
        "empty_change",
    )
    .await;
    let error = expect_error(
        app.patch_booking(reference, token, &json!({"date": day(60).to_string()}))
            .await,
        422,
        "outside_horizon",
    )
    .await;
    assert_eq!(error["field"], "date");
    expect_error(
        app.patch_booking(reference, token, &json!({"site_id": 987_654}))
            .await,
        404,
        "site_not_found",
    )
    .await;
    expect_error(
        app.patch_booking(reference, "wrong", &json!({"date": day(9).to_string()}))
            .await,
        403,
        "wrong_token",
    )
    .await;
    let (_, shown) = read(app.get_booking(reference, Some(token)).await).await;
    assert_eq!(shown["date"], third.to_string());
}

async fn cancels_a_booking_and_frees_its_seat(app: &TestApp) {
    let date = day(3);
    let phone = unique_phone();
    let seats = app.seats_left(app.site_id, date, "afternoon").await;
    let created = app
        .book_ok(&minimal_body(app.site_id, date, "afternoon", &phone))
        .await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();
    assert_eq!(
        app.seats_left(app.site_id, date, "afternoon").await,
        seats - 1
    );

    expect_error(
        app.client
            .delete(app.url(&format!("/api/v1/bookings/{reference}")))
            .send()
            .await
            .unwrap(),
        401,
        "missing_token",
    )
    .await;

    let (status, cancelled) = read(app.cancel_booking(reference, token).await).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(
        cancelled["cancelled_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("+08:00")),
        "{cancelled}"
    );
    assert_eq!(app.seats_left(app.site_id, date, "afternoon").await, seats);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 0);
    assert_eq!(
        app.stored_bookings().await,
        1,
        "a cancelled booking is kept"
    );

    let (status, shown) = read(app.get_booking(reference, Some(token)).await).await;
    assert_eq!(status, 200);
    assert_eq!(shown["status"], "cancelled");

    expect_error(
        app.cancel_booking(reference, token).await,
        409,
        "booking_cancelled",
    )
    .await;
    expect_error(
        app.patch_booking(reference, token, &json!({"date": day(4).to_string()}))
            .await,
        409,
        "booking_cancelled",
    )
    .await;

    // The phone is free again.
    let again = app
        .book_ok(&minimal_body(app.site_id, date, "afternoon", &phone))
        .await;
    assert_ne!(again["reference"], created["reference"]);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 1);
}

async fn one_active_booking_per_phone(app: &TestApp) {
    app.book_ok(&booking_body(
        app.site_id,
        day(5),
        "morning",
        "+8613800138000",
    ))
    .await;
    for written in [
        "13800138000",
        "+86 138 0013 8000",
        "138-0013-8000",
        "\u{ff11}\u{ff13}\u{ff18}\u{ff10}\u{ff10}\u{ff11}\u{ff13}\u{ff18}\u{ff10}\u{ff10}\u{ff10}",
    ] {
        let error = expect_error(
            app.book(&minimal_body(
                app.other_site_id,
                day(7),
                "afternoon",
                written,
            ))
            .await,
            409,
            "already_booked",
        )
        .await;
        assert_eq!(error["field"], "donor.phone", "{written}");
    }
    assert_eq!(app.stored_bookings().await, 1);
}

async fn capacity_fills_then_refuses(app: &TestApp) {
    // One bed, three donors a day, mornings only.
    app.replace_fleet(1, 3, (8, 0), (12, 0)).await;
    let date = day(6);
    let morning = app.window(app.site_id, date, "morning").await;
    let capacity = morning["capacity"].as_u64().expect("capacity");
    assert_eq!(capacity, 3, "{morning}");
    assert_eq!(morning["seats_left"], capacity);
    assert_eq!(morning["open"], true);
    let afternoon = app.window(app.site_id, date, "afternoon").await;
    assert_eq!(afternoon["capacity"], 0, "{afternoon}");

    for booked in 1..=capacity {
        app.book_ok(&minimal_body(app.site_id, date, "morning", &unique_phone()))
            .await;
        assert_eq!(
            app.seats_left(app.site_id, date, "morning").await,
            capacity - booked
        );
    }
    let error = expect_error(
        app.book(&minimal_body(app.site_id, date, "morning", &unique_phone()))
            .await,
        409,
        "full",
    )
    .await;
    assert_eq!(error["field"], "window");
    // The capacity is the station's: another of its sites is full too.
    expect_error(
        app.book(&minimal_body(
            app.other_site_id,
            date,
            "morning",
            &unique_phone(),
        ))
        .await,
        409,
        "full",
    )
    .await;
    expect_error(
        app.book(&minimal_body(
            app.site_id,
            date,
            "afternoon",
            &unique_phone(),
        ))
        .await,
        409,
        "full",
    )
    .await;
    assert_eq!(
        app.confirmed_bookings(app.station_id).await,
        capacity as i64
    );
    // Another day is untouched.
    assert_eq!(
        app.seats_left(app.site_id, day(7), "morning").await,
        capacity
    );
}

async fn idempotency_key_replays_the_first_result(app: &TestApp) {
    let body = booking_body(app.site_id, day(5), "morning", &unique_phone());
    let send = |body: &serde_json::Value, key: &str| {
        app.client
            .post(app.url("/api/v1/bookings"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let (status, first) = read(send(&body, "key-1").await.unwrap()).await;
    assert_eq!(status, 201, "{first}");
    let replayed = send(&body, "key-1").await.unwrap();
    assert_eq!(
        replayed
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let (status, second) = read(replayed).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["reference"], first["reference"]);
    assert_eq!(second["manage_token"], first["manage_token"]);
    assert_eq!(app.stored_bookings().await, 1);
    // What the database keeps opens nothing without the client's key.
    let token = first["manage_token"].as_str().unwrap();
    let saved = app.saved_responses().await;
    assert_eq!(saved.len(), 1);
    assert_ne!(saved[0].0, "key-1", "the key is kept as a hash");
    assert!(!saved[0].1.contains(token), "{}", saved[0].1);
    assert!(saved[0].1.contains(first["reference"].as_str().unwrap()));

    // The same key with another body is a client error, not a second booking.
    let mut other = body.clone();
    other["window"] = json!("afternoon");
    let error = expect_error(
        send(&other, "key-1").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(error["field"], "Idempotency-Key");
    assert_eq!(app.stored_bookings().await, 1);

    // Without a key the retry is a second attempt: the phone already has its booking.
    expect_error(app.book(&body).await, 409, "already_booked").await;
    // A bad key is refused before anything happens.
    expect_error(
        send(&body, &"k".repeat(200)).await.unwrap(),
        400,
        "invalid_idempotency_key",
    )
    .await;
}

async fn ineligible_donors_are_refused_with_the_rule(app: &TestApp) {
    let date = day(5);
    let today = local_today(SHANGHAI);

    // Under 18 on the day: eligible from the 18th birthday.
    let birth = today - Months::new(17 * 12) - Days::new(3);
    let mut body = minimal_body(app.site_id, date, "morning", &unique_phone());
    body["donor"]["birth_date"] = json!(birth.to_string());
    let error = expect_error(app.book(&body).await, 422, "ineligible").await;
    assert_eq!(error["rule"], "min_age", "{error}");
    assert_eq!(
        error["eligible_from"],
        (birth + Months::new(18 * 12)).to_string()
    );

    // A woman of 44 kg: no date makes her eligible.
    let mut body = minimal_body(app.site_id, date, "morning", &unique_phone());
    body["donor"]["sex"] = json!("female");
    body["donor"]["weight_kg"] = json!(44);
    let error = expect_error(app.book(&body).await, 422, "ineligible").await;
    assert_eq!(error["rule"], "min_weight", "{error}");
    assert!(error["eligible_from"].is_null(), "{error}");

    // Whole blood two months ago: six calendar months between whole blood donations.
    let last = today - Months::new(2);
    let mut body = minimal_body(app.site_id, date, "morning", &unique_phone());
    body["donor"]["last_donation"] = json!({"date": last.to_string(), "kind": "whole_blood"});
    let error = expect_error(app.book(&body).await, 422, "ineligible").await;
    assert_eq!(
        error["rule"], "interval_whole_blood_to_whole_blood",
        "{error}"
    );
    assert_eq!(error["eligible_from"], (last + Months::new(6)).to_string());
    assert!(error["rules"].is_array(), "{error}");

    assert_eq!(app.stored_bookings().await, 0);
}

async fn calendar_rules_refuse_dates(app: &TestApp) {
    let today = local_today(SHANGHAI);
    for (date, why) in [
        (today - Days::new(3), "a past date"),
        (today, "today (the horizon starts tomorrow)"),
        (today + Days::new(31), "beyond the 30-day horizon"),
        (today + Days::new(400), "far beyond the horizon"),
    ] {
        let error = expect_error(
            app.book(&minimal_body(app.site_id, date, "morning", &unique_phone()))
                .await,
            422,
            "outside_horizon",
        )
        .await;
        assert_eq!(error["field"], "date", "{why}: {error}");
    }
    // The last day of the horizon is still bookable (cut-off is the day before).
    app.book_ok(&minimal_body(
        app.site_id,
        today + Days::new(30),
        "morning",
        &unique_phone(),
    ))
    .await;

    let error = expect_error(
        app.book(&minimal_body(
            app.site_id,
            day(5),
            "evening",
            &unique_phone(),
        ))
        .await,
        400,
        "unknown_window",
    )
    .await;
    assert_eq!(error["field"], "window");
    assert!(error["message"].as_str().unwrap().contains("morning"));

    // Bookings close two days before at 18:00: tomorrow is closed whatever the time of day.
    let station_id = app.station_id;
    app.with_db(move |conn| {
        use bloodmobile::db::schema::stations;
        use diesel::prelude::*;
        diesel::update(stations::table.find(station_id))
            .set(stations::cutoff_days_before.eq(2))
            .execute(conn)
    })
    .await;
    let tomorrow = today + Days::new(1);
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
    let window = app.window(app.site_id, tomorrow, "morning").await;
    assert_eq!(window["open"], false, "{window}");
    assert_eq!(window["seats_left"], 0);
    assert_eq!(window["closed_reason"], "after_cutoff");
    assert_eq!(app.confirmed_bookings(app.station_id).await, 1);
}

async fn kind_not_collected_by_the_fleet_is_refused(app: &TestApp) {
    let vehicle_id = app.vehicle_id;
    app.with_db(move |conn| {
        use bloodmobile::db::schema::vehicles;
        use diesel::prelude::*;
        diesel::update(vehicles::table.find(vehicle_id))
            .set(vehicles::kinds.eq("whole_blood"))
            .execute(conn)
    })
    .await;
    let mut body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    body["kind"] = json!("platelets");
    body["volume_ml"] = serde_json::Value::Null;
    let error = expect_error(app.book(&body).await, 422, "kind_not_offered").await;
    assert_eq!(error["field"], "kind");
    body["kind"] = json!("whole_blood");
    body["volume_ml"] = json!(400);
    app.book_ok(&body).await;
}

both!(
    changes_close_before_the_window,
    rescheduling_into_a_full_window_is_refused,
    availability_defaults_to_the_bookable_days,
);

async fn changes_close_before_the_window(app: &TestApp) {
    let created = app
        .book_ok(&minimal_body(
            app.site_id,
            day(3),
            "morning",
            &unique_phone(),
        ))
        .await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();
    // Changes must now come 30 days ahead: this booking can no longer be changed.
    let station_id = app.station_id;
    app.with_db(move |conn| {
        use bloodmobile::db::schema::stations;
        use diesel::prelude::*;
        diesel::update(stations::table.find(station_id))
            .set(stations::change_notice_minutes.eq(30 * 24 * 60))
            .execute(conn)
    })
    .await;
    let error = expect_error(
        app.cancel_booking(reference, token).await,
        422,
        "too_late_to_change",
    )
    .await;
    assert_eq!(error["field"], "date");
    expect_error(
        app.patch_booking(reference, token, &json!({"window": "afternoon"}))
            .await,
        422,
        "too_late_to_change",
    )
    .await;
    let (_, shown) = read(app.get_booking(reference, Some(token)).await).await;
    assert_eq!(shown["status"], "confirmed");
    assert_eq!(shown["window"], "morning");
}

async fn rescheduling_into_a_full_window_is_refused(app: &TestApp) {
    app.replace_fleet(1, 1, (8, 0), (12, 0)).await;
    let (full_day, free_day) = (day(5), day(6));
    assert_eq!(
        app.window(app.site_id, full_day, "morning").await["capacity"],
        1
    );
    app.book_ok(&minimal_body(
        app.site_id,
        full_day,
        "morning",
        &unique_phone(),
    ))
    .await;
    let created = app
        .book_ok(&minimal_body(
            app.site_id,
            free_day,
            "morning",
            &unique_phone(),
        ))
        .await;
    let error = expect_error(
        app.patch_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
            &json!({"date": full_day.to_string()}),
        )
        .await,
        409,
        "full",
    )
    .await;
    assert_eq!(error["field"], "window");
    // Moving within its own slot (another site of the station) needs no extra seat.
    let (status, moved) = read(
        app.patch_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
            &json!({"site_id": app.other_site_id}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["date"], free_day.to_string());
    assert_eq!(app.seats_left(app.site_id, full_day, "morning").await, 0);
    assert_eq!(app.seats_left(app.site_id, free_day, "morning").await, 0);
}

async fn availability_defaults_to_the_bookable_days(app: &TestApp) {
    // Past days and today are listed but closed.
    let today = local_today(SHANGHAI);
    let past = app
        .availability(app.site_id, today - Days::new(2), today)
        .await;
    assert_eq!(past["days"].as_array().unwrap().len(), 3);
    for d in past["days"].as_array().unwrap() {
        for w in d["windows"].as_array().unwrap() {
            assert_eq!(w["open"], false, "{w}");
            assert_eq!(w["seats_left"], 0, "{w}");
            assert_eq!(w["closed_reason"], "outside_horizon", "{w}");
        }
    }
    // Only `from`: two weeks from it.
    let (_, body) = read(
        app.get(&format!(
            "/api/v1/sites/{}/availability?from={}",
            app.site_id,
            day(3)
        ))
        .await,
    )
    .await;
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    assert_eq!(days[0]["date"], day(3).to_string());

    // Neither: the documented default of `from` is the station's first bookable day (its local
    // tomorrow), and `to` is `from` + 13 days.
    let (status, body) = read(
        app.get(&format!("/api/v1/sites/{}/availability", app.site_id))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 14, "{body}");
    assert_eq!(body["site_id"], app.site_id);
    for d in days {
        let windows = d["windows"].as_array().unwrap();
        assert_eq!(windows.len(), 2);
        assert_eq!(windows[0]["window"], "morning");
        assert_eq!(windows[1]["window"], "afternoon");
    }
    assert_eq!(
        days[0]["date"],
        day(1).to_string(),
        "default `from` is the first bookable day"
    );
}

both!(
    rescheduling_rechecks_eligibility_on_the_new_date,
    a_response_saved_more_than_a_day_ago_is_not_replayed,
);

async fn a_response_saved_more_than_a_day_ago_is_not_replayed(app: &TestApp) {
    let body = minimal_body(app.site_id, day(5), "morning", &unique_phone());
    let send = || {
        app.client
            .post(app.url("/api/v1/bookings"))
            .header("Idempotency-Key", "yesterday-1")
            .json(&body)
            .send()
    };
    let (status, first) = read(send().await.unwrap()).await;
    assert_eq!(status, 201, "{first}");
    app.with_db(|conn| {
        use bloodmobile::db::schema::idempotency_keys;
        use diesel::prelude::*;
        let long_ago = (chrono::Utc::now() - chrono::Duration::hours(25)).naive_utc();
        diesel::update(idempotency_keys::table)
            .set(idempotency_keys::created_at.eq(long_ago))
            .execute(conn)
    })
    .await;
    // A retry a day later is a new attempt: the phone has its booking already.
    expect_error(send().await.unwrap(), 409, "already_booked").await;
    assert_eq!(app.stored_bookings().await, 1);
}

async fn rescheduling_rechecks_eligibility_on_the_new_date(app: &TestApp) {
    // 18 on day(10): the booking on day(12) is fine, a move to day(5) is not.
    let eighteenth = day(10);
    let birth = eighteenth - Months::new(18 * 12);
    let mut body = minimal_body(app.site_id, day(12), "morning", &unique_phone());
    body["donor"]["birth_date"] = json!(birth.to_string());
    let created = app.book_ok(&body).await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let error = expect_error(
        app.patch_booking(reference, token, &json!({"date": day(5).to_string()}))
            .await,
        422,
        "ineligible",
    )
    .await;
    assert_eq!(error["rule"], "min_age", "{error}");
    assert_eq!(error["eligible_from"], eighteenth.to_string());
    let (status, moved) = read(
        app.patch_booking(reference, token, &json!({"date": day(11).to_string()}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["date"], day(11).to_string());
}

both!(a_vaccination_told_once_counts_for_later_bookings_and_moves);

async fn a_vaccination_told_once_counts_for_later_bookings_and_moves(app: &TestApp) {
    // A non-inactivated COVID-19 vaccine yesterday: 14 days before any donation.
    let vaccinated = local_today(SHANGHAI) - Days::new(1);
    let eligible = vaccinated + Days::new(14);
    let phone = unique_phone();
    let mut body = minimal_body(app.site_id, day(15), "morning", &phone);
    body["donor"]["vaccination"] = json!({"date": vaccinated.to_string(), "vaccine": "other"});
    let created = app.book_ok(&body).await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();

    // Moving closer is checked against the vaccination stored with the first booking.
    let error = expect_error(
        app.patch_booking(reference, token, &json!({"date": day(4).to_string()}))
            .await,
        422,
        "ineligible",
    )
    .await;
    assert_eq!(error["rule"], "covid_vaccine_wait", "{error}");
    assert_eq!(error["eligible_from"], eligible.to_string());

    // So is a new booking that does not mention it again.
    let (status, _) = read(app.cancel_booking(reference, token).await).await;
    assert_eq!(status, 200);
    let again = minimal_body(app.site_id, day(4), "morning", &phone);
    let error = expect_error(app.book(&again).await, 422, "ineligible").await;
    assert_eq!(error["rule"], "covid_vaccine_wait", "{error}");
    app.book_ok(&minimal_body(app.site_id, eligible, "morning", &phone))
        .await;
}

both!(moving_to_another_stations_site_moves_the_seat);

async fn moving_to_another_stations_site_moves_the_seat(app: &TestApp) {
    use crate::helpers::{site_values, station_values, vehicle_values};
    use bloodmobile::db::registry;

    let (station_id, site_id) = app
        .with_db(|conn| {
            let station = registry::insert_station(
                conn,
                &station_values(
                    "宜昌市中心血站",
                    "Asia/Shanghai",
                    "宜昌血站",
                    "西陵区",
                    30.7,
                    111.3,
                ),
            )?;
            let mut village = site_values(station.id, "village", "夷陵区", "小溪塔街道", "石河村");
            (village.lat, village.lon) = (30.76, 111.33);
            let site = registry::insert_site(conn, &village)?;
            registry::insert_vehicle(
                conn,
                &vehicle_values(station.id, "鄂E-01", 2, 20, (7, 30), (17, 30)),
            )?;
            Ok((station.id, site.id))
        })
        .await;
    let date = day(5);
    let here = app.seats_left(app.site_id, date, "morning").await;
    let there = app.seats_left(site_id, date, "morning").await;
    let created = app
        .book_ok(&minimal_body(app.site_id, date, "morning", &unique_phone()))
        .await;
    let (status, moved) = read(
        app.patch_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
            &json!({"site_id": site_id}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["site_id"], site_id);
    assert_eq!(
        moved["station_id"], station_id,
        "the booking belongs to the new station"
    );
    assert_eq!(app.confirmed_bookings(station_id).await, 1);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 0);
    assert_eq!(app.seats_left(site_id, date, "morning").await, there - 1);
    assert_eq!(app.seats_left(app.site_id, date, "morning").await, here);
}
