//! Dispatch end to end: plan a day from its bookings, read it, change it, publish it; donors see
//! their arrival window; a full day offers alternatives; every stored plan passes an
//! independent check.

use std::collections::HashMap;

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{
    TestApp, day, expect_error, minimal_body, read, site_values, unique_phone, vehicle_values,
};
use crate::plan_checker::{Facts, violations};
use bloodmobile::db::registry;

both!(
    plan_change_publish_and_the_donor_sees_the_window,
    a_full_day_offers_alternatives_and_its_plan_serves_everyone,
    a_booking_made_while_a_replan_runs_is_in_the_result,
    a_waitlisted_donor_gets_the_freed_seat,
    a_recorded_donation_counts_for_eligibility,
    bad_dispatch_requests_are_client_errors,
    exports_csv_geojson_and_a_vehicle_calendar,
    the_command_line_plans_changes_and_publishes,
);

/// A station-day with several sites and vehicles.
pub struct Day {
    pub token: String,
    pub date: NaiveDate,
    pub sites: Vec<i64>,
    /// The default all-kinds vehicle, a morning-only van, a large bus.
    pub vehicles: Vec<i64>,
    /// Created bookings: reference and manage token.
    pub booked: Vec<(String, String)>,
}

/// Five sites around the depot, three vehicles, and `bookings` bookings spread over them.
pub async fn seed_day(app: &TestApp, bookings: usize) -> Day {
    let station = app.station_id;
    let (sites, extra) = app
        .with_db(move |conn| {
            let spots = [
                ("沙市区", "崇文街道", "红星社区", 30.33, 112.27),
                ("沙市区", "胜利街道", "园林社区", 30.30, 112.24),
                ("荆州区", "西城街道", "西门社区", 30.35, 112.19),
                ("荆州区", "纪南镇", "拍马村", 30.42, 112.17),
                ("沙市区", "关沮镇", "太湖村", 30.27, 112.31),
            ];
            let mut sites = Vec::new();
            for (district, township, name, lat, lon) in spots {
                let mut values = site_values(station, "community", district, township, name);
                values.lat = lat;
                values.lon = lon;
                values.contact_name = Some("王主任".into());
                values.contact_phone = Some("+8613700001111".into());
                sites.push(registry::insert_site(conn, &values)?.id);
            }
            let mut van = vehicle_values(station, "早班车", 3, 30, (7, 0), (13, 0));
            van.kinds = "whole_blood".into();
            let bus = vehicle_values(station, "大巴", 6, 60, (8, 0), (18, 0));
            let van = registry::insert_vehicle(conn, &van)?.id;
            let bus = registry::insert_vehicle(conn, &bus)?.id;
            Ok((sites, vec![van, bus]))
        })
        .await;
    let date = day(3);
    let mut booked = Vec::new();
    for n in 0..bookings {
        let window = if n % 3 == 2 { "afternoon" } else { "morning" };
        let body = minimal_body(sites[n % sites.len()], date, window, &unique_phone());
        let created = app.book_ok(&body).await;
        booked.push((
            created["reference"].as_str().unwrap().to_string(),
            created["manage_token"].as_str().unwrap().to_string(),
        ));
    }
    let mut vehicles = vec![app.vehicle_id];
    vehicles.extend(extra);
    Day {
        token: app.dispatcher_token().await,
        date,
        sites,
        vehicles,
        booked,
    }
}

fn plan_path(app: &TestApp, date: NaiveDate, rest: &str) -> String {
    format!("/api/v1/stations/{}/days/{date}/{rest}", app.station_id)
}

pub async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    read(
        app.dispatcher(method, path, Some(token), body.as_ref())
            .await,
    )
    .await
}

/// Checks a plan with the independent checker, against what the API and the database say.
pub async fn assert_plan_holds(app: &TestApp, token: &str, plan: &Value) {
    let (_, station) = send(
        app,
        token,
        Method::GET,
        &format!("/api/v1/stations/{}", app.station_id),
        None,
    )
    .await;
    let (_, vehicles) = send(
        app,
        token,
        Method::GET,
        &format!("/api/v1/vehicles?station_id={}", app.station_id),
        None,
    )
    .await;
    let mut sites = HashMap::new();
    for item in plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["stops"].as_array().unwrap())
        .chain(plan["left_out"].as_array().unwrap())
    {
        let id = item["site_id"].as_i64().unwrap();
        let (_, site) = read(app.get(&format!("/api/v1/sites/{id}")).await).await;
        sites.insert(id, site);
    }
    let date: NaiveDate = plan["date"].as_str().unwrap().parse().unwrap();
    let bookings = confirmed_on(app, date).await;
    let broken = violations(
        plan,
        &Facts {
            station: &station,
            vehicles: vehicles.as_array().unwrap(),
            sites: &sites,
            bookings: &bookings,
        },
    );
    assert!(
        broken.is_empty(),
        "the plan breaks rules: {broken:#?}\n{plan}"
    );
}

/// The confirmed bookings of the default station on `date`: reference and kind.
pub async fn confirmed_on(app: &TestApp, date: NaiveDate) -> Vec<(String, String)> {
    use bloodmobile::db::schema::bookings;
    use diesel::prelude::*;
    let station = app.station_id;
    app.with_db(move |conn| {
        bookings::table
            .filter(bookings::station_id.eq(station))
            .filter(bookings::service_date.eq(date))
            .filter(bookings::status.eq("confirmed"))
            .select((bookings::reference, bookings::kind))
            .load(conn)
    })
    .await
}

/// Every stop of a plan: (vehicle id, stop).
fn stops(plan: &Value) -> Vec<(i64, Value)> {
    plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let vehicle = r["vehicle_id"].as_i64().unwrap();
            r["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |s| (vehicle, s.clone()))
        })
        .collect()
}

fn route_of(plan: &Value, vehicle: i64) -> Option<Value> {
    plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vehicle_id"] == vehicle)
        .cloned()
}

async fn plan_change_publish_and_the_donor_sees_the_window(app: &TestApp) {
    let d = seed_day(app, 14).await;
    let token = &d.token;
    let error = expect_error(
        app.dispatcher(
            Method::GET,
            &plan_path(app, d.date, "plan"),
            Some(token),
            None,
        )
        .await,
        404,
        "no_plan",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("no plan"));

    let (status, v1) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plans"),
        Some(json!({"time_limit_s": 0.3, "seed": 7})),
    )
    .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(
        (v1["version"].as_i64(), v1["status"].as_str()),
        (Some(1), Some("draft"))
    );
    assert_eq!(v1["totals"]["bookings"], 14);
    assert_eq!(v1["totals"]["served"], 14, "{v1}");
    assert!(
        v1["routes"][0]["stops"][0]["start"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    assert_plan_holds(app, token, &v1).await;

    // An afternoon stop cannot go on the morning-only van: its shift ends at 13:00.
    let (_, afternoon) = stops(&v1)
        .into_iter()
        .find(|(_, s)| s["window"] == "afternoon")
        .expect("an afternoon stop");
    let van = d.vehicles[1];
    let refused = expect_error(
        app.dispatcher(
            Method::POST,
            &plan_path(app, d.date, "plan/changes"),
            Some(token),
            Some(&json!({"action": "move", "stop_id": afternoon["stop_id"], "vehicle_id": van, "position": 1})),
        )
        .await,
        422,
        "infeasible",
    )
    .await;
    assert!(
        ["shift", "window"].contains(&refused["constraint"].as_str().unwrap()),
        "{refused}"
    );
    assert!(refused["stop_id"].is_i64(), "{refused}");

    // A stop moves to another vehicle: moves are tried until one keeps every rule (the routes
    // the planner packs are often full); the others are refused with the rule they break.
    let mut accepted = None;
    'search: for &target in &d.vehicles {
        let length = route_of(&v1, target).map_or(0, |r| r["stops"].as_array().unwrap().len());
        for (from, stop) in stops(&v1).into_iter().filter(|(v, _)| *v != target) {
            for position in 1..=length + 1 {
                let body = json!({"action": "move", "stop_id": stop["stop_id"], "vehicle_id": target, "position": position});
                let (status, answer) = send(
                    app,
                    token,
                    Method::POST,
                    &plan_path(app, d.date, "plan/changes"),
                    Some(body),
                )
                .await;
                match status {
                    200 => {
                        let stop_id = stop["stop_id"].as_i64().unwrap();
                        accepted = Some((from, target, stop_id, position, answer));
                        break 'search;
                    }
                    422 => assert_eq!(answer["error"]["code"], "infeasible", "{answer}"),
                    other => panic!("a move answered {other}: {answer}"),
                }
            }
        }
    }
    let (from, target, stop_id, position, v2) =
        accepted.unwrap_or_else(|| panic!("no stop can move anywhere: {v1:#}"));
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["origin"], "move");
    let on_target = route_of(&v2, target).expect("the target has a route");
    assert_eq!(on_target["stops"][position - 1]["stop_id"], stop_id);
    let left_behind = route_of(&v2, from);
    assert!(left_behind.is_none_or(|r| {
        r["stops"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["stop_id"] != stop_id)
    }));
    assert_plan_holds(app, token, &v2).await;

    // Lock it, then take another vehicle out: the rest is re-planned, the lock holds.
    let (status, v3) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plan/changes"),
        Some(json!({"action": "lock", "stop_id": stop_id})),
    )
    .await;
    assert_eq!(status, 200, "{v3}");
    assert!(
        stops(&v3)
            .iter()
            .any(|(v, s)| *v == target && s["stop_id"] == stop_id && s["locked"] == true)
    );
    let out = *d.vehicles.iter().find(|v| **v != target).unwrap();
    let (status, v4) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plan/changes"),
        Some(json!({"action": "vehicle_out", "vehicle_id": out})),
    )
    .await;
    assert_eq!(status, 200, "{v4}");
    assert_eq!(v4["vehicles_out"], json!([out]));
    assert!(route_of(&v4, out).is_none(), "{v4}");
    assert!(
        stops(&v4)
            .iter()
            .any(|(v, s)| *v == target && s["stop_id"] == stop_id && s["locked"] == true)
    );
    assert_plan_holds(app, token, &v4).await;

    // Publish: every donor on a route reads a window from 15 minutes before the stop starts.
    let (status, published) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plan/publish"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "published");
    assert_eq!(published["version"], 4);
    let (reference, manage) = &d.booked[0];
    let (_, booking) = read(app.get_booking(reference, Some(manage)).await).await;
    assert_eq!(booking["plan_version"], 4, "{booking}");
    let stop = stops(&published)
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| {
            s["bookings"]
                .as_array()
                .unwrap()
                .contains(&json!(reference))
        })
        .expect("the booking is on a route");
    let start = chrono::DateTime::parse_from_rfc3339(stop["start"].as_str().unwrap()).unwrap();
    let from = booking["arrival_window"]["from"]
        .as_str()
        .expect("a window");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(from).unwrap(),
        start - chrono::Duration::minutes(15)
    );
    assert!(from.ends_with("+08:00"));
    assert_eq!(booking["arrival_window"]["to"], stop["end"]);

    // Earlier versions stay readable.
    let (status, old) = send(
        app,
        token,
        Method::GET,
        &plan_path(app, d.date, "plan?version=1"),
        None,
    )
    .await;
    assert_eq!((status, old["version"].as_i64()), (200, Some(1)));
    assert_eq!(old["status"], "draft");

    // Re-optimising a published day keeps its windows (nothing forces a move).
    let (status, v5) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plan/changes"),
        Some(json!({"action": "reoptimise", "time_limit_s": 0.3})),
    )
    .await;
    assert_eq!(status, 200, "{v5}");
    assert_eq!(v5["window_moves"]["no_longer_served"], 0, "{v5}");
    assert_eq!(v5["window_moves"]["beyond_threshold"], 0, "{v5}");
    assert_plan_holds(app, token, &v5).await;

    // The donor moves to a day with no plan: the old day's window no longer holds.
    let (status, moved) = read(
        app.patch_booking(
            reference,
            manage,
            &json!({"date": d.date + chrono::Days::new(1)}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert!(moved["arrival_window"].is_null(), "{moved}");
    assert!(moved["plan_version"].is_null(), "{moved}");
}

/// Books donors at one site and window until the answer is 409; returns how many were accepted.
async fn book_until_full(
    app: &TestApp,
    site: i64,
    date: NaiveDate,
    window: &str,
) -> (usize, Value) {
    for n in 0..200 {
        let response = app
            .book(&minimal_body(site, date, window, &unique_phone()))
            .await;
        let (status, body) = read(response).await;
        match status {
            201 => continue,
            409 => return (n, body),
            other => panic!("booking answered {other}: {body}"),
        }
    }
    panic!("the window never filled");
}

async fn a_full_day_offers_alternatives_and_its_plan_serves_everyone(app: &TestApp) {
    let d = seed_day(app, 0).await;
    let site = d.sites[0];
    // Before a plan: the seat rule fills the window.
    let (accepted, full) = book_until_full(app, site, d.date, "morning").await;
    assert!(accepted > 10, "{accepted}");
    assert_eq!(full["error"]["code"], "full");
    let alternatives = full["alternatives"].as_array().expect("alternatives");
    assert!(!alternatives.is_empty(), "{full}");
    for alternative in alternatives {
        assert!(alternative["seats_left"].as_u64().unwrap() > 0);
        assert!(alternative["site_id"].is_i64() && alternative["window"].is_string());
        let not_same = alternative["site_id"] != site
            || alternative["date"] != d.date.to_string()
            || alternative["window"] != "morning";
        assert!(not_same, "{alternative}");
    }
    let (status, plan) = send(
        app,
        &d.token,
        Method::POST,
        &plan_path(app, d.date, "plans"),
        Some(json!({"time_limit_s": 0.5})),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["totals"]["served"], accepted, "{plan}");
    assert_eq!(plan["totals"]["left_out"], 0);
    assert_plan_holds(app, &d.token, &plan).await;

    // Once planned, a booking is accepted only where it fits the routes.
    let (more, full) = book_until_full(app, d.sites[1], d.date, "afternoon").await;
    assert!(full["alternatives"].is_array());
    let (_, latest) = send(
        app,
        &d.token,
        Method::GET,
        &plan_path(app, d.date, "plan"),
        None,
    )
    .await;
    assert_eq!(
        latest["version"], 1,
        "insertions change the version in place"
    );
    assert_eq!(latest["totals"]["served"], accepted + more, "{latest}");
    assert_plan_holds(app, &d.token, &latest).await;
    // The availability of a planned day is what its routes can take.
    let window = app.window(d.sites[1], d.date, "afternoon").await;
    assert_eq!(window["seats_left"], 0, "{window}");
}

async fn a_booking_made_while_a_replan_runs_is_in_the_result(app: &TestApp) {
    let d = seed_day(app, 9).await;
    let (status, _) = send(
        app,
        &d.token,
        Method::POST,
        &plan_path(app, d.date, "plans"),
        Some(json!({"time_limit_s": 0.2})),
    )
    .await;
    assert_eq!(status, 201);
    let path = plan_path(app, d.date, "plan/changes");
    let body = json!({"action": "reoptimise", "time_limit_s": 2.0});
    let replan = app.dispatcher(Method::POST, &path, Some(&d.token), Some(&body));
    let during = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let created = app
            .book_ok(&minimal_body(
                d.sites[2],
                d.date,
                "morning",
                &unique_phone(),
            ))
            .await;
        let (cancelled_ref, cancelled_token) = &d.booked[0];
        let (status, _) = read(app.cancel_booking(cancelled_ref, cancelled_token).await).await;
        assert_eq!(status, 200);
        created["reference"].as_str().unwrap().to_string()
    };
    let (response, reference) = tokio::join!(replan, during);
    let (status, v2) = read(response).await;
    assert_eq!(status, 200, "{v2}");
    let everyone: Vec<Value> = v2["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["stops"].as_array().unwrap().clone())
        .chain(v2["left_out"].as_array().unwrap().clone())
        .flat_map(|s| s["bookings"].as_array().unwrap().clone())
        .collect();
    assert!(everyone.contains(&json!(reference)), "{v2}");
    assert!(
        !everyone.contains(&json!(d.booked[0].0)),
        "a cancelled booking stays out"
    );
    assert_plan_holds(app, &d.token, &v2).await;
}

async fn a_waitlisted_donor_gets_the_freed_seat(app: &TestApp) {
    use bloodmobile::db::schema::{bookings, donors, waitlist};
    use diesel::prelude::*;
    app.replace_fleet(2, 6, (7, 30), (17, 30)).await;
    let date = day(4);
    let site = app.site_id;
    let mut booked = Vec::new();
    loop {
        let (status, body) = read(
            app.book(&minimal_body(site, date, "morning", &unique_phone()))
                .await,
        )
        .await;
        if status == 409 {
            break;
        }
        assert_eq!(status, 201, "{body}");
        booked.push(body);
    }
    let waiting_phone = unique_phone();
    let (status, joined) = read(
        app.post_json(
            "/api/v1/waitlist",
            &minimal_body(site, date, "morning", &waiting_phone),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["position"], 1);
    let (status, second) = read(
        app.post_json(
            "/api/v1/waitlist",
            &minimal_body(site, date, "morning", &unique_phone()),
        )
        .await,
    )
    .await;
    assert_eq!((status, second["position"].as_i64()), (201, Some(2)));
    // Waiting twice for the same day is refused; a window with room is booked, not waited for.
    expect_error(
        app.post_json(
            "/api/v1/waitlist",
            &minimal_body(site, date, "morning", &waiting_phone),
        )
        .await,
        409,
        "already_waiting",
    )
    .await;
    expect_error(
        app.post_json(
            "/api/v1/waitlist",
            &minimal_body(
                site,
                date + chrono::Days::new(1),
                "morning",
                &unique_phone(),
            ),
        )
        .await,
        409,
        "seats_available",
    )
    .await;
    let first = &booked[0];
    let (status, _) = read(
        app.cancel_booking(
            first["reference"].as_str().unwrap(),
            first["manage_token"].as_str().unwrap(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let id = joined["waitlist_id"].as_i64().unwrap();
    let (state, booking_status, phone) = app
        .with_db(move |conn| {
            let (state, booking_id): (String, Option<i64>) = waitlist::table
                .find(id)
                .select((waitlist::status, waitlist::booking_id))
                .first(conn)?;
            let (status, phone): (String, String) = bookings::table
                .inner_join(donors::table)
                .filter(bookings::id.eq(booking_id.unwrap_or(-1)))
                .select((bookings::status, donors::phone))
                .first(conn)?;
            Ok((state, status, phone))
        })
        .await;
    assert_eq!(state, "offered");
    assert_eq!(booking_status, "confirmed");
    assert_eq!(phone, waiting_phone);
    assert_eq!(
        app.seats_left(site, date, "morning").await,
        0,
        "the seat went to the waitlist"
    );
}

async fn a_recorded_donation_counts_for_eligibility(app: &TestApp) {
    use bloodmobile::db::schema::bookings;
    use diesel::prelude::*;
    let token = app.dispatcher_token().await;
    let phone = unique_phone();
    let created = app
        .book_ok(&minimal_body(app.site_id, day(2), "morning", &phone))
        .await;
    let reference = created["reference"].as_str().unwrap().to_string();
    let path = format!("/api/v1/bookings/{reference}/outcome");
    expect_error(
        app.dispatcher(
            Method::POST,
            &path,
            Some(&token),
            Some(&json!({"outcome": "donated"})),
        )
        .await,
        422,
        "day_not_come",
    )
    .await;
    // The day comes: it was yesterday.
    let yesterday = day(0) - chrono::Days::new(1);
    let stored = reference.clone();
    app.with_db(move |conn| {
        diesel::update(bookings::table.filter(bookings::reference.eq(stored)))
            .set(bookings::service_date.eq(yesterday))
            .execute(conn)
    })
    .await;
    expect_error(
        app.dispatcher(
            Method::POST,
            &path,
            None,
            Some(&json!({"outcome": "donated"})),
        )
        .await,
        401,
        "missing_token",
    )
    .await;
    let (status, body) = send(
        app,
        &token,
        Method::POST,
        &path,
        Some(json!({"outcome": "donated"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "donated");
    // The donor may book again, but whole blood only 6 months after the recorded donation.
    let refused = expect_error(
        app.book(&minimal_body(app.site_id, day(5), "morning", &phone))
            .await,
        422,
        "ineligible",
    )
    .await;
    assert_eq!(
        refused["rule"], "interval_whole_blood_to_whole_blood",
        "{refused}"
    );
    let eligible_from: NaiveDate = refused["eligible_from"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        eligible_from,
        yesterday
            .checked_add_months(chrono::Months::new(6))
            .unwrap()
    );
}

async fn bad_dispatch_requests_are_client_errors(app: &TestApp) {
    let d = seed_day(app, 3).await;
    let token = &d.token;
    let changes = plan_path(app, d.date, "plan/changes");
    expect_error(
        app.dispatcher(
            Method::POST,
            &changes,
            Some(token),
            Some(&json!({"action": "lock", "stop_id": 1})),
        )
        .await,
        404,
        "no_plan",
    )
    .await;
    expect_error(
        app.dispatcher(Method::POST, &plan_path(app, d.date, "plans"), None, None)
            .await,
        401,
        "missing_token",
    )
    .await;
    let plans = plan_path(app, d.date, "plans");
    let error = expect_error(
        app.dispatcher(
            Method::POST,
            &plans,
            Some(token),
            Some(&json!({"time_limit_s": 0})),
        )
        .await,
        400,
        "out_of_range",
    )
    .await;
    assert_eq!(error["field"], "time_limit_s");
    expect_error(
        app.dispatcher(
            Method::POST,
            &plans,
            Some(token),
            Some(&json!({"budget": 1})),
        )
        .await,
        400,
        "invalid_field",
    )
    .await;
    let (status, _) = send(app, token, Method::POST, &plans, None).await;
    assert_eq!(status, 201, "no body: the defaults");
    for (body, status, code) in [
        (json!({"action": "teleport"}), 400, "invalid_field"),
        (
            json!({"action": "lock", "stop_id": 9999}),
            404,
            "stop_not_found",
        ),
        (
            json!({"action": "move", "stop_id": 1, "vehicle_id": 9999, "position": 1}),
            404,
            "vehicle_not_found",
        ),
        (
            json!({"action": "move", "stop_id": 1, "vehicle_id": d.vehicles[2], "position": 99}),
            400,
            "out_of_range",
        ),
        (
            json!({"action": "vehicle_out", "vehicle_id": 9999}),
            404,
            "vehicle_not_found",
        ),
        (
            json!({"action": "reoptimise", "time_limit_s": 1000}),
            400,
            "out_of_range",
        ),
    ] {
        expect_error(
            app.dispatcher(Method::POST, &changes, Some(token), Some(&body))
                .await,
            status,
            code,
        )
        .await;
    }
    expect_error(
        app.dispatcher(
            Method::POST,
            &plan_path(app, d.date, "plan/publish"),
            Some(token),
            Some(&json!({"version": 99})),
        )
        .await,
        404,
        "plan_version_not_found",
    )
    .await;
    expect_error(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/stations/9999/days/{}/plan", d.date),
            Some(token),
            None,
        )
        .await,
        404,
        "station_not_found",
    )
    .await;
    expect_error(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/stations/{}/days/2026-02-30/plan", app.station_id),
            Some(token),
            None,
        )
        .await,
        400,
        "invalid_path",
    )
    .await;
}

async fn exports_csv_geojson_and_a_vehicle_calendar(app: &TestApp) {
    let d = seed_day(app, 8).await;
    let token = &d.token;
    let (status, plan) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plans"),
        Some(json!({"time_limit_s": 0.2})),
    )
    .await;
    assert_eq!(status, 201);
    let csv = app
        .dispatcher(
            Method::GET,
            &plan_path(app, d.date, "plan.csv"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let phone_column = headers.iter().position(|h| h == "phone").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 8, "{text}");
    for row in &rows {
        let phone = &row[phone_column];
        assert!(
            phone.starts_with("+86*******") && phone.len() == 14,
            "{phone}"
        );
    }
    let (status, geo) = send(
        app,
        token,
        Method::GET,
        &plan_path(app, d.date, "plan.geojson"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().unwrap();
    let lines = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .count();
    assert_eq!(lines, plan["routes"].as_array().unwrap().len());
    let points = features
        .iter()
        .filter(|f| f["properties"]["kind"] == "stop")
        .count();
    assert_eq!(points, stops(&plan).len());

    // The calendar holds only published stops.
    let vehicle = plan["routes"][0]["vehicle_id"].as_i64().unwrap();
    let feed = format!("/api/v1/vehicles/{vehicle}/calendar.ics");
    let empty = app
        .dispatcher(Method::GET, &feed, Some(token), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(empty.starts_with("BEGIN:VCALENDAR"), "{empty}");
    assert_eq!(empty.matches("BEGIN:VEVENT").count(), 0);
    let (status, _) = send(
        app,
        token,
        Method::POST,
        &plan_path(app, d.date, "plan/publish"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let full = app.dispatcher(Method::GET, &feed, Some(token), None).await;
    assert!(
        full.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let full = full.text().await.unwrap();
    let expected = route_of(&plan, vehicle).unwrap()["stops"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(full.matches("BEGIN:VEVENT").count(), expected, "{full}");
    assert!(
        full.contains("DTSTART:") && full.contains("Z\r\n"),
        "UTC times: {full}"
    );
}

/// `bloodmobile` on the app's database; its standard output, or a panic with what it said.
fn command(app: &TestApp, args: &[String]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bloodmobile"))
        .args(args)
        .env("DATABASE_URL", app.db.display_url())
        .env("BLOODMOBILE_LOG", "warn")
        .output()
        .expect("run bloodmobile");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bloodmobile {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn the_command_line_plans_changes_and_publishes(app: &TestApp) {
    let d = seed_day(app, 9).await;
    let day = |rest: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = rest.iter().map(|a| a.to_string()).collect();
        let at = args.len().min(1);
        args.splice(
            at..at,
            [
                "--station".to_string(),
                app.station_id.to_string(),
                "--date".to_string(),
                d.date.to_string(),
            ],
        );
        args
    };
    let mut plan = day(&["plan"]);
    plan.extend(["--time-limit".to_string(), "0.3".to_string()]);
    let printed = command(app, &plan);
    assert!(printed.contains("plan version 1 (draft)"), "{printed}");
    assert!(printed.contains("9 bookings, 9 served"), "{printed}");
    let (_, v1) = send(
        app,
        &d.token,
        Method::GET,
        &plan_path(app, d.date, "plan"),
        None,
    )
    .await;
    let stop = v1["routes"][0]["stops"][0]["stop_id"].to_string();
    let printed = command(app, &day(&["change", "lock", "--stop", &stop]));
    assert!(printed.contains("plan version 2 (draft)"), "{printed}");
    let (_, v2) = send(
        app,
        &d.token,
        Method::GET,
        &plan_path(app, d.date, "plan"),
        None,
    )
    .await;
    assert_eq!(v2["origin"], "lock");
    assert_eq!(v2["routes"][0]["stops"][0]["locked"], true);
    let printed = command(app, &day(&["publish"]));
    assert!(
        printed.contains("published version 2") && printed.contains("9 arrival windows"),
        "{printed}"
    );
    let (reference, manage) = &d.booked[0];
    let (_, booking) = read(app.get_booking(reference, Some(manage)).await).await;
    assert_eq!(booking["plan_version"], 2, "{booking}");
    // A change that breaks a rule is refused with the constraint named.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bloodmobile"))
        .args(day(&[
            "change",
            "move",
            "--stop",
            &stop,
            "--vehicle",
            "999999",
            "--position",
            "1",
        ]))
        .env("DATABASE_URL", app.db.display_url())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("999999"));
}
