//! Notices end to end, with real servers: an SMTP server receives the mail (parsed here: its
//! parts, its times in the station's zone, its calendar invitation), an HTTP stand-in for the
//! SMS gateway receives the text messages and fails on purpose.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bloodmobile::db::notices::{self as notice_rows, NoticeRow};
use bloodmobile::notices::settings::NoticeSettings;
use bloodmobile::notices::worker::Worker;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, booking_body, day, expect_error, minimal_body, read, unique_phone};
use crate::mail_servers::{Gateway, Inbox, header, part};

both!(
    a_donor_is_told_by_mail_and_text_through_real_servers,
    publishing_tells_each_donor_their_window_and_a_notable_move,
    failures_are_retried_then_shown_and_resent_with_the_same_id,
    mail_held_up_by_an_smtp_outage_all_arrives_once,
    opted_out_phones_get_mail_only_and_a_phone_gets_five_texts_a_day,
    with_nothing_configured_notices_are_files_in_a_folder,
    delivery_receipts_are_recorded_once_whatever_their_order,
    the_station_cancels_with_a_reason_and_a_waitlisted_donor_is_told,
    a_daylight_saving_zone_tells_its_local_times,
    a_recorded_donation_is_thanked,
);

/// A scratch folder for notice files, removed with the value.
pub struct Folder(pub PathBuf);

impl Folder {
    pub fn new() -> Folder {
        let path = std::env::temp_dir().join(format!(
            "bloodmobile-notices-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        Folder(path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Settings for tests: quick retries, three attempts, a short lease.
pub fn settings(smtp: Option<&str>, sms: Option<&str>, folder: &Folder) -> NoticeSettings {
    let mut settings = NoticeSettings::to_folder(folder.0.clone(), "http://donor.test");
    settings.smtp_url = smtp.map(str::to_string);
    settings.sms_url = sms.map(str::to_string);
    settings.retry_seconds = 0.05;
    settings.max_attempts = 3;
    settings.lease_seconds = 2.0;
    settings
}

/// How far ahead a test's worker runs its clock so that it sends as if by day in `tz`
/// (arrival-window notices wait out the night): none by day, else until 10:00 local.
pub fn daytime_offset(tz: chrono_tz::Tz) -> chrono::Duration {
    use chrono::{TimeZone, Timelike};
    let now = chrono::Utc::now();
    let local = now.with_timezone(&tz);
    if (9..20).contains(&local.hour()) {
        return chrono::Duration::zero();
    }
    let mut day = local.date_naive();
    if local.hour() >= 20 {
        day = day.succ_opt().unwrap();
    }
    let ten = tz
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .earliest()
        .unwrap();
    ten.with_timezone(&chrono::Utc) - now
}

/// A worker on the app's database that sends as if by day in Shanghai.
pub fn worker(app: &TestApp, settings: NoticeSettings) -> Worker {
    Worker::new(app.db.clone(), settings, "http://donor.test")
        .expect("a worker")
        .with_clock_offset(daytime_offset(crate::helpers::SHANGHAI))
}

/// Runs passes of `worker` until `done` holds (20 s at most).
pub async fn drain(worker: &Worker, done: impl Fn() -> bool) {
    let started = Instant::now();
    loop {
        worker.pass().await.expect("a worker pass");
        if done() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "notices did not arrive in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every notice row, oldest first.
pub async fn notices_of(app: &TestApp) -> Vec<NoticeRow> {
    use bloodmobile::db::schema::notices;
    use diesel::prelude::*;
    app.with_db(|conn| {
        notices::table
            .order(notices::id)
            .select(NoticeRow::as_select())
            .load(conn)
    })
    .await
}

/// The received mail parsed, with its kind told by the notice its Message-ID names.
fn mails(inbox: &Inbox) -> Vec<mailparse::ParsedMail<'static>> {
    inbox
        .messages()
        .into_iter()
        .map(|raw| {
            let raw: &'static [u8] = Box::leak(raw.into_boxed_slice());
            mailparse::parse_mail(raw).expect("a mail")
        })
        .collect()
}

fn mail_of<'a>(
    mails: &'a [mailparse::ParsedMail<'static>],
    notice: &NoticeRow,
) -> &'a mailparse::ParsedMail<'static> {
    let id = format!("<{}@bloodmobile>", notice.out_id);
    mails
        .iter()
        .find(|m| header(m, "Message-ID") == id)
        .unwrap_or_else(|| panic!("no mail for notice {} ({})", notice.id, notice.kind))
}

fn kinds(rows: &[NoticeRow], kind: &str, channel: &str) -> Vec<NoticeRow> {
    rows.iter()
        .filter(|n| n.kind == kind && n.channel == channel)
        .cloned()
        .collect()
}

async fn a_donor_is_told_by_mail_and_text_through_real_servers(app: &TestApp) {
    let (inbox, smtp) = Inbox::start();
    let (gateway, sms) = Gateway::start().await;
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), Some(&sms), &folder));
    let date = day(3);
    let phone = unique_phone();
    let created = app
        .book_ok(&booking_body(app.site_id, date, "morning", &phone))
        .await;
    let reference = created["reference"].as_str().unwrap().to_string();
    let token = created["manage_token"].as_str().unwrap().to_string();
    drain(&worker, || {
        inbox.count() >= 1 && !gateway.requests().is_empty()
    })
    .await;

    let rows = notices_of(app).await;
    let received = &kinds(&rows, "booking_received", "email")[0];
    assert_eq!(received.status, "sent");
    let all = mails(&inbox);
    let mail = mail_of(&all, received);
    assert!(
        header(mail, "Subject").contains(&reference),
        "{}",
        header(mail, "Subject")
    );
    assert_eq!(header(mail, "To"), "zhang@example.com");
    let text = part(mail, "text/plain").expect("a text part");
    assert!(text.contains("08:00–12:00"), "{text}");
    assert!(
        text.contains(&format!("http://donor.test/manage/{reference}?t={token}")),
        "{text}"
    );
    let html = part(mail, "text/html").expect("an HTML part");
    assert!(
        html.contains("<a href=\"http://donor.test/manage/"),
        "{html}"
    );
    let ics = part(mail, "text/calendar").expect("an invitation");
    assert!(ics.contains("METHOD:REQUEST"), "{ics}");
    assert!(ics.contains(&format!("UID:booking-{reference}@bloodmobile")));
    assert!(ics.contains("SEQUENCE:0"));
    let utc_start = format!("DTSTART:{}T000000Z", date.format("%Y%m%d"));
    assert!(
        ics.contains(&utc_start),
        "08:00 in Shanghai is 00:00 UTC: {ics}"
    );
    // Once sent, the notice keeps no token.
    assert!(!received.payload.contains(&token));

    let text_message = &gateway.requests()[0];
    let sms_row = &kinds(&rows, "booking_received", "sms")[0];
    assert_eq!(text_message["out_id"], sms_row.out_id.as_str());
    assert_eq!(text_message["phone"], phone.as_str());
    assert_eq!(text_message["template"], "booking_received");
    assert_eq!(text_message["language"], "zh-CN");
    assert_eq!(text_message["params"]["reference"], reference.as_str());
    assert!(
        text_message["text"]
            .as_str()
            .unwrap()
            .contains("08:00–12:00")
    );

    // The reminder waits for the evening before, 18:00 in Shanghai (10:00 UTC).
    let reminder = &kinds(&rows, "reminder", "sms")[0];
    assert_eq!(reminder.status, "pending");
    let eve = (date - chrono::Days::new(1)).and_hms_opt(10, 0, 0).unwrap();
    assert_eq!(reminder.due_at, eve);

    // A move: the new time, SEQUENCE 1, the old reminder skipped and a new one due.
    let (status, _) = read(
        app.patch_booking(&reference, &token, &json!({"window": "afternoon"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    drain(&worker, || inbox.count() >= 2).await;
    let rows = notices_of(app).await;
    let moved = &kinds(&rows, "rescheduled", "email")[0];
    let all = mails(&inbox);
    let ics = part(mail_of(&all, moved), "text/calendar").unwrap();
    assert!(
        ics.contains("SEQUENCE:1")
            && ics.contains(&format!("DTSTART:{}T050000Z", date.format("%Y%m%d"))),
        "{ics}"
    );
    let reminders = kinds(&rows, "reminder", "email");
    assert_eq!(reminders.len(), 2);
    assert_eq!(reminders[0].status, "skipped");
    assert_eq!(reminders[1].status, "pending");

    // A cancellation: METHOD:CANCEL with SEQUENCE 2, and no reminder left to send.
    let (status, _) = read(app.cancel_booking(&reference, &token).await).await;
    assert_eq!(status, 200);
    drain(&worker, || inbox.count() >= 3).await;
    let rows = notices_of(app).await;
    let all = mails(&inbox);
    let cancel = part(
        mail_of(&all, &kinds(&rows, "cancelled", "email")[0]),
        "text/calendar",
    )
    .unwrap();
    assert!(
        cancel.contains("METHOD:CANCEL") && cancel.contains("SEQUENCE:2"),
        "{cancel}"
    );
    assert!(
        rows.iter()
            .filter(|n| n.kind == "reminder")
            .all(|n| n.status == "skipped")
    );
    // Each notice went out once.
    let mut ids = inbox.message_ids();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);

    // Dispatchers see the booking's notices.
    let dispatcher = app.dispatcher_token().await;
    let (status, list) = read(
        app.dispatcher(
            Method::GET,
            &format!("/api/v1/notices?booking={reference}"),
            Some(&dispatcher),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), rows.len());
    assert!(items.iter().all(|i| i["booking"] == reference.as_str()));
    let sms_item = items.iter().find(|i| i["channel"] == "sms").unwrap();
    assert!(
        sms_item["recipient"]
            .as_str()
            .unwrap()
            .starts_with("+86*******")
    );
}

async fn publishing_tells_each_donor_their_window_and_a_notable_move(app: &TestApp) {
    let (inbox, smtp) = Inbox::start();
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), None, &folder));
    let date = day(3);
    let created = app
        .book_ok(&booking_body(app.site_id, date, "morning", &unique_phone()))
        .await;
    let reference = created["reference"].as_str().unwrap();
    let token = app.dispatcher_token().await;
    let day_path = format!("/api/v1/stations/{}/days/{date}", app.station_id);
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            &format!("{day_path}/plans"),
            Some(&token),
            Some(&json!({"time_limit_s": 0.2})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            &format!("{day_path}/plan/publish"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, booking) = read(
        app.get_booking(reference, created["manage_token"].as_str())
            .await,
    )
    .await;
    let from =
        chrono::DateTime::parse_from_rfc3339(booking["arrival_window"]["from"].as_str().unwrap())
            .unwrap();
    drain(&worker, || {
        mails(&inbox)
            .iter()
            .any(|m| header(m, "Subject").contains("到达时间"))
    })
    .await;
    let rows = notices_of(app).await;
    let published = &kinds(&rows, "window_published", "email")[0];
    let all = mails(&inbox);
    let mail = mail_of(&all, published);
    let text = part(mail, "text/plain").unwrap();
    assert!(text.contains(&from.format("%H:%M").to_string()), "{text}");
    let ics = part(mail, "text/calendar").unwrap();
    let utc = from
        .with_timezone(&chrono::Utc)
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    assert!(ics.contains(&format!("DTSTART:{utc}")), "{ics}");
    assert!(ics.contains("SEQUENCE:1"));

    // The station tells donors to come an hour early instead of 15 minutes: a 45-minute move,
    // beyond the 30-minute threshold, so publishing again tells them.
    let (status, _) = read(
        app.dispatcher(
            Method::PATCH,
            &format!("/api/v1/stations/{}", app.station_id),
            Some(&token),
            Some(&json!({"arrival_lead_minutes": 60})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            &format!("{day_path}/plan/publish"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    drain(&worker, || {
        mails(&inbox)
            .iter()
            .any(|m| header(m, "Subject").contains("有变"))
    })
    .await;
    let rows = notices_of(app).await;
    let changed = &kinds(&rows, "window_changed", "email")[0];
    let all = mails(&inbox);
    let text = part(mail_of(&all, changed), "text/plain").unwrap();
    let earlier = from - chrono::Duration::minutes(45);
    assert!(text.contains("原定时间："), "{text}");
    assert!(
        text.contains(&earlier.format("%H:%M").to_string()),
        "{text}"
    );
    // A small move (5 minutes) tells nobody.
    let (status, _) = read(
        app.dispatcher(
            Method::PATCH,
            &format!("/api/v1/stations/{}", app.station_id),
            Some(&token),
            Some(&json!({"arrival_lead_minutes": 65})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            &format!("{day_path}/plan/publish"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let rows = notices_of(app).await;
    assert_eq!(kinds(&rows, "window_changed", "email").len(), 1);
}

async fn failures_are_retried_then_shown_and_resent_with_the_same_id(app: &TestApp) {
    let (gateway, sms) = Gateway::start().await;
    let folder = Folder::new();
    let worker = worker(app, settings(None, Some(&sms), &folder));
    gateway.fail_next(3);
    app.book_ok(&minimal_body(
        app.site_id,
        day(3),
        "morning",
        &unique_phone(),
    ))
    .await;
    let db = app.db.clone();
    let failed = move || {
        let rows = futures::executor::block_on(db.run(|conn| {
            notice_rows::list(conn, Some("failed"), None, 10)
                .map_err(bloodmobile::db::DbError::from)
        }))
        .unwrap();
        !rows.is_empty()
    };
    drain(&worker, failed).await;
    assert!(
        gateway.requests().is_empty(),
        "three attempts, three failures"
    );
    let token = app.dispatcher_token().await;
    let (status, list) = read(
        app.dispatcher(
            Method::GET,
            "/api/v1/notices?status=failed",
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let item = list["items"][0].clone();
    assert_eq!(item["kind"], "booking_received");
    assert_eq!(item["attempts"], 3);
    assert!(
        item["last_error"].as_str().unwrap().contains("500"),
        "{item}"
    );
    let (status, queue) = read(
        app.dispatcher(Method::GET, "/api/v1/notices/queue", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(queue["failed"], 1, "{queue}");
    let id = item["id"].as_i64().unwrap();
    let (status, resent) = read(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/notices/{id}/resend"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["status"], "pending");
    expect_error(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/notices/{id}/resend"),
            Some(&token),
            None,
        )
        .await,
        409,
        "not_resendable",
    )
    .await;
    drain(&worker, || !gateway.requests().is_empty()).await;
    assert_eq!(gateway.requests()[0]["out_id"], item["out_id"]);
}

async fn mail_held_up_by_an_smtp_outage_all_arrives_once(app: &TestApp) {
    // The worker's SMTP server is down: a port nobody listens on yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let folder = Folder::new();
    let mut config = settings(Some(&format!("smtp://{address}")), None, &folder);
    config.max_attempts = 50;
    let worker = worker(app, config);
    for _ in 0..4 {
        app.book_ok(&booking_body(
            app.site_id,
            day(3),
            "morning",
            &unique_phone(),
        ))
        .await;
    }
    for _ in 0..3 {
        worker.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let waiting = notices_of(app).await;
    let mail: Vec<&NoticeRow> = waiting
        .iter()
        .filter(|n| n.channel == "email" && n.kind == "booking_received")
        .collect();
    assert_eq!(mail.len(), 4);
    assert!(
        mail.iter()
            .all(|n| n.status == "pending" && n.attempts >= 1 && n.last_error.is_some())
    );
    // The server comes back on its port.
    let inbox = Inbox::serve(std::net::TcpListener::bind(address).expect("the same port"));
    drain(&worker, || inbox.count() >= 4).await;
    for _ in 0..3 {
        worker.pass().await.unwrap();
    }
    let mut ids = inbox.message_ids();
    ids.sort();
    assert_eq!(ids.len(), 4, "{ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), 4, "none twice");
}

async fn opted_out_phones_get_mail_only_and_a_phone_gets_five_texts_a_day(app: &TestApp) {
    let (inbox, smtp) = Inbox::start();
    let (gateway, sms) = Gateway::start().await;
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), Some(&sms), &folder));
    let token = app.dispatcher_token().await;
    let quiet = unique_phone();
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            "/api/v1/notices/opt-outs",
            Some(&token),
            Some(&json!({"phone": quiet})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 204);
    app.book_ok(&booking_body(app.site_id, day(3), "morning", &quiet))
        .await;
    drain(&worker, || inbox.count() >= 1).await;
    worker.pass().await.unwrap();
    let rows = notices_of(app).await;
    let text = &kinds(&rows, "booking_received", "sms")[0];
    assert_eq!(text.status, "skipped");
    assert!(text.last_error.as_deref().unwrap().contains("opted out"));
    assert!(gateway.requests().is_empty());
    let (status, list) = read(
        app.dispatcher(Method::GET, "/api/v1/notices/opt-outs", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        list[0]["phone"]
            .as_str()
            .unwrap()
            .ends_with(&quiet[quiet.len() - 4..])
    );
    let (status, _) = read(
        app.dispatcher(
            Method::DELETE,
            &format!("/api/v1/notices/opt-outs/{quiet}"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 204);

    // A busy phone: bookings made and cancelled, two texts each; the sixth in a day is held.
    let busy = unique_phone();
    for _ in 0..3 {
        let created = app
            .book_ok(&minimal_body(app.site_id, day(4), "morning", &busy))
            .await;
        let (status, _) = read(
            app.cancel_booking(
                created["reference"].as_str().unwrap(),
                created["manage_token"].as_str().unwrap(),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200);
    }
    for _ in 0..5 {
        worker.pass().await.unwrap();
    }
    let to_busy: Vec<Value> = gateway
        .requests()
        .into_iter()
        .filter(|r| r["phone"] == busy.as_str())
        .collect();
    assert_eq!(to_busy.len(), 5, "the station's cap");
    // The sixth waits for 08:00 the next local day, without using up an attempt.
    let rows = notices_of(app).await;
    let held: Vec<&NoticeRow> = rows
        .iter()
        .filter(|n| n.recipient == busy && n.status == "pending" && n.kind != "reminder")
        .collect();
    assert_eq!(held.len(), 1, "{rows:?}");
    assert_eq!(held[0].attempts, 0);
    assert!(held[0].last_error.as_deref().unwrap().contains("today"));
    let morning = held[0]
        .due_at
        .and_utc()
        .with_timezone(&crate::helpers::SHANGHAI);
    assert_eq!(morning.format("%H:%M").to_string(), "08:00");
    assert!(
        morning.date_naive()
            > (chrono::Utc::now() + daytime_offset(crate::helpers::SHANGHAI))
                .with_timezone(&crate::helpers::SHANGHAI)
                .date_naive()
    );
}

async fn with_nothing_configured_notices_are_files_in_a_folder(app: &TestApp) {
    let folder = Folder::new();
    let worker = worker(app, settings(None, None, &folder));
    let created = app
        .book_ok(&booking_body(
            app.site_id,
            day(3),
            "afternoon",
            &unique_phone(),
        ))
        .await;
    worker.pass().await.unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&folder.0)
        .expect("the folder was made")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].ends_with("-booking_received-email.eml"),
        "{files:?}"
    );
    assert!(
        files[1].ends_with("-booking_received-sms.json"),
        "{files:?}"
    );
    let eml = std::fs::read(folder.0.join(&files[0])).unwrap();
    let mail = mailparse::parse_mail(&eml).unwrap();
    assert!(header(&mail, "Subject").contains(created["reference"].as_str().unwrap()));
    let sms: Value =
        serde_json::from_slice(&std::fs::read(folder.0.join(&files[1])).unwrap()).unwrap();
    assert!(
        sms["text"].as_str().unwrap().contains("13:00–17:30"),
        "{sms}"
    );
    assert!(worker.describe().contains(".eml"));
}

async fn delivery_receipts_are_recorded_once_whatever_their_order(app: &TestApp) {
    let (gateway, sms) = Gateway::start().await;
    let folder = Folder::new();
    let worker = worker(app, settings(None, Some(&sms), &folder));
    app.book_ok(&minimal_body(
        app.site_id,
        day(3),
        "morning",
        &unique_phone(),
    ))
    .await;
    drain(&worker, || !gateway.requests().is_empty()).await;
    let out_id = gateway.requests()[0]["out_id"]
        .as_str()
        .unwrap()
        .to_string();
    let receipt = |status: &str| json!({"out_id": out_id, "status": status});
    for (body, expected) in [
        (receipt("delivered"), "delivered"),
        (receipt("delivered"), "delivered"),
        (receipt("failed"), "delivered"),
    ] {
        let (status, item) = read(app.post_json("/api/v1/notices/receipts", &body).await).await;
        assert_eq!(status, 200, "{item}");
        assert_eq!(item["delivery"], expected);
    }
    expect_error(
        app.post_json(
            "/api/v1/notices/receipts",
            &json!({"out_id": "nobody", "status": "delivered"}),
        )
        .await,
        404,
        "notice_not_found",
    )
    .await;
    expect_error(
        app.post_json(
            "/api/v1/notices/receipts",
            &json!({"out_id": out_id, "status": "lost"}),
        )
        .await,
        400,
        "invalid_status",
    )
    .await;
}

async fn the_station_cancels_with_a_reason_and_a_waitlisted_donor_is_told(app: &TestApp) {
    let (inbox, smtp) = Inbox::start();
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), None, &folder));
    app.replace_fleet(2, 4, (7, 30), (17, 30)).await;
    let date = day(4);
    let mut booked = Vec::new();
    loop {
        let (status, body) = read(
            app.book(&booking_body(app.site_id, date, "morning", &unique_phone()))
                .await,
        )
        .await;
        if status == 409 {
            break;
        }
        booked.push(body);
    }
    let mut waiting = booking_body(app.site_id, date, "morning", &unique_phone());
    waiting["donor"]["email"] = json!("wang@example.com");
    let (status, _) = read(app.post_json("/api/v1/waitlist", &waiting).await).await;
    assert_eq!(status, 201);
    let token = app.dispatcher_token().await;
    let reference = booked[0]["reference"].as_str().unwrap();
    let (status, cancelled) = read(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/bookings/{reference}/cancel"),
            Some(&token),
            Some(&json!({"reason": "采血车故障"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    drain(&worker, || {
        let all = mails(&inbox);
        all.iter().any(|m| header(m, "Subject").contains("已取消"))
            && all
                .iter()
                .any(|m| header(m, "Subject").contains("候补成功"))
    })
    .await;
    let all = mails(&inbox);
    let cancel = all
        .iter()
        .find(|m| header(m, "Subject").contains("已取消"))
        .unwrap();
    assert!(
        part(cancel, "text/plain")
            .unwrap()
            .contains("原因：采血车故障")
    );
    let offer = all
        .iter()
        .find(|m| header(m, "Subject").contains("候补成功"))
        .unwrap();
    assert_eq!(header(offer, "To"), "wang@example.com");
    assert!(
        part(offer, "text/plain")
            .unwrap()
            .contains("http://donor.test/manage/")
    );
    expect_error(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/bookings/{reference}/cancel"),
            Some(&token),
            Some(&json!({"reason": ""})),
        )
        .await,
        400,
        "invalid_reason",
    )
    .await;
}

async fn a_daylight_saving_zone_tells_its_local_times(app: &TestApp) {
    use bloodmobile::db::registry;
    let (inbox, smtp) = Inbox::start();
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), None, &folder));
    // A station in Berlin, booking open far enough ahead to reach the spring change.
    let station = app
        .with_db(|conn| {
            let mut values = crate::helpers::station_values(
                "Blutspendedienst",
                "Europe/Berlin",
                "Depot",
                "Berlin",
                52.52,
                13.40,
            );
            values.horizon_max_days = 366;
            let station = registry::insert_station(conn, &values)?;
            let mut site =
                crate::helpers::site_values(station.id, "community", "Mitte", "Mitte", "Moabit");
            (site.lat, site.lon) = (52.53, 13.34);
            let site = registry::insert_site(conn, &site)?;
            registry::insert_vehicle(
                conn,
                &crate::helpers::vehicle_values(station.id, "B-1", 4, 40, (7, 30), (17, 30)),
            )?;
            Ok(site.id)
        })
        .await;
    let today = crate::helpers::local_today(chrono_tz::Europe::Berlin);
    // The first Sunday clocks go forward after today (the last Sunday of March).
    let change = (today.year()..today.year() + 2)
        .filter_map(|y| {
            let end = chrono::NaiveDate::from_ymd_opt(y, 3, 31)?;
            Some(end - chrono::Days::new(u64::from(end.weekday().num_days_from_sunday())))
        })
        .find(|d| *d > today + chrono::Days::new(1))
        .unwrap();
    let mut body = booking_body(station, change, "morning", &unique_phone());
    body["language"] = json!("en");
    app.book_ok(&body).await;
    drain(&worker, || inbox.count() >= 1).await;
    let all = mails(&inbox);
    let text = part(&all[0], "text/plain").unwrap();
    assert!(text.contains("08:00–12:00 CEST"), "{text}");
    let ics = part(&all[0], "text/calendar").unwrap();
    assert!(
        ics.contains(&format!("DTSTART:{}T060000Z", change.format("%Y%m%d"))),
        "{ics}"
    );
    // The reminder: 18:00 the evening before, still winter time (17:00 UTC).
    let rows = notices_of(app).await;
    let reminder = rows.iter().find(|n| n.kind == "reminder").unwrap();
    assert_eq!(
        reminder.due_at,
        (change - chrono::Days::new(1))
            .and_hms_opt(17, 0, 0)
            .unwrap()
    );
}

use chrono::Datelike;

async fn a_recorded_donation_is_thanked(app: &TestApp) {
    use bloodmobile::db::schema::bookings;
    use diesel::prelude::*;
    let (inbox, smtp) = Inbox::start();
    let folder = Folder::new();
    let worker = worker(app, settings(Some(&smtp), None, &folder));
    let created = app
        .book_ok(&booking_body(
            app.site_id,
            day(3),
            "morning",
            &unique_phone(),
        ))
        .await;
    let reference = created["reference"].as_str().unwrap().to_string();
    // The day came: it was yesterday.
    let stored = reference.clone();
    let yesterday = day(0) - chrono::Days::new(1);
    app.with_db(move |conn| {
        diesel::update(bookings::table.filter(bookings::reference.eq(stored)))
            .set(bookings::service_date.eq(yesterday))
            .execute(conn)
    })
    .await;
    let token = app.dispatcher_token().await;
    let (status, body) = read(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/bookings/{reference}/outcome"),
            Some(&token),
            Some(&json!({"outcome": "donated"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The confirmation, then the thanks.
    drain(&worker, || inbox.count() >= 2).await;
    let rows = notices_of(app).await;
    let thanks = &kinds(&rows, "thank_you", "email")[0];
    let all = mails(&inbox);
    let mail = mail_of(&all, thanks);
    assert_eq!(header(mail, "Subject"), "感谢您的无偿献血");
    assert!(
        part(mail, "text/calendar").is_none(),
        "no invitation for thanks"
    );
    // Recording it again thanks no one twice.
    let (status, _) = read(
        app.dispatcher(
            Method::POST,
            &format!("/api/v1/bookings/{reference}/outcome"),
            Some(&token),
            Some(&json!({"outcome": "donated"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let rows = notices_of(app).await;
    assert_eq!(kinds(&rows, "thank_you", "email").len(), 1);
}
