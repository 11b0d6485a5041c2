//! Which statements one booking runs (and how many), for finding round trips and statements
//! SQLite must prepare again each time.
//!
//!     cargo run --release --example querycount -- [--database-url URL]

use std::sync::Mutex;

use bloodmobile::api::bookings::CreateBookingBody;
use bloodmobile::booking;
use bloodmobile::db::Db;
use chrono::{Days, Utc};
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};

#[path = "support/seed.rs"]
mod seed;

static LOG: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
static CACHED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn logger() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            LOG.lock().unwrap().push((query.to_string(), false));
        }
        InstrumentationEvent::CacheQuery { sql, .. } => {
            CACHED.lock().unwrap().push(sql.to_string());
        }
        _ => {}
    }))
}

fn main() {
    let url = std::env::args()
        .skip_while(|a| a != "--database-url")
        .nth(1)
        .unwrap_or_else(|| {
            std::env::temp_dir()
                .join(format!("bloodmobile-qc-{}.db", std::process::id()))
                .to_string_lossy()
                .into_owned()
        });
    let db = Db::open(&url, 2).expect("database");
    let (site_id, _) = seed::seed(&db);
    set_default_instrumentation(logger).unwrap();
    let db = Db::open(&url, 2).expect("database");
    let date = Utc::now().date_naive() + Days::new(5);
    for n in 0..20u64 {
        LOG.lock().unwrap().clear();
        let body: CreateBookingBody = serde_json::from_value(serde_json::json!({
            "site_id": site_id, "date": date, "window": "morning", "kind": "whole_blood",
            "donor": {"name": "压测", "phone": format!("+8613{:09}", 555_000_000 + n),
                      "birth_date": "1990-05-01", "sex": "male", "weight_kg": 65}
        }))
        .unwrap();
        let request = body.parse().unwrap();
        db.write_blocking(move |conn| booking::create_booking(conn, request, None, Utc::now()))
            .unwrap();
    }
    let log = LOG.lock().unwrap();
    let cached = CACHED.lock().unwrap();
    println!("{} statements in the last booking", log.len());
    for (sql, _) in log.iter() {
        let first: String = sql.chars().take(150).collect();
        let hit = cached
            .iter()
            .any(|c| sql.starts_with(c.as_str()) || c.starts_with(&first[..first.len().min(60)]));
        println!("{} {first}", if hit { "cached  " } else { "PREPARED" });
    }
}
