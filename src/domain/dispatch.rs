//! What a station promises about a planned day: how long blood may travel, when donors are told
//! to be at the gate, which stops are too small, how far routes are driven.

use chrono::{DateTime, Duration, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A station's dispatch settings (station configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DispatchPolicy {
    /// Blood from a route's first collection reaches the depot within this many minutes (360).
    pub processing_limit_minutes: u32,
    /// A donor's arrival window opens this many minutes before their stop starts (15).
    pub arrival_lead_minutes: u32,
    /// A stop with fewer donors than this is flagged as below the minimum turnout (5).
    pub min_turnout: u32,
    /// A published arrival window that moves by more than this many minutes is a change the
    /// donor is told about (30).
    pub window_change_minutes: u32,
}

impl Default for DispatchPolicy {
    fn default() -> Self {
        Self {
            processing_limit_minutes: 6 * 60,
            arrival_lead_minutes: 15,
            min_turnout: 5,
            window_change_minutes: 30,
        }
    }
}

/// The times a donor is told to be at the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalWindow<Tz: TimeZone> {
    /// Be ready from...
    pub from: DateTime<Tz>,
    /// ...until the bloodmobile leaves.
    pub to: DateTime<Tz>,
}

impl DispatchPolicy {
    /// The arrival window of a donor whose stop runs from `start` (set-up begins) to `end`
    /// (pack-up ends).
    pub fn arrival_window<Tz: TimeZone>(
        &self,
        start: DateTime<Tz>,
        end: DateTime<Tz>,
    ) -> ArrivalWindow<Tz> {
        ArrivalWindow {
            from: start - Duration::minutes(self.arrival_lead_minutes.into()),
            to: end,
        }
    }

    /// Whether a window moved from `old` to `new` far enough to tell the donor: either end moved
    /// by more than `window_change_minutes`.
    pub fn is_notable_change<Tz: TimeZone>(
        &self,
        old: &ArrivalWindow<Tz>,
        new: &ArrivalWindow<Tz>,
    ) -> bool {
        let limit = Duration::minutes(self.window_change_minutes.into());
        let moved = |a: &DateTime<Tz>, b: &DateTime<Tz>| (a.clone() - b.clone()).abs() > limit;
        moved(&old.from, &new.from) || moved(&old.to, &new.to)
    }

    /// Whether a stop of `donors` is below the station's minimum turnout.
    pub fn below_minimum(&self, donors: u32) -> bool {
        donors < self.min_turnout
    }
}

/// How drive times are estimated when no road matrix is given (station configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TravelPolicy {
    /// Road distance as a multiple of the great-circle distance (1.3).
    pub detour_factor: f64,
    /// Average driving speed in km/h (30: town streets and village roads).
    pub average_speed_kmh: f64,
}

impl Default for TravelPolicy {
    fn default() -> Self {
        Self {
            detour_factor: 1.3,
            average_speed_kmh: 30.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_opens_before_the_stop_and_closes_with_it() {
        let policy = DispatchPolicy::default();
        let w = policy.arrival_window(at("2026-12-01T01:30:00Z"), at("2026-12-01T03:05:00Z"));
        assert_eq!(w.from, at("2026-12-01T01:15:00Z"));
        assert_eq!(w.to, at("2026-12-01T03:05:00Z"));
    }

    #[test]
    fn only_moves_beyond_the_threshold_are_notable() {
        let policy = DispatchPolicy::default();
        let window = |from: &str, to: &str| ArrivalWindow {
            from: at(from),
            to: at(to),
        };
        let old = window("2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z");
        let same = window("2026-12-01T01:30:00Z", "2026-12-01T02:30:00Z");
        let later = window("2026-12-01T01:31:00Z", "2026-12-01T02:00:00Z");
        let earlier_end = window("2026-12-01T01:00:00Z", "2026-12-01T01:29:00Z");
        assert!(!policy.is_notable_change(&old, &same));
        assert!(policy.is_notable_change(&old, &later));
        assert!(policy.is_notable_change(&old, &earlier_end));
    }

    #[test]
    fn turnout() {
        let policy = DispatchPolicy::default();
        assert!(policy.below_minimum(4));
        assert!(!policy.below_minimum(5));
    }
}
