//! Load benchmark: creates bookings over HTTP with many connections against the real service
//! and prints throughput and latency percentiles.
//!
//!     cargo run --release --example loadbench -- [--database-url URL] [--requests N]
//!         [--connections C] [--workers W] [--pool-size P] [--generator reqwest|wrk]
//!
//! The service runs in this process on its own actix system (W workers, default 2), bound to
//! 127.0.0.1 on a random port. The load comes from a one-thread tokio runtime with reqwest, or,
//! with `--generator wrk`, from `wrk` (one thread, a Lua script giving every request its own
//! phone) in a process of its own; either way generator and server share the machine's cores.
//! Without `--database-url` a fresh SQLite file in the temp directory is used. A PostgreSQL
//! database is used as given (its tables are created if missing) under a fresh station.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use bloodmobile::api::AppState;
use bloodmobile::db::Db;
use chrono::{NaiveDate, Utc};
use futures::StreamExt;

struct Options {
    database_url: Option<String>,
    requests: usize,
    connections: usize,
    workers: usize,
    pool_size: u32,
    generator: String,
}

#[path = "support/seed.rs"]
mod seed;
use seed::seed;

fn options() -> Options {
    let mut options = Options {
        database_url: None,
        requests: 20_000,
        connections: 64,
        workers: 2,
        pool_size: 8,
        generator: "reqwest".into(),
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
            "--generator" => options.generator = value,
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    options
}

fn body(site_id: i64, date: NaiveDate, run: u64, n: u64) -> String {
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
            "phone": format!("+8613{:09}", run * 1_000_000 + n),
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
    // No rate limit: every request comes from 127.0.0.1.
    let state = AppState::new(db.clone());
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
    let run = (Utc::now().timestamp() % 900) as u64;
    let endpoint = format!("http://{address}/api/v1/bookings");
    let batches = || {
        let h = &bloodmobile::metrics::metrics().writer_batch;
        (h.get_sample_count(), h.get_sample_sum())
    };
    let before = batches();
    let measured = match options.generator.as_str() {
        "reqwest" => with_reqwest(&options, &endpoint, site_id, &days, run),
        "wrk" => with_wrk(&options, &endpoint, site_id, &days, run),
        other => panic!("unknown generator {other}: reqwest or wrk"),
    };
    // SQLite's group commit: how many writes one commit served, on average, under load.
    let after = batches();
    let batch = match after.0 - before.0 {
        0 => "-".to_string(),
        commits => format!("{:.1}", (after.1 - before.1) / commits as f64),
    };
    let throughput = measured.created as f64 / measured.elapsed.as_secs_f64();
    // The same booking transaction without HTTP, as many at once, in the same run: the
    // machine is shared, so the ratio of the two rates says more than either alone.
    let direct = without_http(&db, &options, site_id, &days, run + 1000);
    let direct_rate = direct.created as f64 / direct.elapsed.as_secs_f64();
    println!(
        "| backend | generator | requests | connections | workers | pool | created | other | bookings/s | p50 ms | p99 ms | without HTTP /s | p99 ms | HTTP ÷ without | writes per commit |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {} | {} | {} | {} | {} | {throughput:.0} | {:.1} | {:.1} | {direct_rate:.0} | {:.1} | {:.2} | {batch} |",
        options.generator,
        measured.created + measured.other,
        options.connections,
        options.workers,
        options.pool_size,
        measured.created,
        measured.other,
        measured.p50_ms,
        measured.p99_ms,
        direct.p99_ms,
        throughput / direct_rate,
    );
    if options.database_url.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
}

/// `booking::create_booking` through the writer (or the pool), `connections` at once, for
/// half as many bookings as the HTTP run made; refusals are counted apart.
fn without_http(
    db: &Db,
    options: &Options,
    site_id: i64,
    days: &[NaiveDate],
    run: u64,
) -> Measured {
    use bloodmobile::api::bookings::CreateBookingBody;
    use bloodmobile::booking;
    let count = (options.requests / 2).max(1) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let started = Instant::now();
        let results: Vec<(bool, Duration)> = futures::stream::iter(0..count)
            .map(|n| {
                let db = db.clone();
                let date = days[n as usize % days.len()];
                let text = body(site_id, date, run, n);
                async move {
                    let request = serde_json::from_str::<CreateBookingBody>(&text)
                        .expect("body")
                        .parse()
                        .expect("valid");
                    let t = Instant::now();
                    let created = db
                        .write(move |conn| booking::create_booking(conn, request, None, Utc::now()))
                        .await
                        .is_ok();
                    (created, t.elapsed())
                }
            })
            .buffer_unordered(options.connections)
            .collect()
            .await;
        let elapsed = started.elapsed();
        let mut latencies: Vec<Duration> = results.iter().map(|r| r.1).collect();
        latencies.sort();
        let created = results.iter().filter(|r| r.0).count();
        Measured {
            created,
            other: results.len() - created,
            elapsed,
            p50_ms: percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
            p99_ms: percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        }
    })
}

struct Measured {
    created: usize,
    other: usize,
    elapsed: Duration,
    p50_ms: f64,
    p99_ms: f64,
}

fn with_reqwest(
    options: &Options,
    endpoint: &str,
    site_id: i64,
    days: &[NaiveDate],
    run: u64,
) -> Measured {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(options.connections)
            .build()
            .unwrap();
        // Warm up the connections and the database's caches.
        for n in 0..options.connections {
            let _ = client
                .post(endpoint)
                .header("content-type", "application/json")
                .body(body(site_id, days[0], run, 900_000 + n as u64))
                .send()
                .await;
        }
        let started = Instant::now();
        let results: Vec<(Duration, u16)> = futures::stream::iter(0..options.requests)
            .map(|n| {
                let client = client.clone();
                // Each phone books once: spread the requests over the days and windows.
                let body = body(site_id, days[(n / 2) % days.len()], run, n as u64);
                async move {
                    let sent = Instant::now();
                    let status = client
                        .post(endpoint)
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
        let created = results.iter().filter(|(_, s)| *s == 201).count();
        Measured {
            created,
            other: results.len() - created,
            elapsed,
            p50_ms: percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            p99_ms: percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        }
    })
}

/// The same bodies as `body`, built by wrk's Lua for one thread.
const WRK_SCRIPT: &str = r#"
local n = 0
local base = tonumber(os.getenv("PHONE_BASE"))
local site = os.getenv("SITE_ID")
local days = {}
for d in string.gmatch(os.getenv("DAYS"), "[^,]+") do table.insert(days, d) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local date = days[(math.floor(n / 2) % #days) + 1]
  local window = (n % 2 == 0) and "morning" or "afternoon"
  local body = string.format('{"site_id":%s,"date":"%s","window":"%s","kind":"whole_blood","volume_ml":400,"donor":{"name":"Load Test","phone":"+8613%09d","birth_date":"1990-05-01","sex":"male","weight_kg":65}}', site, date, window, base + n)
  n = n + 1
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("wrk: %d %d %d %.3f %.3f\n", summary.requests, summary.duration,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"#;

fn with_wrk(
    options: &Options,
    endpoint: &str,
    site_id: i64,
    days: &[NaiveDate],
    run: u64,
) -> Measured {
    let script = std::env::temp_dir().join(format!("bloodmobile-load-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_SCRIPT).expect("write wrk script");
    let days_text: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    // wrk runs for a time, not a count: aim at about `requests` at 5,000 a second.
    let seconds = (options.requests / 5_000).clamp(5, 120);
    let output = std::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{}", options.connections),
            &format!("-d{seconds}s"),
        ])
        .arg("-s")
        .arg(&script)
        .arg(endpoint)
        .env("PHONE_BASE", (run * 1_000_000).to_string())
        .env("SITE_ID", site_id.to_string())
        .env("DAYS", days_text.join(","))
        .output()
        .expect("wrk is installed (apt-get install wrk)");
    let _ = std::fs::remove_file(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wrk: "))
        .unwrap_or_else(|| {
            panic!(
                "wrk said: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    let (requests, micros, non_2xx) = (fields[0] as usize, fields[1], fields[2] as usize);
    Measured {
        created: requests - non_2xx,
        other: non_2xx,
        elapsed: Duration::from_micros(micros as u64),
        p50_ms: fields[3],
        p99_ms: fields[4],
    }
}
