//! Capacity and idempotency hold when many requests arrive at once.

use std::collections::HashSet;

use futures::future::join_all;

use crate::both;
use crate::helpers::{TestApp, booking_body, day, minimal_body, read, unique_phone};

both!(
    last_ten_seats_go_to_exactly_ten_of_two_hundred,
    concurrent_retries_with_one_key_make_one_booking,
    concurrent_bookings_with_one_phone_make_one_booking,
);

async fn last_ten_seats_go_to_exactly_ten_of_two_hundred(app: &TestApp) {
    // Two beds, twelve donors a day, mornings only: twelve seats; two are taken first.
    app.replace_fleet(2, 12, (8, 0), (12, 0)).await;
    let date = day(9);
    let capacity = app.window(app.site_id, date, "morning").await["capacity"]
        .as_u64()
        .unwrap();
    assert_eq!(capacity, 12);
    for _ in 0..capacity - 10 {
        app.book_ok(&minimal_body(app.site_id, date, "morning", &unique_phone()))
            .await;
    }
    assert_eq!(app.seats_left(app.site_id, date, "morning").await, 10);

    let bodies: Vec<_> = (0..200)
        .map(|i| {
            let site = if i % 2 == 0 {
                app.site_id
            } else {
                app.other_site_id
            };
            minimal_body(site, date, "morning", &unique_phone())
        })
        .collect();
    let responses = join_all(bodies.iter().map(|body| async {
        let response = app.book(body).await;
        read(response).await
    }))
    .await;

    let mut created = 0;
    let mut full = 0;
    let mut references = HashSet::new();
    for (status, body) in &responses {
        assert!(*status < 500, "a 5xx under load: {status} {body}");
        match status {
            201 => {
                created += 1;
                references.insert(body["reference"].as_str().unwrap().to_string());
            }
            409 => {
                assert_eq!(body["error"]["code"], "full", "{body}");
                full += 1;
            }
            _ => panic!("unexpected {status}: {body}"),
        }
    }
    println!("{:?}: {created} created, {full} full", app.backend);
    assert_eq!((created, full), (10, 190));
    assert_eq!(references.len(), 10, "references are unique");
    assert_eq!(
        app.confirmed_bookings(app.station_id).await,
        capacity as i64
    );
    assert_eq!(app.seats_left(app.site_id, date, "morning").await, 0);
}

async fn concurrent_retries_with_one_key_make_one_booking(app: &TestApp) {
    let body = booking_body(app.site_id, day(4), "afternoon", &unique_phone());
    let responses = join_all((0..20).map(|_| async {
        let response = app
            .client
            .post(app.url("/api/v1/bookings"))
            .header("Idempotency-Key", "retry-storm-1")
            .json(&body)
            .send()
            .await
            .expect("POST");
        read(response).await
    }))
    .await;
    let (status, first) = &responses[0];
    assert_eq!(*status, 201, "{first}");
    for (status, body) in &responses {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body["reference"], first["reference"]);
        assert_eq!(body["manage_token"], first["manage_token"]);
    }
    assert_eq!(app.stored_bookings().await, 1);
}

async fn concurrent_bookings_with_one_phone_make_one_booking(app: &TestApp) {
    let phone = unique_phone();
    let responses = join_all((0..20u64).map(|i| {
        let body = minimal_body(app.site_id, day(3 + i % 5), "morning", &phone);
        async move { read(app.book(&body).await).await }
    }))
    .await;
    let created = responses.iter().filter(|(s, _)| *s == 201).count();
    for (status, body) in &responses {
        assert!(
            *status == 201 || (*status == 409 && body["error"]["code"] == "already_booked"),
            "{status} {body}"
        );
    }
    assert_eq!(created, 1);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 1);
}

both!(concurrent_cancels_succeed_once);

async fn concurrent_cancels_succeed_once(app: &TestApp) {
    let created = app
        .book_ok(&minimal_body(
            app.site_id,
            day(5),
            "morning",
            &unique_phone(),
        ))
        .await;
    let reference = created["reference"].as_str().unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let responses =
        join_all((0..10).map(|_| async { read(app.cancel_booking(reference, token).await).await }))
            .await;
    let statuses: Vec<u16> = responses.iter().map(|(s, _)| *s).collect();
    for (status, body) in &responses {
        assert!(
            *status == 200 || (*status == 409 && body["error"]["code"] == "booking_cancelled"),
            "{status} {body}"
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "one cancel wins, the others see a cancelled booking: {statuses:?}"
    );
}

both!(concurrent_reschedules_respect_capacity);

async fn concurrent_reschedules_respect_capacity(app: &TestApp) {
    // Five seats a morning; 20 bookings spread over four other days all move to one morning.
    app.replace_fleet(1, 5, (8, 0), (12, 0)).await;
    let target = day(10);
    let mut bookings = Vec::new();
    for i in 0..20u64 {
        let created = app
            .book_ok(&minimal_body(
                app.site_id,
                day(3 + i % 4),
                "morning",
                &unique_phone(),
            ))
            .await;
        bookings.push((
            created["reference"].as_str().unwrap().to_string(),
            created["manage_token"].as_str().unwrap().to_string(),
        ));
    }
    let change = serde_json::json!({"date": target.to_string()});
    let responses = join_all(bookings.iter().map(|(reference, token)| async {
        read(app.patch_booking(reference, token, &change).await).await
    }))
    .await;
    let moved = responses.iter().filter(|(s, _)| *s == 200).count();
    for (status, body) in &responses {
        assert!(
            *status == 200 || (*status == 409 && body["error"]["code"] == "full"),
            "{status} {body}"
        );
    }
    assert_eq!(moved, 5);
    assert_eq!(app.seats_left(app.site_id, target, "morning").await, 0);
    assert_eq!(app.confirmed_bookings(app.station_id).await, 20);
    let on_target = app
        .with_db(move |conn| {
            use bloodmobile::db::schema::bookings;
            use diesel::prelude::*;
            bookings::table
                .filter(bookings::service_date.eq(target))
                .filter(bookings::status.eq("confirmed"))
                .count()
                .get_result::<i64>(conn)
        })
        .await;
    assert_eq!(on_target, 5);
    assert_counts_match_bookings(app).await;
}

both!(counts_follow_bookings_through_every_change);

/// Creates, cancels, moves across days, windows and sites, and a change made directly in SQL,
/// all at once: the counts the seat rule reads are the bookings' own counts afterwards.
async fn counts_follow_bookings_through_every_change(app: &TestApp) {
    let mut bookings = Vec::new();
    for i in 0..24u64 {
        let site = if i % 3 == 0 {
            app.other_site_id
        } else {
            app.site_id
        };
        let window = if i % 2 == 0 { "morning" } else { "afternoon" };
        let created = app
            .book_ok(&minimal_body(site, day(3 + i % 3), window, &unique_phone()))
            .await;
        bookings.push((
            created["reference"].as_str().unwrap().to_string(),
            created["manage_token"].as_str().unwrap().to_string(),
        ));
    }
    assert_counts_match_bookings(app).await;
    let changes = bookings
        .iter()
        .enumerate()
        .map(|(i, (reference, token))| async move {
            let (status, body) = match i % 4 {
                0 => read(app.cancel_booking(reference, token).await).await,
                1 => {
                    let to = serde_json::json!({"date": day(6).to_string()});
                    read(app.patch_booking(reference, token, &to).await).await
                }
                2 => {
                    let to =
                        serde_json::json!({"window": "afternoon", "site_id": app.other_site_id});
                    read(app.patch_booking(reference, token, &to).await).await
                }
                _ => {
                    let body = minimal_body(app.site_id, day(7), "morning", &unique_phone());
                    read(app.book(&body).await).await
                }
            };
            assert!(status < 500, "{status} {body}");
        });
    join_all(changes).await;
    let (reference, _) = bookings[3].clone();
    app.with_db(move |conn| {
        use bloodmobile::db::schema::bookings;
        use diesel::prelude::*;
        diesel::update(bookings::table.filter(bookings::reference.eq(reference)))
            .set(bookings::status.eq("cancelled"))
            .execute(conn)
    })
    .await;
    assert_counts_match_bookings(app).await;
}

/// The counts kept by triggers are the confirmed bookings counted per slot and kind.
async fn assert_counts_match_bookings(app: &TestApp) {
    type Slot = (chrono::NaiveDate, String, i64, String);
    let (kept, counted) = app
        .with_db(|conn| {
            use bloodmobile::db::schema::{booking_counts, bookings};
            use diesel::dsl::count_star;
            use diesel::prelude::*;
            let kept: Vec<(Slot, i32)> = booking_counts::table
                .filter(booking_counts::confirmed.ne(0))
                .select((
                    (
                        booking_counts::service_date,
                        booking_counts::time_window,
                        booking_counts::site_id,
                        booking_counts::kind,
                    ),
                    booking_counts::confirmed,
                ))
                .load(conn)?;
            let counted: Vec<(Slot, i64)> = bookings::table
                .filter(bookings::status.eq("confirmed"))
                .group_by((
                    bookings::service_date,
                    bookings::time_window,
                    bookings::site_id,
                    bookings::kind,
                ))
                .select((
                    (
                        bookings::service_date,
                        bookings::time_window,
                        bookings::site_id,
                        bookings::kind,
                    ),
                    count_star(),
                ))
                .load(conn)?;
            diesel::QueryResult::Ok((kept, counted))
        })
        .await;
    let kept: std::collections::BTreeMap<Slot, i64> = kept
        .into_iter()
        .map(|(slot, n)| (slot, i64::from(n)))
        .collect();
    let counted: std::collections::BTreeMap<Slot, i64> = counted.into_iter().collect();
    assert!(!counted.is_empty());
    assert_eq!(kept, counted);
}
