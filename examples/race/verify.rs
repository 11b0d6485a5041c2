//! The race's station, and the checks of what the database holds and what the receivers got
//! once the load is over.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bloodmobile::accounts;
use bloodmobile::booking;
use bloodmobile::db::plans;
use bloodmobile::db::schema::{bookings, notices};
use bloodmobile::db::{Db, DbConnection, DbError, stored_instant};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::load::Report;
use super::plan_checker;
use super::receivers::Received;
use super::support;

pub const DISPATCHER: &str = "race-dispatcher";
pub const DISPATCHER_PASSWORD: &str = "race dispatcher password";

/// What the race books into: one site, one small bloodmobile, a few days.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub station_id: i64,
    pub site_id: i64,
    pub days: Vec<NaiveDate>,
}

pub fn seed(db: &Db, days: usize) -> Seeded {
    let now = Utc::now();
    let (station_id, site_id) = db
        .write_blocking(move |conn| {
            let station = support::station(conn, "荆州竞速血站")?;
            let site = support::site(conn, station.id, "便河社区", 30.31)?;
            let shift = (
                NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
                NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
            );
            support::vehicle(conn, station.id, "献血车1号", 2, 40, shift)?;
            let hash = accounts::hash_password(DISPATCHER_PASSWORD);
            accounts::add_user(conn, DISPATCHER, &hash, now)
                .map_err(|e| DbError::WriteBatch(e.to_string()))?;
            Ok::<_, DbError>((station.id, site.id))
        })
        .expect("seed the race's station");
    let mut conn = db.get().expect("a connection");
    let open: Vec<NaiveDate> = booking::site_availability(&mut conn, site_id, None, None, now)
        .expect("availability")
        .into_iter()
        .filter(|day| day.windows.iter().all(|w| w.seats_left > 0))
        .map(|day| day.date)
        .take(days)
        .collect();
    assert_eq!(open.len(), days, "not enough bookable days");
    Seeded {
        station_id,
        site_id,
        days: open,
    }
}

#[derive(Queryable)]
struct NoticeLine {
    out_id: String,
    kind: String,
    channel: String,
    booking_id: Option<i64>,
    status: String,
    due_at: NaiveDateTime,
}

fn load_notices(db: &Db) -> Vec<NoticeLine> {
    let mut pooled = db.get().expect("a connection");
    let conn: &mut DbConnection = &mut pooled;
    notices::table
        .select((
            notices::out_id,
            notices::kind,
            notices::channel,
            notices::booking_id,
            notices::status,
            notices::due_at,
        ))
        .load(conn)
        .expect("notices")
}

/// Waits until no notice due by now is waiting or being sent; whether that happened in time.
pub fn wait_for_notices(db: &Db, mail: &Received, texts: &Received, limit: Duration) -> bool {
    let started = Instant::now();
    loop {
        let now = stored_instant(Utc::now());
        let waiting = load_notices(db)
            .iter()
            .filter(|n| n.due_at <= now && (n.status == "pending" || n.status == "sending"))
            .count();
        if waiting == 0 {
            eprintln!(
                "race: notices drained in {:.1} s ({} mails, {} texts received)",
                started.elapsed().as_secs_f64(),
                mail.counts().len(),
                texts.counts().len()
            );
            return true;
        }
        if started.elapsed() > limit {
            eprintln!("race: {waiting} notices still due after {limit:?}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The counts of the last line.
pub fn check(
    db: &Db,
    seeded: &Seeded,
    report: &Report,
    mail: &Received,
    texts: &Received,
) -> Map<String, Value> {
    let mut pooled = db.get().expect("a connection");
    let conn: &mut DbConnection = &mut pooled;
    let now = Utc::now();
    let rows: Vec<(i64, String, i64, NaiveDate, String, String)> = bookings::table
        .select((
            bookings::id,
            bookings::reference,
            bookings::donor_id,
            bookings::service_date,
            bookings::time_window,
            bookings::status,
        ))
        .load(conn)
        .expect("bookings");
    let confirmed: Vec<_> = rows.iter().filter(|r| r.5 == "confirmed").collect();

    // Seats: no window holds more donors than the fleet can take there. Before a day has a
    // plan that is the seat rule's capacity; once it has one, its routes (which may take more
    // than the rule's estimate, as they know the real drives): every confirmed booking of the
    // day is served by a route, and the plan breaks no rule of the independent checker.
    let capacity: HashMap<(NaiveDate, String), u32> = booking::site_availability(
        conn,
        seeded.site_id,
        seeded.days.first().copied(),
        seeded.days.last().copied(),
        now,
    )
    .expect("availability")
    .into_iter()
    .flat_map(|day| {
        day.windows
            .into_iter()
            .map(move |w| ((day.date, w.window), w.capacity))
    })
    .collect();
    let mut over_capacity = 0;
    for &date in &seeded.days {
        if plans::latest(conn, seeded.station_id, date)
            .expect("plans")
            .is_some()
        {
            let (view, broken) = plan_checker::stored_violations(conn, seeded.station_id, date);
            let left_out: usize = view.left_out.iter().map(|s| s.bookings.len()).sum();
            for rule in &broken {
                eprintln!("race: the plan of {date} breaks a rule: {rule}");
            }
            if left_out > 0 {
                eprintln!("race: the plan of {date} leaves out {left_out} confirmed bookings");
            }
            over_capacity += broken.len() + left_out;
            continue;
        }
        let mut held: HashMap<&str, usize> = HashMap::new();
        for row in confirmed.iter().filter(|r| r.3 == date) {
            *held.entry(row.4.as_str()).or_default() += 1;
        }
        for (window, n) in held {
            let seats = capacity
                .get(&(date, window.to_string()))
                .copied()
                .unwrap_or(0) as usize;
            if n > seats {
                eprintln!("race: ({date}, {window:?}) holds {n} donors for {seats} seats");
            }
            over_capacity += n.saturating_sub(seats);
        }
    }

    // One confirmed booking per donor.
    let mut per_donor: HashMap<i64, u32> = HashMap::new();
    for row in &confirmed {
        *per_donor.entry(row.2).or_default() += 1;
    }
    let double_booked = per_donor.values().filter(|&&n| n > 1).count();

    // Every booking a client saw accepted is there, as the client last left it.
    let by_reference: HashMap<&str, _> = rows.iter().map(|r| (r.1.as_str(), r)).collect();
    let mut lost = 0;
    for accepted in &report.accepted {
        let Some(row) = by_reference.get(accepted.reference.as_str()) else {
            eprintln!("race: lost {}", accepted.reference);
            lost += 1;
            continue;
        };
        if accepted.uncertain {
            continue;
        }
        let as_left = if accepted.cancelled {
            row.5 == "cancelled"
        } else {
            row.5 == "confirmed" && row.3 == accepted.date && row.4 == accepted.window
        };
        if !as_left {
            eprintln!(
                "race: {} is {row:?}, the client left it {accepted:?}",
                accepted.reference
            );
            lost += 1;
        }
    }

    // Notices: each accepted booking's receipt on both channels, every notice due by now
    // received, none written twice for one event.
    let lines = load_notices(db);
    let (mail, texts) = (mail.counts(), texts.counts());
    let received = |line: &NoticeLine| match line.channel.as_str() {
        "email" => mail.contains_key(&line.out_id),
        _ => texts.contains_key(&line.out_id),
    };
    let ids: HashMap<&str, i64> = rows.iter().map(|r| (r.1.as_str(), r.0)).collect();
    let receipts: HashSet<(i64, &str)> = lines
        .iter()
        .filter(|l| l.kind == "booking_received")
        .filter_map(|l| Some((l.booking_id?, l.channel.as_str())))
        .collect();
    let mut notices_missing = 0;
    for accepted in &report.accepted {
        if let Some(id) = ids.get(accepted.reference.as_str()) {
            for channel in ["email", "sms"] {
                if !receipts.contains(&(*id, channel)) {
                    notices_missing += 1;
                }
            }
        }
    }
    let checked_at = stored_instant(now);
    let unsent: Vec<_> = lines
        .iter()
        .filter(|l| l.due_at <= checked_at && l.status != "skipped" && !received(l))
        .collect();
    for line in unsent.iter().take(5) {
        eprintln!(
            "race: not received: {} {} {} ({})",
            line.kind, line.channel, line.out_id, line.status
        );
    }
    notices_missing += unsent.len();
    let mut events: HashMap<(i64, &str, &str), u32> = HashMap::new();
    for line in lines.iter().filter(|l| l.kind == "booking_received") {
        if let Some(id) = line.booking_id {
            *events
                .entry((id, line.kind.as_str(), line.channel.as_str()))
                .or_default() += 1;
        }
    }
    let known: HashSet<&str> = lines.iter().map(|l| l.out_id.as_str()).collect();
    let unknown = mail
        .keys()
        .chain(texts.keys())
        .filter(|id| !known.contains(id.as_str()))
        .count();
    let notices_duplicated: u32 = events.values().map(|n| n - 1).sum::<u32>() + unknown as u32;
    let redelivered: u32 = mail.values().chain(texts.values()).map(|n| n - 1).sum();

    let mut out = Map::new();
    out.insert("attempts".into(), report.attempts.into());
    out.insert("accepted".into(), report.accepted.len().into());
    out.insert("over_capacity".into(), over_capacity.into());
    out.insert("double_booked".into(), double_booked.into());
    out.insert("lost".into(), lost.into());
    out.insert("notices_missing".into(), notices_missing.into());
    out.insert("notices_duplicated".into(), notices_duplicated.into());
    out.insert(
        "errors_5xx_outside_outage".into(),
        report.errors_5xx_outside_outage.into(),
    );
    out.insert("confirmed_at_end".into(), confirmed.len().into());
    out.insert("seats".into(), capacity.values().sum::<u32>().into());
    out.insert("cancelled".into(), report.cancelled.into());
    out.insert("rescheduled".into(), report.rescheduled.into());
    out.insert("waitlisted".into(), report.waitlisted.into());
    out.insert("published_days".into(), report.published_days.into());
    out.insert("dispatch_errors".into(), report.dispatch_errors.into());
    out.insert(
        "refused".into(),
        serde_json::to_value(&report.refused).unwrap_or_default(),
    );
    out.insert(
        "errors_5xx_during_outage".into(),
        report.errors_5xx_during_outage.into(),
    );
    out.insert(
        "errors_not_503_during_outage".into(),
        report.errors_not_503_during_outage.into(),
    );
    out.insert("lost_connections".into(), report.lost_connections.into());
    out.insert("gave_up".into(), report.gave_up.into());
    out.insert("mails_received".into(), mail.len().into());
    out.insert("texts_received".into(), texts.len().into());
    out.insert("redelivered_same_id".into(), redelivered.into());
    if let Some(red) = report.readyz_red_during_outage {
        out.insert("readyz_red_during_outage".into(), red.into());
        out.insert(
            "readyz_back_after_s".into(),
            report
                .readyz_back_after_s
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
    }
    out
}

/// Whether the result shows a failure: a count that must be 0 is not, a process died, a day
/// could not be planned, the notices did not drain, `/readyz` did not turn red and back, an
/// outage no request saw.
pub fn failures(result: &Map<String, Value>) -> bool {
    let nonzero = |key: &str| result.get(key).and_then(Value::as_u64).unwrap_or(0) > 0;
    let must_be_zero = [
        "over_capacity",
        "double_booked",
        "lost",
        "notices_missing",
        "notices_duplicated",
        "errors_5xx_outside_outage",
        "errors_not_503_during_outage",
        "processes_died",
        "dispatch_errors",
        "gave_up",
    ];
    must_be_zero.iter().any(|key| nonzero(key))
        || result.get("notices_drained") == Some(&Value::Bool(false))
        || result.get("plain_connection_refused") == Some(&Value::Bool(false))
        || result.get("readyz_red_during_outage") == Some(&Value::Bool(false))
        || result.get("readyz_back_after_s") == Some(&Value::Null)
        || (result.contains_key("readyz_red_during_outage") && !nonzero("errors_5xx_during_outage"))
        || result.get("accepted").and_then(Value::as_u64) == Some(0)
}
