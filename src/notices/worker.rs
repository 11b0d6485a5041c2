//! The worker: claims due notices with a lease in a short write, sends them outside any
//! transaction, and marks each sent (or due again later, or failed) in another short write.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rand::Rng;

use super::Channel;
use super::content::{self, Obsolete};
use super::email::Mailer;
use super::outbox::Payload;
use super::settings::NoticeSettings;
use super::sms::Gateway;
use super::templates::render;
use crate::db::notices::{self, FAILED, NoticeRow, PENDING, SKIPPED};
use crate::db::{Db, DbError, stored_instant};
use crate::station::Station;

/// Why a send did not work; a permanent one is not retried.
#[derive(Debug, Clone)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

/// Notices claimed at a time.
const BATCH: i64 = 64;
/// How long an idle worker waits before looking again.
const IDLE: Duration = Duration::from_millis(250);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
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
}

enum Outcome {
    Sent(String),
    Retry(String, DateTime<Utc>),
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
        )?;
        let gateway = Gateway::new(&settings);
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
        })
    }

    /// Where notices go, for the start-up message.
    pub fn describe(&self) -> String {
        let mail = match &self.mailer {
            Mailer::Smtp { .. } => "mail over SMTP".to_string(),
            Mailer::Folder { dir, .. } => format!("mail as .eml files in {}", dir.display()),
        };
        let sms = match &self.gateway {
            Gateway::Http { provider, .. } => {
                format!("text messages through the {provider:?} gateway")
            }
            Gateway::Folder { dir } => format!("text messages as .json files in {}", dir.display()),
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
        let now = stored_instant(Utc::now());
        self.db
            .run(move |conn| {
                let stats = notices::queue_stats(conn, now)?;
                Ok(stats.oldest_due.is_some() && (stats.pending > 0 || stats.sending > 0))
            })
            .await
    }

    /// Claims a batch of due notices and sends them.
    pub async fn pass(&self) -> Result<Pass, DbError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.settings.lease()).expect("a lease");
        let name = self.name.clone();
        let claimed = self
            .db
            .write(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    notices::claim(
                        conn,
                        &name,
                        stored_instant(now),
                        stored_instant(now + lease),
                        BATCH,
                    )
                    .map_err(DbError::from)
                })
            })
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        // One recipient's notices one after another (so a phone's daily cap counts right),
        // different recipients at once.
        let mut by_recipient: Vec<Vec<&NoticeRow>> = Vec::new();
        for notice in &claimed {
            match by_recipient
                .iter_mut()
                .find(|group| group[0].recipient == notice.recipient)
            {
                Some(group) => group.push(notice),
                None => by_recipient.push(vec![notice]),
            }
        }
        let outcomes: Vec<Outcome> = futures_util::stream::iter(by_recipient)
            .map(|group| async move {
                let mut outcomes = Vec::with_capacity(group.len());
                for notice in group {
                    outcomes.push(self.process(notice).await);
                }
                outcomes
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .flat_map(futures_util::stream::iter)
            .collect()
            .await;
        for outcome in &outcomes {
            match outcome {
                Outcome::Sent(_) => pass.sent += 1,
                Outcome::Retry(..) => pass.retried += 1,
                Outcome::Failed(_) => pass.failed += 1,
                Outcome::Skipped(_) => pass.skipped += 1,
            }
        }
        Ok(pass)
    }

    /// Sends one claimed notice and records the outcome.
    async fn process(&self, notice: &NoticeRow) -> Outcome {
        let outcome = self.attempt(notice).await;
        let (id, name) = (notice.id, self.name.clone());
        let recorded = match &outcome {
            Outcome::Sent(scrubbed) => {
                let scrubbed = scrubbed.clone();
                self.db
                    .write(move |conn| {
                        notices::mark_sent(conn, id, &name, stored_instant(Utc::now()), &scrubbed)
                            .map_err(DbError::from)
                    })
                    .await
            }
            Outcome::Retry(error, due) => {
                let (error, due) = (error.clone(), stored_instant(*due));
                self.db
                    .write(move |conn| {
                        notices::mark_unsent(conn, id, &name, PENDING, &error, due)
                            .map_err(DbError::from)
                    })
                    .await
            }
            Outcome::Failed(error) | Outcome::Skipped(error) => {
                let status = if matches!(outcome, Outcome::Failed(_)) {
                    FAILED
                } else {
                    SKIPPED
                };
                let (error, due) = (error.clone(), notice.due_at);
                self.db
                    .write(move |conn| {
                        notices::mark_unsent(conn, id, &name, status, &error, due)
                            .map_err(DbError::from)
                    })
                    .await
            }
        };
        match recorded {
            Ok(true) => {}
            // Another worker took it over when this one's lease ran out.
            Ok(false) => tracing::warn!(notice = id, "notice lease lost before it was recorded"),
            Err(e) => tracing::warn!(notice = id, error = %e, "notice outcome not recorded"),
        }
        if let Outcome::Failed(error) | Outcome::Retry(error, _) = &outcome {
            tracing::warn!(notice = id, kind = %notice.kind, channel = %notice.channel, %error, "notice not sent");
        }
        outcome
    }

    async fn attempt(&self, notice: &NoticeRow) -> Outcome {
        let (public_url, mail_from) = (self.public_url.clone(), self.settings.mail_from.clone());
        let row = notice.clone();
        let loaded = self
            .db
            .run(move |conn| {
                let message = content::load(conn, &row, &public_url, &mail_from)?;
                let limits = match (&message, Channel::parse(&row.channel)) {
                    (Ok(_), Some(Channel::Sms)) => Some(sms_limits(conn, &row)?),
                    _ => None,
                };
                Ok::<_, DbError>((message, limits))
            })
            .await;
        let (message, limits) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => return self.retry(notice, format!("database: {e}")),
        };
        let message = match message {
            Ok(message) => message,
            Err(Obsolete::Reminder) => {
                return Outcome::Skipped("the booking was cancelled or moved".into());
            }
            Err(Obsolete::NoBooking) => return Outcome::Skipped("the booking is gone".into()),
        };
        if let Some(refusal) = limits.flatten() {
            return Outcome::Skipped(refusal);
        }
        let rendered = render(&message);
        let now = Utc::now();
        let sent = match message.channel {
            Channel::Email => self.mailer.send(notice, &message, &rendered, now).await,
            Channel::Sms => self.gateway.send(notice, &message, &rendered, now).await,
        };
        match sent {
            Ok(()) => {
                let payload: Payload = serde_json::from_str(&notice.payload).unwrap_or_default();
                Outcome::Sent(serde_json::to_string(&payload.scrubbed()).expect("JSON"))
            }
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
        Outcome::Retry(error, Utc::now() + backoff(&self.settings, notice.attempts))
    }
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

/// Why a text message must not go out now: the phone opted out, or it had its day's share.
fn sms_limits(
    conn: &mut crate::db::DbConnection,
    notice: &NoticeRow,
) -> Result<Option<String>, DbError> {
    if notices::opted_out(conn, &notice.recipient)? {
        return Ok(Some("the phone opted out of text messages".into()));
    }
    let cap = match notice
        .booking_id
        .and_then(|id| crate::db::bookings::find(conn, id).ok().flatten())
    {
        Some(booking) => crate::db::registry::find_station(conn, booking.station_id)?
            .and_then(|row| Station::from_row(&row).ok())
            .map_or(5, |s| s.notices.sms_daily_cap),
        None => 5,
    };
    let since = stored_instant(Utc::now() - chrono::Duration::hours(24));
    if notices::sms_sent_since(conn, &notice.recipient, since)? >= i64::from(cap) {
        return Ok(Some(format!(
            "the phone had {cap} text messages in 24 hours"
        )));
    }
    Ok(None)
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into())
}
