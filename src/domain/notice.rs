//! When donors are told things: the reminder the day before, never at night.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::calendar::resolve_local;

/// A station's notice settings (station configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoticePolicy {
    /// Local hour of the reminder the day before (18).
    pub reminder_hour: u32,
    /// Text messages one phone receives in a day at most (5).
    pub sms_daily_cap: u32,
}

impl Default for NoticePolicy {
    fn default() -> Self {
        Self {
            reminder_hour: 18,
            sms_daily_cap: 5,
        }
    }
}

/// Quiet hours, local: nothing is sent from 21:00 until 08:00.
pub const QUIET_FROM: u32 = 21;
/// See [`QUIET_FROM`].
pub const QUIET_UNTIL: u32 = 8;

fn at(tz: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).expect("an hour of the day");
    resolve_local(tz, date.and_time(time)).with_timezone(&Utc)
}

/// The first instant at or after `instant` outside the quiet hours of `tz`.
pub fn outside_quiet_hours(tz: Tz, instant: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    let local = instant.with_timezone(&tz);
    let hour = local.hour();
    let day = local.date_naive();
    if hour >= QUIET_FROM {
        at(tz, day + Days::new(1), QUIET_UNTIL)
    } else if hour < QUIET_UNTIL {
        at(tz, day, QUIET_UNTIL)
    } else {
        instant
    }
}

/// 08:00 local on the day after `instant` (a text held back by the day's cap goes then).
pub fn next_local_morning(tz: Tz, instant: DateTime<Utc>) -> DateTime<Utc> {
    at(
        tz,
        instant.with_timezone(&tz).date_naive() + Days::new(1),
        QUIET_UNTIL,
    )
}

impl NoticePolicy {
    /// When to remind a donor booked on `date` whose window starts at `starts` (an instant):
    /// the day before at `reminder_hour` local, not before `now`, never in the quiet hours; no
    /// reminder when that would be at or after the window's start.
    pub fn reminder_due(
        &self,
        tz: Tz,
        date: NaiveDate,
        starts: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let day_before = date.checked_sub_days(Days::new(1))?;
        let planned = at(tz, day_before, self.reminder_hour.min(23));
        let due = outside_quiet_hours(tz, planned.max(now));
        (due < starts).then_some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_reminder_comes_the_evening_before() {
        let p = NoticePolicy::default();
        let tz = chrono_tz::Asia::Shanghai;
        let starts = utc("2026-12-03T00:00:00Z"); // 08:00 local on the 3rd
        let due = p
            .reminder_due(tz, d("2026-12-03"), starts, utc("2026-11-29T00:00:00Z"))
            .unwrap();
        assert_eq!(due, utc("2026-12-02T10:00:00Z"), "18:00 local on the 2nd");
    }

    #[test]
    fn a_late_booking_is_reminded_at_once_but_never_at_night() {
        let p = NoticePolicy::default();
        let tz = chrono_tz::Asia::Shanghai;
        let starts = utc("2026-12-03T05:00:00Z"); // 13:00 local
        // Booked at 19:30 the evening before: reminded at once.
        let now = utc("2026-12-02T11:30:00Z");
        assert_eq!(p.reminder_due(tz, d("2026-12-03"), starts, now), Some(now));
        // Booked at 22:00: reminded at 08:00, before the 13:00 window.
        let now = utc("2026-12-02T14:00:00Z");
        assert_eq!(
            p.reminder_due(tz, d("2026-12-03"), starts, now),
            Some(utc("2026-12-03T00:00:00Z"))
        );
        // Booked at 07:30 for an 08:00 window: no reminder (08:00 is not before it starts).
        let now = utc("2026-12-02T23:30:00Z");
        let morning = utc("2026-12-03T00:00:00Z");
        assert_eq!(p.reminder_due(tz, d("2026-12-03"), morning, now), None);
    }

    #[test]
    fn held_texts_go_the_next_local_morning() {
        let tz = chrono_tz::Asia::Shanghai;
        // 23:30 local on the 2nd: 08:00 on the 3rd.
        assert_eq!(
            next_local_morning(tz, utc("2026-12-02T15:30:00Z")),
            utc("2026-12-03T00:00:00Z")
        );
        // 07:30 local on the 3rd: 08:00 on the 4th (the cap is per local day).
        assert_eq!(
            next_local_morning(tz, utc("2026-12-02T23:30:00Z")),
            utc("2026-12-04T00:00:00Z")
        );
    }

    #[test]
    fn local_hours_hold_across_a_daylight_saving_change() {
        // Berlin springs forward on 2026-03-29: 18:00 on the 28th is CET (+01:00), 08:00 on
        // the 29th is CEST (+02:00).
        let p = NoticePolicy::default();
        let tz = chrono_tz::Europe::Berlin;
        let starts = utc("2026-03-30T06:00:00Z");
        let due = p
            .reminder_due(tz, d("2026-03-30"), starts, utc("2026-03-20T00:00:00Z"))
            .unwrap();
        assert_eq!(due, utc("2026-03-29T16:00:00Z"), "18:00 CEST");
        let night = utc("2026-03-28T21:30:00Z"); // 22:30 CET
        assert_eq!(
            outside_quiet_hours(tz, night),
            utc("2026-03-29T06:00:00Z"),
            "08:00 CEST, after the clocks went forward"
        );
    }
}
