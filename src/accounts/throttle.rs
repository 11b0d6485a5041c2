//! Slows repeated sign-in failures for one account: a few tries are free, then each further
//! failure doubles the wait before the next try (up to five minutes); an hour without failures
//! forgets them. The rule only: the failures are kept in the database, so that every instance
//! of the service counts the same ones.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Failures allowed before any wait.
const FREE_FAILURES: u32 = 3;
const LONGEST_WAIT: Duration = Duration::from_secs(300);
/// How long failures are remembered after the last one.
pub const FORGET_AFTER: TimeDelta = TimeDelta::hours(1);

/// An account's failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: DateTime<Utc>,
}

/// The account a username names, as failures are counted: trimmed, lower-cased, without
/// control characters (a NUL the database could not store), at most 64 characters (no account
/// name is longer).
pub fn account(username: &str) -> String {
    username
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

impl Failures {
    /// How long after the last failure the next try is allowed.
    fn wait(&self) -> Duration {
        match self.count.checked_sub(FREE_FAILURES) {
            None | Some(0) => Duration::ZERO,
            Some(extra) => Duration::from_secs(1u64 << extra.min(16)).min(LONGEST_WAIT),
        }
    }

    /// `Err(wait)` while the account must wait before its next try.
    /// A try started before the last failure was counted (tries made at once are counted in
    /// turn) waits no longer than the rule says, and for a free failure not at all.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), Duration> {
        let wait = self.wait();
        if wait.is_zero() {
            return Ok(());
        }
        let ready = self.last + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
        match (ready - now).to_std() {
            Ok(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    /// The failures after one more at `now` (after an idle hour, the first again).
    pub fn and_one_more(earlier: Option<Failures>, now: DateTime<Utc>) -> Failures {
        let count = match earlier {
            Some(f) if now - f.last < FORGET_AFTER => f.count.saturating_add(1),
            _ => 1,
        };
        Failures { count, last: now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(failures: &[DateTime<Utc>]) -> Option<Failures> {
        failures
            .iter()
            .fold(None, |f, at| Some(Failures::and_one_more(f, *at)))
    }

    #[test]
    fn a_few_failures_are_free_then_each_one_doubles_the_wait() {
        let t0 = "2026-12-05T08:00:00Z".parse().unwrap();
        let free = after(&[t0; FREE_FAILURES as usize]).unwrap();
        assert_eq!(free.check(t0), Ok(()));
        // A try that started a moment before the last free failure was counted.
        let a_moment_before = t0 - TimeDelta::milliseconds(5);
        assert_eq!(free.check(a_moment_before), Ok(()));
        let one_more = Failures::and_one_more(Some(free), t0);
        assert_eq!(one_more.check(t0), Err(Duration::from_secs(2)));
        let later = t0 + TimeDelta::seconds(2);
        assert_eq!(one_more.check(later), Ok(()));
        let fifth = Failures::and_one_more(Some(one_more), later);
        assert_eq!(
            fifth.check(later + TimeDelta::seconds(1)),
            Err(Duration::from_secs(3)),
            "4 s after the fifth failure"
        );
        assert_eq!(account("  Dispatcher "), "dispatcher");
        assert_eq!(account(&"x".repeat(1000)).len(), 64);
        assert_eq!(account("dis\u{0}patcher"), "dispatcher");
    }

    #[test]
    fn the_wait_is_capped_and_an_idle_hour_forgets() {
        let t0 = "2026-12-05T08:00:00Z".parse().unwrap();
        let many = after(&[t0; 40]).unwrap();
        assert_eq!(many.check(t0), Err(LONGEST_WAIT));
        let much_later = t0 + FORGET_AFTER;
        let again = Failures::and_one_more(Some(many), much_later);
        assert_eq!(again.count, 1, "counting starts again");
        assert_eq!(again.check(much_later), Ok(()));
    }
}
