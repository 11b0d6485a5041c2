//! When a booking may be made or changed, in the station's IANA time zone.
//!
//! Service days and half-day windows are local wall-clock times; every instant returned is a
//! `DateTime<Tz>` that knows its offset, so callers store it as UTC and show it as local time.
//!
//! Local times that do not exist (the spring-forward gap) resolve to the first instant after the
//! gap (02:30 on 2026-03-29 in Berlin becomes 03:00 CEST); ambiguous local times (the autumn
//! repeat) resolve to the earlier instant (02:30 CEST, not 02:30 CET). Notice periods are exact
//! durations, so a notice that spans a DST change is still that many real minutes.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;

/// A named half-day window of local wall-clock time, e.g. morning 08:00–12:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WindowDef {
    /// Name used in the API, e.g. "morning".
    pub name: String,
    /// Local start time.
    #[schema(value_type = String, example = "08:00:00")]
    pub start: NaiveTime,
    /// Local end time (after `start`).
    #[schema(value_type = String, example = "12:00:00")]
    pub end: NaiveTime,
}

impl WindowDef {
    /// A window from its name and local start and end.
    pub fn new(name: impl Into<String>, start: NaiveTime, end: NaiveTime) -> Self {
        Self {
            name: name.into(),
            start,
            end,
        }
    }

    /// The default windows: morning 08:00–12:00 and afternoon 13:00–17:30.
    pub fn defaults() -> Vec<WindowDef> {
        vec![
            Self::new("morning", hm(8, 0), hm(12, 0)),
            Self::new("afternoon", hm(13, 0), hm(17, 30)),
        ]
    }

    /// Length of the window in minutes (0 if it ends before it starts).
    pub fn minutes(&self) -> u32 {
        u32::try_from((self.end - self.start).num_minutes()).unwrap_or(0)
    }
}

/// A window name as given in a request: 1-32 bytes (field "window").
pub fn check_window_name(window: &str) -> Result<(), FieldError> {
    if window.is_empty() || window.len() > 32 {
        return Err(FieldError::new(
            "window",
            "invalid_window",
            "1-32 characters",
        ));
    }
    Ok(())
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid constant time")
}

/// A station's booking-time rules (station configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingPolicy {
    /// The station's time zone.
    pub tz: Tz,
    /// The day's windows, in order.
    pub windows: Vec<WindowDef>,
    /// First bookable day, in days after the local today (1 = tomorrow).
    pub horizon_min_days: u32,
    /// Last bookable day, in days after the local today.
    pub horizon_max_days: u32,
    /// Bookings for a day close this many days before it...
    pub cutoff_days_before: u32,
    /// ...at this local time.
    pub cutoff_time: NaiveTime,
    /// Cancel and reschedule are allowed until this many minutes before the booked window starts.
    pub change_notice_minutes: u32,
}

/// Why a booking time was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalendarError {
    /// No window has this name (malformed input: HTTP 400, field "window").
    #[error("unknown window {name:?}; the windows are: {}", known.join(", "))]
    UnknownWindow {
        /// The name given.
        name: String,
        /// The station's window names.
        known: Vec<String>,
    },
    /// The date lies outside the booking horizon (422 "outside_horizon", field "date").
    #[error("bookings are open for {first} to {last} (station local dates)")]
    OutsideHorizon {
        /// First bookable date.
        first: NaiveDate,
        /// Last bookable date.
        last: NaiveDate,
    },
    /// Bookings for the date closed (422 "after_cutoff", field "date").
    #[error("bookings for this day closed at {} (station local time)", local(.cutoff))]
    AfterCutoff {
        /// When bookings closed.
        cutoff: DateTime<Tz>,
    },
    /// The booking can no longer be cancelled or moved (422 "too_late_to_change", field "date").
    #[error("bookings can be changed or cancelled only until {} (station local time)", local(.deadline))]
    TooLateToChange {
        /// The last instant a change was allowed.
        deadline: DateTime<Tz>,
    },
}

/// "2026-03-28 18:00 (+01:00 CET)": the date and time a donor reads, with the offset.
fn local(t: &DateTime<Tz>) -> String {
    t.format("%Y-%m-%d %H:%M (%:z %Z)").to_string()
}

impl CalendarError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownWindow { .. } => "unknown_window",
            Self::OutsideHorizon { .. } => "outside_horizon",
            Self::AfterCutoff { .. } => "after_cutoff",
            Self::TooLateToChange { .. } => "too_late_to_change",
        }
    }

    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownWindow { .. } => "window",
            _ => "date",
        }
    }

    /// Whether the input itself was malformed (HTTP 400) rather than refused by a rule (422).
    pub fn is_malformed_input(&self) -> bool {
        matches!(self, Self::UnknownWindow { .. })
    }
}

impl BookingPolicy {
    /// DESIGN.md defaults in `tz`: default windows, tomorrow to +30 days, cut-off 18:00 the day
    /// before, changes until 120 minutes before the window starts.
    pub fn with_defaults(tz: Tz) -> Self {
        Self {
            tz,
            windows: WindowDef::defaults(),
            horizon_min_days: 1,
            horizon_max_days: 30,
            cutoff_days_before: 1,
            cutoff_time: hm(18, 0),
            change_notice_minutes: 120,
        }
    }

    /// Checks the configuration: at least one window, unique names, each ending after it starts,
    /// and a horizon whose first day is not after its last.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.windows.is_empty() {
            return Err(FieldError::new(
                "windows",
                "invalid_windows",
                "at least one window is needed",
            ));
        }
        for (i, w) in self.windows.iter().enumerate() {
            if w.end <= w.start {
                return Err(FieldError::new(
                    format!("windows[{i}].end"),
                    "invalid_windows",
                    format!("window {:?} must end after it starts", w.name),
                ));
            }
            if self.windows[..i].iter().any(|other| other.name == w.name) {
                return Err(FieldError::new(
                    format!("windows[{i}].name"),
                    "invalid_windows",
                    format!("window name {:?} is used twice", w.name),
                ));
            }
        }
        if self.horizon_min_days > self.horizon_max_days {
            return Err(FieldError::new(
                "horizon_min_days",
                "invalid_horizon",
                "the first bookable day must not come after the last",
            ));
        }
        Ok(())
    }

    /// The station's local date at `now`.
    pub fn local_today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz).date_naive()
    }

    /// The window with this name.
    pub fn window(&self, name: &str) -> Option<&WindowDef> {
        self.windows.iter().find(|w| w.name == name)
    }

    /// The window or an `UnknownWindow` error listing the known names.
    pub fn window_named(&self, name: &str) -> Result<&WindowDef, CalendarError> {
        self.window(name)
            .ok_or_else(|| CalendarError::UnknownWindow {
                name: name.to_owned(),
                known: self.windows.iter().map(|w| w.name.clone()).collect(),
            })
    }

    /// The instants at which `window` starts and ends on local `date`.
    pub fn window_interval(
        &self,
        date: NaiveDate,
        window: &WindowDef,
    ) -> (DateTime<Tz>, DateTime<Tz>) {
        (
            resolve_local(self.tz, date.and_time(window.start)),
            resolve_local(self.tz, date.and_time(window.end)),
        )
    }

    /// When bookings for local `date` close: `cutoff_time` on the day `cutoff_days_before` earlier.
    pub fn cutoff(&self, date: NaiveDate) -> DateTime<Tz> {
        let day = date
            .checked_sub_days(Days::new(self.cutoff_days_before.into()))
            .unwrap_or(NaiveDate::MIN);
        resolve_local(self.tz, day.and_time(self.cutoff_time))
    }

    /// When bookings for `window` on `date` close: the cut-off, or the window's start if that is
    /// earlier (a same-day cut-off must not allow booking a window already under way).
    pub fn booking_deadline(&self, date: NaiveDate, window: &WindowDef) -> DateTime<Tz> {
        self.cutoff(date).min(self.window_interval(date, window).0)
    }

    /// First and last bookable local dates at `now`.
    pub fn bookable_range(&self, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let today = self.local_today(now);
        let plus = |days: u32| {
            today
                .checked_add_days(Days::new(days.into()))
                .unwrap_or(NaiveDate::MAX)
        };
        (plus(self.horizon_min_days), plus(self.horizon_max_days))
    }

    /// Whether `window_name` on `date` may be booked at `now`: the window exists, the date is
    /// within the horizon, and bookings for it have not closed.
    pub fn check_bookable(
        &self,
        now: DateTime<Utc>,
        date: NaiveDate,
        window_name: &str,
    ) -> Result<(), CalendarError> {
        let window = self.window_named(window_name)?;
        let (first, last) = self.bookable_range(now);
        if date < first || date > last {
            return Err(CalendarError::OutsideHorizon { first, last });
        }
        let cutoff = self.booking_deadline(date, window);
        if now >= cutoff {
            return Err(CalendarError::AfterCutoff { cutoff });
        }
        Ok(())
    }

    /// The last instant a booking for `window` on `date` may be cancelled or moved.
    pub fn change_deadline(&self, date: NaiveDate, window: &WindowDef) -> DateTime<Tz> {
        self.window_interval(date, window).0 - Duration::minutes(self.change_notice_minutes.into())
    }

    /// Whether a booking for `window_name` on `date` may be cancelled or moved at `now` (a move
    /// must also pass [`check_bookable`](Self::check_bookable) for the new date and window).
    pub fn check_change_allowed(
        &self,
        now: DateTime<Utc>,
        date: NaiveDate,
        window_name: &str,
    ) -> Result<(), CalendarError> {
        let window = self.window_named(window_name)?;
        let deadline = self.change_deadline(date, window);
        if now >= deadline {
            return Err(CalendarError::TooLateToChange { deadline });
        }
        Ok(())
    }
}

/// The instant of local wall time `local` in `tz`: the earlier of two in a repeated hour, the
/// first instant after the gap for a skipped one.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return t;
    }
    // In a gap, the wall clock jumps from before `local` to after it at one instant. Interpreting
    // `local` with the offsets around it brackets that instant; search it to the second.
    let offset_at = |utc: NaiveDateTime| {
        use chrono::Offset;
        i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc())
    };
    let around = Duration::days(2);
    let (before, after) = (offset_at(local - around), offset_at(local + around));
    let mut lo = local - Duration::seconds(before.max(after)); // wall clock still before `local`
    let mut hi = local - Duration::seconds(before.min(after)); // wall clock already past it
    let wall = |utc: NaiveDateTime| tz.from_utc_datetime(&utc).naive_local();
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if wall(mid) >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    if wall(lo) >= local {
        hi = lo;
    }
    tz.from_utc_datetime(&hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{Asia::Shanghai, Europe::Berlin};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn rfc(t: DateTime<Tz>) -> String {
        t.to_rfc3339()
    }

    fn morning() -> WindowDef {
        WindowDef::defaults().remove(0)
    }

    #[test]
    fn defaults_are_valid() {
        let p = BookingPolicy::with_defaults(Shanghai);
        assert!(p.validate().is_ok());
        assert_eq!(p.window("afternoon").unwrap().end, hm(17, 30));
        assert_eq!(p.window("morning").unwrap().minutes(), 240);
        assert!(p.window("evening").is_none());
    }

    #[test]
    fn invalid_configurations_are_named() {
        let mut p = BookingPolicy::with_defaults(Shanghai);
        p.windows
            .push(WindowDef::new("morning", hm(18, 0), hm(19, 0)));
        assert_eq!(p.validate().unwrap_err().field, "windows[2].name");
        p.windows[2] = WindowDef::new("evening", hm(19, 0), hm(18, 0));
        assert_eq!(p.validate().unwrap_err().field, "windows[2].end");
        let mut p = BookingPolicy::with_defaults(Shanghai);
        p.horizon_min_days = 31;
        assert_eq!(p.validate().unwrap_err().code, "invalid_horizon");
    }

    #[test]
    fn shanghai_windows_and_cutoff() {
        let p = BookingPolicy::with_defaults(Shanghai);
        let (start, end) = p.window_interval(d("2026-03-29"), &morning());
        assert_eq!(rfc(start), "2026-03-29T08:00:00+08:00");
        assert_eq!(end.with_timezone(&Utc), utc("2026-03-29T04:00:00Z"));
        assert_eq!(rfc(p.cutoff(d("2026-03-29"))), "2026-03-28T18:00:00+08:00");
    }

    #[test]
    fn shanghai_horizon_turns_at_local_midnight() {
        let p = BookingPolicy::with_defaults(Shanghai);
        // 15:59:59Z is 23:59:59 local on 03-28; 16:00Z is midnight of 03-29.
        assert_eq!(
            p.bookable_range(utc("2026-03-28T15:59:59Z")),
            (d("2026-03-29"), d("2026-04-27"))
        );
        assert_eq!(
            p.bookable_range(utc("2026-03-28T16:00:00Z")),
            (d("2026-03-30"), d("2026-04-28"))
        );
    }

    #[test]
    fn berlin_spring_forward() {
        let p = BookingPolicy::with_defaults(Berlin);
        // Cut-off for 03-29 is 18:00 CET on 03-28; for 03-30 it is 18:00 CEST on 03-29.
        assert_eq!(rfc(p.cutoff(d("2026-03-29"))), "2026-03-28T18:00:00+01:00");
        assert_eq!(rfc(p.cutoff(d("2026-03-30"))), "2026-03-29T18:00:00+02:00");
        // Windows on the day of the change are already in summer time.
        let (start, end) = p.window_interval(d("2026-03-29"), &morning());
        assert_eq!(rfc(start), "2026-03-29T08:00:00+02:00");
        assert_eq!(rfc(end), "2026-03-29T12:00:00+02:00");
        let (start, _) = p.window_interval(d("2026-03-28"), &morning());
        assert_eq!(start.with_timezone(&Utc), utc("2026-03-28T07:00:00Z"));
    }

    #[test]
    fn berlin_fall_back() {
        let p = BookingPolicy::with_defaults(Berlin);
        assert_eq!(rfc(p.cutoff(d("2026-10-25"))), "2026-10-24T18:00:00+02:00");
        assert_eq!(rfc(p.cutoff(d("2026-10-26"))), "2026-10-25T18:00:00+01:00");
        let (start, end) = p.window_interval(d("2026-10-25"), &morning());
        assert_eq!(rfc(start), "2026-10-25T08:00:00+01:00");
        assert_eq!(end.with_timezone(&Utc), utc("2026-10-25T11:00:00Z"));
        // Horizon turns at local midnight, 22:00Z while summer time lasts.
        assert_eq!(p.local_today(utc("2026-10-24T21:59:59Z")), d("2026-10-24"));
        assert_eq!(p.local_today(utc("2026-10-24T22:00:00Z")), d("2026-10-25"));
        assert_eq!(p.local_today(utc("2026-10-25T22:59:59Z")), d("2026-10-25"));
        assert_eq!(p.local_today(utc("2026-10-25T23:00:00Z")), d("2026-10-26"));
    }

    #[test]
    fn gap_and_repeated_local_times() {
        // 02:30 does not exist on 2026-03-29 in Berlin: the first instant after the gap.
        let gap = resolve_local(Berlin, d("2026-03-29").and_time(hm(2, 30)));
        assert_eq!(rfc(gap), "2026-03-29T03:00:00+02:00");
        // 02:30 happens twice on 2026-10-25: the earlier one, still in summer time.
        let twice = resolve_local(Berlin, d("2026-10-25").and_time(hm(2, 30)));
        assert_eq!(rfc(twice), "2026-10-25T02:30:00+02:00");
        // A night window across the gap is one hour shorter in real time.
        let mut p = BookingPolicy::with_defaults(Berlin);
        p.windows = vec![WindowDef::new("night", hm(1, 0), hm(4, 0))];
        let (s, e) = p.window_interval(d("2026-03-29"), &p.windows[0]);
        assert_eq!(e - s, Duration::hours(2));
        let (s, e) = p.window_interval(d("2026-10-25"), &p.windows[0]);
        assert_eq!(e - s, Duration::hours(4));
    }

    #[test]
    fn berlin_after_cutoff_on_the_eve_of_the_change() {
        let p = BookingPolicy::with_defaults(Berlin);
        // 17:30Z on 03-28 is 18:30 CET: bookings for 03-29 closed at 18:00 CET.
        let err = p
            .check_bookable(utc("2026-03-28T17:30:00Z"), d("2026-03-29"), "morning")
            .unwrap_err();
        assert_eq!((err.code(), err.field()), ("after_cutoff", "date"));
        let CalendarError::AfterCutoff { cutoff } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(rfc(*cutoff), "2026-03-28T18:00:00+01:00");
        assert!(
            err.to_string().contains("2026-03-28 18:00 (+01:00 CET)"),
            "{err}"
        );
        // A minute before the cut-off it is still open; 03-30 is open too.
        assert!(
            p.check_bookable(utc("2026-03-28T16:59:00Z"), d("2026-03-29"), "morning")
                .is_ok()
        );
        assert!(
            p.check_bookable(utc("2026-03-28T17:30:00Z"), d("2026-03-30"), "afternoon")
                .is_ok()
        );
        // On 03-29 the cut-off for 03-30 is 18:00 CEST = 16:00Z.
        assert!(
            p.check_bookable(utc("2026-03-29T15:59:59Z"), d("2026-03-30"), "morning")
                .is_ok()
        );
        assert!(
            p.check_bookable(utc("2026-03-29T16:00:00Z"), d("2026-03-30"), "morning")
                .is_err()
        );
    }

    #[test]
    fn outside_the_horizon() {
        let p = BookingPolicy::with_defaults(Berlin);
        // 23:30Z on 03-28 is 00:30 CET on 03-29: today is 03-29.
        let now = utc("2026-03-28T23:30:00Z");
        for date in ["2026-03-29", "2026-04-29", "2025-01-01"] {
            let err = p.check_bookable(now, d(date), "morning").unwrap_err();
            assert_eq!(
                err,
                CalendarError::OutsideHorizon {
                    first: d("2026-03-30"),
                    last: d("2026-04-28")
                }
            );
            assert_eq!((err.code(), err.field()), ("outside_horizon", "date"));
            assert!(
                err.to_string().contains("2026-03-30 to 2026-04-28"),
                "{err}"
            );
        }
        assert!(p.check_bookable(now, d("2026-04-28"), "afternoon").is_ok());
    }

    #[test]
    fn unknown_windows_are_malformed_input() {
        let p = BookingPolicy::with_defaults(Shanghai);
        let err = p
            .check_bookable(utc("2026-03-01T00:00:00Z"), d("2026-03-05"), "evening")
            .unwrap_err();
        assert_eq!((err.code(), err.field()), ("unknown_window", "window"));
        assert!(err.is_malformed_input());
        assert!(err.to_string().contains("morning, afternoon"), "{err}");
        assert!(
            p.check_change_allowed(utc("2026-03-01T00:00:00Z"), d("2026-03-05"), "x")
                .is_err()
        );
    }

    #[test]
    fn same_day_cutoff_never_opens_a_window_under_way() {
        let mut p = BookingPolicy::with_defaults(Shanghai);
        p.horizon_min_days = 0;
        p.cutoff_days_before = 0;
        // 10:00 local: the morning started at 08:00, the afternoon is still open.
        let now = utc("2026-05-01T02:00:00Z");
        let err = p
            .check_bookable(now, d("2026-05-01"), "morning")
            .unwrap_err();
        assert_eq!(err.code(), "after_cutoff");
        assert!(p.check_bookable(now, d("2026-05-01"), "afternoon").is_ok());
    }

    #[test]
    fn change_notice_before_the_window_starts() {
        let p = BookingPolicy::with_defaults(Berlin);
        // Morning of 10-25 starts 08:00 CET = 07:00Z; changes until 06:00 CET = 05:00Z.
        assert!(
            p.check_change_allowed(utc("2026-10-25T04:59:59Z"), d("2026-10-25"), "morning")
                .is_ok()
        );
        let err = p
            .check_change_allowed(utc("2026-10-25T05:00:00Z"), d("2026-10-25"), "morning")
            .unwrap_err();
        assert_eq!((err.code(), err.field()), ("too_late_to_change", "date"));
        assert!(
            err.to_string().contains("2026-10-25 06:00 (+01:00 CET)"),
            "{err}"
        );
        let p = BookingPolicy::with_defaults(Shanghai);
        assert_eq!(
            rfc(p.change_deadline(d("2026-10-25"), p.window("afternoon").unwrap())),
            "2026-10-25T11:00:00+08:00"
        );
    }

    proptest! {
        #[test]
        fn bookable_days_lie_within_the_horizon(secs in 1_700_000_000i64..1_900_000_000, berlin in any::<bool>()) {
            let p = BookingPolicy::with_defaults(if berlin { Berlin } else { Shanghai });
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            let (first, last) = p.bookable_range(now);
            let today = p.local_today(now);
            prop_assert_eq!((last - first).num_days(), 29);
            prop_assert_eq!((first - today).num_days(), 1);
            // Any date in range is bookable unless its cut-off has passed, which only happens to
            // the first day after 18:00.
            for date in first.iter_days().take(30) {
                let result = p.check_bookable(now, date, "morning");
                if date > first {
                    prop_assert!(result.is_ok());
                } else if let Err(e) = result {
                    prop_assert_eq!(e.code(), "after_cutoff");
                }
            }
        }

        #[test]
        fn resolved_local_times_are_never_before_the_wall_time(
            day in 0u64..3650, minute in 0u32..1440, berlin in any::<bool>(),
        ) {
            let tz = if berlin { Berlin } else { Shanghai };
            let local = (d("2020-01-01") + Days::new(day)).and_time(hm(minute / 60, minute % 60));
            let t = resolve_local(tz, local);
            prop_assert!(t.naive_local() >= local);
            prop_assert!(t.naive_local() - local <= Duration::hours(1));
        }
    }
}
