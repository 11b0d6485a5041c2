//! Notices to donors that are never lost and never sent twice.
//!
//! A change that concerns a donor (a booking made, moved or cancelled, a plan published, a
//! waitlisted seat offered, a donation recorded) writes its notices into the outbox in its own
//! transaction ([`outbox`]). A [`worker`] claims due notices with a lease, renders and sends
//! them outside any transaction (email over SMTP, SMS through a gateway, or files in a folder
//! when neither is configured), then marks them sent. A failure is retried with backoff and
//! jitter, then marked failed for dispatchers to resend; a lease that runs out (a worker that
//! died) makes a notice claimable again, and every attempt carries the same Message-ID or SMS
//! correlation id, so the receiving side can drop a duplicate.

pub mod content;
pub mod email;
pub mod ics;
pub mod outbox;
pub mod settings;
pub mod sms;
pub mod templates;
pub mod worker;

use serde::{Deserialize, Serialize};

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A booking was made: reference, site, date, window, manage link.
    BookingReceived,
    /// A booking moved to another site, day or window.
    Rescheduled,
    /// A plan with the booking was published: when to be at the gate.
    WindowPublished,
    /// The published arrival window moved by more than the station's threshold.
    WindowChanged,
    /// The day before, at the station's hour.
    Reminder,
    /// Cancelled by the donor, or by the station with a reason.
    Cancelled,
    /// A waitlisted donor got a freed seat.
    WaitlistOffer,
    /// After a recorded donation.
    ThankYou,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 8] = [
        Self::BookingReceived,
        Self::Rescheduled,
        Self::WindowPublished,
        Self::WindowChanged,
        Self::Reminder,
        Self::Cancelled,
        Self::WaitlistOffer,
        Self::ThankYou,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingReceived => "booking_received",
            Self::Rescheduled => "rescheduled",
            Self::WindowPublished => "window_published",
            Self::WindowChanged => "window_changed",
            Self::Reminder => "reminder",
            Self::Cancelled => "cancelled",
            Self::WaitlistOffer => "waitlist_offer",
            Self::ThankYou => "thank_you",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the notice carries the appointment as a calendar invitation.
    pub fn has_invitation(self) -> bool {
        matches!(
            self,
            Self::BookingReceived
                | Self::Rescheduled
                | Self::WindowPublished
                | Self::WindowChanged
                | Self::WaitlistOffer
                | Self::Cancelled
        )
    }
}

/// How a notice travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Email, Channel::Sms]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The id the receiving side sees on every attempt of a notice: a hash of its dedupe key.
pub fn out_id(dedupe_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(dedupe_key.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
