//! Donor eligibility at booking time (China, GB 18467-2011), kept as data with effective dates.
//!
//! A [`RuleBook`] is a list of [`Rule`]s; each names a stable id, the donation dates it applies to
//! and a [`RuleKind`] holding its numbers. A rule applies when the *donation date* lies within
//! its effective range. [`RuleBook::check`] returns every failed rule with the first date the
//! donor becomes eligible under that rule id.
//!
//! Date conventions:
//! - "N months after" a date is the same day N months later, clamped to the last day of a
//!   shorter month (2025-08-31 + 6 months = 2026-02-28), as `chrono`'s `checked_add_months`.
//! - A birthday on 29 February falls on 1 March in common years: on 28 February the donor has not
//!   yet completed the year (the same result as comparing month and day).
//! - Waits in hours are rounded to whole days (48 hours = 2 days): only dates are known.
//! - Yearly limits count a rolling window of `window_days` days ending on the donation date,
//!   both ends included, plus the requested donation.
//!
//! Haemoglobin and blood pressure are checked at the bloodmobile, not here.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::donation::{DonationKind, Sex, VolumeRules};

/// What the eligibility rules need to know about the donor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DonorProfile {
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex, which sets the minimum weight.
    pub sex: Sex,
    /// Body weight in kilograms.
    pub weight_kg: f64,
    /// Whether the donor has donated before (extends the maximum age).
    pub repeat_donor: bool,
}

/// One earlier donation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PastDonation {
    /// Day of the donation.
    pub date: NaiveDate,
    /// What was donated.
    pub kind: DonationKind,
    /// Volume in ml if known; otherwise the kind's default volume is assumed.
    pub volume_ml: Option<u32>,
}

/// The type of a COVID-19 vaccine, which sets the wait after it since 2021-03-29.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VaccineType {
    /// Inactivated vaccine (e.g. Sinopharm, Sinovac).
    Inactivated,
    /// Any other type (recombinant subunit, adenovirus vector, mRNA, ...).
    Other,
}

impl VaccineType {
    /// Stable snake_case name, as in JSON and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            VaccineType::Inactivated => "inactivated",
            VaccineType::Other => "other",
        }
    }

    /// The type named by `as_str`.
    pub fn parse(name: &str) -> Option<Self> {
        [VaccineType::Inactivated, VaccineType::Other]
            .into_iter()
            .find(|v| v.as_str() == name)
    }
}

/// The donor's last COVID-19 vaccine dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Vaccination {
    /// Day of the last dose.
    pub date: NaiveDate,
    /// Vaccine type.
    pub vaccine: VaccineType,
}

/// A failed rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ineligible {
    /// Stable snake_case id of the rule, e.g. "interval_whole_blood_to_whole_blood".
    pub rule: &'static str,
    /// English explanation naming the rule and its numbers.
    pub message: String,
    /// First date on which this rule no longer stops the donor; `None` when no date will
    /// (too old, too light: time alone does not fix it).
    pub eligible_from: Option<NaiveDate>,
}

/// A waiting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    /// Calendar months (month-end clamped).
    Months(u32),
    /// Days.
    Days(u32),
}

impl Wait {
    /// The first date at the end of the wait that starts on `from`.
    pub fn after(self, from: NaiveDate) -> NaiveDate {
        let end = match self {
            Wait::Months(n) => from.checked_add_months(Months::new(n)),
            Wait::Days(n) => from.checked_add_days(Days::new(n.into())),
        };
        end.unwrap_or(NaiveDate::MAX)
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wait::Months(n) => write!(f, "{n} months"),
            Wait::Days(n) => write!(f, "{n} days"),
        }
    }
}

/// The check a rule performs, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The donor must have reached `years` of age.
    MinAge {
        /// Minimum age in completed years.
        years: u32,
    },
    /// The donor must not be older than `first_time` years (`repeat` for repeat donors).
    MaxAge {
        /// Highest age in completed years for a first-time donor.
        first_time: u32,
        /// Highest age in completed years for a repeat donor.
        repeat: u32,
    },
    /// Donors of `sex` must weigh at least `kg`.
    MinWeight {
        /// The sex the limit applies to.
        sex: Sex,
        /// Minimum weight in kilograms.
        kg: f64,
    },
    /// A donation of a kind in `next` must wait `wait` after any donation of a kind in `previous`.
    MinInterval {
        /// Kinds of the earlier donation.
        previous: Vec<DonationKind>,
        /// Kinds of the requested donation.
        next: Vec<DonationKind>,
        /// The wait.
        wait: Wait,
    },
    /// At most `count` donations of `kinds` within `window_days` days.
    MaxPerYear {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// Highest number of donations in the window, the requested one included.
        count: u32,
        /// Length of the rolling window in days (365).
        window_days: u32,
    },
    /// At most `ml` millilitres of `kinds` within `window_days` days.
    MaxVolumePerYear {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// Highest total volume in ml, the requested donation included.
        ml: u32,
        /// Length of the rolling window in days (365).
        window_days: u32,
    },
    /// Wait `days` after the last dose of a COVID-19 vaccine of type `vaccine` (`None`: any).
    VaccineWait {
        /// The vaccine type the wait applies to; `None` for every type.
        vaccine: Option<VaccineType>,
        /// Days to wait after the last dose.
        days: u32,
    },
}

/// One eligibility rule and the donation dates it applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Stable snake_case id; several rules may share one id (e.g. eras of the same rule).
    pub id: &'static str,
    /// First donation date the rule applies to.
    pub effective_from: NaiveDate,
    /// Last donation date the rule applies to (inclusive); `None` while in force.
    pub effective_until: Option<NaiveDate>,
    /// What it checks.
    pub check: RuleKind,
}

/// The station's eligibility rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleBook {
    /// All rules, past ones included; each applies only within its effective range.
    pub rules: Vec<Rule>,
    /// Volumes assumed for past donations recorded without one (their `default_ml`).
    pub volumes: VolumeRules,
}

/// Everything a rule looks at, except the date.
struct Request<'a> {
    donor: &'a DonorProfile,
    history: &'a [PastDonation],
    vaccination: Option<&'a Vaccination>,
    kind: DonationKind,
    volume_ml: u32,
    volumes: &'a VolumeRules,
}

/// A rule failing on one date: why, and the first date it would pass.
struct Failure {
    reason: String,
    eligible_from: Option<NaiveDate>,
}

/// How many times the search for a rule id's eligible date may jump before giving up; each jump
/// moves strictly forward, and real rule books need one or two.
const MAX_JUMPS: usize = 64;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid constant date")
}

impl RuleBook {
    /// GB 18467-2011 defaults (in force since 2012-07-01) plus the COVID-19 vaccine waits:
    /// - age 18 to 55, repeat donors up to 60; weight ≥ 50 kg (men), ≥ 45 kg (women);
    /// - whole blood → whole blood ≥ 6 months; whole blood → apheresis ≥ 90 days;
    ///   apheresis → whole blood ≥ 28 days; apheresis → apheresis ≥ 14 days;
    /// - at most 24 apheresis donations and 10,000 ml of apheresis volume per 365 days.
    ///
    /// Plasma is collected by apheresis like platelets, so the rule ids named "platelets" cover
    /// plasma too (the standard does not set separate plasma intervals; this is the cautious
    /// reading).
    ///
    /// COVID-19 vaccination: from 2021-01-01 to 2021-03-28 wait 28 days after the last (second)
    /// dose; from 2021-03-29 on, 2 days (48 hours) after an inactivated vaccine and 14 days after
    /// any other type. All three share the id "covid_vaccine_wait".
    pub fn gb18467_2011() -> Self {
        use DonationKind::{Plasma, Platelets, WholeBlood};
        let gb = date(2012, 7, 1);
        let rule = |id, check| Rule {
            id,
            effective_from: gb,
            effective_until: None,
            check,
        };
        let interval = |id, previous: &[DonationKind], next: &[DonationKind], wait| {
            rule(
                id,
                RuleKind::MinInterval {
                    previous: previous.to_vec(),
                    next: next.to_vec(),
                    wait,
                },
            )
        };
        let apheresis = [Platelets, Plasma];
        let first_appeal = date(2021, 1, 1);
        let national_rule = date(2021, 3, 29);
        let vaccine = |from, until, vaccine, days| Rule {
            id: "covid_vaccine_wait",
            effective_from: from,
            effective_until: until,
            check: RuleKind::VaccineWait { vaccine, days },
        };
        Self {
            rules: vec![
                rule("min_age", RuleKind::MinAge { years: 18 }),
                rule(
                    "max_age",
                    RuleKind::MaxAge {
                        first_time: 55,
                        repeat: 60,
                    },
                ),
                rule(
                    "min_weight",
                    RuleKind::MinWeight {
                        sex: Sex::Male,
                        kg: 50.0,
                    },
                ),
                rule(
                    "min_weight",
                    RuleKind::MinWeight {
                        sex: Sex::Female,
                        kg: 45.0,
                    },
                ),
                interval(
                    "interval_whole_blood_to_whole_blood",
                    &[WholeBlood],
                    &[WholeBlood],
                    Wait::Months(6),
                ),
                interval(
                    "interval_whole_blood_to_platelets",
                    &[WholeBlood],
                    &apheresis,
                    Wait::Days(90),
                ),
                interval(
                    "interval_platelets_to_whole_blood",
                    &apheresis,
                    &[WholeBlood],
                    Wait::Days(28),
                ),
                interval(
                    "interval_platelets_to_platelets",
                    &apheresis,
                    &apheresis,
                    Wait::Days(14),
                ),
                rule(
                    "platelets_per_year",
                    RuleKind::MaxPerYear {
                        kinds: apheresis.to_vec(),
                        count: 24,
                        window_days: 365,
                    },
                ),
                rule(
                    "apheresis_volume_per_year",
                    RuleKind::MaxVolumePerYear {
                        kinds: apheresis.to_vec(),
                        ml: 10_000,
                        window_days: 365,
                    },
                ),
                vaccine(first_appeal, Some(date(2021, 3, 28)), None, 28),
                vaccine(national_rule, None, Some(VaccineType::Inactivated), 2),
                vaccine(national_rule, None, Some(VaccineType::Other), 14),
            ],
            volumes: VolumeRules::default(),
        }
    }

    /// The rules that apply to a donation on `date`.
    pub fn rules_on(&self, date: NaiveDate) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.applies_on(date))
    }

    /// Checks a requested donation of `kind` and `volume_ml` on `date`.
    ///
    /// Returns every failed rule id once. Each `eligible_from` is the first date on which no rule
    /// with that id fails (rules ending or starting in between are taken into account), judged
    /// for that id alone. Sorted most binding first: `None` (no date will do) before dates, then
    /// the latest `eligible_from` first, then by rule id.
    pub fn check(
        &self,
        donor: &DonorProfile,
        history: &[PastDonation],
        vaccination: Option<&Vaccination>,
        kind: DonationKind,
        volume_ml: u32,
        date: NaiveDate,
    ) -> Result<(), Vec<Ineligible>> {
        let req = Request {
            donor,
            history,
            vaccination,
            kind,
            volume_ml,
            volumes: &self.volumes,
        };
        let mut failed: Vec<Ineligible> = Vec::new();
        for rule in self.rules_on(date) {
            if failed.iter().any(|f| f.rule == rule.id) {
                continue;
            }
            let Some(failure) = self.worst_failure(rule.id, &req, date) else {
                continue;
            };
            let eligible_from = self.first_passing_date(rule.id, &req, date);
            let message = match eligible_from {
                Some(d) => format!("{}: {}; eligible from {d}", rule.id, failure.reason),
                None => format!("{}: {}", rule.id, failure.reason),
            };
            failed.push(Ineligible {
                rule: rule.id,
                message,
                eligible_from,
            });
        }
        if failed.is_empty() {
            return Ok(());
        }
        failed.sort_by(|a, b| {
            let binding = |i: &Ineligible| i.eligible_from.map_or(NaiveDate::MAX, |d| d);
            binding(b).cmp(&binding(a)).then(a.rule.cmp(b.rule))
        });
        Err(failed)
    }

    /// Failures of the rules with `id` on `date`.
    fn failures(&self, id: &str, req: &Request, date: NaiveDate) -> Vec<Failure> {
        self.rules_on(date)
            .filter(|r| r.id == id)
            .filter_map(|r| r.evaluate(req, date))
            .collect()
    }

    /// The most binding failure of `id` on `date`, for its message.
    fn worst_failure(&self, id: &str, req: &Request, date: NaiveDate) -> Option<Failure> {
        self.failures(id, req, date)
            .into_iter()
            .max_by_key(|f| f.eligible_from.map_or(NaiveDate::MAX, |d| d))
    }

    /// First date from `date` on when no rule with `id` fails; `None` if there is none.
    fn first_passing_date(
        &self,
        id: &str,
        req: &Request,
        mut date: NaiveDate,
    ) -> Option<NaiveDate> {
        for _ in 0..MAX_JUMPS {
            let failures = self.failures(id, req, date);
            if failures.is_empty() {
                return Some(date);
            }
            // Every day before the latest eligible date still fails one of these rules.
            let next = failures
                .iter()
                .map(|f| f.eligible_from)
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .max()?;
            if next <= date {
                return None;
            }
            date = next;
        }
        None
    }
}

impl Rule {
    /// Whether the rule applies to a donation on `date`.
    pub fn applies_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|u| date <= u)
    }

    /// `None` if the rule passes on `date`. A failure's eligible date never lies beyond the day
    /// after the rule's last effective day: from then on, it no longer applies.
    fn evaluate(&self, req: &Request, date: NaiveDate) -> Option<Failure> {
        let mut failure = self.check.evaluate(req, date)?;
        if let Some(end) = self.effective_until.and_then(|u| u.succ_opt())
            && failure.eligible_from.is_none_or(|d| d > end)
        {
            failure.eligible_from = Some(end);
        }
        Some(failure)
    }
}

impl RuleKind {
    fn evaluate(&self, req: &Request, date: NaiveDate) -> Option<Failure> {
        let donor = req.donor;
        match self {
            RuleKind::MinAge { years } => {
                let birthday = nth_birthday(donor.birth_date, *years);
                (date < birthday).then(|| Failure {
                    reason: format!("donors must be at least {years} years old; the donor turns {years} on {birthday}"),
                    eligible_from: Some(birthday),
                })
            }
            RuleKind::MaxAge { first_time, repeat } => {
                let limit = if donor.repeat_donor {
                    repeat
                } else {
                    first_time
                };
                let age = age_on(donor.birth_date, date);
                (age > i64::from(*limit)).then(|| Failure {
                    reason: format!(
                        "donors may be at most {first_time} years old ({repeat} for repeat donors); \
                         the donor is {age} on {date}"
                    ),
                    eligible_from: None,
                })
            }
            RuleKind::MinWeight { sex, kg } => {
                // A NaN weight is incomparable and fails too.
                let heavy_enough = matches!(
                    donor.weight_kg.partial_cmp(kg),
                    Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                );
                let too_light = donor.sex == *sex && !heavy_enough;
                too_light.then(|| Failure {
                    reason: format!(
                        "{} donors must weigh at least {kg} kg; weight given {} kg",
                        sex.as_str(),
                        donor.weight_kg
                    ),
                    eligible_from: None,
                })
            }
            RuleKind::MinInterval {
                previous,
                next,
                wait,
            } => {
                if !next.contains(&req.kind) {
                    return None;
                }
                let last = req
                    .history
                    .iter()
                    .filter(|p| previous.contains(&p.kind))
                    .max_by_key(|p| wait.after(p.date))?;
                let from = wait.after(last.date);
                (date < from).then(|| Failure {
                    reason: format!(
                        "{} must wait at least {wait} after {} (donated on {})",
                        req.kind.label(),
                        last.kind.label(),
                        last.date
                    ),
                    eligible_from: Some(from),
                })
            }
            RuleKind::MaxPerYear {
                kinds,
                count,
                window_days,
            } => {
                let eligible_from =
                    yearly_limit(req, date, kinds, *window_days, |_| 1, 1, (*count).into())?;
                Some(Failure {
                    reason: format!(
                        "at most {count} donations of {} within {window_days} days",
                        labels(kinds)
                    ),
                    eligible_from,
                })
            }
            RuleKind::MaxVolumePerYear {
                kinds,
                ml,
                window_days,
            } => {
                let volume = |p: &PastDonation| {
                    let ml = p
                        .volume_ml
                        .unwrap_or_else(|| req.volumes.default_volume(p.kind));
                    u64::from(ml)
                };
                let (added, limit) = (req.volume_ml.into(), (*ml).into());
                let eligible_from =
                    yearly_limit(req, date, kinds, *window_days, volume, added, limit)?;
                Some(Failure {
                    reason: format!(
                        "at most {ml} ml of {} within {window_days} days, this donation of {} ml included",
                        labels(kinds),
                        req.volume_ml
                    ),
                    eligible_from,
                })
            }
            RuleKind::VaccineWait { vaccine, days } => {
                let dose = req.vaccination?;
                if vaccine.is_some_and(|v| v != dose.vaccine) {
                    return None;
                }
                let from = Wait::Days(*days).after(dose.date);
                let which = match vaccine {
                    Some(VaccineType::Inactivated) => "an inactivated COVID-19 vaccine",
                    Some(VaccineType::Other) => "a COVID-19 vaccine other than inactivated",
                    None => "the last dose of a COVID-19 vaccine",
                };
                (date < from).then(|| Failure {
                    reason: format!("wait {days} days after {which} (given on {})", dose.date),
                    eligible_from: Some(from),
                })
            }
        }
    }
}

fn labels(kinds: &[DonationKind]) -> String {
    kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A rolling limit over the past donations of `kinds`, each weighing `weight`, when the requested
/// donation (weighing `added`) is of one of `kinds`; see [`rolling_limit`].
fn yearly_limit(
    req: &Request,
    date: NaiveDate,
    kinds: &[DonationKind],
    window_days: u32,
    weight: impl Fn(&PastDonation) -> u64,
    added: u64,
    limit: u64,
) -> Option<Option<NaiveDate>> {
    if !kinds.contains(&req.kind) {
        return None;
    }
    let entries: Vec<(NaiveDate, u64)> = req
        .history
        .iter()
        .filter(|p| kinds.contains(&p.kind))
        .map(|p| (p.date, weight(p)))
        .collect();
    rolling_limit(date, &entries, window_days, added, limit)
}

/// Sum of `entries` dated within the `window_days` days ending on `end` (both ends included).
fn window_total(entries: &[(NaiveDate, u64)], end: NaiveDate, window_days: u32) -> u64 {
    let start = end - Days::new(window_days.into());
    entries
        .iter()
        .filter(|(d, _)| *d > start && *d <= end)
        .map(|(_, w)| w)
        .sum()
}

/// `None` if `added` fits under `limit` in the window ending on `date`; otherwise the first later
/// date on which it fits, found where an entry leaves the window (`Some(None)` if it never fits).
fn rolling_limit(
    date: NaiveDate,
    entries: &[(NaiveDate, u64)],
    window_days: u32,
    added: u64,
    limit: u64,
) -> Option<Option<NaiveDate>> {
    let fits = |end| window_total(entries, end, window_days) + added <= limit;
    if fits(date) {
        return None;
    }
    if added > limit {
        return Some(None);
    }
    let mut exits: Vec<NaiveDate> = entries
        .iter()
        .map(|(d, _)| Wait::Days(window_days).after(*d))
        .filter(|d| *d > date)
        .collect();
    exits.sort();
    Some(exits.into_iter().find(|d| fits(*d)))
}

/// The date of the donor's `n`th birthday; 29 February falls on 1 March in common years.
pub fn nth_birthday(birth: NaiveDate, n: u32) -> NaiveDate {
    let year = birth.year().saturating_add_unsigned(n);
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

/// Age in completed years on `date` (negative before birth).
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> i64 {
    let years = i64::from(date.year()) - i64::from(birth.year());
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years - 1
    } else {
        years
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn vaccine_types_round_trip_their_names() {
        for vaccine in [super::VaccineType::Inactivated, super::VaccineType::Other] {
            assert_eq!(super::VaccineType::parse(vaccine.as_str()), Some(vaccine));
            let json = serde_json::to_string(&vaccine).unwrap();
            assert_eq!(json, format!("\"{}\"", vaccine.as_str()));
        }
        assert_eq!(super::VaccineType::parse("mrna"), None);
    }

    use super::*;
    use DonationKind::{Plasma, Platelets, WholeBlood};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn adult() -> DonorProfile {
        DonorProfile {
            birth_date: d("1990-05-01"),
            sex: Sex::Male,
            weight_kg: 65.0,
            repeat_donor: true,
        }
    }

    fn past(date: &str, kind: DonationKind) -> PastDonation {
        PastDonation {
            date: d(date),
            kind,
            volume_ml: None,
        }
    }

    fn check(
        donor: &DonorProfile,
        history: &[PastDonation],
        vaccination: Option<&Vaccination>,
        kind: DonationKind,
        on: &str,
    ) -> Vec<Ineligible> {
        let book = RuleBook::gb18467_2011();
        let volume = book.volumes.default_volume(kind);
        book.check(donor, history, vaccination, kind, volume, d(on))
            .err()
            .unwrap_or_default()
    }

    /// The single failure, asserting its rule id.
    fn only(failures: Vec<Ineligible>, rule: &str) -> Ineligible {
        assert_eq!(failures.len(), 1, "{failures:#?}");
        assert_eq!(failures[0].rule, rule);
        failures.into_iter().next().unwrap()
    }

    #[test]
    fn a_healthy_adult_without_history_may_donate_every_kind() {
        for kind in DonationKind::ALL {
            assert!(check(&adult(), &[], None, kind, "2026-12-01").is_empty());
        }
    }

    #[test]
    fn min_age_names_the_eighteenth_birthday() {
        let teen = DonorProfile {
            birth_date: d("2008-07-10"),
            repeat_donor: false,
            ..adult()
        };
        let f = only(check(&teen, &[], None, WholeBlood, "2026-07-09"), "min_age");
        assert_eq!(f.eligible_from, Some(d("2026-07-10")));
        assert!(
            f.message.contains("18") && f.message.contains("2026-07-10"),
            "{}",
            f.message
        );
        assert!(check(&teen, &[], None, WholeBlood, "2026-07-10").is_empty());
    }

    #[test]
    fn leap_day_birthdays_fall_on_the_first_of_march() {
        let born = d("2008-02-29");
        assert_eq!(nth_birthday(born, 18), d("2026-03-01"));
        assert_eq!(nth_birthday(born, 20), d("2028-02-29"));
        assert_eq!(age_on(born, d("2026-02-28")), 17);
        assert_eq!(age_on(born, d("2026-03-01")), 18);
        let teen = DonorProfile {
            birth_date: born,
            ..adult()
        };
        let f = only(check(&teen, &[], None, WholeBlood, "2026-02-28"), "min_age");
        assert_eq!(f.eligible_from, Some(d("2026-03-01")));
    }

    #[test]
    fn max_age_is_55_for_first_time_and_60_for_repeat_donors() {
        let first_timer = |birth: &str| DonorProfile {
            birth_date: d(birth),
            repeat_donor: false,
            ..adult()
        };
        // 55 until the day before the 56th birthday.
        assert!(
            check(
                &first_timer("1970-12-02"),
                &[],
                None,
                WholeBlood,
                "2026-12-01"
            )
            .is_empty()
        );
        let f = only(
            check(
                &first_timer("1970-12-01"),
                &[],
                None,
                WholeBlood,
                "2026-12-01",
            ),
            "max_age",
        );
        assert_eq!(f.eligible_from, None);
        assert!(
            f.message.contains("55") && f.message.contains("60"),
            "{}",
            f.message
        );

        let repeat = |birth: &str| DonorProfile {
            birth_date: d(birth),
            ..adult()
        };
        assert!(check(&repeat("1970-12-01"), &[], None, WholeBlood, "2026-12-01").is_empty());
        assert!(check(&repeat("1965-12-02"), &[], None, WholeBlood, "2026-12-01").is_empty());
        only(
            check(&repeat("1965-12-01"), &[], None, WholeBlood, "2026-12-01"),
            "max_age",
        );
    }

    #[test]
    fn min_weight_depends_on_sex() {
        let with = |sex, weight_kg| DonorProfile {
            sex,
            weight_kg,
            ..adult()
        };
        assert!(check(&with(Sex::Male, 50.0), &[], None, WholeBlood, "2026-12-01").is_empty());
        assert!(
            check(
                &with(Sex::Female, 45.0),
                &[],
                None,
                WholeBlood,
                "2026-12-01"
            )
            .is_empty()
        );
        for donor in [
            with(Sex::Male, 49.9),
            with(Sex::Female, 44.9),
            with(Sex::Male, f64::NAN),
        ] {
            let f = only(
                check(&donor, &[], None, Platelets, "2026-12-01"),
                "min_weight",
            );
            assert_eq!(f.eligible_from, None);
        }
        let f = only(
            check(&with(Sex::Female, 44.0), &[], None, Plasma, "2026-12-01"),
            "min_weight",
        );
        assert!(f.message.contains("45"), "{}", f.message);
    }

    #[test]
    fn whole_blood_waits_six_calendar_months_after_whole_blood() {
        let history = [past("2026-01-10", WholeBlood)];
        let f = only(
            check(&adult(), &history, None, WholeBlood, "2026-07-09"),
            "interval_whole_blood_to_whole_blood",
        );
        assert_eq!(f.eligible_from, Some(d("2026-07-10")));
        assert!(
            f.message.contains("6 months") && f.message.contains("2026-01-10"),
            "{}",
            f.message
        );
        assert!(check(&adult(), &history, None, WholeBlood, "2026-07-10").is_empty());
    }

    #[test]
    fn six_months_after_a_month_end_clamps_to_the_shorter_month() {
        let history = [past("2025-08-31", WholeBlood)];
        let f = only(
            check(&adult(), &history, None, WholeBlood, "2026-01-15"),
            "interval_whole_blood_to_whole_blood",
        );
        assert_eq!(f.eligible_from, Some(d("2026-02-28")));
    }

    #[test]
    fn the_latest_relevant_donation_sets_the_interval() {
        let history = [
            past("2025-03-01", WholeBlood),
            past("2025-11-20", WholeBlood),
        ];
        let f = only(
            check(&adult(), &history, None, WholeBlood, "2026-01-15"),
            "interval_whole_blood_to_whole_blood",
        );
        assert_eq!(f.eligible_from, Some(d("2026-05-20")));
    }

    #[test]
    fn intervals_between_kinds() {
        let cases = [
            (
                WholeBlood,
                Platelets,
                "interval_whole_blood_to_platelets",
                "2026-04-10",
            ),
            (
                WholeBlood,
                Plasma,
                "interval_whole_blood_to_platelets",
                "2026-04-10",
            ),
            (
                Platelets,
                WholeBlood,
                "interval_platelets_to_whole_blood",
                "2026-02-07",
            ),
            (
                Plasma,
                WholeBlood,
                "interval_platelets_to_whole_blood",
                "2026-02-07",
            ),
            (
                Platelets,
                Platelets,
                "interval_platelets_to_platelets",
                "2026-01-24",
            ),
            (
                Plasma,
                Platelets,
                "interval_platelets_to_platelets",
                "2026-01-24",
            ),
            (
                Platelets,
                Plasma,
                "interval_platelets_to_platelets",
                "2026-01-24",
            ),
        ];
        for (before, next, rule, from) in cases {
            let history = [past("2026-01-10", before)];
            let f = only(check(&adult(), &history, None, next, "2026-01-20"), rule);
            assert_eq!(f.eligible_from, Some(d(from)), "{before} → {next}");
            assert!(
                check(&adult(), &history, None, next, from).is_empty(),
                "{before} → {next}"
            );
        }
    }

    /// Apheresis donations every `step` days, `n` of them, ending on `last`.
    fn apheresis_series(
        last: NaiveDate,
        n: u64,
        step: u64,
        volume_ml: Option<u32>,
    ) -> Vec<PastDonation> {
        (0..n)
            .map(|i| PastDonation {
                date: last - Days::new(i * step),
                kind: Platelets,
                volume_ml,
            })
            .collect()
    }

    #[test]
    fn at_most_24_platelet_donations_in_365_days() {
        // 24 donations 14 days apart, the last on 2026-06-01; the oldest 322 days earlier.
        let history = apheresis_series(d("2026-06-01"), 24, 14, Some(250));
        let oldest = history.last().unwrap().date;
        assert_eq!(oldest, d("2025-07-14"));
        let f = only(
            check(&adult(), &history, None, Platelets, "2026-06-15"),
            "platelets_per_year",
        );
        // The oldest leaves the window 365 days after it.
        assert_eq!(f.eligible_from, Some(d("2026-07-14")));
        assert!(
            f.message.contains("24") && f.message.contains("365"),
            "{}",
            f.message
        );
        assert!(check(&adult(), &history, None, Platelets, "2026-07-14").is_empty());
        // Whole blood is not counted.
        assert!(check(&adult(), &history, None, WholeBlood, "2026-07-01").is_empty());
    }

    #[test]
    fn at_most_ten_litres_of_apheresis_in_365_days() {
        // 20 double doses of 500 ml = 10,000 ml, 15 days apart, the last on 2026-06-01.
        let history = apheresis_series(d("2026-06-01"), 20, 15, Some(500));
        let book = RuleBook::gb18467_2011();
        let failures = book
            .check(&adult(), &history, None, Platelets, 250, d("2026-06-20"))
            .unwrap_err();
        let f = only(failures, "apheresis_volume_per_year");
        // Oldest: 2026-06-01 − 285 days = 2025-08-20; it leaves the window on 2026-08-20.
        assert_eq!(f.eligible_from, Some(d("2026-08-20")));
        assert!(f.message.contains("10000 ml"), "{}", f.message);
    }

    #[test]
    fn unknown_past_volumes_count_as_the_kind_default() {
        // 40 platelet donations of unknown volume (250 ml assumed) = 10,000 ml, but 40 > 24
        // too; use plasma (400 ml assumed): 25 × 400 = 10,000 ml.
        let history: Vec<PastDonation> = (0..25)
            .map(|i| PastDonation {
                date: d("2026-06-01") - Days::new(i * 14),
                kind: Plasma,
                volume_ml: None,
            })
            .collect();
        let failures = check(&adult(), &history, None, Plasma, "2026-06-20");
        assert!(
            failures
                .iter()
                .any(|f| f.rule == "apheresis_volume_per_year"),
            "{failures:#?}"
        );
    }

    #[test]
    fn a_single_donation_over_the_yearly_volume_never_fits() {
        let mut book = RuleBook::gb18467_2011();
        for rule in &mut book.rules {
            if let RuleKind::MaxVolumePerYear { ml, .. } = &mut rule.check {
                *ml = 200;
            }
        }
        let f = book
            .check(&adult(), &[], None, Plasma, 400, d("2026-06-20"))
            .unwrap_err();
        assert_eq!(f[0].rule, "apheresis_volume_per_year");
        assert_eq!(f[0].eligible_from, None);
    }

    fn vaccinated(date: &str, vaccine: VaccineType) -> Vaccination {
        Vaccination {
            date: d(date),
            vaccine,
        }
    }

    #[test]
    fn covid_wait_was_28_days_in_early_2021() {
        let v = vaccinated("2021-01-20", VaccineType::Inactivated);
        let f = only(
            check(&adult(), &[], Some(&v), WholeBlood, "2021-02-01"),
            "covid_vaccine_wait",
        );
        assert_eq!(f.eligible_from, Some(d("2021-02-17")));
        assert!(f.message.contains("28 days"), "{}", f.message);
        // Before the appeal there was no wait.
        let v = vaccinated("2020-12-20", VaccineType::Other);
        assert!(check(&adult(), &[], Some(&v), WholeBlood, "2020-12-31").is_empty());
    }

    #[test]
    fn covid_wait_switches_on_2021_03_29() {
        use VaccineType::{Inactivated, Other};
        // On 2021-03-28 the 28-day wait applies; a day later only 48 hours.
        let v = vaccinated("2021-03-20", Inactivated);
        let f = only(
            check(&adult(), &[], Some(&v), WholeBlood, "2021-03-28"),
            "covid_vaccine_wait",
        );
        assert_eq!(f.eligible_from, Some(d("2021-03-29")), "the old rule ends");
        assert!(check(&adult(), &[], Some(&v), WholeBlood, "2021-03-29").is_empty());

        // An other-type vaccine still waits 14 days under the new rule.
        let v = vaccinated("2021-03-25", Other);
        let f = only(
            check(&adult(), &[], Some(&v), WholeBlood, "2021-03-26"),
            "covid_vaccine_wait",
        );
        assert_eq!(f.eligible_from, Some(d("2021-04-08")));

        // Inactivated: 2 days.
        let v = vaccinated("2021-04-01", Inactivated);
        let f = only(
            check(&adult(), &[], Some(&v), WholeBlood, "2021-04-02"),
            "covid_vaccine_wait",
        );
        assert_eq!(f.eligible_from, Some(d("2021-04-03")));
        assert!(
            f.message.contains("2 days") && f.message.contains("inactivated"),
            "{}",
            f.message
        );
        assert!(check(&adult(), &[], Some(&v), WholeBlood, "2021-04-03").is_empty());

        let v = vaccinated("2026-11-20", Other);
        let f = only(
            check(&adult(), &[], Some(&v), Platelets, "2026-12-01"),
            "covid_vaccine_wait",
        );
        assert_eq!(f.eligible_from, Some(d("2026-12-04")));
    }

    #[test]
    fn every_failure_is_reported_most_binding_first() {
        let donor = DonorProfile {
            birth_date: d("1960-01-01"),
            sex: Sex::Female,
            weight_kg: 40.0,
            repeat_donor: true,
        };
        let history = [
            past("2026-11-01", WholeBlood),
            past("2026-11-25", Platelets),
        ];
        let v = vaccinated("2026-11-30", VaccineType::Other);
        let failures = check(&donor, &history, Some(&v), WholeBlood, "2026-12-01");
        let rules: Vec<&str> = failures.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "max_age",
                "min_weight",
                "interval_whole_blood_to_whole_blood",
                "interval_platelets_to_whole_blood",
                "covid_vaccine_wait",
            ]
        );
        let dates: Vec<_> = failures.iter().map(|f| f.eligible_from).collect();
        assert_eq!(
            dates,
            [
                None,
                None,
                Some(d("2027-05-01")),
                Some(d("2026-12-23")),
                Some(d("2026-12-14"))
            ]
        );
    }

    #[test]
    fn rules_apply_only_within_their_effective_range() {
        let book = RuleBook::gb18467_2011();
        let ids = |on: &str| -> Vec<&str> { book.rules_on(d(on)).map(|r| r.id).collect() };
        assert!(!ids("2011-12-31").contains(&"min_age"));
        assert_eq!(
            ids("2021-03-28")
                .iter()
                .filter(|i| **i == "covid_vaccine_wait")
                .count(),
            1
        );
        assert_eq!(
            ids("2021-03-29")
                .iter()
                .filter(|i| **i == "covid_vaccine_wait")
                .count(),
            2
        );
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..3000).prop_map(|n| d("2019-01-01") + Days::new(n))
    }

    fn arb_kind() -> impl Strategy<Value = DonationKind> {
        prop::sample::select(DonationKind::ALL.to_vec())
    }

    prop_compose! {
        fn arb_donor()(
            birth in (0u64..30_000).prop_map(|n| d("1940-01-01") + Days::new(n)),
            male in any::<bool>(),
            weight_kg in 35.0f64..90.0,
            repeat_donor in any::<bool>(),
        ) -> DonorProfile {
            DonorProfile { birth_date: birth, sex: if male { Sex::Male } else { Sex::Female }, weight_kg, repeat_donor }
        }
    }

    prop_compose! {
        fn arb_history()(items in prop::collection::vec(
            (arb_date(), arb_kind(), prop::option::of(prop::sample::select(vec![200u32, 250, 400, 500, 600]))),
            0..40,
        )) -> Vec<PastDonation> {
            items.into_iter().map(|(date, kind, volume_ml)| PastDonation { date, kind, volume_ml }).collect()
        }
    }

    fn arb_vaccination() -> impl Strategy<Value = Option<Vaccination>> {
        prop::option::of(
            (arb_date(), any::<bool>()).prop_map(|(date, inactivated)| Vaccination {
                date,
                vaccine: if inactivated {
                    VaccineType::Inactivated
                } else {
                    VaccineType::Other
                },
            }),
        )
    }

    proptest! {
        #[test]
        fn on_the_eligible_date_the_rule_passes(
            donor in arb_donor(),
            history in arb_history(),
            vaccination in arb_vaccination(),
            kind in arb_kind(),
            date in arb_date(),
        ) {
            let book = RuleBook::gb18467_2011();
            let volume = book.volumes.default_volume(kind);
            let Err(failures) = book.check(&donor, &history, vaccination.as_ref(), kind, volume, date) else {
                return Ok(());
            };
            for f in &failures {
                let Some(from) = f.eligible_from else { continue };
                prop_assert!(from > date);
                let again = book.check(&donor, &history, vaccination.as_ref(), kind, volume, from);
                let still = again.err().unwrap_or_default().into_iter().any(|g| g.rule == f.rule);
                prop_assert!(!still, "{} still fails on {from}", f.rule);
                // And the day before, it failed: the date is the first one.
                let before = from.pred_opt().unwrap();
                let earlier = book.check(&donor, &history, vaccination.as_ref(), kind, volume, before);
                prop_assert!(earlier.err().unwrap_or_default().iter().any(|g| g.rule == f.rule));
            }
            // Sorted: no date before dates, then latest first.
            let keys: Vec<NaiveDate> = failures.iter().map(|f| f.eligible_from.unwrap_or(NaiveDate::MAX)).collect();
            prop_assert!(keys.windows(2).all(|w| w[0] >= w[1]));
        }

        #[test]
        fn birthdays_and_ages_agree(
            birth in (0u64..40_000).prop_map(|n| d("1900-01-01") + Days::new(n)),
            n in 0u32..100,
        ) {
            let day = nth_birthday(birth, n);
            prop_assert_eq!(age_on(birth, day), i64::from(n));
            prop_assert_eq!(age_on(birth, day.pred_opt().unwrap()), i64::from(n) - 1);
        }
    }
}
