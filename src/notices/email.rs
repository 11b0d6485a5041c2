//! Mail: a text part, an HTML part and, for the appointment, a calendar invitation, sent over
//! SMTP (plain, STARTTLS or TLS, as the URL says) or written as `.eml` files to a folder.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::content::Message;
use super::ics::invitation;
use super::templates::Rendered;
use super::worker::SendError;
use crate::db::notices::NoticeRow;

/// Where mail goes.
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Folder {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl Mailer {
    /// An SMTP mailer for `url` (build it inside the async runtime: its pool needs one), or
    /// the folder when there is none.
    /// `connections` is how many mails may be on their way at once (one SMTP connection each).
    pub fn new(
        url: Option<&str>,
        from: &str,
        dir: &Path,
        connections: usize,
    ) -> Result<Mailer, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("BLOODMOBILE_MAIL_FROM {from:?}: {e}"))?;
        Ok(match url {
            Some(url) => Mailer::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("BLOODMOBILE_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .pool_config(PoolConfig::new().max_size(connections.clamp(1, 256) as u32))
                    .build(),
                from,
            },
            None => Mailer::Folder {
                dir: dir.to_path_buf(),
                from,
            },
        })
    }

    fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Folder { from, .. } => from,
        }
    }

    /// Sends (or writes) the mail of a notice.
    pub async fn send(
        &self,
        notice: &NoticeRow,
        message: &Message,
        rendered: &Rendered,
        now: DateTime<Utc>,
    ) -> Result<(), SendError> {
        let mail = build(self.from(), notice, message, rendered, now)?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(mail)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        message: format!("SMTP: {e}"),
                    })
            }
            Mailer::Folder { dir, .. } => {
                let name = format!("{:07}-{}-email.eml", notice.id, notice.kind);
                super::sms::write_file(dir, &name, &mail.formatted()).await
            }
        }
    }
}

/// The message with its Message-ID derived from the notice's dedupe key, so every attempt
/// carries the same one.
pub fn build(
    from: &Mailbox,
    notice: &NoticeRow,
    message: &Message,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> Result<lettre::Message, SendError> {
    let permanent = |what: &str, e: String| SendError {
        permanent: true,
        message: format!("{what}: {e}"),
    };
    let to: Mailbox = notice
        .recipient
        .parse()
        .map_err(|e: lettre::address::AddressError| permanent("recipient", e.to_string()))?;
    let mut parts = MultiPart::alternative()
        .singlepart(SinglePart::plain(rendered.text.clone()))
        .singlepart(SinglePart::html(rendered.html.clone()));
    if message.kind.has_invitation() {
        let method = if message.kind == super::NoticeKind::Cancelled {
            "CANCEL"
        } else {
            "REQUEST"
        };
        let calendar = invitation(message, to.email.as_ref(), now);
        parts = parts.singlepart(
            SinglePart::builder()
                .header(
                    ContentType::parse(&format!("text/calendar; method={method}; charset=UTF-8"))
                        .expect("a calendar content type"),
                )
                .body(calendar),
        );
    }
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(format!("<{}@bloodmobile>", notice.out_id)))
        .date(now.into())
        .multipart(parts)
        .map_err(|e| permanent("message", e.to_string()))
}
