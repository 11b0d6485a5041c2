//! Why a rule failed and what a rule says, in the donor's language (zh-CN or en).

use chrono::{NaiveDate, NaiveTime};

use super::history::label_zh;
use super::rules::{RuleKind, VaccineType};
use super::{Ineligible, Refusal, Wait};
use crate::domain::donation::{DonationKind, Sex};
use crate::domain::language::Language;

/// Why a rule failed, with the facts a message names.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Younger than `years` on the donation day.
    TooYoung {
        /// The minimum age.
        years: u32,
        /// The day the donor reaches it.
        birthday: NaiveDate,
    },
    /// Older than the limit that applies to the donor.
    TooOld {
        /// Age on the donation day.
        age: i64,
        /// The donation day.
        on: NaiveDate,
        /// The limit for other donors.
        first_time: u32,
        /// The limit for repeat donors without an adverse reaction.
        repeat: u32,
        /// Whether the donor donated before.
        repeat_donor: bool,
        /// Whether the donor had an adverse reaction at an earlier donation.
        adverse_reaction: bool,
    },
    /// Lighter than the minimum for the donor's sex.
    TooLight {
        /// The donor's sex.
        sex: Sex,
        /// The minimum weight in kg.
        min_kg: f64,
        /// The weight given in kg.
        weight_kg: f64,
    },
    /// Too soon after an earlier donation.
    TooSoon {
        /// Kind of the earlier donation.
        previous: DonationKind,
        /// Its day.
        donated_on: NaiveDate,
        /// Kind requested.
        next: DonationKind,
        /// The wait between them.
        wait: Wait,
    },
    /// Too many donations of `kinds` in the window.
    TooMany {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// The limit.
        count: u32,
        /// The window.
        window: Wait,
    },
    /// Too much volume of `kinds` in the window.
    TooMuch {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// The limit in ml.
        ml: u32,
        /// The window.
        window: Wait,
        /// Volume requested now in ml.
        requested_ml: u32,
    },
    /// Too soon after a COVID-19 vaccine.
    Vaccine {
        /// Its type.
        vaccine: VaccineType,
        /// The day of the dose.
        given_on: NaiveDate,
        /// The time of the dose, if given.
        at: Option<NaiveTime>,
        /// The wait after it.
        wait: Wait,
    },
    /// The station does not collect this kind.
    NotCollected {
        /// The kind.
        kind: DonationKind,
    },
}

fn kind_label(kind: DonationKind, language: Language) -> &'static str {
    language.pick(label_zh(kind), kind.label())
}

fn kinds_label(kinds: &[DonationKind], language: Language) -> String {
    kinds
        .iter()
        .map(|k| kind_label(*k, language))
        .collect::<Vec<_>>()
        .join(language.pick("和", " and "))
}

fn vaccine_label(vaccine: VaccineType, language: Language) -> &'static str {
    match (vaccine, language) {
        (VaccineType::Inactivated, Language::En) => "inactivated",
        (VaccineType::Recombinant, Language::En) => "recombinant",
        (VaccineType::Other, Language::En) => "other type",
        (VaccineType::Inactivated, Language::ZhCn) => "灭活",
        (VaccineType::Recombinant, Language::ZhCn) => "重组蛋白",
        (VaccineType::Other, Language::ZhCn) => "其他类型",
    }
}

fn sex_label(sex: Sex, language: Language) -> &'static str {
    match (sex, language) {
        (Sex::Male, Language::En) => "male",
        (Sex::Female, Language::En) => "female",
        (Sex::Male, Language::ZhCn) => "男",
        (Sex::Female, Language::ZhCn) => "女",
    }
}

impl Reason {
    /// The reason in words.
    pub fn describe(&self, language: Language) -> String {
        let en = language == Language::En;
        match self {
            Reason::TooYoung { years, birthday } if en => format!(
                "donors must be at least {years} years old; the donor turns {years} on {birthday}"
            ),
            Reason::TooYoung { years, birthday } => {
                format!("献血者须年满{years}周岁，您将于{birthday}年满{years}周岁")
            }
            Reason::TooOld {
                age,
                on,
                first_time,
                repeat,
                repeat_donor,
                adverse_reaction,
            } => {
                let why = if *age > i64::from(*repeat) {
                    ""
                } else if *adverse_reaction {
                    language.pick(
                        "；既往有献血反应者不适用延长",
                        "; the extension does not apply after an adverse reaction to a donation",
                    )
                } else if !*repeat_donor {
                    language.pick(
                        "；没有既往献血记录者不适用延长",
                        "; the extension applies only to a donor who donated before",
                    )
                } else {
                    ""
                };
                if en {
                    format!(
                        "donors may be at most {first_time} years old ({repeat} for a repeat \
                         donor without an earlier adverse reaction); the donor is {age} on {on}{why}"
                    )
                } else {
                    format!(
                        "献血年龄上限为{first_time}周岁（既往无献血反应的多次献血者可延长至{repeat}周岁），\
                         您在{on}为{age}周岁{why}"
                    )
                }
            }
            Reason::TooLight {
                sex,
                min_kg,
                weight_kg,
            } if en => format!(
                "{} donors must weigh at least {min_kg} kg; weight given {weight_kg} kg",
                sex_label(*sex, language)
            ),
            Reason::TooLight {
                sex,
                min_kg,
                weight_kg,
            } => format!(
                "{}性献血者体重须不低于{min_kg}公斤，您填写的体重为{weight_kg}公斤",
                sex_label(*sex, language)
            ),
            Reason::TooSoon {
                previous,
                donated_on,
                next,
                wait,
            } if en => format!(
                "{} must wait at least {wait} after {} (donated on {donated_on})",
                next.label(),
                previous.label()
            ),
            Reason::TooSoon {
                previous,
                donated_on,
                next,
                wait,
            } => format!(
                "捐献{}须在{}献血后间隔不少于{}（上次献{}：{donated_on}）",
                label_zh(*next),
                label_zh(*previous),
                wait.describe(language),
                label_zh(*previous)
            ),
            Reason::TooMany {
                kinds,
                count,
                window,
            } if en => format!(
                "at most {count} donations of {} within {window}, this one included",
                kinds_label(kinds, language)
            ),
            Reason::TooMany {
                kinds,
                count,
                window,
            } => format!(
                "{}内{}不超过{count}次（含本次）",
                window.describe(language),
                kinds_label(kinds, language)
            ),
            Reason::TooMuch {
                kinds,
                ml,
                window,
                requested_ml,
            } if en => format!(
                "at most {ml} ml of {} within {window}, this donation of {requested_ml} ml included",
                kinds_label(kinds, language)
            ),
            Reason::TooMuch {
                kinds,
                ml,
                window,
                requested_ml,
            } => format!(
                "{}内{}采集总量不超过{ml}毫升（含本次{requested_ml}毫升）",
                window.describe(language),
                kinds_label(kinds, language)
            ),
            Reason::Vaccine {
                vaccine,
                given_on,
                at,
                wait,
            } => {
                let hours = matches!(wait, Wait::Hours(_));
                match (en, at) {
                    (true, Some(at)) => format!(
                        "wait {wait} after a COVID-19 vaccine ({}), given on {given_on} at {}",
                        vaccine_label(*vaccine, language),
                        at.format("%H:%M")
                    ),
                    (true, None) => format!(
                        "wait {wait} after a COVID-19 vaccine ({}), given on {given_on}{}",
                        vaccine_label(*vaccine, language),
                        if hours {
                            "; without a time, counted from the end of that day"
                        } else {
                            ""
                        }
                    ),
                    (false, Some(at)) => format!(
                        "接种{}新冠病毒疫苗（{given_on} {}）后须间隔{}",
                        vaccine_label(*vaccine, language),
                        at.format("%H:%M"),
                        wait.describe(language)
                    ),
                    (false, None) => format!(
                        "接种{}新冠病毒疫苗（{given_on}）后须间隔{}{}",
                        vaccine_label(*vaccine, language),
                        wait.describe(language),
                        if hours {
                            "；未填写接种时间的，自接种当日结束时起算"
                        } else {
                            ""
                        }
                    ),
                }
            }
            Reason::NotCollected { kind } if en => format!(
                "this station does not collect {} on its own (GB 18467-2011 allows plasma at a \
                 blood station only with a platelet donation)",
                kind.label()
            ),
            Reason::NotCollected { kind } => format!(
                "本站不单独采集{}（GB 18467-2011 仅允许血站在单采血小板时采集少量血浆）",
                label_zh(*kind)
            ),
        }
    }
}

impl Ineligible {
    /// The failed rule in words, with the first day it passes.
    pub fn message(&self, language: Language) -> String {
        let reason = self.reason.describe(language);
        match (self.eligible_from, language) {
            (Some(d), Language::En) => {
                format!("{}: {reason}; this rule is met from {d}", self.rule)
            }
            (None, Language::En) => {
                format!("{}: {reason}; waiting does not change this", self.rule)
            }
            (Some(d), Language::ZhCn) => format!("{reason}；自{d}起符合本条要求"),
            (None, Language::ZhCn) => format!("{reason}；此条不能通过等待满足"),
        }
    }
}

impl Refusal {
    /// The refusal in words: the most binding rule and the first day the same request passes.
    pub fn message(&self, language: Language) -> String {
        let first = self
            .failures
            .first()
            .map(|f| f.reason.describe(language))
            .unwrap_or_default();
        let kind = kind_label(self.kind, language);
        let (date, rule) = (self.date, self.failures.first().map_or("", |f| f.rule));
        match (self.eligible_from, language) {
            (Some(from), Language::En) => format!(
                "not eligible to donate {kind} on {date} ({rule}): {first}; eligible from {from}"
            ),
            (None, Language::En) => format!(
                "not eligible to donate {kind} on {date} ({rule}): {first}; no later date makes \
                 the donor eligible under the rules in force"
            ),
            (Some(from), Language::ZhCn) => {
                format!("{date}不符合捐献{kind}的条件：{first}。最早可于{from}捐献")
            }
            (None, Language::ZhCn) => {
                format!("{date}不符合捐献{kind}的条件：{first}。按现行规则，以后的日期也不符合条件")
            }
        }
    }
}

/// What a rule checks, in words.
pub fn describe_rule(check: &RuleKind, language: Language) -> String {
    let en = language == Language::En;
    match check {
        RuleKind::MinAge { years } if en => {
            format!("Donors are at least {years} years old on the donation day")
        }
        RuleKind::MinAge { years } => format!("献血当日年满{years}周岁"),
        RuleKind::MaxAge { first_time, repeat } if en => format!(
            "Donors are at most {first_time} years old; up to {repeat} for a donor who donated \
             before and had no adverse reaction to a donation"
        ),
        RuleKind::MaxAge { first_time, repeat } => format!(
            "献血者年龄不超过{first_time}周岁；既往献过血且无献血反应者可延长至{repeat}周岁"
        ),
        RuleKind::MinWeight { sex, kg } if en => format!(
            "{} donors weigh at least {kg} kg",
            if *sex == Sex::Male { "Male" } else { "Female" }
        ),
        RuleKind::MinWeight { sex, kg } => {
            format!("{}性献血者体重不低于{kg}公斤", sex_label(*sex, language))
        }
        RuleKind::MinInterval {
            previous,
            next,
            wait,
        } if en => format!(
            "{} at least {wait} after {}",
            capitalised(&kinds_label(next, language)),
            kinds_label(previous, language)
        ),
        RuleKind::MinInterval {
            previous,
            next,
            wait,
        } => format!(
            "{}献血后间隔不少于{}方可捐献{}",
            kinds_label(previous, language),
            wait.describe(language),
            kinds_label(next, language)
        ),
        RuleKind::MaxPerYear {
            kinds,
            count,
            window,
        } if en => format!(
            "At most {count} donations of {} in {window}",
            kinds_label(kinds, language)
        ),
        RuleKind::MaxPerYear {
            kinds,
            count,
            window,
        } => format!(
            "{}内{}不超过{count}次",
            window.describe(language),
            kinds_label(kinds, language)
        ),
        RuleKind::MaxVolumePerYear { kinds, ml, window } if en => format!(
            "At most {ml} ml of {} in {window}",
            kinds_label(kinds, language)
        ),
        RuleKind::MaxVolumePerYear { kinds, ml, window } => format!(
            "{}内{}采集总量不超过{ml}毫升",
            window.describe(language),
            kinds_label(kinds, language)
        ),
        RuleKind::VaccineWait { vaccines, wait } => {
            let types = vaccines
                .iter()
                .map(|v| vaccine_label(*v, language))
                .collect::<Vec<_>>()
                .join(language.pick("、", ", "));
            let hours = matches!(wait, Wait::Hours(_));
            if en {
                format!(
                    "{} after a COVID-19 vaccine ({types}){}",
                    capitalised(&wait.describe(language)),
                    if hours {
                        ", counted from the time given, or from the end of the vaccination day"
                    } else {
                        ", counted from the vaccination day"
                    }
                )
            } else {
                format!(
                    "接种{types}新冠病毒疫苗后间隔{}方可献血{}",
                    wait.describe(language),
                    if hours {
                        "（自填写的接种时间起算；未填写时间的，自接种当日结束时起算）"
                    } else {
                        "（自接种当日起算）"
                    }
                )
            }
        }
        RuleKind::NotCollected { kind } if en => {
            format!("The station does not collect {} on its own", kind.label())
        }
        RuleKind::NotCollected { kind } => format!("本站不单独采集{}", label_zh(*kind)),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
