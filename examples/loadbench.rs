//! Load benchmark: creates bookings over HTTP with many connections against the real service
//! and prints throughput and latency percentiles.
//!
//!     cargo run --release --example loadbench -- [--database-url URL] [--requests N]
//!         [--connections C] [--workers W]
//!
//! The service runs in this process on its own actix system (W workers, default 2), bound to
//! 127.0.0.1 on a random port; the load generator is a tokio runtime with one thread, so on a
//! 2-core machine the generator and the server share the cores as a separate process would.
//! Without `--database-url` a fresh SQLite file in the temp directory is used. A PostgreSQL
//! database is used as given (its tables are created if missing) under a fresh station.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use bloodmobile::api::AppState;
use bloodmobile::api::stations::default_station;
use bloodmobile::booking::kinds_to_text;
use bloodmobile::db::registry::{self, SiteValues, VehicleValues};
use bloodmobile::db::{Db, stored_instant};
use bloodmobile::domain::donation::DonationKind;
use chrono::{Days, NaiveTime, Utc};
use futures::StreamExt;

struct Options {
    database_url: Option<String>,
    requests: usize,
    connections: usize,
    workers: usize,
    pool_size: u32,
}

fn options() -> Options {
    let mut options = Options {
        database_url: None,
        requests: 20_000,
        connections: 64,
        workers: 2,
        pool_size: 8,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--database-url" => options.database_url = Some(value),
            "--requests" => options.requests = value.parse().expect("--requests N"),
            "--connections" => options.connections = value.parse().expect("--connections N"),
            "--workers" => options.workers = value.parse().expect("--workers N"),
            "--pool-size" => options.pool_size = value.parse().expect("--pool-size N"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    options
}

/// A station whose fleet has room for every request: 12 large vehicles, 28 bookable days.
fn seed(db: &Db) -> (i64, Vec<chrono::NaiveDate>) {
    let mut conn = db.get().expect("connection");
    let now = Utc::now();
    let mut station = default_station("压测血站", "Asia/Shanghai", "车场", "沙市区", 30.32, 112.25);
    station.name = format!("压测血站 {}", now.timestamp_micros());
    let station = registry::insert_station(&mut conn, &station).expect("station");
    let site = registry::insert_site(
        &mut conn,
        &SiteValues {
            station_id: station.id,
            kind: "community".into(),
            district: "沙市区".into(),
            township: "解放街道".into(),
            name: "便河社区".into(),
            address: "荆州市沙市区解放街道便河社区".into(),
            lat: 30.31,
            lon: 112.26,
            contact_name: None,
            contact_phone: None,
            active: true,
            updated_at: stored_instant(now),
        },
    )
    .expect("site");
    for n in 0..12 {
        registry::insert_vehicle(
            &mut conn,
            &VehicleValues {
                station_id: station.id,
                name: format!("压测车{n}"),
                plate: None,
                beds: 50,
                donors_per_day: 1000,
                shift_start: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
                shift_end: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
                kinds: kinds_to_text(&[DonationKind::WholeBlood]),
                active: true,
                updated_at: stored_instant(now),
            },
        )
        .expect("vehicle");
    }
    let today = now.date_naive();
    let days = (3..31).map(|d| today + Days::new(d)).collect();
    (site.id, days)
}

fn body(site_id: i64, date: chrono::NaiveDate, n: usize, run: u32) -> String {
    let window = if n.is_multiple_of(2) {
        "morning"
    } else {
        "afternoon"
    };
    serde_json::json!({
        "site_id": site_id,
        "date": date,
        "window": window,
        "kind": "whole_blood",
        "volume_ml": 400,
        "donor": {
            "name": "压测献血者",
            "phone": format!("+8613{:09}", u64::from(run) * 1_000_000 + n as u64),
            "birth_date": "1990-05-01",
            "sex": "male",
            "weight_kg": 65
        }
    })
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn main() {
    let options = options();
    assert!(options.requests <= 900_000, "at most 900,000 requests");
    let url = options.database_url.clone().unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("bloodmobile-load-{}.db", std::process::id()));
        path.to_string_lossy().into_owned()
    });
    let db = Db::open(&url, options.pool_size).expect("database");
    let backend = format!("{:?}", db.backend());
    let (site_id, days) = seed(&db);

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().unwrap();
    let state = AppState {
        db,
        token_ttl: chrono::Duration::hours(1),
    };
    let workers = options.workers;
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            bloodmobile::startup::server(state, listener, Some(workers))
                .unwrap()
                .await
        })
    });
    std::thread::sleep(Duration::from_millis(300));

    // Distinct phones per run, so runs against the same PostgreSQL database do not collide.
    let run = (Utc::now().timestamp() % 900) as u32;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (latencies, statuses, elapsed) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(options.connections)
            .build()
            .unwrap();
        let endpoint = format!("http://{address}/api/v1/bookings");
        // Warm up the connections and the database's caches.
        for n in 0..options.connections {
            let _ = client
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(body(site_id, days[0], 900_000 + n, run))
                .send()
                .await;
        }
        let started = Instant::now();
        let results: Vec<(Duration, u16)> = futures::stream::iter(0..options.requests)
            .map(|n| {
                let client = client.clone();
                let endpoint = endpoint.clone();
                // Each phone books once: spread the requests over the days (and windows).
                let date = days[(n / 2) % days.len()];
                let body = body(site_id, date, n, run);
                async move {
                    let sent = Instant::now();
                    let status = client
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    (sent.elapsed(), status)
                }
            })
            .buffer_unordered(options.connections)
            .collect()
            .await;
        let elapsed = started.elapsed();
        let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
        latencies.sort();
        let statuses: Vec<u16> = results.iter().map(|(_, s)| *s).collect();
        (latencies, statuses, elapsed)
    });
    let created = statuses.iter().filter(|s| **s == 201).count();
    let other = statuses.len() - created;
    let throughput = created as f64 / elapsed.as_secs_f64();
    println!(
        "| backend | requests | connections | workers | created | other | bookings/s | p50 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {} | {created} | {other} | {throughput:.0} | {:.1} | {:.1} | {:.1} |",
        options.requests,
        options.connections,
        options.workers,
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    if other > 0 {
        let mut codes: Vec<u16> = statuses.iter().copied().filter(|s| *s != 201).collect();
        codes.sort();
        codes.dedup();
        println!("non-201 statuses seen: {codes:?}");
    }
    if options.database_url.is_none() {
        let _ = std::fs::remove_file(&url);
    }
}
