//! Eligibility end to end: a donor history built from recorded outcomes and declarations, the
//! station's plasma policy, the age limit of repeat donors, waits in hours, refusals in the
//! booking's language, and the public rule list.

use chrono::{Days, Months, NaiveDate};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{
    SHANGHAI, TestApp, day, expect_error, local_today, minimal_body, read, unique_phone,
};

both!(
    a_history_from_recorded_outcomes_keeps_whole_blood_six_months_apart,
    declarations_are_checked_against_the_records_and_counted,
    the_age_limit_rises_only_for_a_real_repeat_donor,
    plasma_is_collected_only_under_the_station_policy,
    waits_in_hours_follow_the_window_and_the_time_given,
    refusals_follow_the_booking_language,
    the_rule_list_names_every_rule_with_its_source,
);

/// Books `body`, moves the booking to `on` (a past day) and records it as donated.
async fn donated(app: &TestApp, token: &str, body: &Value, on: NaiveDate) -> String {
    use bloodmobile::db::schema::bookings;
    use diesel::prelude::*;
    let created = app.book_ok(body).await;
    let reference = created["reference"].as_str().unwrap().to_string();
    let stored = reference.clone();
    app.with_db(move |conn| {
        diesel::update(bookings::table.filter(bookings::reference.eq(stored)))
            .set(bookings::service_date.eq(on))
            .execute(conn)
    })
    .await;
    let (status, body) = read(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/bookings/{reference}/outcome"),
            Some(token),
            Some(&json!({"outcome": "donated"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "record the outcome: {body}");
    reference
}

fn with_kind(mut body: Value, kind: &str) -> Value {
    body["kind"] = json!(kind);
    body
}

fn rule_codes(error: &Value) -> Vec<String> {
    error["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect()
}

async fn a_history_from_recorded_outcomes_keeps_whole_blood_six_months_apart(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let phone = unique_phone();
    let today = local_today(SHANGHAI);
    // Whole blood five and a half months ago, platelets three months after it: both recorded.
    let whole_blood = today - Months::new(5) - Days::new(15);
    let platelets = whole_blood + Months::new(3);
    let body = minimal_body(app.site_id, day(2), "morning", &phone);
    donated(app, &token, &body, whole_blood).await;
    donated(
        app,
        &token,
        &with_kind(body.clone(), "platelets"),
        platelets,
    )
    .await;

    // Whole blood now: four weeks after the platelets are long over, six months after the
    // whole blood are not.
    let error = expect_error(app.book(&body).await, 422, "ineligible").await;
    assert_eq!(
        error["rule"], "interval_whole_blood_to_whole_blood",
        "{error}"
    );
    assert_eq!(rule_codes(&error), ["interval_whole_blood_to_whole_blood"]);
    let eligible_from = whole_blood + Months::new(6);
    assert_eq!(error["eligible_from"], eligible_from.to_string(), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&whole_blood.to_string()), "{message}");

    // The day told is a day the same request is accepted.
    let told = minimal_body(app.site_id, eligible_from, "morning", &phone);
    app.book_ok(&told).await;
}

async fn declarations_are_checked_against_the_records_and_counted(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let phone = unique_phone();
    let today = local_today(SHANGHAI);
    let platelets = with_kind(
        minimal_body(app.site_id, day(2), "morning", &phone),
        "platelets",
    );
    for ago in [40, 20] {
        donated(app, &token, &platelets, today - Days::new(ago)).await;
    }

    // A last platelet donation older than the one the station recorded.
    let mut body = platelets.clone();
    body["donor"]["last_donations"] = json!([
        {"date": (today - Days::new(60)).to_string(), "kind": "platelets", "volume_ml": 250}
    ]);
    let error = expect_error(app.book(&body).await, 422, "history_conflict").await;
    assert_eq!(error["field"], "donor.last_donations[0].date", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("本血站记录"),
        "{error}"
    );

    // Fewer apheresis donations, or less volume, than recorded in the last 12 months.
    for (count, volume_ml, field) in [
        (1, 250, "donor.apheresis_12_months.count"),
        (2, 100, "donor.apheresis_12_months.volume_ml"),
    ] {
        let mut body = platelets.clone();
        body["language"] = json!("en");
        body["donor"]["apheresis_12_months"] = json!({"count": count, "volume_ml": volume_ml});
        let error = expect_error(app.book(&body).await, 422, "history_conflict").await;
        assert_eq!(error["field"], field, "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("recorded"),
            "{error}"
        );
    }

    // 24 in 12 months: the two recorded and 22 more, dated as late as they could be (from the
    // last recorded one back, 14 days apart). A 25th is refused until the oldest leaves.
    let counted = json!({"count": 24, "volume_ml": 6000});
    let mut body = platelets.clone();
    body["donor"]["apheresis_12_months"] = counted.clone();
    let error = expect_error(app.book(&body).await, 422, "ineligible").await;
    assert_eq!(rule_codes(&error), ["platelets_per_year"], "{error}");
    let oldest = today - Days::new(20 + 21 * 14);
    let eligible_from = (oldest + Months::new(12)).to_string();
    assert_eq!(error["eligible_from"], eligible_from, "{error}");

    // Whole blood does not count towards it (it waits 4 weeks after the last platelets); the
    // count given with it is kept for later bookings.
    let mut whole_blood = minimal_body(app.site_id, day(10), "morning", &phone);
    whole_blood["donor"]["apheresis_12_months"] = counted;
    let created = app.book_ok(&whole_blood).await;
    let (status, _) = read(
        app.cancel_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let error = expect_error(app.book(&platelets).await, 422, "ineligible").await;
    assert_eq!(rule_codes(&error), ["platelets_per_year"], "{error}");
    assert_eq!(error["eligible_from"], eligible_from, "{error}");
}

async fn the_age_limit_rises_only_for_a_real_repeat_donor(app: &TestApp) {
    let date = day(5);
    // 57 on the day.
    let birth = date - Months::new(57 * 12) - Days::new(10);
    let two_years_ago = local_today(SHANGHAI) - Months::new(24);
    let body = |last: Option<Value>, adverse: bool| {
        let mut body = minimal_body(app.site_id, date, "morning", &unique_phone());
        body["donor"]["birth_date"] = json!(birth.to_string());
        body["donor"]["adverse_reaction_before"] = json!(adverse);
        if let Some(last) = last {
            body["donor"]["last_donations"] = json!([last]);
        }
        body
    };
    let error = expect_error(app.book(&body(None, false)).await, 422, "ineligible").await;
    assert_eq!(error["rule"], "max_age", "{error}");
    assert!(error["eligible_from"].is_null(), "{error}");

    // A donation before the 18th birthday is not a donation the rules accept.
    let at_17 = birth + Months::new(17 * 12);
    let early = json!({"date": at_17.to_string(), "kind": "whole_blood"});
    let error = expect_error(
        app.book(&body(Some(early), false)).await,
        400,
        "donated_under_18",
    )
    .await;
    assert_eq!(error["field"], "donor.last_donations[0].date", "{error}");
    // Nor is more than 400 ml of whole blood.
    let big = json!({"date": two_years_ago.to_string(), "kind": "whole_blood", "volume_ml": 450});
    let error = expect_error(app.book(&body(Some(big), false)).await, 400, "out_of_range").await;
    assert_eq!(
        error["field"], "donor.last_donations[0].volume_ml",
        "{error}"
    );

    // A real earlier donation raises the limit to 60, unless it caused an adverse reaction.
    let real = json!({"date": two_years_ago.to_string(), "kind": "whole_blood", "volume_ml": 400});
    let error = expect_error(
        app.book(&body(Some(real.clone()), true)).await,
        422,
        "ineligible",
    )
    .await;
    assert_eq!(error["rule"], "max_age", "{error}");
    app.book_ok(&body(Some(real), false)).await;

    // The one-item form is still read, but not beside the list.
    let mut both = body(None, false);
    both["donor"]["last_donation"] =
        json!({"date": two_years_ago.to_string(), "kind": "whole_blood"});
    both["donor"]["last_donations"] = json!([]);
    let error = expect_error(app.book(&both).await, 400, "conflicting_fields").await;
    assert_eq!(error["field"], "donor.last_donation", "{error}");
}

async fn plasma_is_collected_only_under_the_station_policy(app: &TestApp) {
    let token = app.dispatcher_token().await;
    let station = format!("/api/v1/stations/{}", app.station_id);
    let plasma = with_kind(
        minimal_body(app.site_id, day(3), "morning", &unique_phone()),
        "plasma",
    );
    // Off by default: refused with its own code, and no plasma seats on offer.
    let error = expect_error(app.book(&plasma).await, 422, "ineligible").await;
    assert_eq!(rule_codes(&error), ["plasma_not_offered"], "{error}");
    assert!(error["eligible_from"].is_null(), "{error}");
    let window = app.window(app.site_id, day(3), "morning").await;
    assert_eq!(window["seats_left_by_kind"]["plasma"], 0, "{window}");
    let (status, shown) = read(
        app.dispatcher(Method::GET, &station, Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shown["plasma"]["offered"], false, "{shown}");

    // A wait in hours is not a station interval.
    let error = expect_error(
        app.dispatcher(
            Method::PATCH,
            &station,
            Some(&token),
            Some(&json!({"plasma": {"offered": true, "after_plasma": {"hours": 48}}})),
        )
        .await,
        400,
        "invalid_wait",
    )
    .await;
    assert_eq!(error["field"], "plasma.after_plasma", "{error}");

    // Turned on: from today, under the station's numbers.
    let (status, shown) = read(
        app.dispatcher(
            Method::PATCH,
            &station,
            Some(&token),
            Some(&json!({"plasma": {"offered": true, "after_plasma": {"days": 21}}})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["plasma"]["offered"], true);
    assert_eq!(
        shown["plasma"]["effective_from"],
        local_today(SHANGHAI).to_string()
    );
    assert_eq!(shown["plasma"]["after_plasma"], json!({"days": 21}));
    assert_eq!(shown["plasma"]["after_whole_blood"], json!({"months": 3}));
    let window = app.window(app.site_id, day(3), "morning").await;
    assert!(window["seats_left_by_kind"]["plasma"].as_u64().unwrap() > 0);
    let created = app.book_ok(&plasma).await;
    assert_eq!(created["kind"], "plasma");

    // Its rules are listed under their own codes, as station policy.
    let (status, list) = read(
        app.get(&format!(
            "/api/v1/eligibility/rules?station_id={}",
            app.station_id
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let rule = list["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "interval_plasma_to_plasma")
        .expect("the station's plasma interval");
    assert_eq!(rule["station_policy"], true);
    assert_eq!(rule["check"]["min_interval"]["wait"], json!({"days": 21}));
    assert_eq!(rule["effective_from"], local_today(SHANGHAI).to_string());
}

async fn waits_in_hours_follow_the_window_and_the_time_given(app: &TestApp) {
    let token = app.dispatcher_token().await;
    // Bookings for tomorrow stay open all day.
    let (status, _) = read(
        app.dispatcher(
            Method::PATCH,
            &format!("/api/v1/stations/{}", app.station_id),
            Some(&token),
            Some(&json!({"cutoff_days_before": 0, "cutoff_time": "23:59:00"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let yesterday = local_today(SHANGHAI) - Days::new(1);
    let vaccinated = |body: &mut Value, time: Option<&str>| {
        body["donor"]["vaccination"] =
            json!({"date": yesterday.to_string(), "time": time, "vaccine": "recombinant"});
    };
    // 10:00 yesterday: 48 hours are over at 10:00 tomorrow, after the morning window opens.
    let phone = unique_phone();
    let mut morning = minimal_body(app.site_id, day(1), "morning", &phone);
    vaccinated(&mut morning, Some("10:00"));
    let error = expect_error(app.book(&morning).await, 422, "ineligible").await;
    assert_eq!(rule_codes(&error), ["covid_vaccine_wait"], "{error}");
    assert_eq!(error["eligible_from"], day(2).to_string(), "{error}");
    let mut afternoon = minimal_body(app.site_id, day(1), "afternoon", &phone);
    vaccinated(&mut afternoon, Some("10:00"));
    let created = app.book_ok(&afternoon).await;
    // Moving to the morning is checked again, with the stored time.
    let reference = created["reference"].as_str().unwrap();
    let manage = created["manage_token"].as_str().unwrap();
    let error = expect_error(
        app.patch_booking(reference, manage, &json!({"window": "morning"}))
            .await,
        422,
        "ineligible",
    )
    .await;
    assert_eq!(error["rule"], "covid_vaccine_wait", "{error}");
    assert_eq!(error["eligible_from"], day(2).to_string(), "{error}");

    // Without a time: from the end of yesterday, so the day after tomorrow.
    let mut no_time = minimal_body(app.site_id, day(1), "afternoon", &unique_phone());
    vaccinated(&mut no_time, None);
    let error = expect_error(app.book(&no_time).await, 422, "ineligible").await;
    assert_eq!(error["eligible_from"], day(2).to_string(), "{error}");
    // A time that is not one.
    let mut bad = minimal_body(app.site_id, day(1), "afternoon", &unique_phone());
    vaccinated(&mut bad, Some("25:00"));
    let error = expect_error(app.book(&bad).await, 400, "invalid_time").await;
    assert_eq!(error["field"], "donor.vaccination.time", "{error}");
}

async fn refusals_follow_the_booking_language(app: &TestApp) {
    // 18 on day(10).
    let birth = day(10) - Months::new(18 * 12);
    let eighteenth = birth + Months::new(18 * 12);
    let body = |date: NaiveDate, language: Option<&str>| {
        let mut body = minimal_body(app.site_id, date, "morning", &unique_phone());
        body["donor"]["birth_date"] = json!(birth.to_string());
        if let Some(language) = language {
            body["language"] = json!(language);
        }
        body
    };
    let mut seen = Vec::new();
    for (language, words) in [
        (None, "年满18周岁"),
        (Some("zh-CN"), "年满18周岁"),
        (Some("en"), "at least 18"),
    ] {
        let error = expect_error(app.book(&body(day(5), language)).await, 422, "ineligible").await;
        // The code and the day are the same in every language.
        assert_eq!(error["rule"], "min_age", "{error}");
        assert_eq!(error["eligible_from"], eighteenth.to_string(), "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(words) && message.contains(&eighteenth.to_string()),
            "{error}"
        );
        let rule = &error["rules"][0];
        assert_eq!(rule["rule"], "min_age");
        assert_eq!(rule["eligible_from"], eighteenth.to_string());
        assert!(rule["message"].as_str().unwrap().contains(words), "{error}");
        seen.push(message.to_string());
    }
    assert_eq!(seen[0], seen[1], "zh-CN is the default");
    assert_ne!(seen[0], seen[2]);

    // A move is refused in the booking's language.
    let created = app.book_ok(&body(day(12), Some("en"))).await;
    let error = expect_error(
        app.patch_booking(
            created["reference"].as_str().unwrap(),
            created["manage_token"].as_str().unwrap(),
            &json!({"date": day(5).to_string()}),
        )
        .await,
        422,
        "ineligible",
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("at least 18"),
        "{error}"
    );
}

async fn the_rule_list_names_every_rule_with_its_source(app: &TestApp) {
    let (status, list) = read(app.get("/api/v1/eligibility/rules").await).await;
    assert_eq!(status, 200, "{list}");
    assert!(list["station_id"].is_null());
    let rules = list["rules"].as_array().unwrap();
    let codes: Vec<&str> = rules.iter().map(|r| r["code"].as_str().unwrap()).collect();
    for code in [
        "min_age",
        "max_age",
        "min_weight",
        "interval_whole_blood_to_whole_blood",
        "interval_whole_blood_to_platelets",
        "interval_platelets_to_whole_blood",
        "interval_platelets_to_platelets",
        "platelets_per_year",
        "apheresis_volume_per_year",
        "covid_vaccine_wait",
        "plasma_not_offered",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    for rule in rules {
        for field in ["document", "document_en", "article", "text"] {
            assert!(
                rule["source"][field]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "{rule}"
            );
        }
        for language in ["zh-CN", "en"] {
            assert!(
                rule["description"][language]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "{rule}"
            );
        }
        let from: NaiveDate = rule["effective_from"].as_str().unwrap().parse().unwrap();
        if let Some(until) = rule["effective_until"].as_str() {
            assert!(until.parse::<NaiveDate>().unwrap() >= from, "{rule}");
        }
    }
    // The vaccine rule's eras: the 2021 recombinant wait ended when December 2022's began.
    let recombinant: Vec<&Value> = rules
        .iter()
        .filter(|r| {
            r["code"] == "covid_vaccine_wait"
                && r["check"]["vaccine_wait"]["vaccines"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("recombinant"))
        })
        .collect();
    let eras: Vec<(&str, Option<&str>)> = recombinant
        .iter()
        .map(|r| {
            (
                r["effective_from"].as_str().unwrap(),
                r["effective_until"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        eras,
        [
            ("2021-01-01", Some("2021-03-28")),
            ("2021-03-29", Some("2022-12-17")),
            ("2022-12-18", None)
        ]
    );
    // A station's list; an unknown station; an unknown parameter.
    let (status, own) = read(
        app.get(&format!(
            "/api/v1/eligibility/rules?station_id={}",
            app.station_id
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        own["rules"], list["rules"],
        "a new station has the defaults"
    );
    let error = expect_error(
        app.get("/api/v1/eligibility/rules?station_id=999999").await,
        404,
        "station_not_found",
    )
    .await;
    assert_eq!(error["field"], "station_id");
    expect_error(
        app.get("/api/v1/eligibility/rules?kind=plasma").await,
        400,
        "invalid_query",
    )
    .await;
}
