//! A service day's clock: the planner counts seconds from the day's local midnight, in real
//! elapsed seconds, so a day with a daylight-saving change still times drives correctly.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::domain::calendar::resolve_local;

/// Converts between seconds of a local service day and instants.
#[derive(Debug, Clone, Copy)]
pub struct DayClock {
    pub tz: Tz,
    origin: DateTime<Utc>,
}

impl DayClock {
    pub fn new(tz: Tz, date: NaiveDate) -> DayClock {
        let midnight = date.and_time(NaiveTime::MIN);
        DayClock {
            tz,
            origin: resolve_local(tz, midnight).with_timezone(&Utc),
        }
    }

    /// Seconds from the day's start to local wall time `time` that day.
    pub fn seconds_at(&self, date: NaiveDate, time: NaiveTime) -> i64 {
        let instant = resolve_local(self.tz, date.and_time(time)).with_timezone(&Utc);
        (instant - self.origin).num_seconds()
    }

    /// The instant `seconds` after the day's start.
    pub fn instant(&self, seconds: i64) -> DateTime<Utc> {
        self.origin + Duration::seconds(seconds)
    }

    /// The instant as stored (UTC, microseconds).
    pub fn stored(&self, seconds: i64) -> NaiveDateTime {
        crate::db::stored_instant(self.instant(seconds))
    }

    /// Seconds from the day's start to a stored instant.
    pub fn seconds_of(&self, stored: NaiveDateTime) -> i64 {
        (stored.and_utc() - self.origin).num_seconds()
    }

    /// A stored instant shown in the station's zone.
    pub fn local(&self, stored: NaiveDateTime) -> DateTime<Tz> {
        stored.and_utc().with_timezone(&self.tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn seconds_are_real_seconds_across_a_daylight_saving_change() {
        // Berlin springs forward at 02:00 on 2026-03-29: 08:00 is 7 real hours after midnight.
        let date: NaiveDate = "2026-03-29".parse().unwrap();
        let clock = DayClock::new(chrono_tz::Europe::Berlin, date);
        assert_eq!(clock.seconds_at(date, hm(8, 0)), 7 * 3600);
        assert_eq!(
            clock.instant(7 * 3600).to_rfc3339(),
            "2026-03-29T06:00:00+00:00"
        );
        let autumn: NaiveDate = "2026-10-25".parse().unwrap();
        let clock = DayClock::new(chrono_tz::Europe::Berlin, autumn);
        assert_eq!(clock.seconds_at(autumn, hm(8, 0)), 9 * 3600);
        let shanghai = DayClock::new(chrono_tz::Asia::Shanghai, date);
        assert_eq!(shanghai.seconds_at(date, hm(13, 30)), 13 * 3600 + 1800);
        let stored = shanghai.stored(12 * 3600);
        assert_eq!(shanghai.seconds_of(stored), 12 * 3600);
        assert_eq!(
            shanghai.local(stored).to_rfc3339(),
            "2026-03-29T12:00:00+08:00"
        );
    }
}
