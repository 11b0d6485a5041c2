//! A donor's donation history: what the station recorded and what the donor declares, checked
//! against each other and merged into the one history every rule is checked against.
//!
//! The donor declares the last donation of each kind and, for apheresis (platelets and plasma),
//! how many donations and how many millilitres in the 12 months up to the day they say so. The
//! dated donations feed every rule. Declared apheresis donations whose days the service does
//! not know are taken to be as recent as they could be: the first on the day of the latest
//! known apheresis donation in those 12 months (or on the day of the declaration when none is
//! known), the others one platelet interval (14 days) apart before it. They count towards the
//! yearly limits of platelets and of plasma, never towards an interval.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Wait;
use super::dates::{in_window, nth_birthday};
use crate::domain::FieldError;
use crate::domain::donation::DonationKind;
use crate::domain::language::Language;

/// The largest whole-blood donation there is: 400 ml (GB 18467-2011, donation volumes; the
/// Blood Donation Law, article 9).
pub const MAX_WHOLE_BLOOD_ML: u32 = 400;

/// Highest apheresis count a donor may declare for 12 months.
pub const MAX_DECLARED_APHERESIS: u32 = 52;

/// Highest apheresis volume in ml a donor may declare for 12 months.
pub const MAX_DECLARED_APHERESIS_ML: u32 = 30_000;

/// One earlier donation with a known day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PastDonation {
    /// Day of the donation.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// What was donated.
    pub kind: DonationKind,
    /// Volume in ml if known; otherwise the largest volume of its kind is assumed.
    pub volume_ml: Option<u32>,
}

/// The donor's own count of their apheresis donations (platelets and plasma) in 12 months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApheresisCount {
    /// How many apheresis donations.
    pub count: u32,
    /// Their total volume in ml.
    pub volume_ml: u32,
}

/// An apheresis donation known only from the donor's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndatedApheresis {
    /// The latest day it could have been on; the rules take it to be on this day.
    pub latest_date: NaiveDate,
    /// Its share of the declared volume, in ml.
    pub volume_ml: u32,
}

/// Everything the rules know of a donor's earlier donations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Donations with a known day and kind: the station's records and the donor's declared
    /// last donation of each kind.
    pub donations: Vec<PastDonation>,
    /// Apheresis donations the donor counted whose days are not known.
    pub undated_apheresis: Vec<UndatedApheresis>,
}

impl History {
    /// Dated donations only.
    pub fn of(donations: Vec<PastDonation>) -> History {
        History {
            donations,
            undated_apheresis: Vec::new(),
        }
    }

    /// The history the rules check: the station's `recorded` donations (volumes known), the
    /// donor's `declared` last donations (a declaration of a recorded donation counts once),
    /// and the donations behind a declared apheresis count (`as_of` the day it was given) that
    /// neither of those explains. `assumed_ml` is the volume taken for a donation declared
    /// without one; `spacing` the interval between undated apheresis donations.
    pub fn build(
        recorded: &[PastDonation],
        declared: &[PastDonation],
        apheresis: Option<(ApheresisCount, NaiveDate)>,
        assumed_ml: impl Fn(DonationKind) -> u32,
        spacing: Wait,
    ) -> History {
        let mut donations: Vec<PastDonation> = recorded.to_vec();
        for d in declared {
            if !recorded
                .iter()
                .any(|r| r.kind == d.kind && r.date == d.date)
            {
                donations.push(d.clone());
            }
        }
        let mut undated_apheresis = Vec::new();
        if let Some((count, as_of)) = apheresis {
            let year = Wait::Months(12);
            let known: Vec<&PastDonation> = donations
                .iter()
                .filter(|d| d.kind.is_apheresis() && in_window(d.date, as_of, year))
                .collect();
            let missing = count.count.saturating_sub(known.len() as u32);
            let known_ml: u64 = known
                .iter()
                .map(|d| u64::from(d.volume_ml.unwrap_or_else(|| assumed_ml(d.kind))))
                .sum();
            let rest_ml = u64::from(count.volume_ml).saturating_sub(known_ml);
            let anchor = known.iter().map(|d| d.date).max().unwrap_or(as_of);
            let earliest = earliest_in_window(as_of, year);
            let step = u64::from(match spacing {
                Wait::Days(n) => n,
                // Spacing is a number of days; anything else is taken as no spacing at all.
                _ => 0,
            });
            for i in 0..u64::from(missing) {
                let date = anchor
                    .checked_sub_days(Days::new(i * step))
                    .unwrap_or(earliest)
                    .max(earliest);
                let share = rest_ml / u64::from(missing);
                let extra = if i == 0 {
                    rest_ml % u64::from(missing)
                } else {
                    0
                };
                undated_apheresis.push(UndatedApheresis {
                    latest_date: date,
                    volume_ml: u32::try_from(share + extra).unwrap_or(u32::MAX),
                });
            }
        }
        History {
            donations,
            undated_apheresis,
        }
    }

    /// Whether the donor had donated before `date`: a donation (dated on or after their 18th
    /// birthday) or a counted apheresis donation before that day.
    pub fn donated_before(&self, date: NaiveDate, birth_date: NaiveDate) -> bool {
        let adult = nth_birthday(birth_date, 18);
        self.donations
            .iter()
            .any(|d| d.date < date && d.date >= adult)
            || self.undated_apheresis.iter().any(|u| u.latest_date < date)
    }
}

/// The first day whose donations still count in the `window` ending on `on`.
fn earliest_in_window(on: NaiveDate, window: Wait) -> NaiveDate {
    let months = match window {
        Wait::Months(n) => n,
        _ => 12,
    };
    let mut day = on
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    while !in_window(day, on, window) && day < on {
        day = day.succ_opt().unwrap_or(on);
    }
    day
}

/// The donor's latest statement of each kind: a newly declared last donation of a kind replaces
/// the one stored for that kind; kinds not mentioned keep the stored one.
pub fn latest_statements(stored: &[PastDonation], fresh: &[PastDonation]) -> Vec<PastDonation> {
    let mut out: Vec<PastDonation> = stored
        .iter()
        .filter(|s| !fresh.iter().any(|f| f.kind == s.kind))
        .cloned()
        .collect();
    out.extend(fresh.iter().cloned());
    out.sort_by_key(|d| (d.kind, d.date));
    out
}

/// A declaration the donor makes now that the station's own records contradict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryConflict {
    /// The declared last donation of `kind` (item `index`) is older than one the station
    /// recorded.
    LastDonationBeforeRecord {
        /// Position of the item in the declared list.
        index: usize,
        /// Its kind.
        kind: DonationKind,
        /// The day declared.
        declared: NaiveDate,
        /// The latest day the station recorded a donation of that kind.
        recorded: NaiveDate,
    },
    /// Fewer apheresis donations declared for the last 12 months than the station recorded.
    FewerApheresisThanRecorded {
        /// The declared count.
        declared: u32,
        /// The recorded count.
        recorded: u32,
    },
    /// Less apheresis volume declared for the last 12 months than the station recorded.
    LessApheresisVolumeThanRecorded {
        /// The declared volume in ml.
        declared_ml: u32,
        /// The recorded volume in ml.
        recorded_ml: u64,
    },
}

impl HistoryConflict {
    /// The contradiction, in the donor's language.
    pub fn message(&self, language: Language) -> String {
        match (self, language) {
            (
                HistoryConflict::LastDonationBeforeRecord {
                    kind,
                    declared,
                    recorded,
                    ..
                },
                Language::En,
            ) => format!(
                "the last {} donation given is on {declared}, but the station recorded one on \
                 {recorded}; please check the date",
                kind.label()
            ),
            (
                HistoryConflict::LastDonationBeforeRecord {
                    kind,
                    declared,
                    recorded,
                    ..
                },
                Language::ZhCn,
            ) => format!(
                "您填写的最近一次{}为{declared}，但本血站记录您于{recorded}捐献过，请核对日期",
                label_zh(*kind)
            ),
            (HistoryConflict::FewerApheresisThanRecorded { declared, recorded }, Language::En) => {
                format!(
                    "{declared} apheresis donations in the last 12 months were given, but the \
                 station recorded {recorded}; please check the count"
                )
            }
            (
                HistoryConflict::FewerApheresisThanRecorded { declared, recorded },
                Language::ZhCn,
            ) => format!(
                "您填写近12个月单采献血{declared}次，但本血站记录为{recorded}次，请核对次数"
            ),
            (
                HistoryConflict::LessApheresisVolumeThanRecorded {
                    declared_ml,
                    recorded_ml,
                },
                Language::En,
            ) => format!(
                "{declared_ml} ml of apheresis donations in the last 12 months were given, but \
                 the station recorded {recorded_ml} ml; please check the volume"
            ),
            (
                HistoryConflict::LessApheresisVolumeThanRecorded {
                    declared_ml,
                    recorded_ml,
                },
                Language::ZhCn,
            ) => format!(
                "您填写近12个月单采献血共{declared_ml}毫升，但本血站记录为{recorded_ml}毫升，请核对献血量"
            ),
        }
    }
}

/// Chinese name of a kind, for messages.
pub(super) fn label_zh(kind: DonationKind) -> &'static str {
    match kind {
        DonationKind::WholeBlood => "全血",
        DonationKind::Platelets => "单采血小板",
        DonationKind::Plasma => "单采血浆",
    }
}

/// Checks what the donor declares `today` against the station's `recorded` donations: a
/// declared last donation older than a recorded one of its kind, or fewer (or less) apheresis
/// donations in the last 12 months than recorded, is a conflict.
pub fn check_against_records(
    recorded: &[PastDonation],
    declared: &[PastDonation],
    apheresis: Option<ApheresisCount>,
    today: NaiveDate,
) -> Result<(), HistoryConflict> {
    for (index, d) in declared.iter().enumerate() {
        let latest = recorded
            .iter()
            .filter(|r| r.kind == d.kind && r.date <= today)
            .map(|r| r.date)
            .max();
        if let Some(recorded) = latest
            && d.date < recorded
        {
            return Err(HistoryConflict::LastDonationBeforeRecord {
                index,
                kind: d.kind,
                declared: d.date,
                recorded,
            });
        }
    }
    if let Some(count) = apheresis {
        let in_year: Vec<&PastDonation> = recorded
            .iter()
            .filter(|r| r.kind.is_apheresis() && in_window(r.date, today, Wait::Months(12)))
            .collect();
        let recorded_count = in_year.len() as u32;
        if count.count < recorded_count {
            return Err(HistoryConflict::FewerApheresisThanRecorded {
                declared: count.count,
                recorded: recorded_count,
            });
        }
        let recorded_ml: u64 = in_year
            .iter()
            .map(|r| u64::from(r.volume_ml.unwrap_or(0)))
            .sum();
        if u64::from(count.volume_ml) < recorded_ml {
            return Err(HistoryConflict::LessApheresisVolumeThanRecorded {
                declared_ml: count.volume_ml,
                recorded_ml,
            });
        }
    }
    Ok(())
}

/// Checks a declaration on its own, before anything is stored: each last donation on or after
/// the donor's 18th birthday, at most [`MAX_WHOLE_BLOOD_ML`] of whole blood, one per kind; an
/// apheresis count in range and covering the declared apheresis donations of the last 12
/// months. `item(i)` names the JSON path of item `i` (e.g. "donor.last_donations[0]").
pub fn check_declaration(
    declared: &[PastDonation],
    apheresis: Option<ApheresisCount>,
    birth_date: NaiveDate,
    today: NaiveDate,
    item: impl Fn(usize) -> String,
) -> Result<(), FieldError> {
    let adult = nth_birthday(birth_date, 18);
    for (i, d) in declared.iter().enumerate() {
        if d.date < adult {
            return Err(FieldError::new(
                format!("{}.date", item(i)),
                "donated_under_18",
                format!(
                    "a donation on {} is before the donor's 18th birthday ({adult}); \
                     donors must be 18",
                    d.date
                ),
            ));
        }
        if d.kind == DonationKind::WholeBlood
            && let Some(ml) = d.volume_ml
            && ml > MAX_WHOLE_BLOOD_ML
        {
            return Err(FieldError::new(
                format!("{}.volume_ml", item(i)),
                "out_of_range",
                format!("a whole-blood donation is at most {MAX_WHOLE_BLOOD_ML} ml; got {ml} ml"),
            ));
        }
        if declared[..i].iter().any(|e| e.kind == d.kind) {
            return Err(FieldError::new(
                format!("{}.kind", item(i)),
                "duplicate_kind",
                format!(
                    "give only the last donation of each kind; {} appears twice",
                    d.kind
                ),
            ));
        }
    }
    let Some(count) = apheresis else {
        return Ok(());
    };
    let field = |name: &str| format!("donor.apheresis_12_months.{name}");
    if count.count > MAX_DECLARED_APHERESIS {
        return Err(FieldError::new(
            field("count"),
            "out_of_range",
            format!("must be between 0 and {MAX_DECLARED_APHERESIS}"),
        ));
    }
    if count.volume_ml > MAX_DECLARED_APHERESIS_ML {
        return Err(FieldError::new(
            field("volume_ml"),
            "out_of_range",
            format!("must be between 0 and {MAX_DECLARED_APHERESIS_ML}"),
        ));
    }
    if (count.count == 0) != (count.volume_ml == 0) {
        return Err(FieldError::new(
            field("volume_ml"),
            "inconsistent_history",
            "the volume must be 0 exactly when the count is 0",
        ));
    }
    let in_year: Vec<&PastDonation> = declared
        .iter()
        .filter(|d| d.kind.is_apheresis() && in_window(d.date, today, Wait::Months(12)))
        .collect();
    if (count.count as usize) < in_year.len() {
        return Err(FieldError::new(
            field("count"),
            "inconsistent_history",
            format!(
                "{} apheresis donations in the last 12 months are listed in last_donations, \
                 more than the count of {}",
                in_year.len(),
                count.count
            ),
        ));
    }
    let listed_ml: u64 = in_year
        .iter()
        .filter_map(|d| d.volume_ml)
        .map(u64::from)
        .sum();
    if u64::from(count.volume_ml) < listed_ml {
        return Err(FieldError::new(
            field("volume_ml"),
            "inconsistent_history",
            format!(
                "the apheresis donations listed in last_donations add up to {listed_ml} ml, \
                 more than the volume of {} ml",
                count.volume_ml
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DonationKind::{Plasma, Platelets, WholeBlood};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn past(date: &str, kind: DonationKind, volume_ml: Option<u32>) -> PastDonation {
        PastDonation {
            date: d(date),
            kind,
            volume_ml,
        }
    }

    fn assumed(kind: DonationKind) -> u32 {
        match kind {
            WholeBlood => 400,
            Platelets => 500,
            Plasma => 600,
        }
    }

    fn item(i: usize) -> String {
        format!("donor.last_donations[{i}]")
    }

    #[test]
    fn a_declaration_of_a_recorded_donation_counts_once() {
        let recorded = [past("2026-06-01", Platelets, Some(250))];
        let declared = [
            past("2026-06-01", Platelets, None),
            past("2026-01-10", WholeBlood, Some(400)),
        ];
        let h = History::build(&recorded, &declared, None, assumed, Wait::Days(14));
        assert_eq!(h.donations.len(), 2);
        assert_eq!(h.donations[0].volume_ml, Some(250), "the record's volume");
        assert!(h.undated_apheresis.is_empty());
    }

    #[test]
    fn counted_apheresis_donations_are_dated_as_late_as_they_could_be() {
        // 5 apheresis donations, 1,500 ml, in the 12 months up to 2026-11-29; one is known.
        let declared = [past("2026-11-01", Platelets, Some(250))];
        let count = ApheresisCount {
            count: 5,
            volume_ml: 1500,
        };
        let h = History::build(
            &[],
            &declared,
            Some((count, d("2026-11-29"))),
            assumed,
            Wait::Days(14),
        );
        let dates: Vec<NaiveDate> = h.undated_apheresis.iter().map(|u| u.latest_date).collect();
        assert_eq!(
            dates,
            [
                d("2026-11-01"),
                d("2026-10-18"),
                d("2026-10-04"),
                d("2026-09-20")
            ]
        );
        let ml: u32 = h.undated_apheresis.iter().map(|u| u.volume_ml).sum();
        assert_eq!(ml, 1250, "the declared volume less the known donation");
    }

    #[test]
    fn undated_donations_stay_inside_the_twelve_months() {
        let count = ApheresisCount {
            count: 40,
            volume_ml: 10_000,
        };
        let h = History::build(
            &[],
            &[],
            Some((count, d("2026-11-29"))),
            assumed,
            Wait::Days(14),
        );
        assert_eq!(h.undated_apheresis.len(), 40);
        assert_eq!(h.undated_apheresis[0].latest_date, d("2026-11-29"));
        let oldest = h.undated_apheresis.last().unwrap().latest_date;
        assert_eq!(oldest, d("2025-11-30"));
        assert!(in_window(oldest, d("2026-11-29"), Wait::Months(12)));
    }

    #[test]
    fn repeat_donors_have_a_real_earlier_donation() {
        let birth = d("2000-03-10");
        let h = History::of(vec![past("2017-01-01", WholeBlood, None)]);
        assert!(!h.donated_before(d("2026-12-01"), birth), "before 18");
        let h = History::of(vec![past("2026-12-01", WholeBlood, None)]);
        assert!(!h.donated_before(d("2026-12-01"), birth), "the same day");
        assert!(h.donated_before(d("2026-12-02"), birth));
    }

    #[test]
    fn the_latest_statement_of_each_kind_wins() {
        let stored = [
            past("2026-01-10", WholeBlood, None),
            past("2026-05-01", Platelets, None),
        ];
        let fresh = [past("2025-12-01", WholeBlood, Some(300))];
        let merged = latest_statements(&stored, &fresh);
        assert_eq!(
            merged,
            [
                past("2025-12-01", WholeBlood, Some(300)),
                past("2026-05-01", Platelets, None)
            ]
        );
    }

    #[test]
    fn declarations_older_than_the_records_conflict() {
        let recorded = [
            past("2026-06-01", Platelets, Some(500)),
            past("2026-02-01", WholeBlood, Some(400)),
        ];
        let today = d("2026-11-29");
        let declared = [past("2026-05-01", Platelets, None)];
        let conflict = check_against_records(&recorded, &declared, None, today).unwrap_err();
        assert_eq!(
            conflict,
            HistoryConflict::LastDonationBeforeRecord {
                index: 0,
                kind: Platelets,
                declared: d("2026-05-01"),
                recorded: d("2026-06-01")
            }
        );
        assert!(conflict.message(Language::En).contains("2026-06-01"));
        assert!(conflict.message(Language::ZhCn).contains("本血站记录"));
        // The same day, or a later donation elsewhere, is fine.
        for ok in ["2026-06-01", "2026-07-01"] {
            let declared = [past(ok, Platelets, None)];
            assert!(check_against_records(&recorded, &declared, None, today).is_ok());
        }
        let too_few = ApheresisCount {
            count: 0,
            volume_ml: 0,
        };
        assert_eq!(
            check_against_records(&recorded, &[], Some(too_few), today),
            Err(HistoryConflict::FewerApheresisThanRecorded {
                declared: 0,
                recorded: 1
            })
        );
        let too_little = ApheresisCount {
            count: 1,
            volume_ml: 250,
        };
        assert_eq!(
            check_against_records(&recorded, &[], Some(too_little), today),
            Err(HistoryConflict::LessApheresisVolumeThanRecorded {
                declared_ml: 250,
                recorded_ml: 500
            })
        );
        // A record older than 12 months is not in the count.
        let old = [past("2025-11-29", Platelets, Some(500))];
        assert!(check_against_records(&old, &[], Some(too_few), today).is_ok());
    }

    #[test]
    fn declarations_before_the_18th_birthday_or_over_400_ml_name_the_field() {
        let birth = d("2008-02-29");
        let today = d("2026-11-29");
        let early = [past("2026-02-27", WholeBlood, None)];
        let e = check_declaration(&early, None, birth, today, item).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("donor.last_donations[0].date", "donated_under_18")
        );
        let on_birthday = [past("2026-02-28", WholeBlood, Some(400))];
        assert!(check_declaration(&on_birthday, None, birth, today, item).is_ok());
        let big = [
            past("2026-03-01", Platelets, Some(500)),
            past("2026-03-01", WholeBlood, Some(450)),
        ];
        let e = check_declaration(&big, None, birth, today, item).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("donor.last_donations[1].volume_ml", "out_of_range")
        );
        let twice = [
            past("2026-03-01", Platelets, None),
            past("2026-04-01", Platelets, None),
        ];
        let e = check_declaration(&twice, None, birth, today, item).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("donor.last_donations[1].kind", "duplicate_kind")
        );
    }

    #[test]
    fn an_apheresis_count_must_cover_the_listed_donations() {
        let birth = d("1990-01-01");
        let today = d("2026-11-29");
        let listed = [
            past("2026-10-01", Platelets, Some(500)),
            past("2026-11-01", Plasma, Some(400)),
        ];
        let count = |count, volume_ml| Some(ApheresisCount { count, volume_ml });
        let field_of = |c| {
            check_declaration(&listed, c, birth, today, item)
                .unwrap_err()
                .field
        };
        assert_eq!(field_of(count(1, 900)), "donor.apheresis_12_months.count");
        assert_eq!(
            field_of(count(2, 800)),
            "donor.apheresis_12_months.volume_ml"
        );
        assert_eq!(field_of(count(3, 0)), "donor.apheresis_12_months.volume_ml");
        assert_eq!(field_of(count(53, 900)), "donor.apheresis_12_months.count");
        assert!(check_declaration(&listed, count(2, 900), birth, today, item).is_ok());
        assert!(check_declaration(&[], count(0, 0), birth, today, item).is_ok());
    }
}
