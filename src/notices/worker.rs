//! The worker: claims due notices with a lease in a short write, sends them outside any
//! transaction, and records what became of them (sent, due again later, failed, skipped) in
//! further short writes, a few dozen at a time. While it sends, it renews its leases, so a slow
//! server never lets another worker take a notice that is still being sent.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rand::Rng;

use super::content::{self, Message, Obsolete};
use super::email::Mailer;
use super::settings::NoticeSettings;
use super::sms::Gateway;
use super::templates::render;
use super::{Channel, NoticeKind};
use crate::db::notices::{self, NoticeRow, Outcome as Recorded};
use crate::db::{Db, DbError, stored_instant, write_transaction};
use crate::domain::notice::{next_local_morning, outside_quiet_hours};
use crate::station::Station;

/// Why a send did not work; a permanent one is not retried.
#[derive(Debug, Clone)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

/// How long an idle worker waits before looking again.
const IDLE: Duration = Duration::from_millis(250);
/// Outcomes recorded in one write at most.
const RECORD_CHUNK: usize = 64;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub deferred: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// One worker; several may run at once (on PostgreSQL, in several processes).
pub struct Worker {
    db: Db,
    name: String,
    settings: NoticeSettings,
    public_url: String,
    mailer: Mailer,
    gateway: Gateway,
    /// Added to the system clock (zero but in tests, which run at any hour of the day).
    clock_offset: chrono::Duration,
}

/// A claimed notice, read and ready: its message to send, or already an outcome.
enum Prepared {
    Send(Box<Message>),
    Done(Outcome),
}

/// What became of one claimed notice.
enum Outcome {
    Sent,
    /// A failure to try again at the given time.
    Retry(String, DateTime<Utc>),
    /// Not to be sent before the given time (quiet hours, the day's SMS cap); not a failure.
    Defer(String, DateTime<Utc>),
    Failed(String),
    Skipped(String),
}

impl Worker {
    /// A worker for `db` (build it inside the async runtime: the SMTP pool needs one).
    pub fn new(db: Db, settings: NoticeSettings, public_url: &str) -> Result<Worker, String> {
        let mailer = Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.mail_from,
            &settings.notice_dir,
            settings.concurrency,
        )?;
        let gateway = Gateway::new(&settings)?;
        let name = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        Ok(Worker {
            db,
            name,
            public_url: public_url.to_string(),
            settings,
            mailer,
            gateway,
            clock_offset: chrono::Duration::zero(),
        })
    }

    /// A worker whose clock runs `offset` ahead of the system's (`offset` ≥ 0: whatever is
    /// due now stays due). Tests use it to send as if at a chosen local hour.
    pub fn with_clock_offset(mut self, offset: chrono::Duration) -> Worker {
        self.clock_offset = offset.max(chrono::Duration::zero());
        self
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// Where notices go, for the start-up message.
    pub fn describe(&self) -> String {
        let mail = match &self.mailer {
            Mailer::Smtp { .. } => "mail over SMTP".to_string(),
            Mailer::Folder { dir, .. } => format!("mail as .eml files in {}", shown(dir)),
        };
        let sms = match &self.gateway {
            Gateway::Http { provider, .. } => {
                format!("text messages through the {provider:?} gateway")
            }
            Gateway::Folder { dir } => format!("text messages as .json files in {}", shown(dir)),
        };
        format!("{mail}; {sms}")
    }

    /// Runs until the process ends: a pass, then another at once if it found work.
    pub async fn run(self) {
        loop {
            match self.pass().await {
                Ok(pass) if pass.claimed > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notice worker: the database failed"),
            }
            actix_web::rt::time::sleep(IDLE).await;
        }
    }

    /// Whether notices are due now (claimable).
    pub async fn due_now(&self) -> Result<bool, DbError> {
        let now = stored_instant(self.now());
        self.db
            .run(move |conn| {
                let stats = notices::queue_stats(conn, now)?;
                Ok(stats.oldest_due.is_some() && (stats.pending > 0 || stats.sending > 0))
            })
            .await
    }

    /// Notices claimed at a time: enough to keep every sending slot busy for a while, few
    /// enough that a worker killed mid-pass leaves little to send again.
    fn batch(&self) -> i64 {
        (self.settings.concurrency.max(1) * 8).clamp(8, 512) as i64
    }

    /// Claims a batch of due notices and sends them.
    pub async fn pass(&self) -> Result<Pass, DbError> {
        let now = self.now();
        let lease = self.lease();
        let (name, batch) = (self.name.clone(), self.batch());
        let claimed = self
            .db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    notices::claim(
                        conn,
                        &name,
                        stored_instant(now),
                        stored_instant(now + lease),
                        batch,
                    )
                    .map_err(DbError::from)
                })
            })
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        // What each notice says, and whether it may go now, read for the whole batch at once.
        let prepared = self.prepare(claimed.clone()).await;
        // One recipient's notices one after another (they arrive in the order they were
        // written), different recipients at once; outcomes recorded as they come.
        let mut by_recipient: Vec<Vec<(&NoticeRow, Prepared)>> = Vec::new();
        for (notice, prepared) in claimed.iter().zip(prepared) {
            match by_recipient
                .iter_mut()
                .find(|group| group[0].0.recipient == notice.recipient)
            {
                Some(group) => group.push((notice, prepared)),
                None => by_recipient.push(vec![(notice, prepared)]),
            }
        }
        // Outcomes are recorded by a task of their own while the sends go on.
        let (outcomes_to, mut outcomes_from) = tokio::sync::mpsc::unbounded_channel();
        let sending = async move {
            futures_util::stream::iter(by_recipient)
                .for_each_concurrent(self.settings.concurrency.max(1), |group| {
                    let outcomes_to = outcomes_to.clone();
                    async move {
                        for (notice, prepared) in group {
                            let outcome = match prepared {
                                Prepared::Send(message) => self.send(notice, &message).await,
                                Prepared::Done(outcome) => outcome,
                            };
                            let _ = outcomes_to.send((notice, outcome));
                        }
                    }
                })
                .await;
        };
        let recording = async {
            let (mut all, mut chunk) = (Vec::new(), Vec::with_capacity(RECORD_CHUNK));
            while outcomes_from.recv_many(&mut chunk, RECORD_CHUNK).await > 0 {
                self.record(&chunk).await;
                all.extend(chunk.drain(..).map(|(_, outcome)| outcome));
            }
            all
        };
        let outcomes = {
            let work = std::pin::pin!(futures_util::future::join(sending, recording));
            let heartbeat = std::pin::pin!(self.renew_leases());
            match futures_util::future::select(work, heartbeat).await {
                futures_util::future::Either::Left((((), outcomes), _)) => outcomes,
                futures_util::future::Either::Right(((), _)) => unreachable!("renews forever"),
            }
        };
        for outcome in &outcomes {
            let label = match outcome {
                Outcome::Sent => {
                    pass.sent += 1;
                    "sent"
                }
                Outcome::Retry(..) => {
                    pass.retried += 1;
                    "retry"
                }
                Outcome::Defer(..) => {
                    pass.deferred += 1;
                    "deferred"
                }
                Outcome::Failed(_) => {
                    pass.failed += 1;
                    "failed"
                }
                Outcome::Skipped(_) => {
                    pass.skipped += 1;
                    "skipped"
                }
            };
            crate::metrics::metrics()
                .notices
                .with_label_values(&[label])
                .inc();
        }
        Ok(pass)
    }

    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.lease()).expect("a lease")
    }

    /// Pushes back the lease of every notice this worker is sending, a third of a lease at a
    /// time, for as long as the pass lasts.
    async fn renew_leases(&self) {
        loop {
            actix_web::rt::time::sleep(self.settings.lease() / 3).await;
            let (name, until) = (self.name.clone(), stored_instant(self.now() + self.lease()));
            let renewed = self
                .db
                .write(move |conn| notices::renew_leases(conn, &name, until).map_err(DbError::from))
                .await;
            if let Err(e) = renewed {
                tracing::warn!(error = %e, "notice leases not renewed");
            }
        }
    }

    /// Records a chunk of outcomes in one write. A notice whose lease was lost (another worker
    /// took it over) is left to that worker.
    async fn record(&self, chunk: &[(&NoticeRow, Outcome)]) {
        let rows: Vec<(i64, Recorded)> = chunk
            .iter()
            .map(|(notice, outcome)| {
                let recorded = match outcome {
                    Outcome::Sent => Recorded::Sent,
                    Outcome::Retry(error, due) => Recorded::Pending {
                        error: error.clone(),
                        due: stored_instant(*due),
                        counts: true,
                    },
                    Outcome::Defer(why, due) => Recorded::Pending {
                        error: why.clone(),
                        due: stored_instant(*due),
                        counts: false,
                    },
                    Outcome::Failed(error) => Recorded::Failed {
                        error: error.clone(),
                    },
                    Outcome::Skipped(why) => Recorded::Skipped { why: why.clone() },
                };
                (notice.id, recorded)
            })
            .collect();
        for (notice, outcome) in chunk {
            if let Outcome::Failed(error) | Outcome::Retry(error, _) = outcome {
                // A server's refusal may quote the address or number: masked in the log.
                let error = crate::domain::donor::mask_contacts(error);
                tracing::warn!(notice = notice.id, kind = %notice.kind, channel = %notice.channel, %error, "notice not sent");
            }
        }
        let (name, now) = (self.name.clone(), stored_instant(self.now()));
        let recorded = self
            .db
            .write(move |conn| {
                write_transaction(conn, |conn| notices::record(conn, &name, now, &rows))
                    .map_err(DbError::from)
            })
            .await;
        match recorded {
            Ok(lost) if lost > 0 => {
                tracing::warn!(
                    notices = lost,
                    "notice leases lost before the outcome was recorded"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "notice outcomes not recorded"),
        }
    }

    /// Reads the message of each claimed notice and whether it may go now, in one read for
    /// the batch (a few queries, whatever its size). A phone's texts planned in this batch
    /// count towards its daily cap.
    async fn prepare(&self, claimed: Vec<NoticeRow>) -> Vec<Prepared> {
        let (public_url, mail_from) = (self.public_url.clone(), self.settings.mail_from.clone());
        let now = self.now();
        let loaded = self
            .db
            .run(move |conn| {
                let context = content::Context::load(conn, &claimed)?;
                let phones: Vec<&str> = claimed
                    .iter()
                    .filter(|n| n.channel == Channel::Sms.as_str())
                    .map(|n| n.recipient.as_str())
                    .collect();
                let opted_out = notices::opted_out_among(conn, &phones)?;
                // A local day is at most 26 hours long: what was sent since then covers it.
                let since = stored_instant(now - chrono::Duration::hours(26));
                let sent = notices::sms_sent_since(conn, &phones, since)?;
                let mut planned: HashMap<&str, i64> = HashMap::new();
                let prepared = claimed
                    .iter()
                    .map(|row| {
                        let (message, station) = match context.message(row, &public_url, &mail_from)
                        {
                            Ok(found) => found,
                            Err(Obsolete::Reminder) => {
                                return Prepared::Done(Outcome::Skipped(
                                    "the booking was cancelled or moved".into(),
                                ));
                            }
                            Err(Obsolete::NoBooking) => {
                                return Prepared::Done(Outcome::Skipped(
                                    "the booking is gone".into(),
                                ));
                            }
                        };
                        let texts = Texts {
                            opted_out: opted_out.contains(&row.recipient),
                            sent: sent
                                .iter()
                                .filter(|(phone, _)| *phone == row.recipient)
                                .map(|(_, at)| *at)
                                .collect(),
                            planned: planned.get(row.recipient.as_str()).copied().unwrap_or(0),
                        };
                        match hold(&message, station, &texts, now) {
                            Some(held) => Prepared::Done(held),
                            None => {
                                if message.channel == Channel::Sms {
                                    *planned.entry(row.recipient.as_str()).or_default() += 1;
                                }
                                Prepared::Send(Box::new(message))
                            }
                        }
                    })
                    .collect::<Vec<_>>();
                Ok::<_, DbError>(prepared)
            })
            .await;
        loaded.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "notices not read");
            Vec::new()
        })
    }

    /// Renders and sends one notice.
    async fn send(&self, notice: &NoticeRow, message: &Message) -> Outcome {
        let rendered = render(message);
        let now = self.now();
        let sent = match message.channel {
            Channel::Email => self.mailer.send(notice, message, &rendered, now).await,
            Channel::Sms => self.gateway.send(notice, message, &rendered, now).await,
        };
        match sent {
            Ok(()) => Outcome::Sent,
            Err(e) if e.permanent => Outcome::Failed(e.message),
            Err(e) => self.retry(notice, e.message),
        }
    }

    /// Due again after a backoff that doubles with each attempt (with jitter), or failed once
    /// the attempts are used up.
    fn retry(&self, notice: &NoticeRow, error: String) -> Outcome {
        if notice.attempts >= self.settings.max_attempts {
            return Outcome::Failed(error);
        }
        Outcome::Retry(error, self.now() + backoff(&self.settings, notice.attempts))
    }
}

/// A folder as the start-up message shows it: absolute, so a newcomer can find it.
fn shown(dir: &std::path::Path) -> String {
    std::path::absolute(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// The wait before attempt `attempts + 1`: the base doubled per attempt, at most an hour, and
/// a quarter either way at random so that retries of one outage do not come back together.
pub fn backoff(settings: &NoticeSettings, attempts: i32) -> chrono::Duration {
    let base = settings.retry_base().as_secs_f64();
    let doubled = base * 2f64.powi((attempts - 1).clamp(0, 20));
    let capped = doubled.min(3600.0f64.max(base));
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    chrono::Duration::milliseconds((capped * jitter * 1000.0) as i64)
}

/// A phone's text messages as the daily cap sees them.
struct Texts {
    opted_out: bool,
    /// When it was sent texts lately (the last 26 hours).
    sent: Vec<chrono::NaiveDateTime>,
    /// Texts to it planned earlier in this batch.
    planned: i64,
}

/// Whether a notice must wait or not go out at all: a reminder or arrival-window notice in the
/// quiet hours waits for the morning (unless the appointment comes first); a text message to a
/// phone that opted out is skipped, and one over the phone's daily cap (a day in the station's
/// zone) waits for the next morning.
fn hold(
    message: &Message,
    station: &Station,
    texts: &Texts,
    now: DateTime<Utc>,
) -> Option<Outcome> {
    let tz = station.tz;
    let appointment = message.window_from.with_timezone(&Utc);
    if matches!(
        message.kind,
        NoticeKind::Reminder | NoticeKind::WindowPublished | NoticeKind::WindowChanged
    ) {
        let morning = outside_quiet_hours(tz, now);
        if morning > now && morning < appointment {
            return Some(Outcome::Defer("quiet hours".into(), morning));
        }
    }
    if message.channel != Channel::Sms {
        return None;
    }
    if texts.opted_out {
        return Some(Outcome::Skipped(
            "the phone opted out of text messages".into(),
        ));
    }
    let cap = station.notices.sms_daily_cap;
    let midnight = crate::domain::calendar::resolve_local(
        tz,
        now.with_timezone(&tz)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
    );
    let today = stored_instant(midnight.with_timezone(&Utc));
    let sent_today = texts.sent.iter().filter(|at| **at >= today).count() as i64;
    if sent_today + texts.planned >= i64::from(cap) {
        return Some(Outcome::Defer(
            format!("the phone had its {cap} text messages today"),
            next_local_morning(tz, now),
        ));
    }
    None
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into())
}
