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

/// The id the receiving side sees on every attempt of a notice (it is stored with the notice):
/// the second it was written, then a hash of its dedupe key, 32 hex digits. Ids written later
/// sort later, so the index on them grows at its end instead of on a random page per notice.
pub fn out_id(dedupe_key: &str, written: chrono::DateTime<chrono::Utc>) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(dedupe_key.as_bytes());
    let seconds = u32::try_from(written.timestamp()).unwrap_or(u32::MAX);
    let mut id = format!("{seconds:08x}");
    for byte in &digest[..12] {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn out_ids_are_32_hex_digits_that_sort_by_when_they_were_written() {
        let first = Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap();
        let later = first + chrono::TimeDelta::seconds(1);
        let a = out_id("0000000001:booking_received:K7Q9-XMT4::sms", first);
        let b = out_id("0000000001:booking_received:K7Q9-XMT4::email", first);
        let c = out_id("0000000000:booking_received:AAAA-AAAA::sms", later);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|ch| ch.is_ascii_hexdigit()));
        assert_ne!(a, b, "each key its own id");
        assert!(a < c && b < c, "written later, sorted later");
        assert_eq!(
            a,
            out_id("0000000001:booking_received:K7Q9-XMT4::sms", first)
        );
    }
}
