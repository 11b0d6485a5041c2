//! The rules as dated data: what each checks, the document it comes from, the donation days it
//! applies to. The national rules are constants here; a station's plasma rules are its own
//! settings ([`PlasmaPolicy`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Wait;
use crate::domain::donation::{DonationKind, Sex, VolumeOptions, VolumeRules};

/// The type of a COVID-19 vaccine, which sets the wait after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VaccineType {
    /// Inactivated vaccine (e.g. Sinopharm, Sinovac).
    Inactivated,
    /// Recombinant (protein subunit) vaccine, e.g. Zifivax.
    Recombinant,
    /// Any other type (adenovirus vector, mRNA, ...), live attenuated vaccines excepted.
    Other,
}

impl VaccineType {
    /// Every type, in a stable order.
    pub const ALL: [VaccineType; 3] = [
        VaccineType::Inactivated,
        VaccineType::Recombinant,
        VaccineType::Other,
    ];

    /// Stable snake_case name, as in JSON and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            VaccineType::Inactivated => "inactivated",
            VaccineType::Recombinant => "recombinant",
            VaccineType::Other => "other",
        }
    }

    /// The type named by `as_str`.
    pub fn parse(name: &str) -> Option<Self> {
        VaccineType::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Source {
    /// The document as titled, e.g. "GB 18467-2011《献血者健康检查要求》".
    pub document: &'static str,
    /// The document's title in English.
    pub document_en: &'static str,
    /// The clause or item the rule comes from, as headed in the document.
    pub article: &'static str,
    /// The requirement: quoted from the document where its wording is on file, otherwise
    /// restated and marked "（转述）" (restated).
    pub text: &'static str,
}

/// The check a rule performs, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The donor must have reached `years` of age.
    MinAge {
        /// Minimum age in completed years.
        years: u32,
    },
    /// The donor must not be older than `first_time` years; `repeat` for a repeat donor (one who
    /// donated before) who has not had an adverse reaction to a donation.
    MaxAge {
        /// Highest age in completed years for other donors.
        first_time: u32,
        /// Highest age in completed years for a repeat donor without an adverse reaction.
        repeat: u32,
    },
    /// Donors of `sex` must weigh at least `kg`.
    MinWeight {
        /// The sex the limit applies to.
        sex: Sex,
        /// Minimum weight in kilograms.
        kg: f64,
    },
    /// A donation of a kind in `next` must wait `wait` after any donation of a kind in
    /// `previous`.
    MinInterval {
        /// Kinds of the earlier donation.
        previous: Vec<DonationKind>,
        /// Kinds of the requested donation.
        next: Vec<DonationKind>,
        /// The wait.
        wait: Wait,
    },
    /// At most `count` donations of `kinds` within `window` (12 months), the requested one
    /// included.
    MaxPerYear {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// Highest number of donations in the window.
        count: u32,
        /// Length of the window.
        window: Wait,
    },
    /// At most `ml` millilitres of `kinds` within `window` (12 months), the requested donation
    /// included.
    MaxVolumePerYear {
        /// Kinds counted.
        kinds: Vec<DonationKind>,
        /// Highest total volume in ml.
        ml: u32,
        /// Length of the window.
        window: Wait,
    },
    /// Wait `wait` after the last dose of a COVID-19 vaccine of one of `vaccines`.
    VaccineWait {
        /// The vaccine types the wait applies to.
        vaccines: Vec<VaccineType>,
        /// The wait after the dose.
        wait: Wait,
    },
    /// The station does not collect `kind`.
    NotCollected {
        /// The kind refused.
        kind: DonationKind,
    },
}

/// One eligibility rule: a stable code, the donation days it applies to, where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Stable snake_case code; several rules may share one (eras of the same rule).
    pub id: &'static str,
    /// First donation day the rule applies to.
    pub effective_from: NaiveDate,
    /// Last donation day the rule applies to (inclusive); `None` while in force.
    pub effective_until: Option<NaiveDate>,
    /// What it checks.
    pub check: RuleKind,
    /// Where it comes from.
    pub source: Source,
    /// Whether the station set it (its plasma settings) rather than a national text.
    pub station_policy: bool,
}

impl Rule {
    /// Whether the rule applies to a donation on `date`.
    pub fn applies_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|u| date <= u)
    }
}

/// A station's own rules for collecting plasma (off by default).
///
/// GB 18467-2011 lets a blood station take plasma only with a platelet donation (one
/// therapeutic unit and at most 200 ml of plasma); source plasma is collected by licensed
/// plasma stations under their own rules. A station that collects plasma on its own, as
/// convalescent plasma was in 2020, sets these numbers and signs them off itself. The
/// defaults, used once it is turned on, follow the platelet rules of the standard and the
/// per-donation limit of source-plasma collection (600 ml); they are a starting point, not a
/// national rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PlasmaPolicy {
    /// Whether the station collects plasma.
    pub offered: bool,
    /// First donation day these rules apply to (the day the station's sign-off takes effect);
    /// set to the day it is turned on when not given.
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_from: Option<NaiveDate>,
    /// Volumes a donor may give, and the one offered by default.
    pub volumes: VolumeOptions,
    /// Whole blood → plasma.
    pub after_whole_blood: Wait,
    /// Platelets → plasma.
    pub after_platelets: Wait,
    /// Plasma → plasma.
    pub after_plasma: Wait,
    /// Plasma → whole blood.
    pub whole_blood_after: Wait,
    /// Plasma → platelets.
    pub platelets_after: Wait,
    /// Plasma donations in 12 months, the requested one included.
    pub per_year: u32,
    /// Millilitres of plasma in 12 months, the requested donation included.
    pub ml_per_year: u32,
}

impl Default for PlasmaPolicy {
    fn default() -> Self {
        Self {
            offered: false,
            effective_from: None,
            volumes: VolumeRules::default().plasma,
            after_whole_blood: Wait::Months(3),
            after_platelets: Wait::Days(14),
            after_plasma: Wait::Days(14),
            whole_blood_after: Wait::Days(28),
            platelets_after: Wait::Days(14),
            per_year: 24,
            ml_per_year: 10_000,
        }
    }
}

impl PlasmaPolicy {
    /// Whether the station collects plasma for a donation on `date`.
    pub fn offered_on(&self, date: NaiveDate) -> bool {
        self.offered && self.effective_from.is_none_or(|from| from <= date)
    }
}

/// The rules one station applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleBook {
    /// All rules, past ones included; each applies only within its effective range.
    pub rules: Vec<Rule>,
    /// Volumes the station collects; the largest of a kind is assumed for a past donation
    /// declared without one.
    pub volumes: VolumeRules,
    /// The interval assumed between apheresis donations known only from the donor's count.
    pub undated_spacing: Wait,
}

impl Default for RuleBook {
    /// The national rules for a station that does not collect plasma.
    fn default() -> Self {
        RuleBook::new(&PlasmaPolicy::default())
    }
}

/// GB 18467-2011 took effect on this day.
pub const GB_18467_2011_FROM: NaiveDate = date(2012, 7, 1);
/// The national COVID-19 vaccine rule of 2021 took effect on this day.
pub const COVID_2021_FROM: NaiveDate = date(2021, 3, 29);
/// Its second edition, December 2022, took effect on this day.
pub const COVID_2022_FROM: NaiveDate = date(2022, 12, 18);

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid constant date"),
    }
}

const GB: &str = "GB 18467-2011《献血者健康检查要求》";
const GB_EN: &str = "GB 18467-2011 Whole blood and component donor selection requirements";

const fn gb(article: &'static str, text: &'static str) -> Source {
    Source {
        document: GB,
        document_en: GB_EN,
        article,
        text,
    }
}

const AGE: Source = gb(
    "一般检查：年龄",
    "国家提倡献血年龄为18周岁～55周岁；既往无献血反应、符合健康检查要求的多次献血者主动要求再次献血的，年龄可延长至60周岁。",
);
const WEIGHT: Source = gb("一般检查：体重", "男≥50kg，女≥45kg。");
const INTERVALS: &str = "献血量及献血间隔：献血间隔";
const VOLUMES: Source = gb(
    "献血量及献血间隔：献血量",
    "单采血小板献血者：每次可献1个至2个治疗单位，或者1个治疗单位及不超过200ml血浆。全年血小板和血浆采集总量不超过10L。",
);
const COVID_2021: &str = "国家卫生健康委、中央军委后勤保障部卫生局《关于印发血站新冠肺炎疫情常态化防控工作指引的通知》（2021年3月29日）";
const COVID_2021_EN: &str = "National Health Commission and CMC Logistic Support Department Health Bureau: Guidelines for blood stations under regular COVID-19 prevention and control (29 March 2021)";
const COVID_2022: &str = "国家卫生健康委办公厅、中央军委后勤保障部卫生局《血站新冠病毒感染防控工作指引（第二版）》（2022年12月）";
const COVID_2022_EN: &str = "General Office of the National Health Commission and CMC Logistic Support Department Health Bureau: Guidelines for blood stations on COVID-19 infection prevention and control, 2nd edition (December 2022)";
const STATION: Source = Source {
    document: "本站血浆采集政策（站点设置 plasma）",
    document_en: "The station's plasma collection policy (station setting `plasma`)",
    article: "经本站医疗负责人签署的血浆采集规则",
    text: "GB 18467-2011 仅允许血站在单采血小板时采集不超过200ml血浆；单独采集血浆的间隔、献血量和年度限量由本站设定。",
};

impl RuleBook {
    /// The rules of a station whose plasma settings are `plasma`:
    /// - GB 18467-2011 (in force since 2012-07-01): age 18 to 55, to 60 for a repeat donor
    ///   without an adverse reaction; weight ≥ 50 kg (men), ≥ 45 kg (women); whole blood →
    ///   whole blood ≥ 6 months; whole blood → platelets ≥ 3 months; platelets → whole blood ≥
    ///   4 weeks (28 days); platelets → platelets ≥ 2 weeks (14 days) and ≤ 24 a year;
    ///   platelets plus plasma ≤ 10 L a year.
    /// - COVID-19 vaccines: 28 days after the last dose (provincial appeal, 2021-01-01 to
    ///   2021-03-28); 48 hours after an inactivated vaccine and 14 days after any other type
    ///   (national rule of 2021-03-29); 48 hours after a recombinant vaccine too (second edition,
    ///   December 2022).
    /// - Plasma: not collected, unless the station's policy says so; then its own intervals and
    ///   yearly limits, each under its own code.
    pub fn new(plasma: &PlasmaPolicy) -> Self {
        use DonationKind::{Plasma, Platelets, WholeBlood};
        let national = |id, source, check| Rule {
            id,
            effective_from: GB_18467_2011_FROM,
            effective_until: None,
            check,
            source,
            station_policy: false,
        };
        let interval = |id, previous, next, wait, text| {
            national(
                id,
                gb(INTERVALS, text),
                RuleKind::MinInterval {
                    previous: vec![previous],
                    next: vec![next],
                    wait,
                },
            )
        };
        let year = Wait::Months(12);
        let vaccine = |from, until, vaccines: &[VaccineType], wait, source| Rule {
            id: "covid_vaccine_wait",
            effective_from: from,
            effective_until: until,
            check: RuleKind::VaccineWait {
                vaccines: vaccines.to_vec(),
                wait,
            },
            source,
            station_policy: false,
        };
        let covid_2021 = |text| Source {
            document: COVID_2021,
            document_en: COVID_2021_EN,
            article: "献血者管理",
            text,
        };
        use VaccineType::{Inactivated, Other, Recombinant};
        let mut rules = vec![
            national("min_age", AGE, RuleKind::MinAge { years: 18 }),
            national(
                "max_age",
                AGE,
                RuleKind::MaxAge {
                    first_time: 55,
                    repeat: 60,
                },
            ),
            national(
                "min_weight",
                WEIGHT,
                RuleKind::MinWeight {
                    sex: Sex::Male,
                    kg: 50.0,
                },
            ),
            national(
                "min_weight",
                WEIGHT,
                RuleKind::MinWeight {
                    sex: Sex::Female,
                    kg: 45.0,
                },
            ),
            interval(
                "interval_whole_blood_to_whole_blood",
                WholeBlood,
                WholeBlood,
                Wait::Months(6),
                "全血献血间隔：不少于6个月。",
            ),
            interval(
                "interval_whole_blood_to_platelets",
                WholeBlood,
                Platelets,
                Wait::Months(3),
                "全血献血后与单采血小板献血间隔：不少于3个月。",
            ),
            interval(
                "interval_platelets_to_whole_blood",
                Platelets,
                WholeBlood,
                Wait::Days(28),
                "单采血小板后与全血献血间隔：不少于4周。",
            ),
            interval(
                "interval_platelets_to_platelets",
                Platelets,
                Platelets,
                Wait::Days(14),
                "单采血小板献血间隔：不少于2周，不大于24次/年。",
            ),
            national(
                "platelets_per_year",
                gb(INTERVALS, "单采血小板献血间隔：不少于2周，不大于24次/年。"),
                RuleKind::MaxPerYear {
                    kinds: vec![Platelets],
                    count: 24,
                    window: year,
                },
            ),
            national(
                "apheresis_volume_per_year",
                VOLUMES,
                RuleKind::MaxVolumePerYear {
                    kinds: vec![Platelets, Plasma],
                    ml: 10_000,
                    window: year,
                },
            ),
            vaccine(
                date(2021, 1, 1),
                Some(date(2021, 3, 28)),
                &[Inactivated, Recombinant, Other],
                Wait::Days(28),
                Source {
                    document: "省级献血倡议：新冠病毒疫苗接种者献血（2021年1月）",
                    document_en: "Provincial appeal on blood donation after COVID-19 vaccination (January 2021)",
                    article: "文号未存档",
                    text: "（转述）接种第二剂新冠病毒疫苗后28天内暂缓献血。",
                },
            ),
            vaccine(
                COVID_2021_FROM,
                None,
                &[Inactivated],
                Wait::Hours(48),
                covid_2021("新冠病毒灭活疫苗接种者，疫苗接种48小时后可献血。"),
            ),
            vaccine(
                COVID_2021_FROM,
                COVID_2022_FROM.pred_opt(),
                &[Recombinant],
                Wait::Days(14),
                covid_2021(
                    "接受其他类型新冠病毒疫苗接种者（不包括减毒活疫苗），疫苗接种当日起14天后可献血。",
                ),
            ),
            vaccine(
                COVID_2021_FROM,
                None,
                &[Other],
                Wait::Days(14),
                covid_2021(
                    "接受其他类型新冠病毒疫苗接种者（不包括减毒活疫苗），疫苗接种当日起14天后可献血。",
                ),
            ),
            vaccine(
                COVID_2022_FROM,
                None,
                &[Recombinant],
                Wait::Hours(48),
                Source {
                    document: COVID_2022,
                    document_en: COVID_2022_EN,
                    article: "献血者选择与管理（发布时公布的修订要点之二）",
                    text: "接种基因重组疫苗与接种灭活疫苗后暂缓献血48小时。",
                },
            ),
        ];
        rules.extend(plasma_rules(plasma));
        let mut volumes = VolumeRules::default();
        volumes.plasma = plasma.volumes.clone();
        RuleBook {
            rules,
            volumes,
            undated_spacing: Wait::Days(14),
        }
    }

    /// The rules that apply to a donation on `date`.
    pub fn rules_on(&self, date: NaiveDate) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.applies_on(date))
    }

    /// The volume assumed for a past donation of `kind` declared without one: the largest the
    /// station collects.
    pub fn assumed_volume(&self, kind: DonationKind) -> u32 {
        let options = self.volumes.options(kind);
        options
            .allowed_ml
            .iter()
            .copied()
            .max()
            .unwrap_or(options.default_ml)
    }
}

/// The plasma rules of a station: "not collected" while its policy is off (and before the day
/// it takes effect), its own intervals and limits from then on.
fn plasma_rules(plasma: &PlasmaPolicy) -> Vec<Rule> {
    use DonationKind::{Plasma, Platelets, WholeBlood};
    let not_collected = |until| Rule {
        id: "plasma_not_offered",
        effective_from: GB_18467_2011_FROM,
        effective_until: until,
        check: RuleKind::NotCollected { kind: Plasma },
        source: Source {
            document: GB,
            document_en: GB_EN,
            article: VOLUMES.article,
            text: "单采血小板献血者：每次可献1个至2个治疗单位，或者1个治疗单位及不超过200ml血浆。（单独采集血浆不在本标准范围内，须由本站政策另行规定。）",
        },
        station_policy: true,
    };
    if !plasma.offered {
        return vec![not_collected(None)];
    }
    let from = plasma.effective_from.unwrap_or(GB_18467_2011_FROM);
    let mut rules = Vec::new();
    if let Some(until) = from.pred_opt().filter(|d| *d >= GB_18467_2011_FROM) {
        rules.push(not_collected(Some(until)));
    }
    let rule = |id, check| Rule {
        id,
        effective_from: from,
        effective_until: None,
        check,
        source: STATION,
        station_policy: true,
    };
    let interval = |id, previous, next, wait| {
        rule(
            id,
            RuleKind::MinInterval {
                previous: vec![previous],
                next: vec![next],
                wait,
            },
        )
    };
    let year = Wait::Months(12);
    rules.extend([
        interval(
            "interval_whole_blood_to_plasma",
            WholeBlood,
            Plasma,
            plasma.after_whole_blood,
        ),
        interval(
            "interval_platelets_to_plasma",
            Platelets,
            Plasma,
            plasma.after_platelets,
        ),
        interval(
            "interval_plasma_to_plasma",
            Plasma,
            Plasma,
            plasma.after_plasma,
        ),
        interval(
            "interval_plasma_to_whole_blood",
            Plasma,
            WholeBlood,
            plasma.whole_blood_after,
        ),
        interval(
            "interval_plasma_to_platelets",
            Plasma,
            Platelets,
            plasma.platelets_after,
        ),
        rule(
            "plasma_per_year",
            RuleKind::MaxPerYear {
                kinds: vec![Plasma],
                count: plasma.per_year,
                window: year,
            },
        ),
        rule(
            "plasma_volume_per_year",
            RuleKind::MaxVolumePerYear {
                kinds: vec![Plasma],
                ml: plasma.ml_per_year,
                window: year,
            },
        ),
    ]);
    rules
}
