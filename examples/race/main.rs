//! Booking attempts racing for a few seats across several `bloodmobile serve` processes and
//! `bloodmobile worker` processes on one PostgreSQL of their own, with cancellations,
//! reschedules, waitlist joins and a re-plan and publish in the middle; optionally a server and
//! a worker killed (`--crash`) and the database stopped for 10 s (`--outage`). Then it checks
//! what the database holds and what the mail and SMS stand-ins received, and prints one JSON
//! line. Run it through `scripts/race`, which builds it:
//!
//!     scripts/race --attempts 20000 --instances 3 [--crash] [--outage]
//!
//! Every process reaches the database over TLS (`sslmode=verify-full` against a CA of the
//! race's own; the cluster refuses TCP without TLS). Every count of the last line but
//! `attempts` and `accepted` must be 0; the exit status is 1 otherwise.

mod cluster;
mod load;
#[path = "../../tests/api/plan_checker.rs"]
mod plan_checker;
mod processes;
#[path = "../support/receivers.rs"]
mod receivers;
#[path = "../support/seed.rs"]
mod support;
mod verify;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bloodmobile::db::Db;

#[derive(Debug, Clone)]
pub struct Options {
    pub attempts: usize,
    pub instances: usize,
    pub workers: usize,
    pub crash: bool,
    pub outage: bool,
    pub binary: String,
    pub concurrency: usize,
    pub days: usize,
}

fn options() -> Options {
    let mut options = Options {
        attempts: 20_000,
        instances: 3,
        workers: 2,
        crash: false,
        outage: false,
        binary: "target/release/bloodmobile".into(),
        concurrency: 48,
        days: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--attempts" => options.attempts = value().parse().expect("--attempts N"),
            "--instances" => options.instances = value().parse().expect("--instances N"),
            "--workers" => options.workers = value().parse().expect("--workers N"),
            "--concurrency" => options.concurrency = value().parse().expect("--concurrency N"),
            "--days" => options.days = value().parse().expect("--days N"),
            "--binary" => options.binary = value(),
            "--crash" => options.crash = true,
            "--outage" => options.outage = true,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(options.instances >= 1 && options.workers >= 1 && options.days >= 1);
    options
}

fn main() {
    let options = options();
    let started = Instant::now();
    let cluster = Arc::new(cluster::Cluster::start().expect("a PostgreSQL of our own"));
    eprintln!("race: PostgreSQL {} in {}", cluster.url(), cluster.dir());
    let db = Db::open(&cluster.url(), 4).expect("migrate the race database");
    // The database takes TLS only: the same URL without it is refused.
    let plain = cluster
        .url()
        .replace("sslmode=verify-full", "sslmode=disable");
    let plain_refused = Db::open(&plain, 1).is_err();
    let seeded = verify::seed(&db, options.days);
    let mail = receivers::Received::default();
    let texts = receivers::Received::default();
    let smtp_url = receivers::smtp_server(mail.clone());
    let sms_url = receivers::webhook(texts.clone());
    let env = processes::Env {
        database_url: cluster.url(),
        smtp_url,
        sms_url,
    };
    let logs = std::env::temp_dir().join(format!("bloodmobile-race-{}.log", std::process::id()));
    eprintln!("race: the processes log to {}", logs.display());
    let mut fleet = processes::Fleet::start(&options, &env, logs);
    fleet.wait_ready(Duration::from_secs(60));
    eprintln!(
        "race: {} servers on {:?}, {} workers",
        options.instances,
        fleet.ports(),
        options.workers
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(load::run(
        &options,
        &seeded,
        fleet.ports(),
        &mut fleet,
        cluster.clone(),
    ));
    // Let the workers send what the load left due, then stop everything but the database.
    let drained = verify::wait_for_notices(&db, &mail, &texts, Duration::from_secs(120));
    let died = fleet.stop();
    let mut result = verify::check(&db, &seeded, &report, &mail, &texts);
    result.insert("processes_died".into(), died.into());
    result.insert("database_tls".into(), "verify-full".into());
    result.insert("plain_connection_refused".into(), plain_refused.into());
    result.insert("notices_drained".into(), drained.into());
    result.insert(
        "seconds".into(),
        ((started.elapsed().as_secs_f64() * 10.0).round() / 10.0).into(),
    );
    drop(db);
    drop(cluster);
    let failed = verify::failures(&result);
    println!("{}", serde_json::Value::Object(result));
    if failed {
        std::process::exit(1);
    }
}
