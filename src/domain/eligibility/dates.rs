//! The one convention for boundary days, used by every rule:
//!
//! - "N months after" a day is the same day of the month N months later; when that month is
//!   shorter, its last day (2025-08-31 + 6 months = 2026-02-28, 2024-02-29 + 12 months =
//!   2025-02-28).
//! - Birthdays follow the same rule, being 12 × N months after the birth: a donor born on
//!   29 February turns 18 on 28 February of a common year.
//! - A wait of months or days ends at the start of its last day: the donor is eligible on that
//!   day (whole blood on 2026-01-10, whole blood again from 2026-07-10).
//! - A wait of hours runs from the time given, or from the end of the day when only the day is
//!   known, and is over for a donation whose window starts at or after its end.
//! - "A year" in a yearly limit is 12 months counted the same way: a donation counts on the days
//!   from its own day up to, not including, the same day 12 months later.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::language::Language;

/// A waiting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    /// Calendar months (month-end clamped).
    Months(u32),
    /// Days.
    Days(u32),
    /// Hours, from a time of day or from the end of the day.
    Hours(u32),
}

impl Wait {
    /// The first day a donation is allowed after a wait that starts on `from` (at `at`, if the
    /// time is known) for a donation whose window starts at `starts_at`.
    pub fn first_day(
        self,
        from: NaiveDate,
        at: Option<NaiveTime>,
        starts_at: NaiveTime,
    ) -> NaiveDate {
        match self {
            Wait::Months(n) => months_after(from, n),
            Wait::Days(n) => from
                .checked_add_days(Days::new(n.into()))
                .unwrap_or(NaiveDate::MAX),
            Wait::Hours(_) => {
                let end = self.end(from, at);
                if end.time() <= starts_at {
                    end.date()
                } else {
                    end.date().succ_opt().unwrap_or(NaiveDate::MAX)
                }
            }
        }
    }

    /// The first day after a wait that starts on `from`, for waits counted in days or months.
    pub fn first_day_after(self, from: NaiveDate) -> NaiveDate {
        self.first_day(from, None, NaiveTime::MIN)
    }

    /// The instant the wait ends: for hours, `hours` after `from` at `at`, or after the end of
    /// `from` when the time is not known; for days and months, the start of the first day.
    pub fn end(self, from: NaiveDate, at: Option<NaiveTime>) -> NaiveDateTime {
        match self {
            Wait::Hours(h) => {
                let start = match at {
                    Some(time) => from.and_time(time),
                    None => from
                        .succ_opt()
                        .unwrap_or(NaiveDate::MAX)
                        .and_time(NaiveTime::MIN),
                };
                start
                    .checked_add_signed(TimeDelta::hours(h.into()))
                    .unwrap_or(NaiveDateTime::MAX)
            }
            other => other.first_day_after(from).and_time(NaiveTime::MIN),
        }
    }

    /// The wait in words, e.g. "6 months" or "6个月".
    pub fn describe(self, language: Language) -> String {
        match (self, language) {
            (Wait::Months(n), Language::En) => format!("{n} months"),
            (Wait::Days(n), Language::En) => format!("{n} days"),
            (Wait::Hours(n), Language::En) => format!("{n} hours"),
            (Wait::Months(n), Language::ZhCn) => format!("{n}个月"),
            (Wait::Days(n), Language::ZhCn) => format!("{n}天"),
            (Wait::Hours(n), Language::ZhCn) => format!("{n}小时"),
        }
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(Language::En))
    }
}

/// The same day of the month `n` months after `from`, or the last day of that month when it is
/// shorter; `NaiveDate::MAX` past the calendar's end.
pub fn months_after(from: NaiveDate, n: u32) -> NaiveDate {
    from.checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// The date of the donor's `n`th birthday: `12 × n` months after the birth, so 29 February falls
/// on 28 February in common years.
pub fn nth_birthday(birth: NaiveDate, n: u32) -> NaiveDate {
    n.checked_mul(12)
        .map_or(NaiveDate::MAX, |months| months_after(birth, months))
}

/// Age in completed years on `date`: the number of birthdays (as [`nth_birthday`] places them)
/// on or before it; negative before the birth.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> i64 {
    let years = i64::from(date.year()) - i64::from(birth.year());
    match u32::try_from(years) {
        Ok(n) if nth_birthday(birth, n) > date => years - 1,
        _ => years,
    }
}

/// The first day on which a donation made on `date` no longer counts in a window of `window`
/// (12 months for "a year").
pub fn leaves_window(date: NaiveDate, window: Wait) -> NaiveDate {
    window.first_day_after(date)
}

/// Whether a donation on `donated` counts in the window ending on `on` (both days included).
pub fn in_window(donated: NaiveDate, on: NaiveDate, window: Wait) -> bool {
    donated <= on && on < leaves_window(donated, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        s.parse().unwrap()
    }

    #[test]
    fn month_ends_clamp_to_the_shorter_month() {
        assert_eq!(months_after(d("2025-08-31"), 6), d("2026-02-28"));
        assert_eq!(months_after(d("2027-08-31"), 6), d("2028-02-29"));
        assert_eq!(months_after(d("2026-01-31"), 3), d("2026-04-30"));
        assert_eq!(months_after(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(months_after(d("2026-01-10"), 6), d("2026-07-10"));
    }

    #[test]
    fn leap_day_birthdays_fall_on_the_28th_of_february() {
        let born = d("2008-02-29");
        assert_eq!(nth_birthday(born, 18), d("2026-02-28"));
        assert_eq!(nth_birthday(born, 20), d("2028-02-29"));
        assert_eq!(age_on(born, d("2026-02-27")), 17);
        assert_eq!(age_on(born, d("2026-02-28")), 18);
        assert_eq!(age_on(born, d("2026-03-01")), 18);
        assert_eq!(age_on(born, d("2008-02-28")), -1);
        assert_eq!(age_on(born, born), 0);
    }

    #[test]
    fn hours_run_from_the_time_or_from_the_end_of_the_day() {
        let h48 = Wait::Hours(48);
        // No time: from the end of 1 December, so over at 00:00 on 4 December.
        assert_eq!(
            h48.end(d("2026-12-01"), None),
            d("2026-12-04").and_time(NaiveTime::MIN)
        );
        assert_eq!(
            h48.first_day(d("2026-12-01"), None, t("08:00:00")),
            d("2026-12-04")
        );
        // 10:00 on 1 December: over at 10:00 on 3 December, in time for an afternoon window only.
        let at = Some(t("10:00:00"));
        assert_eq!(
            h48.first_day(d("2026-12-01"), at, t("08:00:00")),
            d("2026-12-04")
        );
        assert_eq!(
            h48.first_day(d("2026-12-01"), at, t("13:00:00")),
            d("2026-12-03")
        );
        assert_eq!(
            h48.first_day(d("2026-12-01"), at, t("10:00:00")),
            d("2026-12-03")
        );
        // Days and months ignore the time.
        assert_eq!(
            Wait::Days(14).first_day(d("2026-12-01"), at, t("08:00:00")),
            d("2026-12-15")
        );
    }

    #[test]
    fn a_year_is_twelve_months_both_ends_counted_from_the_donation() {
        let year = Wait::Months(12);
        assert!(in_window(d("2025-03-10"), d("2026-03-09"), year));
        assert!(!in_window(d("2025-03-10"), d("2026-03-10"), year));
        assert!(in_window(d("2025-03-10"), d("2025-03-10"), year));
        assert!(!in_window(d("2025-03-10"), d("2025-03-09"), year));
        // 29 February leaves on 28 February.
        assert!(!in_window(d("2024-02-29"), d("2025-02-28"), year));
        assert!(in_window(d("2024-02-29"), d("2025-02-27"), year));
    }

    #[test]
    fn waits_read_in_both_languages() {
        assert_eq!(Wait::Months(6).describe(Language::En), "6 months");
        assert_eq!(Wait::Months(6).describe(Language::ZhCn), "6个月");
        assert_eq!(Wait::Hours(48).describe(Language::ZhCn), "48小时");
        assert_eq!(Wait::Days(14).to_string(), "14 days");
    }
}
