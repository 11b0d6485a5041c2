//! Notice throughput: a worker sends a backlog of notices through the outbox to a local SMTP
//! server and a local SMS webhook while more bookings keep arriving through the real booking
//! service; prints a table of notices per second by channel.
//!
//!     cargo run --release --example noticebench -- [--database-url URL] [--bookings N]
//!         [--backlog B] [--booking-tasks T] [--concurrency C] [--email true|false]
//!
//! B bookings (default 4,000) are made before the worker starts (the queue an SMTP outage or a
//! worker restart leaves); the other N - B (default 2,000) are made while it sends, from T
//! tasks at once (default 4). Every booking gives its donor an email address, so it writes two
//! notices due at once (`booking_received` by mail and by text message) and a reminder due the
//! day before (not counted). The clock runs from the worker's start until every notice is
//! sent. The SMTP server (mailin-embedded) and the webhook (actix-web) run in this process on
//! 127.0.0.1, as does the worker (`notices::worker::Worker`, as `serve` runs it, C notices at
//! once, default 32); everything shares the machine's cores. Without `--database-url` a fresh
//! SQLite file in the temp directory is used.

use std::time::{Duration, Instant};

use bloodmobile::booking::{self, BookingRequest, DonorAnswers};
use bloodmobile::db::{Db, DbError};
use bloodmobile::domain::donation::{DonationKind, Sex};
use bloodmobile::domain::donor::{DonorName, Email, PhoneNumber};
use bloodmobile::domain::language::Language;
use bloodmobile::notices::settings::NoticeSettings;
use bloodmobile::notices::worker::Worker;
use chrono::{NaiveDate, Utc};

#[path = "support/receivers.rs"]
mod receivers;
#[path = "support/seed.rs"]
mod support;

use receivers::Received;

struct Options {
    database_url: Option<String>,
    /// Bookings in all: `backlog` before the worker starts, the rest while it sends.
    bookings: usize,
    backlog: usize,
    booking_tasks: usize,
    concurrency: usize,
    /// Donors give an email address (else text messages only).
    email: bool,
}

fn options() -> Options {
    let mut options = Options {
        database_url: None,
        bookings: 6000,
        backlog: 4000,
        booking_tasks: 4,
        concurrency: 32,
        email: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--database-url" => options.database_url = Some(value),
            "--bookings" => options.bookings = value.parse().expect("--bookings N"),
            "--backlog" => options.backlog = value.parse().expect("--backlog N"),
            "--booking-tasks" => options.booking_tasks = value.parse().expect("--booking-tasks T"),
            "--concurrency" => options.concurrency = value.parse().expect("--concurrency C"),
            "--email" => options.email = value.parse().expect("--email true|false"),
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// A station with 20 sites and a fleet with room for every booking, over 28 days.
fn seed(db: &Db) -> (Vec<i64>, Vec<NaiveDate>) {
    db.write_blocking(|conn| {
        let station = support::station(conn, "通知压测血站")?;
        let sites = (0..20)
            .map(|n| {
                support::site(
                    conn,
                    station.id,
                    &format!("压测社区{n}"),
                    30.30 + 0.002 * n as f64,
                )
                .map(|site| site.id)
            })
            .collect::<Result<Vec<_>, _>>()?;
        support::large_fleet(conn, station.id)?;
        Ok::<_, DbError>((sites, support::bookable_days()))
    })
    .expect("seed")
}

fn request(site_id: i64, date: NaiveDate, n: usize, run: u32, email: bool) -> BookingRequest {
    BookingRequest {
        site_id,
        date,
        window: if n.is_multiple_of(2) {
            "morning"
        } else {
            "afternoon"
        }
        .into(),
        kind: DonationKind::WholeBlood,
        volume_ml: None,
        language: if n.is_multiple_of(3) {
            Language::En
        } else {
            Language::ZhCn
        },
        donor: DonorAnswers {
            name: DonorName::parse("压测献血者", "donor.name").unwrap(),
            phone: PhoneNumber::parse(
                &format!("+8613{}{:06}", run % 900 + 100, n % 1_000_000),
                "donor.phone",
            )
            .unwrap(),
            email: email
                .then(|| Email::parse(&format!("donor{n}@bench.test"), "donor.email").unwrap()),
            birth_date: NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(),
            sex: Sex::Male,
            weight_kg: 68.0,
            blood_type: None,
            last_donations: Vec::new(),
            legacy_last_donation: false,
            apheresis_12_months: None,
            adverse_reaction_before: false,
            vaccination: None,
        },
    }
}

fn main() {
    let mut options = options();
    options.backlog = options.backlog.min(options.bookings);
    let (url, temporary) = match &options.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let path = std::env::temp_dir()
                .join(format!("bloodmobile-noticebench-{}.db", std::process::id()))
                .to_string_lossy()
                .into_owned();
            (path.clone(), Some(path))
        }
    };
    let db = Db::open(&url, 8).expect("open the database");
    let (sites, days) = seed(&db);
    let (mails, texts) = (Received::default(), Received::default());
    let smtp = receivers::smtp_server(mails.clone());
    let sms = receivers::webhook(texts.clone());
    let dir = std::env::temp_dir().join(format!("bloodmobile-noticebench-{}", std::process::id()));
    let mut settings = NoticeSettings::to_folder(dir, "http://127.0.0.1:8080");
    settings.smtp_url = Some(smtp);
    settings.sms_url = Some(sms);
    settings.concurrency = options.concurrency;
    let run = Utc::now().timestamp_subsec_micros();
    let expected = options.bookings;
    let per_booking = if options.email { 2 } else { 1 };

    let report = actix_web::rt::System::new().block_on(async move {
        // The backlog: bookings made while no worker runs (an SMTP outage, a worker restart).
        let book = |from: usize, to: usize| {
            let booked = (0..options.booking_tasks).map(|task| {
                let (db, sites, days) = (db.clone(), sites.clone(), days.clone());
                actix_web::rt::spawn(async move {
                    let mut n = from + task;
                    while n < to {
                        let wanted = request(
                            sites[n % sites.len()],
                            days[n % days.len()],
                            n,
                            run,
                            options.email,
                        );
                        db.write(move |conn| {
                            booking::create_booking(conn, wanted, None, Utc::now())
                        })
                        .await
                        .expect("a booking");
                        n += options.booking_tasks;
                    }
                })
            });
            futures::future::join_all(booked.collect::<Vec<_>>())
        };
        book(0, options.backlog).await;
        let worker = Worker::new(db.clone(), settings, "http://127.0.0.1:8080").expect("a worker");
        let started = Instant::now();
        let sender = actix_web::rt::spawn(async move {
            // Passes until every booking's notices went out.
            let mut last_progress = Instant::now();
            let mut seen = 0;
            loop {
                let pass = worker.pass().await.expect("a worker pass");
                let done = mails.total() + texts.total();
                if done >= per_booking * expected {
                    return (mails.total(), texts.total());
                }
                if done > seen {
                    (seen, last_progress) = (done, Instant::now());
                }
                assert!(
                    last_progress.elapsed() < Duration::from_secs(30),
                    "no notice sent for 30 s ({done} of {})",
                    per_booking * expected
                );
                if pass.claimed == 0 {
                    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        // More bookings arrive while the worker sends.
        book(options.backlog, expected).await;
        let bookings_s = started.elapsed().as_secs_f64();
        let (mail, text) = sender.await.expect("the worker");
        (
            db.backend_name(),
            bookings_s,
            started.elapsed().as_secs_f64(),
            mail,
            text,
        )
    });
    let (backend, bookings_s, total_s, mail, text) = report;
    let during = expected - options.backlog;
    println!(
        "| backend | backlog | bookings meanwhile | bookings/s meanwhile | mails | texts | seconds | mails/s | texts/s | notices/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {during} | {:.0} | {mail} | {text} | {total_s:.2} | {:.0} | {:.0} | {:.0} |",
        options.backlog,
        during as f64 / bookings_s,
        mail as f64 / total_s,
        text as f64 / total_s,
        (mail + text) as f64 / total_s,
    );
    if let Some(path) = temporary {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}
