//! Donor eligibility at booking time (China, GB 18467-2011 and the national notices), kept as
//! data with effective dates and sources.
//!
//! A [`RuleBook`] is a list of [`Rule`]s; each names a stable code, the donation days it applies
//! to, the document it comes from and a [`RuleKind`] holding its numbers. A rule applies when
//! the *donation day* lies within its effective range. [`RuleBook::check`] checks a requested
//! donation against the donor's whole [`History`] and returns every failed rule with the first
//! day that rule passes, and the first day the same request passes every rule.
//!
//! Boundary days follow one convention, set out in [`dates`]: months (and years, and birthdays)
//! clamp to the end of a shorter month, a wait of months or days ends at the start of its last
//! day, a wait of hours runs from the time given or the end of the day.
//!
//! Haemoglobin, blood pressure and the questionnaire are checked at the bloodmobile, not here.

pub mod dates;
pub mod history;
pub mod messages;
pub mod rules;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use dates::{Wait, age_on, nth_birthday};
pub use history::{
    ApheresisCount, History, HistoryConflict, PastDonation, UndatedApheresis,
    check_against_records, check_declaration, latest_statements,
};
pub use messages::{Reason, describe_rule};
pub use rules::{PlasmaPolicy, Rule, RuleBook, RuleKind, Source, VaccineType};

use crate::domain::donation::{DonationKind, Sex};

/// What the eligibility rules need to know about the donor themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct DonorProfile {
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex, which sets the minimum weight.
    pub sex: Sex,
    /// Body weight in kilograms.
    pub weight_kg: f64,
    /// Whether the donor had an adverse reaction at an earlier donation (keeps the age limit of
    /// first-time donors).
    pub adverse_reaction_before: bool,
}

/// The donor's last COVID-19 vaccine dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Vaccination {
    /// Day of the last dose.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Local time of the dose, if the donor gives it; waits in hours run from it.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "10:30:00")]
    pub time: Option<NaiveTime>,
    /// Vaccine type.
    pub vaccine: VaccineType,
}

/// The donation asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    /// What the donor would give.
    pub kind: DonationKind,
    /// How much, in ml.
    pub volume_ml: u32,
    /// The donation day.
    pub date: NaiveDate,
    /// Local start of the booked window; waits in hours must be over by then.
    pub starts_at: NaiveTime,
}

impl Requested {
    /// The same request on another day.
    pub fn on(self, date: NaiveDate) -> Requested {
        Requested { date, ..self }
    }
}

/// A failed rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Ineligible {
    /// Stable snake_case code of the rule, e.g. "interval_whole_blood_to_whole_blood".
    pub rule: &'static str,
    /// First day on which this rule no longer stops the donor (judged for this rule alone);
    /// `None` when no day will (too old, too light, not collected).
    pub eligible_from: Option<NaiveDate>,
    /// Why it failed.
    pub reason: Reason,
}

/// A requested donation the rules refuse.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The day asked for.
    pub date: NaiveDate,
    /// The kind asked for.
    pub kind: DonationKind,
    /// Every failed rule code once, most binding first.
    pub failures: Vec<Ineligible>,
    /// The first day on which the same request passes every rule; `None` if there is none.
    pub eligible_from: Option<NaiveDate>,
}

/// Everything a rule looks at, except the day.
struct Input<'a> {
    book: &'a RuleBook,
    donor: &'a DonorProfile,
    history: &'a History,
    vaccination: Option<&'a Vaccination>,
    kind: DonationKind,
    volume_ml: u32,
    starts_at: NaiveTime,
}

/// A rule failing on one day: why, and the first day it would pass.
struct Failure {
    reason: Reason,
    eligible_from: Option<NaiveDate>,
}

/// How many times a search for an eligible day may jump before giving up; each jump moves
/// strictly forward, and real rule books need one or two.
const MAX_JUMPS: usize = 64;

impl RuleBook {
    /// The donor's history as these rules see it: the station's `recorded` donations, the
    /// donor's `declared` last donations and their apheresis count of 12 months (with the day
    /// it was given). See [`History::build`].
    pub fn history(
        &self,
        recorded: &[PastDonation],
        declared: &[PastDonation],
        apheresis: Option<(ApheresisCount, NaiveDate)>,
    ) -> History {
        History::build(
            recorded,
            declared,
            apheresis,
            |kind| self.assumed_volume(kind),
            self.undated_spacing,
        )
    }

    /// Checks a requested donation against the rules in force on its day.
    ///
    /// Returns every failed rule code once, each with the first day on which no rule with that
    /// code fails (rules ending or starting in between taken into account), judged for that code
    /// alone; and the first day on which the same request (kind, volume, window) passes them
    /// all. Sorted most binding first: `None` (no day will do) before days, then the latest day
    /// first, then by code.
    pub fn check(
        &self,
        donor: &DonorProfile,
        history: &History,
        vaccination: Option<&Vaccination>,
        requested: Requested,
    ) -> Result<(), Refusal> {
        let input = Input {
            book: self,
            donor,
            history,
            vaccination,
            kind: requested.kind,
            volume_ml: requested.volume_ml,
            starts_at: requested.starts_at,
        };
        let date = requested.date;
        let mut failed: Vec<Ineligible> = Vec::new();
        for rule in self.rules_on(date) {
            if failed.iter().any(|f| f.rule == rule.id) {
                continue;
            }
            let Some(failure) = self.worst_failure(rule.id, &input, date) else {
                continue;
            };
            failed.push(Ineligible {
                rule: rule.id,
                eligible_from: self.first_passing_date(Some(rule.id), &input, date),
                reason: failure.reason,
            });
        }
        if failed.is_empty() {
            return Ok(());
        }
        failed.sort_by(|a, b| {
            let binding = |i: &Ineligible| i.eligible_from.unwrap_or(NaiveDate::MAX);
            binding(b).cmp(&binding(a)).then(a.rule.cmp(b.rule))
        });
        Err(Refusal {
            date,
            kind: requested.kind,
            failures: failed,
            eligible_from: self.first_passing_date(None, &input, date),
        })
    }

    /// Failures on `date` of the rules with code `id` (of every rule when `None`).
    fn failures(&self, id: Option<&str>, input: &Input, date: NaiveDate) -> Vec<Failure> {
        self.rules_on(date)
            .filter(|r| id.is_none_or(|id| r.id == id))
            .filter_map(|r| evaluate(r, input, date))
            .collect()
    }

    /// The most binding failure of `id` on `date`, for its message.
    fn worst_failure(&self, id: &str, input: &Input, date: NaiveDate) -> Option<Failure> {
        self.failures(Some(id), input, date)
            .into_iter()
            .max_by_key(|f| f.eligible_from.unwrap_or(NaiveDate::MAX))
    }

    /// First day from `date` on when no rule with code `id` (no rule at all when `None`) fails;
    /// `None` if there is none.
    fn first_passing_date(
        &self,
        id: Option<&str>,
        input: &Input,
        mut date: NaiveDate,
    ) -> Option<NaiveDate> {
        for _ in 0..MAX_JUMPS {
            let failures = self.failures(id, input, date);
            if failures.is_empty() {
                return Some(date);
            }
            // Every day before the latest eligible day still fails one of these rules.
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

/// `None` if `rule` passes on `date`. A failure's eligible day never lies beyond the day after
/// the rule's last effective day: from then on, it no longer applies.
fn evaluate(rule: &Rule, input: &Input, date: NaiveDate) -> Option<Failure> {
    let mut failure = evaluate_kind(&rule.check, input, date)?;
    if let Some(end) = rule.effective_until.and_then(|u| u.succ_opt())
        && failure.eligible_from.is_none_or(|d| d > end)
    {
        failure.eligible_from = Some(end);
    }
    Some(failure)
}

fn evaluate_kind(check: &RuleKind, input: &Input, date: NaiveDate) -> Option<Failure> {
    let donor = input.donor;
    match check {
        RuleKind::MinAge { years } => {
            let birthday = nth_birthday(donor.birth_date, *years);
            (date < birthday).then_some(Failure {
                reason: Reason::TooYoung {
                    years: *years,
                    birthday,
                },
                eligible_from: Some(birthday),
            })
        }
        RuleKind::MaxAge { first_time, repeat } => {
            let repeat_donor = input.history.donated_before(date, donor.birth_date);
            let limit = if repeat_donor && !donor.adverse_reaction_before {
                repeat
            } else {
                first_time
            };
            let age = age_on(donor.birth_date, date);
            (age > i64::from(*limit)).then_some(Failure {
                reason: Reason::TooOld {
                    age,
                    on: date,
                    first_time: *first_time,
                    repeat: *repeat,
                    repeat_donor,
                    adverse_reaction: donor.adverse_reaction_before,
                },
                eligible_from: None,
            })
        }
        RuleKind::MinWeight { sex, kg } => {
            // A NaN weight is incomparable and fails too.
            let heavy_enough = matches!(
                donor.weight_kg.partial_cmp(kg),
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            );
            (donor.sex == *sex && !heavy_enough).then_some(Failure {
                reason: Reason::TooLight {
                    sex: *sex,
                    min_kg: *kg,
                    weight_kg: donor.weight_kg,
                },
                eligible_from: None,
            })
        }
        RuleKind::MinInterval {
            previous,
            next,
            wait,
        } => {
            if !next.contains(&input.kind) {
                return None;
            }
            let ends = |p: &PastDonation| wait.first_day(p.date, None, input.starts_at);
            let last = input
                .history
                .donations
                .iter()
                .filter(|p| previous.contains(&p.kind) && p.date <= date)
                .max_by_key(|p| ends(p))?;
            let from = ends(last);
            (date < from).then_some(Failure {
                reason: Reason::TooSoon {
                    previous: last.kind,
                    donated_on: last.date,
                    next: input.kind,
                    wait: *wait,
                },
                eligible_from: Some(from),
            })
        }
        RuleKind::MaxPerYear {
            kinds,
            count,
            window,
        } => {
            let eligible_from =
                yearly_limit(input, date, kinds, *window, |_| 1, 1, (*count).into())?;
            Some(Failure {
                reason: Reason::TooMany {
                    kinds: kinds.clone(),
                    count: *count,
                    window: *window,
                },
                eligible_from,
            })
        }
        RuleKind::MaxVolumePerYear { kinds, ml, window } => {
            let eligible_from = yearly_limit(
                input,
                date,
                kinds,
                *window,
                u64::from,
                input.volume_ml.into(),
                (*ml).into(),
            )?;
            Some(Failure {
                reason: Reason::TooMuch {
                    kinds: kinds.clone(),
                    ml: *ml,
                    window: *window,
                    requested_ml: input.volume_ml,
                },
                eligible_from,
            })
        }
        RuleKind::VaccineWait { vaccines, wait } => {
            let dose = input.vaccination?;
            if !vaccines.contains(&dose.vaccine) {
                return None;
            }
            let from = wait.first_day(dose.date, dose.time, input.starts_at);
            (date < from).then_some(Failure {
                reason: Reason::Vaccine {
                    vaccine: dose.vaccine,
                    given_on: dose.date,
                    at: dose.time,
                    wait: *wait,
                },
                eligible_from: Some(from),
            })
        }
        RuleKind::NotCollected { kind } => (input.kind == *kind).then_some(Failure {
            reason: Reason::NotCollected { kind: *kind },
            eligible_from: None,
        }),
    }
}

/// A rolling limit over the donations of `kinds` on or before `date`, each weighing
/// `weight(volume)`, when the requested donation (weighing `added`) is of one of `kinds`; see
/// [`rolling_limit`]. Apheresis donations known only from the donor's count are counted by any
/// limit on an apheresis kind.
fn yearly_limit(
    input: &Input,
    date: NaiveDate,
    kinds: &[DonationKind],
    window: Wait,
    weight: impl Fn(u32) -> u64,
    added: u64,
    limit: u64,
) -> Option<Option<NaiveDate>> {
    if !kinds.contains(&input.kind) {
        return None;
    }
    let assumed = |p: &PastDonation| {
        p.volume_ml
            .unwrap_or_else(|| input.book.assumed_volume(p.kind))
    };
    let mut entries: Vec<(NaiveDate, u64)> = input
        .history
        .donations
        .iter()
        .filter(|p| kinds.contains(&p.kind) && p.date <= date)
        .map(|p| (p.date, weight(assumed(p))))
        .collect();
    if kinds.iter().any(|k| k.is_apheresis()) {
        entries.extend(
            input
                .history
                .undated_apheresis
                .iter()
                .filter(|u| u.latest_date <= date)
                .map(|u| (u.latest_date, weight(u.volume_ml))),
        );
    }
    rolling_limit(date, &entries, window, added, limit)
}

/// Sum of `entries` that count in the `window` ending on `end`.
fn window_total(entries: &[(NaiveDate, u64)], end: NaiveDate, window: Wait) -> u64 {
    entries
        .iter()
        .filter(|(d, _)| dates::in_window(*d, end, window))
        .map(|(_, w)| w)
        .sum()
}

/// `None` if `added` fits under `limit` in the window ending on `date`; otherwise the first
/// later day on which it fits, found where an entry leaves the window (`Some(None)` if it never
/// fits).
fn rolling_limit(
    date: NaiveDate,
    entries: &[(NaiveDate, u64)],
    window: Wait,
    added: u64,
    limit: u64,
) -> Option<Option<NaiveDate>> {
    let fits = |end| window_total(entries, end, window) + added <= limit;
    if fits(date) {
        return None;
    }
    if added > limit {
        return Some(None);
    }
    let mut exits: Vec<NaiveDate> = entries
        .iter()
        .map(|(d, _)| dates::leaves_window(*d, window))
        .filter(|d| *d > date)
        .collect();
    exits.sort();
    Some(exits.into_iter().find(|d| fits(*d)))
}

#[cfg(test)]
mod tests;
