//! Slows repeated sign-in failures for one account: a few tries are free, then each further
//! failure doubles the wait before the next try (up to five minutes). Kept in memory per
//! process; an hour without failures forgets the account.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before any wait.
const FREE_FAILURES: u32 = 3;
const LONGEST_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Beyond this many accounts remembered, the forgotten ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// How long after the last failure the next try is allowed.
    fn wait(&self) -> Duration {
        match self.count.checked_sub(FREE_FAILURES) {
            None | Some(0) => Duration::ZERO,
            Some(extra) => Duration::from_secs(1u64 << extra.min(16)).min(LONGEST_WAIT),
        }
    }
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

fn account(username: &str) -> String {
    username.trim().to_lowercase()
}

impl SignInThrottle {
    /// `Err(wait)` while `username` must wait before its next try.
    pub fn check(&self, username: &str, now: Instant) -> Result<(), Duration> {
        let failures = self.failures.lock().expect("throttle lock");
        let Some(f) = failures.get(&account(username)) else {
            return Ok(());
        };
        let ready = f.last + f.wait();
        if now >= ready {
            Ok(())
        } else {
            Err(ready - now)
        }
    }

    /// Counts a wrong password (or unknown username).
    pub fn failed(&self, username: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
        }
        let entry = failures.entry(account(username)).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
    }

    /// A successful sign-in clears the account's failures.
    pub fn succeeded(&self, username: &str) {
        self.failures
            .lock()
            .expect("throttle lock")
            .remove(&account(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_each_one_doubles_the_wait() {
        let throttle = SignInThrottle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.check("Dispatcher", t0), Ok(()));
            throttle.failed("dispatcher ", t0);
        }
        assert_eq!(throttle.check("dispatcher", t0), Ok(()));
        throttle.failed("DISPATCHER", t0);
        assert_eq!(
            throttle.check("dispatcher", t0),
            Err(Duration::from_secs(2))
        );
        let later = t0 + Duration::from_secs(2);
        assert_eq!(throttle.check("dispatcher", later), Ok(()));
        throttle.failed("dispatcher", later);
        assert_eq!(
            throttle.check("dispatcher", later + Duration::from_secs(1)),
            Err(Duration::from_secs(3)),
            "4 s after the fifth failure"
        );
        assert_eq!(throttle.check("someone else", later), Ok(()));
        throttle.succeeded("Dispatcher");
        assert_eq!(throttle.check("dispatcher", later), Ok(()));
    }

    #[test]
    fn the_wait_is_capped_and_an_idle_hour_forgets() {
        let throttle = SignInThrottle::default();
        let t0 = Instant::now();
        for _ in 0..40 {
            throttle.failed("x", t0);
        }
        assert_eq!(throttle.check("x", t0), Err(LONGEST_WAIT));
        let much_later = t0 + FORGET_AFTER;
        throttle.failed("x", much_later);
        assert_eq!(
            throttle.check("x", much_later),
            Ok(()),
            "counting starts again"
        );
    }
}
