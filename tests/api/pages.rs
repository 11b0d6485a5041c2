//! The donor's and the dispatcher's pages end to end in a real browser, on both databases:
//! a donor on a phone finds a village, books, manages, reschedules and cancels; an ineligible
//! donor sees the rule and the date; keyboard-only booking; a dispatcher signs in, plans a day,
//! moves a stop, publishes and opens a run sheet.

use crate::both;
use crate::browser::{Browser, key};
use crate::console::{cookie, csrf_field, open_sign_in_form};
use crate::helpers::{DISPATCHER, DISPATCHER_PASSWORD, TestApp, day, minimal_body, unique_phone};
use fantoccini::key::Key;

both!(
    a_donor_on_a_phone_books_reschedules_and_cancels,
    an_ineligible_donor_sees_the_rule_and_the_first_date,
    booking_works_with_the_keyboard_alone,
    a_dispatcher_plans_moves_publishes_and_prints_a_run_sheet,
    pages_refuse_forged_forms_and_keep_tokens_out_of_referrers,
    the_sign_in_page_slows_repeated_failures,
);

/// A Chinese mobile number as a donor types it (11 digits).
fn typed_phone() -> String {
    unique_phone().trim_start_matches("+86").to_string()
}

/// Fills the booking form of the page with an adult donor.
async fn fill_donor(b: &Browser, phone: &str) {
    b.fill("#name", "李四").await;
    b.fill("#phone", phone).await;
    b.fill("#email", "li@example.com").await;
    // Chromium's date fields take the digits in the window's locale order (en-US).
    b.fill("#birth_date", "05011990").await;
    b.click("input[name=sex][value=female]").await;
    b.fill("#weight_kg", "58").await;
    b.select("#blood_type", "O+").await;
}

async fn a_donor_on_a_phone_books_reschedules_and_cancels(app: &TestApp) {
    let Some(mut b) = Browser::open(app, "donor", 390, 844).await else {
        return;
    };
    b.go("/").await;
    b.shot("start").await;
    assert_eq!(
        b.find("html").await.attr("lang").await.unwrap().unwrap(),
        "zh-CN"
    );
    // Find the village by part of its name.
    b.fill("#q", "太湖港").await;
    b.click(".search button[type=submit]").await;
    b.shot("search").await;
    b.click("ul.sites a").await;
    b.wait_for_path(&format!("/sites/{}", app.other_site_id))
        .await;
    b.shot("site").await;
    // The first open window, its form.
    b.click("li.window a.button").await;
    b.wait_for_path(&format!("/sites/{}/book?date=", app.other_site_id))
        .await;
    b.shot("form").await;
    let phone = typed_phone();
    fill_donor(&b, &phone).await;
    b.click("form.booking button[type=submit]").await;
    let reference = b.text("#reference").await;
    assert_eq!(reference.len(), 9, "{reference}");
    b.shot("booked").await;
    let manage = b
        .find("#manage-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        manage.starts_with(&format!("/manage/{reference}?t=")),
        "{manage}"
    );
    // The booking is real: the API shows it with the manage token from the link.
    let token = manage.split("?t=").nth(1).unwrap().to_string();
    let (status, body) =
        crate::helpers::read(app.get_booking(&reference, Some(&token)).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["donor"]["name"], "李四");
    assert_eq!(body["language"], "zh-CN");
    b.click("#manage-link").await;
    b.shot("manage").await;
    b.wait_text("#status", "已确认").await;
    // Move it to the first other time offered.
    let before = b.text("#booked-window").await;
    b.click("form[action$='/reschedule'] button[type=submit]")
        .await;
    b.wait_text(".done", "已改期").await;
    assert_ne!(b.text("#booked-window").await, before);
    b.shot("rescheduled").await;
    // In English, which sticks on the next page.
    b.click("a.lang").await;
    b.wait_text("h1", "My booking").await;
    b.click("a.button.danger").await;
    b.wait_text("h1", "Cancel this booking?").await;
    b.shot("cancel-confirm").await;
    b.click("button.danger").await;
    b.wait_text(".done", "cancelled").await;
    b.wait_text("#status", "cancelled").await;
    b.shot("cancelled").await;
    let (_, body) = crate::helpers::read(app.get_booking(&reference, Some(&token)).await).await;
    assert_eq!(body["status"], "cancelled");
    b.close().await;
}

async fn an_ineligible_donor_sees_the_rule_and_the_first_date(app: &TestApp) {
    let Some(mut b) = Browser::open(app, "ineligible", 390, 844).await else {
        return;
    };
    let date = day(3);
    b.go(&format!(
        "/sites/{}/book?date={date}&window=morning&lang=en",
        app.site_id
    ))
    .await;
    fill_donor(&b, &typed_phone()).await;
    // Whole blood a month before: whole blood again only six months after it.
    let last = date - chrono::Months::new(1);
    b.fill("#last_date", &last.format("%m%d%Y").to_string())
        .await;
    b.select("#last_kind", "whole_blood").await;
    b.click("form.booking button[type=submit]").await;
    let refusal = b.text("#refusal").await;
    assert!(
        refusal.contains("interval_whole_blood_to_whole_blood"),
        "{refusal}"
    );
    let eligible = last + chrono::Months::new(6);
    assert!(refusal.contains(&eligible.to_string()), "{refusal}");
    b.shot("refused").await;
    // A field the rules refuse is marked at the field, and named at the top.
    b.fill("#weight_kg", "500").await;
    b.click("form.booking button[type=submit]").await;
    b.wait_text("#weight_kg-error", "between 20 and 300").await;
    assert_eq!(
        b.find("#weight_kg")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert!(b.has("#error-summary a[href='#weight_kg']").await);
    b.shot("field-error").await;
    b.close().await;
}

async fn booking_works_with_the_keyboard_alone(app: &TestApp) {
    let Some(mut b) = Browser::open(app, "keyboard", 1024, 900).await else {
        return;
    };
    b.go(&format!(
        "/sites/{}/book?date={}&window=afternoon",
        app.site_id,
        day(4)
    ))
    .await;
    b.tab_to("name").await;
    b.press("王五").await;
    b.press(&key(Key::Tab)).await;
    b.press(&typed_phone()).await;
    b.tab_to("birth_date").await;
    b.press("07151985").await;
    // The first radio of the sex group, checked with the space bar.
    b.tab_to("sex-male").await;
    b.press(" ").await;
    b.tab_to("weight_kg").await;
    b.press("70").await;
    b.shot("filled").await;
    // On to the submit button, and Enter.
    for _ in 0..20 {
        let focused = b.client.active_element().await.unwrap();
        if focused.attr("type").await.unwrap().as_deref() == Some("submit") {
            break;
        }
        b.press(&key(Key::Tab)).await;
    }
    b.press(&key(Key::Enter)).await;
    let reference = b.text("#reference").await;
    assert_eq!(reference.len(), 9);
    b.shot("booked").await;
    b.close().await;
}

async fn a_dispatcher_plans_moves_publishes_and_prints_a_run_sheet(app: &TestApp) {
    let date = day(3);
    for n in 0..8 {
        let site = if n % 2 == 0 {
            app.site_id
        } else {
            app.other_site_id
        };
        app.book_ok(&minimal_body(site, date, "morning", &unique_phone()))
            .await;
    }
    let _ = app.dispatcher_token().await;
    let Some(mut b) = Browser::open(app, "dispatcher", 1280, 1000).await else {
        return;
    };
    let day_path = format!("/console/stations/{}/days/{date}", app.station_id);
    b.go(&day_path).await;
    b.wait_for_path("/console/sign-in").await;
    b.shot("sign-in").await;
    b.fill("#username", DISPATCHER).await;
    b.fill("#password", "not the password").await;
    b.click("form button[type=submit]").await;
    b.wait_text("#sign-in-error", "不对").await;
    b.fill("#password", DISPATCHER_PASSWORD).await;
    b.click("form button[type=submit]").await;
    // Back to the page asked for.
    assert_eq!(b.wait_for_path(&day_path).await, day_path);
    b.shot("no-plan").await;
    b.click("#plan-button").await;
    b.wait_text(".done", "新的计划").await;
    let routes = b.count("svg.map g[data-vehicle-id]").await;
    assert!(routes >= 1, "one element per route");
    assert_eq!(routes, b.count("section.route").await);
    assert!(b.text("#totals-heading + ul").await.contains('8'));
    b.shot("planned").await;
    // Move the first stop to the first position of the last vehicle listed.
    let stop = b
        .find("#move-stop option")
        .await
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let vehicles = b
        .client
        .find_all(fantoccini::Locator::Css("#move-vehicle option"))
        .await
        .unwrap();
    let vehicle = vehicles
        .last()
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    b.select("#move-stop", &stop).await;
    b.select("#move-vehicle", &vehicle).await;
    b.click("#move-form button[type=submit]").await;
    // Accepted (a new version), or refused naming the constraint: either way a page, not 5xx.
    let started = std::time::Instant::now();
    loop {
        let path = b.path().await;
        if path.ends_with("done=changed") {
            b.wait_text(".done", "已调整").await;
            break;
        }
        if path.ends_with("/changes") {
            b.wait_text("#problem", "不可行").await;
            break;
        }
        assert!(started.elapsed().as_secs() < 10, "still at {path}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.shot("moved").await;
    b.click("#publish-link").await;
    assert!(b.text("#first-time").await.parse::<usize>().unwrap() >= 1);
    b.shot("publish-confirm").await;
    b.click("#publish-confirm").await;
    b.wait_text(".done", "已发布").await;
    b.shot("published").await;
    b.click("a[href$='/run-sheet']").await;
    b.wait_for_path(&format!("{day_path}/vehicles/")).await;
    let phones = b
        .client
        .find_all(fantoccini::Locator::Css("td.phone"))
        .await
        .unwrap();
    assert!(!phones.is_empty());
    for phone in phones {
        let text = phone.text().await.unwrap();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        assert!(text.contains("****") && digits.len() == 6, "masked: {text}");
    }
    b.shot("run-sheet").await;
    b.close().await;
}

async fn pages_refuse_forged_forms_and_keep_tokens_out_of_referrers(app: &TestApp) {
    // Signing in: the form's token must match its cookie.
    let (client, sign_in_cookie, token) = open_sign_in_form(app, "/console/sign-in").await;
    let credentials = [
        ("username", DISPATCHER),
        ("password", DISPATCHER_PASSWORD),
        ("next", "/console"),
    ];
    let forged = client
        .post(app.url("/console/sign-in"))
        .header("cookie", &sign_in_cookie)
        .form(&[credentials.as_slice(), &[("csrf", "forged")]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let signed = client
        .post(app.url("/console/sign-in"))
        .header("cookie", &sign_in_cookie)
        .form(&[credentials.as_slice(), &[("csrf", token.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let set = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let session = cookie(&signed, "bm_session");
    // A console form without the session's token is refused, with it accepted.
    let plan = app.url(&format!(
        "/console/stations/{}/days/{}/plan",
        app.station_id,
        day(3)
    ));
    let forged = client
        .post(&plan)
        .header("cookie", &session)
        .form(&[("csrf", "forged"), ("time_limit_s", "0.2")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let home = client
        .get(app.url("/console"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let token = csrf_field(&home.text().await.unwrap());
    let planned = client
        .post(&plan)
        .header("cookie", &session)
        .form(&[("csrf", token.as_str()), ("time_limit_s", "0.2")])
        .send()
        .await
        .unwrap();
    assert_eq!(planned.status(), 303);
    // Signing out revokes the session.
    let out = client
        .post(app.url("/console/sign-out"))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = client
        .get(app.url("/console"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "the old session is gone");
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let headers = page.headers();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // Swagger UI, from the binary.
    let docs = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    // An unknown page is a page, not an empty body.
    let missing = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("找不到这个页面"));
}

async fn the_sign_in_page_slows_repeated_failures(app: &TestApp) {
    let (client, sign_in_cookie, token) = open_sign_in_form(app, "/console/sign-in?lang=en").await;
    let attempt = |password: &'static str| {
        client
            .post(app.url("/console/sign-in?lang=en"))
            .header("cookie", &sign_in_cookie)
            .form(&[
                ("username", DISPATCHER),
                ("password", password),
                ("next", "/console"),
                ("csrf", token.as_str()),
            ])
            .send()
    };
    for _ in 0..4 {
        assert_eq!(attempt("a wrong guess").await.unwrap().status(), 401);
    }
    let waiting = attempt(DISPATCHER_PASSWORD).await.unwrap();
    assert_eq!(waiting.status(), 429, "even the right password waits");
    assert_eq!(waiting.headers()["retry-after"], "2");
    let page = waiting.text().await.unwrap();
    assert!(page.contains("id=\"sign-in-wait\""), "{page}");
    assert!(
        page.contains("Seconds to wait before the next try: 2"),
        "{page}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(attempt(DISPATCHER_PASSWORD).await.unwrap().status(), 303);
}
