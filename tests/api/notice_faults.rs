//! Notices through faults: a worker process killed with SIGKILL in the middle of sending, and
//! two workers sharing one queue. Nothing is lost, and a notice sent again carries the same
//! Message-ID, so the receiving side can tell.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bloodmobile::notices::worker::Worker;

use crate::both;
use crate::helpers::{TestApp, booking_body, day, unique_phone};
use crate::mail_servers::Inbox;
use crate::notices::{Folder, notices_of, settings, worker};

both!(
    a_worker_killed_mid_send_loses_nothing_and_resends_with_the_same_message_id,
    two_workers_send_each_notice_once,
);

/// Books `n` donors with an email address each.
async fn book(app: &TestApp, n: usize) {
    for i in 0..n {
        let mut body = booking_body(
            app.site_id,
            day(3 + (i % 3) as u64),
            "morning",
            &unique_phone(),
        );
        body["donor"]["email"] = serde_json::json!(format!("donor{i}@example.com"));
        app.book_ok(&body).await;
    }
}

/// `bloodmobile worker` on the app's database, sending mail to `smtp`.
fn spawn_worker(app: &TestApp, smtp: &str, folder: &Folder) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bloodmobile"))
        .arg("worker")
        .env("DATABASE_URL", app.db.display_url())
        .env("BLOODMOBILE_SMTP_URL", smtp)
        .env("BLOODMOBILE_NOTICE_DIR", &folder.0)
        .env("BLOODMOBILE_NOTICE_LEASE_SECONDS", "1")
        .env("BLOODMOBILE_NOTICE_RETRY_SECONDS", "0.05")
        .env("BLOODMOBILE_NOTICE_CONCURRENCY", "4")
        .env("BLOODMOBILE_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start bloodmobile worker")
}

async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_worker_killed_mid_send_loses_nothing_and_resends_with_the_same_message_id(
    app: &TestApp,
) {
    let (inbox, smtp) = Inbox::start();
    inbox.slow_down(Duration::from_millis(300));
    let folder = Folder::new();
    book(app, 8).await;
    let mut first = spawn_worker(app, &smtp, &folder);
    wait_for("the first mail", Duration::from_secs(60), || {
        inbox.count() >= 2
    })
    .await;
    first.kill().expect("SIGKILL the worker");
    first.wait().unwrap();
    let before_restart = inbox.count();
    // What the killed worker had recorded as sent.
    let recorded: HashSet<String> = notices_of(app)
        .await
        .iter()
        .filter(|n| n.channel == "email" && n.status == "sent")
        .map(|n| format!("<{}@bloodmobile>", n.out_id))
        .collect();
    let mut second = spawn_worker(app, &smtp, &folder);
    let mut sent = false;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(90) {
        let rows = notices_of(app).await;
        if rows
            .iter()
            .filter(|n| n.channel == "email" && n.kind == "booking_received")
            .all(|n| n.status == "sent")
        {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(sent, "every mail is sent after the restart");
    let rows = notices_of(app).await;
    let expected: HashSet<String> = rows
        .iter()
        .filter(|n| n.channel == "email" && n.status == "sent")
        .map(|n| format!("<{}@bloodmobile>", n.out_id))
        .collect();
    let received = inbox.message_ids();
    let unique: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(
        unique, expected,
        "each notice arrived, under its own Message-ID"
    );
    // A mail the killed worker was sending, or had sent without recording it yet, may arrive
    // twice, always with the same Message-ID; one it had recorded as sent never does.
    let mut copies: HashMap<&String, usize> = HashMap::new();
    for id in &received {
        *copies.entry(id).or_default() += 1;
    }
    let again: Vec<&&String> = copies
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        again.iter().all(|id| !recorded.contains(**id)),
        "sent again though recorded as sent: {again:?} of {recorded:?}"
    );
    assert!(before_restart < expected.len(), "the kill came mid-send");
    assert!(
        rows.iter().any(|n| n.attempts >= 2),
        "what the killed worker held was sent again after its lease ran out"
    );
}

async fn two_workers_send_each_notice_once(app: &TestApp) {
    let (inbox, smtp) = Inbox::start();
    inbox.slow_down(Duration::from_millis(20));
    let folder = Folder::new();
    book(app, 16).await;
    // Two at a time each, so that a claim (eight) is a share of the 32 due notices.
    let config = || {
        let mut config = settings(Some(&smtp), None, &folder);
        config.concurrency = 2;
        config
    };
    let (one, two) = (worker(app, config()), worker(app, config()));
    let run = |worker: Worker| async move {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let pass = worker.pass().await.unwrap();
            if pass.claimed == 0 {
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            let due = worker_has_work(&worker).await;
            if !due {
                break;
            }
        }
    };
    tokio::join!(run(one), run(two));
    let rows = notices_of(app).await;
    let mails: Vec<_> = rows
        .iter()
        .filter(|n| n.channel == "email" && n.kind == "booking_received")
        .collect();
    assert_eq!(mails.len(), 16);
    assert!(
        mails.iter().all(|n| n.status == "sent" && n.attempts == 1),
        "{mails:?}"
    );
    let received = inbox.message_ids();
    let unique: HashSet<&String> = received.iter().collect();
    assert_eq!(received.len(), unique.len(), "no mail twice");
    assert_eq!(received.len(), 16);
    let workers: HashSet<&Option<String>> = rows
        .iter()
        .filter(|n| n.status == "sent")
        .map(|n| &n.leased_by)
        .collect();
    assert_eq!(workers.len(), 2, "both workers sent a share");
}

/// Whether due notices are left (both workers stop when none are).
async fn worker_has_work(worker: &Worker) -> bool {
    worker.due_now().await.unwrap_or(true)
}
