//! A second station in Europe/Berlin: windows and bookings keep their local wall-clock times
//! across daylight-saving changes, with the right offset on each side.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, day, local_today, minimal_body, read, unique_phone, window_of};

both!(
    windows_keep_local_times_across_dst,
    shanghai_offsets_never_change
);

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// The last Sunday of `month` in `year` (EU clocks change then).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid date");
    let mut day = first_of_next.pred_opt().expect("valid date");
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().expect("valid date");
    }
    day
}

/// The station's booking horizon: long enough that both changes of the year always fall in it.
const HORIZON_DAYS: u64 = 400;

/// The next change in `month` (3 or 10) whose day before and day after are bookable whatever
/// the time of day (the cut-off is 18:00 the day before). Each comes once a year, so one
/// always lies within the 397 days from the third day on: these parts run whatever today is.
fn next_change(month: u32) -> NaiveDate {
    let today = local_today(BERLIN);
    let first = today + Days::new(3);
    let last = today + Days::new(HORIZON_DAYS - 1);
    (today.year()..=today.year() + 2)
        .map(|year| last_sunday(year, month))
        .find(|d| *d >= first && *d <= last)
        .expect("a change within the horizon")
}

async fn berlin_station(app: &TestApp, token: &str) -> (i64, i64) {
    let station = json!({
        "name": "Blutspendedienst Berlin",
        "time_zone": "Europe/Berlin",
        "depot_name": "Zentrale",
        "depot_address": "Berlin-Mitte",
        "depot_lat": 52.52,
        "depot_lon": 13.40,
        "horizon_max_days": HORIZON_DAYS,
        "cutoff_days_before": 1,
        "windows": [
            {"name": "early", "start": "02:30:00", "end": "04:00:00"},
            {"name": "morning", "start": "08:00:00", "end": "12:00:00"},
            {"name": "afternoon", "start": "13:00:00", "end": "17:30:00"}
        ]
    });
    let (status, station) = send(app, "/api/v1/stations", token, &station).await;
    assert_eq!(status, 201, "{station}");
    assert_eq!(station["time_zone"], "Europe/Berlin");
    assert_eq!(station["cutoff_days_before"], 1);
    let station_id = station["id"].as_i64().unwrap();
    let (status, site) = send(
        app,
        "/api/v1/sites",
        token,
        &json!({
            "station_id": station_id,
            "kind": "community",
            "district": "Mitte",
            "township": "Moabit",
            "name": "Kiez Moabit",
            "address": "Turmstraße 1",
            "lat": 52.53,
            "lon": 13.34
        }),
    )
    .await;
    assert_eq!(status, 201, "{site}");
    let (status, vehicle) = send(
        app,
        "/api/v1/vehicles",
        token,
        &json!({
            "station_id": station_id,
            "name": "B-BL 1",
            "beds": 4,
            "donors_per_day": 40,
            "shift_start": "07:00:00",
            "shift_end": "18:00:00",
            "kinds": ["whole_blood"]
        }),
    )
    .await;
    assert_eq!(status, 201, "{vehicle}");
    (station_id, site["id"].as_i64().unwrap())
}

async fn send(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    read(
        app.dispatcher(Method::POST, path, Some(token), Some(body))
            .await,
    )
    .await
}

fn starts(availability: &Value, date: NaiveDate, window: &str) -> (String, String) {
    let w = window_of(availability, date, window);
    (
        w["start"].as_str().unwrap().to_string(),
        w["end"].as_str().unwrap().to_string(),
    )
}

async fn windows_keep_local_times_across_dst(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let (_, site) = berlin_station(app, &token).await;

    // Spring: clocks jump from 02:00 to 03:00 on the last Sunday of March.
    {
        let spring = next_change(3);
        let (before, after) = (spring.pred_opt().unwrap(), spring.succ_opt().unwrap());
        let availability = app.availability(site, before, after).await;
        assert_eq!(
            starts(&availability, before, "morning"),
            (
                format!("{before}T08:00:00+01:00"),
                format!("{before}T12:00:00+01:00")
            )
        );
        assert_eq!(
            starts(&availability, spring, "morning"),
            (
                format!("{spring}T08:00:00+02:00"),
                format!("{spring}T12:00:00+02:00")
            )
        );
        assert_eq!(
            starts(&availability, after, "morning").0,
            format!("{after}T08:00:00+02:00")
        );
        assert_eq!(
            starts(&availability, before, "early").0,
            format!("{before}T02:30:00+01:00")
        );
        // 02:30 does not exist that night: the window starts when the clock reaches 03:00.
        assert_eq!(
            starts(&availability, spring, "early"),
            (
                format!("{spring}T03:00:00+02:00"),
                format!("{spring}T04:00:00+02:00")
            )
        );
        let morning = window_of(&availability, spring, "morning");
        assert_eq!(morning["open"], true, "{morning}");
        assert!(morning["seats_left"].as_u64().unwrap() > 0, "{morning}");

        let created = app
            .book_ok(&minimal_body(site, spring, "morning", &unique_phone()))
            .await;
        assert_eq!(created["window_start"], format!("{spring}T08:00:00+02:00"));
        assert_eq!(created["window_end"], format!("{spring}T12:00:00+02:00"));
        assert!(
            created["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with("+01:00") || t.ends_with("+02:00")),
            "{created}"
        );
        let created = app
            .book_ok(&minimal_body(site, before, "afternoon", &unique_phone()))
            .await;
        assert_eq!(created["window_start"], format!("{before}T13:00:00+01:00"));
        // Moved across the change, the same wall-clock time gets the new offset.
        let (status, moved) = read(
            app.patch_booking(
                created["reference"].as_str().unwrap(),
                created["manage_token"].as_str().unwrap(),
                &json!({"date": after.to_string()}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["window_start"], format!("{after}T13:00:00+02:00"));
    }

    // Autumn: 03:00 goes back to 02:00 on the last Sunday of October.
    {
        let autumn = next_change(10);
        let (before, after) = (autumn.pred_opt().unwrap(), autumn.succ_opt().unwrap());
        let availability = app.availability(site, before, after).await;
        assert_eq!(
            starts(&availability, before, "morning").0,
            format!("{before}T08:00:00+02:00")
        );
        assert_eq!(
            starts(&availability, autumn, "morning"),
            (
                format!("{autumn}T08:00:00+01:00"),
                format!("{autumn}T12:00:00+01:00")
            )
        );
        assert_eq!(
            starts(&availability, after, "morning").0,
            format!("{after}T08:00:00+01:00")
        );
        // 02:30 happens twice that night: the window starts at the first, ends after the change.
        assert_eq!(
            starts(&availability, autumn, "early"),
            (
                format!("{autumn}T02:30:00+02:00"),
                format!("{autumn}T04:00:00+01:00")
            )
        );
        let created = app
            .book_ok(&minimal_body(site, autumn, "afternoon", &unique_phone()))
            .await;
        assert_eq!(created["window_start"], format!("{autumn}T13:00:00+01:00"));
        assert_eq!(created["window_end"], format!("{autumn}T17:30:00+01:00"));
    }

    // The Berlin station counts its own seats; Shanghai's are untouched.
    assert_eq!(app.confirmed_bookings(app.station_id).await, 0);
}

async fn shanghai_offsets_never_change(app: &TestApp) {
    // China has no daylight saving: +08:00 on the European change days and every other.
    let (from, to) = (day(1), day(30));
    let availability = app.availability(app.site_id, from, to).await;
    let days = availability["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    for d in days {
        for w in d["windows"].as_array().unwrap() {
            let start = w["start"].as_str().unwrap();
            assert!(start.ends_with("+08:00"), "{w}");
            assert!(start.starts_with(d["date"].as_str().unwrap()), "{w}");
        }
    }
    // Europe's change days, bookable or not, keep +08:00 too.
    for spring in [next_change(3), next_change(10)] {
        let body = app.availability(app.site_id, spring, spring).await;
        assert_eq!(
            window_of(&body, spring, "morning")["start"],
            format!("{spring}T08:00:00+08:00")
        );
    }
}
