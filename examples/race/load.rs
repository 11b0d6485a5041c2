//! The clients of a race: booking attempts spread over the servers, some followed by a
//! cancellation or a reschedule, full windows joined on the waitlist; a controller that
//! re-plans and publishes each day halfway, and crashes a server or stops the database when
//! asked. Clients retry as a careful client would: the same `Idempotency-Key` on another
//! server after a lost connection, after `Retry-After` on a 503.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::Options;
use super::cluster::Cluster;
use super::processes::{Fleet, readyz};
use super::verify::{DISPATCHER, DISPATCHER_PASSWORD, Seeded};

/// A booking a client saw accepted, and what the client last made of it.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub reference: String,
    pub date: NaiveDate,
    pub window: String,
    pub cancelled: bool,
    /// A change whose answer was lost: its outcome is not known to the client.
    pub uncertain: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub attempts: usize,
    pub accepted: Vec<Accepted>,
    pub refused: std::collections::BTreeMap<String, usize>,
    pub errors_5xx_outside_outage: usize,
    pub errors_5xx_during_outage: usize,
    /// 5xx in the outage other than 503 (a 500, a 502): must be none.
    pub errors_not_503_during_outage: usize,
    pub lost_connections: usize,
    pub gave_up: usize,
    pub cancelled: usize,
    pub rescheduled: usize,
    pub waitlisted: usize,
    pub dispatch_errors: usize,
    pub published_days: usize,
    pub readyz_red_during_outage: Option<bool>,
    pub readyz_back_after_s: Option<f64>,
}

struct Shared {
    client: reqwest::Client,
    ports: Vec<u16>,
    seeded: Seeded,
    next: AtomicUsize,
    /// Clients wait before an attempt numbered this or more until the controller's next event
    /// has begun, so that every event happens under load however long the last one took.
    gate: AtomicUsize,
    attempts: usize,
    /// When the database was stopped and started again (5xx inside it are expected).
    outage: Mutex<Option<(Instant, Option<Instant>)>>,
    report: Mutex<Report>,
    done: AtomicBool,
}

/// After a restart, clients may still see 503s for a few seconds while pools reconnect.
const OUTAGE_GRACE: Duration = Duration::from_secs(10);

impl Shared {
    fn in_outage(&self, at: Instant) -> bool {
        match *self.outage.lock().unwrap() {
            Some((start, end)) => at >= start && end.is_none_or(|end| at <= end + OUTAGE_GRACE),
            None => false,
        }
    }

    fn url(&self, server: usize, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}{path}",
            self.ports[server % self.ports.len()]
        )
    }

    /// Sends the request `build` makes for a server, retrying a lost connection on the next
    /// server and a 5xx after its `Retry-After`; the final status, body and whether any retry
    /// happened.
    async fn send(
        &self,
        first: usize,
        build: impl Fn(&reqwest::Client, String) -> reqwest::RequestBuilder,
        path: &str,
    ) -> Option<(u16, Value, bool)> {
        let mut retried = false;
        for attempt in 0..60 {
            let server = first + attempt;
            match build(&self.client, self.url(server, path)).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let wait = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if status < 500 {
                        return Some((status, body, retried));
                    }
                    {
                        let mut report = self.report.lock().unwrap();
                        if self.in_outage(Instant::now()) {
                            report.errors_5xx_during_outage += 1;
                            if status != 503 {
                                report.errors_not_503_during_outage += 1;
                                eprintln!("race: {status} in the outage on {path}: {body}");
                            }
                        } else {
                            report.errors_5xx_outside_outage += 1;
                            eprintln!("race: {status} outside the outage on {path}: {body}");
                        }
                    }
                    if status == 503 && wait.is_none() {
                        eprintln!("race: a 503 without Retry-After on {path}");
                        self.report.lock().unwrap().errors_5xx_outside_outage += 1;
                    }
                    tokio::time::sleep(Duration::from_secs(wait.unwrap_or(1).min(5))).await;
                }
                Err(_) => {
                    self.report.lock().unwrap().lost_connections += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            retried = true;
        }
        self.report.lock().unwrap().gave_up += 1;
        None
    }
}

fn donor(n: usize, phone: usize) -> Value {
    json!({
        "name": format!("献血者{n}"),
        "phone": format!("+86139{phone:08}"),
        "email": format!("donor{n}@race.example"),
        "birth_date": "1985-03-15",
        "sex": "female",
        "weight_kg": 58.5
    })
}

/// One client's attempts until none are left.
async fn client(shared: Arc<Shared>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let windows = ["morning", "afternoon"];
    loop {
        let n = shared.next.fetch_add(1, Ordering::Relaxed);
        if n >= shared.attempts {
            break;
        }
        while n >= shared.gate.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Phones repeat: the same donor trying twice must be refused.
        let phone = rng.gen_range(0..(shared.attempts * 3 / 4).max(1));
        let date = shared.seeded.days[rng.gen_range(0..shared.seeded.days.len())];
        let window = windows[rng.gen_range(0..2)];
        let body = json!({
            "site_id": shared.seeded.site_id,
            "date": date.to_string(),
            "window": window,
            "kind": "whole_blood",
            "language": if n.is_multiple_of(3) { "en" } else { "zh-CN" },
            "donor": donor(n, phone),
        });
        let key = format!("race-{seed}-{n}-{}", rng.r#gen::<u64>());
        let sent = shared
            .send(
                n,
                |client, url| client.post(url).header("Idempotency-Key", &key).json(&body),
                "/api/v1/bookings",
            )
            .await;
        let Some((status, answer, _)) = sent else {
            continue;
        };
        match status {
            201 => {
                let accepted = Accepted {
                    reference: answer["reference"].as_str().unwrap_or_default().into(),
                    date,
                    window: window.into(),
                    cancelled: false,
                    uncertain: false,
                };
                let token = answer["manage_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let accepted = follow_up(&shared, &mut rng, n, accepted, &token).await;
                shared.report.lock().unwrap().accepted.push(accepted);
            }
            409 if answer["error"]["code"] == "full" && rng.gen_bool(0.3) => {
                let joined = shared
                    .send(
                        n,
                        |client, url| client.post(url).json(&body),
                        "/api/v1/waitlist",
                    )
                    .await;
                if let Some((201, _, _)) = joined {
                    shared.report.lock().unwrap().waitlisted += 1;
                }
            }
            _ => {
                let code = answer["error"]["code"].as_str().unwrap_or("?").to_string();
                *shared
                    .report
                    .lock()
                    .unwrap()
                    .refused
                    .entry(format!("{status} {code}"))
                    .or_default() += 1;
            }
        }
    }
}

/// Some accepted bookings are cancelled or moved by their donor right away.
async fn follow_up(
    shared: &Shared,
    rng: &mut StdRng,
    n: usize,
    mut accepted: Accepted,
    token: &str,
) -> Accepted {
    let path = format!("/api/v1/bookings/{}", accepted.reference);
    let roll: f64 = rng.r#gen();
    if roll < 0.08 {
        let sent = shared
            .send(
                n + 1,
                |client, url| client.delete(url).bearer_auth(token),
                &path,
            )
            .await;
        match sent {
            Some((200, _, retried)) => {
                accepted.cancelled = true;
                accepted.uncertain |= retried;
                shared.report.lock().unwrap().cancelled += 1;
            }
            Some((_, _, retried)) => accepted.uncertain |= retried,
            None => accepted.uncertain = true,
        }
    } else if roll < 0.16 {
        let date = shared.seeded.days[rng.gen_range(0..shared.seeded.days.len())];
        let window = if accepted.window == "morning" {
            "afternoon"
        } else {
            "morning"
        };
        let body = json!({"date": date.to_string(), "window": window});
        let sent = shared
            .send(
                n + 1,
                |client, url| client.patch(url).bearer_auth(token).json(&body),
                &path,
            )
            .await;
        match sent {
            Some((200, _, retried)) => {
                accepted.date = date;
                accepted.window = window.into();
                accepted.uncertain |= retried;
                shared.report.lock().unwrap().rescheduled += 1;
            }
            Some((_, _, retried)) => accepted.uncertain |= retried,
            None => accepted.uncertain = true,
        }
    }
    accepted
}

/// Signs the dispatcher in, plans each day again and publishes it.
async fn replan_and_publish(shared: &Shared) {
    let login = json!({"username": DISPATCHER, "password": DISPATCHER_PASSWORD});
    let Some((200, body, _)) = shared
        .send(
            0,
            |client, url| client.post(url).json(&login),
            "/api/v1/auth/token",
        )
        .await
    else {
        shared.report.lock().unwrap().dispatch_errors += 1;
        return;
    };
    let token = body["token"].as_str().unwrap_or_default().to_string();
    for (i, day) in shared.seeded.days.iter().enumerate() {
        let base = format!("/api/v1/stations/{}/days/{day}", shared.seeded.station_id);
        let planned = shared
            .send(
                i,
                |client, url| {
                    client
                        .post(url)
                        .bearer_auth(&token)
                        .json(&json!({"time_limit_s": 1}))
                },
                &format!("{base}/plans"),
            )
            .await;
        let published = match planned {
            Some((201, _, _)) => {
                shared
                    .send(
                        i + 1,
                        |client, url| client.post(url).bearer_auth(&token),
                        &format!("{base}/plan/publish"),
                    )
                    .await
            }
            other => other,
        };
        match published {
            Some((200, _, _)) => shared.report.lock().unwrap().published_days += 1,
            other => {
                eprintln!("race: planning {day}: {other:?}");
                shared.report.lock().unwrap().dispatch_errors += 1;
            }
        }
    }
}

/// Stops the database for 10 s and watches `/readyz` turn red and back; `stopped` lets the
/// clients go on once it is down.
async fn outage(shared: &Shared, cluster: &Cluster, stopped: impl FnOnce()) {
    let port = shared.ports[shared.ports.len() - 1];
    *shared.outage.lock().unwrap() = Some((Instant::now(), None));
    eprintln!("race: stopping PostgreSQL for 10 s");
    tokio::task::block_in_place(|| cluster.down()).expect("stop PostgreSQL");
    stopped();
    let stopped = Instant::now();
    let mut red = false;
    while stopped.elapsed() < Duration::from_secs(10) {
        red |= tokio::task::spawn_blocking(move || readyz(port))
            .await
            .unwrap()
            == Some(503);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::task::block_in_place(|| cluster.up()).expect("start PostgreSQL");
    let started = Instant::now();
    shared.outage.lock().unwrap().as_mut().unwrap().1 = Some(started);
    eprintln!("race: PostgreSQL is back");
    let mut back = None;
    while started.elapsed() < Duration::from_secs(60) {
        if tokio::task::spawn_blocking(move || readyz(port))
            .await
            .unwrap()
            == Some(200)
        {
            back = Some((started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut report = shared.report.lock().unwrap();
    report.readyz_red_during_outage = Some(red);
    report.readyz_back_after_s = back;
}

/// Runs the clients and, beside them, the controller's events at fixed shares of the attempts.
pub async fn run(
    options: &Options,
    seeded: &Seeded,
    ports: Vec<u16>,
    fleet: &mut Fleet,
    cluster: Arc<Cluster>,
) -> Report {
    let shared = Arc::new(Shared {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(options.concurrency)
            .build()
            .expect("client"),
        ports,
        seeded: seeded.clone(),
        next: AtomicUsize::new(0),
        gate: AtomicUsize::new(0),
        attempts: options.attempts,
        outage: Mutex::new(None),
        report: Mutex::new(Report::default()),
        done: AtomicBool::new(false),
    });
    let clients: Vec<_> = (0..options.concurrency)
        .map(|c| tokio::spawn(client(shared.clone(), c as u64 + 1)))
        .collect();
    let mark = |share: f64| (options.attempts as f64 * share) as usize;
    let progress = |share: f64| {
        let shared = shared.clone();
        async move {
            while shared.next.load(Ordering::Relaxed) < mark(share)
                && !shared.done.load(Ordering::Relaxed)
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let open_until = |share: Option<f64>| {
        shared
            .gate
            .store(share.map_or(usize::MAX, mark), Ordering::Relaxed)
    };
    let (replan_at, outage_at) = (0.45, options.outage.then_some(0.6));
    open_until(Some(if options.crash { 0.25 } else { replan_at }));
    let controller = async {
        if options.crash {
            progress(0.25).await;
            open_until(Some(replan_at));
            tokio::task::block_in_place(|| fleet.crash_and_restart());
        }
        progress(replan_at).await;
        // Clients book on while the days are planned, up to the outage's mark.
        open_until(outage_at);
        replan_and_publish(&shared).await;
        if let Some(share) = outage_at {
            progress(share).await;
            outage(&shared, &cluster, || open_until(None)).await;
        }
    };
    let clients = async {
        for task in clients {
            task.await.expect("a client panicked");
        }
        shared.done.store(true, Ordering::Relaxed);
    };
    tokio::join!(controller, clients);
    // Dead processes seen now were not killed by the race.
    fleet.count_dead();
    let mut report = std::mem::take(&mut *shared.report.lock().unwrap());
    report.attempts = options.attempts;
    report
}
