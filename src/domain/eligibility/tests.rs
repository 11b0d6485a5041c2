//! Each rule at its boundaries (the day before, the day of, the day after; month ends; leap
//! days), the history it sees, the messages, and the property that the day a donor is told is a
//! day the same request passes.

use chrono::{Days, NaiveDate, NaiveTime};
use proptest::prelude::*;

use super::*;
use crate::domain::language::Language;
use DonationKind::{Plasma, Platelets, WholeBlood};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(s: &str) -> NaiveTime {
    s.parse().unwrap()
}

const MORNING: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).unwrap();

fn adult() -> DonorProfile {
    DonorProfile {
        birth_date: d("1990-05-01"),
        sex: Sex::Male,
        weight_kg: 65.0,
        adverse_reaction_before: false,
    }
}

fn past(date: &str, kind: DonationKind) -> PastDonation {
    PastDonation {
        date: d(date),
        kind,
        volume_ml: None,
    }
}

/// A station that collects plasma under the default policy since 2020.
fn plasma_book() -> RuleBook {
    RuleBook::new(&PlasmaPolicy {
        offered: true,
        effective_from: Some(d("2020-01-01")),
        ..PlasmaPolicy::default()
    })
}

fn request(book: &RuleBook, kind: DonationKind, on: &str) -> Requested {
    Requested {
        kind,
        volume_ml: book.volumes.default_volume(kind),
        date: d(on),
        starts_at: MORNING,
    }
}

fn refusal_in(
    book: &RuleBook,
    donor: &DonorProfile,
    history: &[PastDonation],
    vaccination: Option<&Vaccination>,
    kind: DonationKind,
    on: &str,
) -> Option<Refusal> {
    let history = History::of(history.to_vec());
    book.check(donor, &history, vaccination, request(book, kind, on))
        .err()
}

fn check_in(
    book: &RuleBook,
    donor: &DonorProfile,
    history: &[PastDonation],
    vaccination: Option<&Vaccination>,
    kind: DonationKind,
    on: &str,
) -> Vec<Ineligible> {
    refusal_in(book, donor, history, vaccination, kind, on)
        .map(|r| r.failures)
        .unwrap_or_default()
}

/// Failures under the default rules (no plasma).
fn check(
    donor: &DonorProfile,
    history: &[PastDonation],
    vaccination: Option<&Vaccination>,
    kind: DonationKind,
    on: &str,
) -> Vec<Ineligible> {
    check_in(&RuleBook::default(), donor, history, vaccination, kind, on)
}

/// The single failure, asserting its rule code.
fn only(failures: Vec<Ineligible>, rule: &str) -> Ineligible {
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(failures[0].rule, rule);
    failures.into_iter().next().unwrap()
}

/// The day before `first` fails `rule` with `first` as its date; `first` and the day after pass.
fn boundary(
    book: &RuleBook,
    donor: &DonorProfile,
    history: &[PastDonation],
    vaccination: Option<&Vaccination>,
    kind: DonationKind,
    rule: &str,
    first: &str,
) {
    let first = d(first);
    let before = first.pred_opt().unwrap().to_string();
    let f = only(
        check_in(book, donor, history, vaccination, kind, &before),
        rule,
    );
    assert_eq!(f.eligible_from, Some(first), "{rule} on {before}");
    for on in [first, first.succ_opt().unwrap()] {
        let failures = check_in(book, donor, history, vaccination, kind, &on.to_string());
        assert!(failures.is_empty(), "{rule} on {on}: {failures:#?}");
    }
}

#[test]
fn vaccine_types_round_trip_their_names() {
    for vaccine in VaccineType::ALL {
        assert_eq!(VaccineType::parse(vaccine.as_str()), Some(vaccine));
        let json = serde_json::to_string(&vaccine).unwrap();
        assert_eq!(json, format!("\"{}\"", vaccine.as_str()));
    }
    assert_eq!(VaccineType::parse("mrna"), None);
}

#[test]
fn a_healthy_adult_without_history_may_donate_whole_blood_and_platelets() {
    for kind in [WholeBlood, Platelets] {
        assert!(check(&adult(), &[], None, kind, "2026-12-01").is_empty());
    }
    for kind in DonationKind::ALL {
        assert!(check_in(&plasma_book(), &adult(), &[], None, kind, "2026-12-01").is_empty());
    }
}

#[test]
fn plasma_is_not_collected_unless_the_station_says_so() {
    let f = only(
        check(&adult(), &[], None, Plasma, "2026-12-01"),
        "plasma_not_offered",
    );
    assert_eq!(f.eligible_from, None);
    // Turned on from a day: before it, eligible from that day.
    let book = RuleBook::new(&PlasmaPolicy {
        offered: true,
        effective_from: Some(d("2026-12-10")),
        ..PlasmaPolicy::default()
    });
    boundary(
        &book,
        &adult(),
        &[],
        None,
        Plasma,
        "plasma_not_offered",
        "2026-12-10",
    );
}

#[test]
fn min_age_is_reached_on_the_18th_birthday() {
    let teen = DonorProfile {
        birth_date: d("2008-07-10"),
        ..adult()
    };
    boundary(
        &RuleBook::default(),
        &teen,
        &[],
        None,
        WholeBlood,
        "min_age",
        "2026-07-10",
    );
    let f = only(check(&teen, &[], None, WholeBlood, "2026-07-09"), "min_age");
    let en = f.message(Language::En);
    assert!(en.contains("18") && en.contains("2026-07-10"), "{en}");
    let zh = f.message(Language::ZhCn);
    assert!(
        zh.contains("年满18周岁") && zh.contains("2026-07-10"),
        "{zh}"
    );
}

#[test]
fn a_29_february_birthday_falls_on_28_february_in_common_years() {
    let teen = DonorProfile {
        birth_date: d("2008-02-29"),
        ..adult()
    };
    boundary(
        &RuleBook::default(),
        &teen,
        &[],
        None,
        WholeBlood,
        "min_age",
        "2026-02-28",
    );
    // The same day ends the age limits: a first-time donor's 56th birthday is always a 29
    // February, a repeat donor's 61st never is.
    let leapling = DonorProfile {
        birth_date: d("1972-02-29"),
        ..adult()
    };
    assert!(check(&leapling, &[], None, WholeBlood, "2028-02-28").is_empty());
    only(
        check(&leapling, &[], None, WholeBlood, "2028-02-29"),
        "max_age",
    );
    let repeat = DonorProfile {
        birth_date: d("1964-02-29"),
        ..adult()
    };
    let history = [past("2020-01-01", WholeBlood)];
    assert!(check(&repeat, &history, None, WholeBlood, "2025-02-27").is_empty());
    only(
        check(&repeat, &history, None, WholeBlood, "2025-02-28"),
        "max_age",
    );
}

#[test]
fn max_age_is_55_and_60_only_for_a_repeat_donor_without_an_adverse_reaction() {
    let born = |birth: &str| DonorProfile {
        birth_date: d(birth),
        ..adult()
    };
    // A first-time donor is 55 until the day before the 56th birthday.
    let first_timer = born("1970-12-01");
    assert!(check(&first_timer, &[], None, WholeBlood, "2026-11-30").is_empty());
    for on in ["2026-12-01", "2026-12-02"] {
        let f = only(check(&first_timer, &[], None, WholeBlood, on), "max_age");
        assert_eq!(f.eligible_from, None);
    }
    // A repeat donor: until the day before the 61st birthday.
    let history = [past("2020-03-01", WholeBlood)];
    assert!(check(&first_timer, &history, None, WholeBlood, "2026-12-01").is_empty());
    let repeat = born("1965-12-01");
    assert!(check(&repeat, &history, None, WholeBlood, "2026-11-30").is_empty());
    for on in ["2026-12-01", "2026-12-02"] {
        only(check(&repeat, &history, None, WholeBlood, on), "max_age");
    }
    // An adverse reaction keeps the first-time limit.
    let reacted = DonorProfile {
        adverse_reaction_before: true,
        ..first_timer.clone()
    };
    let f = only(
        check(&reacted, &history, None, WholeBlood, "2026-12-01"),
        "max_age",
    );
    assert!(
        f.message(Language::En).contains("adverse reaction"),
        "{}",
        f.message(Language::En)
    );
    assert!(
        f.message(Language::ZhCn).contains("献血反应"),
        "{}",
        f.message(Language::ZhCn)
    );
    // A donation before the 18th birthday does not make a repeat donor.
    let early = [past("1988-11-30", WholeBlood)];
    let f = only(
        check(&first_timer, &early, None, WholeBlood, "2026-12-01"),
        "max_age",
    );
    assert!(
        f.message(Language::En).contains("donated before"),
        "{}",
        f.message(Language::En)
    );
}

#[test]
fn min_weight_depends_on_sex() {
    let with = |sex, weight_kg| DonorProfile {
        sex,
        weight_kg,
        ..adult()
    };
    for ok in [
        with(Sex::Male, 50.0),
        with(Sex::Male, 50.1),
        with(Sex::Female, 45.0),
        with(Sex::Female, 45.1),
    ] {
        assert!(check(&ok, &[], None, WholeBlood, "2026-12-01").is_empty());
    }
    for light in [
        with(Sex::Male, 49.9),
        with(Sex::Female, 44.9),
        with(Sex::Male, f64::NAN),
    ] {
        let f = only(
            check(&light, &[], None, Platelets, "2026-12-01"),
            "min_weight",
        );
        assert_eq!(f.eligible_from, None);
    }
    let f = only(
        check(
            &with(Sex::Female, 44.0),
            &[],
            None,
            WholeBlood,
            "2026-12-01",
        ),
        "min_weight",
    );
    assert!(f.message(Language::En).contains("45 kg"));
    assert!(f.message(Language::ZhCn).contains("45公斤"));
}

#[test]
fn whole_blood_waits_six_calendar_months_after_whole_blood() {
    let book = RuleBook::default();
    let history = [past("2026-01-10", WholeBlood)];
    boundary(
        &book,
        &adult(),
        &history,
        None,
        WholeBlood,
        "interval_whole_blood_to_whole_blood",
        "2026-07-10",
    );
    let f = only(
        check(&adult(), &history, None, WholeBlood, "2026-07-09"),
        "interval_whole_blood_to_whole_blood",
    );
    let en = f.message(Language::En);
    assert!(en.contains("6 months") && en.contains("2026-01-10"), "{en}");
    let zh = f.message(Language::ZhCn);
    assert!(zh.contains("6个月") && zh.contains("2026-01-10"), "{zh}");
}

#[test]
fn month_ends_clamp_to_the_shorter_month() {
    let book = RuleBook::default();
    for (donated, first) in [
        ("2025-08-31", "2026-02-28"),
        ("2027-08-31", "2028-02-29"),
        ("2026-03-31", "2026-09-30"),
    ] {
        boundary(
            &book,
            &adult(),
            &[past(donated, WholeBlood)],
            None,
            WholeBlood,
            "interval_whole_blood_to_whole_blood",
            first,
        );
    }
}

#[test]
fn whole_blood_to_platelets_is_three_calendar_months() {
    let book = RuleBook::default();
    // 90 days after 2026-05-31 would be 2026-08-29: two days early.
    for (donated, first) in [
        ("2026-05-31", "2026-08-31"),
        ("2026-01-10", "2026-04-10"),
        ("2025-11-30", "2026-02-28"),
        ("2023-11-30", "2024-02-29"),
    ] {
        boundary(
            &book,
            &adult(),
            &[past(donated, WholeBlood)],
            None,
            Platelets,
            "interval_whole_blood_to_platelets",
            first,
        );
    }
}

#[test]
fn platelet_intervals_in_days() {
    let book = RuleBook::default();
    let history = [past("2026-01-10", Platelets)];
    boundary(
        &book,
        &adult(),
        &history,
        None,
        WholeBlood,
        "interval_platelets_to_whole_blood",
        "2026-02-07",
    );
    boundary(
        &book,
        &adult(),
        &history,
        None,
        Platelets,
        "interval_platelets_to_platelets",
        "2026-01-24",
    );
}

#[test]
fn whole_blood_stays_six_months_apart_with_platelets_between() {
    // Whole blood, platelets 3 months later, whole blood 4 weeks after that: refused.
    let history = [
        past("2026-01-10", WholeBlood),
        past("2026-04-10", Platelets),
    ];
    let f = only(
        check(&adult(), &history, None, WholeBlood, "2026-05-08"),
        "interval_whole_blood_to_whole_blood",
    );
    assert_eq!(f.eligible_from, Some(d("2026-07-10")));
    assert!(check(&adult(), &history, None, WholeBlood, "2026-07-10").is_empty());
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

/// Donations of `kind` every `step` days, `n` of them, ending on `last`.
fn series(
    last: NaiveDate,
    n: u64,
    step: u64,
    kind: DonationKind,
    volume_ml: Option<u32>,
) -> Vec<PastDonation> {
    (0..n)
        .map(|i| PastDonation {
            date: last - Days::new(i * step),
            kind,
            volume_ml,
        })
        .collect()
}

#[test]
fn at_most_24_platelet_donations_in_12_months() {
    // 24 donations 14 days apart, the last on 2026-06-01, the oldest on 2025-07-14.
    let history = series(d("2026-06-01"), 24, 14, Platelets, Some(250));
    assert_eq!(history.last().unwrap().date, d("2025-07-14"));
    let book = RuleBook::default();
    // The oldest leaves the 12 months on 2026-07-14.
    boundary(
        &book,
        &adult(),
        &history,
        None,
        Platelets,
        "platelets_per_year",
        "2026-07-14",
    );
    let f = only(
        check(&adult(), &history, None, Platelets, "2026-06-15"),
        "platelets_per_year",
    );
    assert!(f.message(Language::En).contains("24"));
    assert!(
        f.message(Language::ZhCn)
            .contains("12个月内单采血小板不超过24次")
    );
    // Whole blood is not counted, nor is plasma.
    assert!(check(&adult(), &history, None, WholeBlood, "2026-07-01").is_empty());
    let plasma = series(d("2026-06-01"), 24, 14, Plasma, Some(200));
    assert!(
        check_in(
            &plasma_book(),
            &adult(),
            &plasma,
            None,
            Platelets,
            "2026-06-15"
        )
        .is_empty()
    );
}

#[test]
fn at_most_ten_litres_of_platelets_and_plasma_in_12_months() {
    // 10 platelet doses of 500 ml and 10 plasma donations of 500 ml: 10,000 ml.
    let mut history = series(d("2026-06-01"), 10, 15, Platelets, Some(500));
    history.extend(series(d("2026-05-25"), 10, 15, Plasma, Some(500)));
    let book = plasma_book();
    let refusal = refusal_in(&book, &adult(), &history, None, Platelets, "2026-06-20").unwrap();
    let f = only(refusal.failures, "apheresis_volume_per_year");
    // The oldest, plasma on 2026-05-25 − 135 days = 2026-01-10, leaves on 2027-01-10.
    assert_eq!(f.eligible_from, Some(d("2027-01-10")));
    assert!(f.message(Language::En).contains("10000 ml"));
    boundary(
        &book,
        &adult(),
        &history,
        None,
        Platelets,
        "apheresis_volume_per_year",
        "2027-01-10",
    );
}

#[test]
fn the_station_limits_plasma_volume_in_12_months() {
    let book = RuleBook::new(&PlasmaPolicy {
        offered: true,
        effective_from: Some(d("2020-01-01")),
        ml_per_year: 2000,
        ..PlasmaPolicy::default()
    });
    // Five donations of 400 ml, 15 days apart back from 2026-03-01 (the oldest on 2025-12-31):
    // 2,000 ml, and the 400 ml asked for would make 2,400.
    let history = series(d("2026-03-01"), 5, 15, Plasma, Some(400));
    let f = only(
        check_in(&book, &adult(), &history, None, Plasma, "2026-06-01"),
        "plasma_volume_per_year",
    );
    assert!(
        f.message(Language::En).contains("2000 ml"),
        "{}",
        f.message(Language::En)
    );
    // The oldest stops counting 12 months after its day: 1,600 + 400 ml is within the limit.
    boundary(
        &book,
        &adult(),
        &history,
        None,
        Plasma,
        "plasma_volume_per_year",
        "2026-12-31",
    );
}

#[test]
fn unknown_past_volumes_count_as_the_largest_the_station_collects() {
    // 20 platelet donations of unknown volume: 20 × 500 ml = 10,000 ml.
    let history = series(d("2026-06-01"), 20, 14, Platelets, None);
    let failures = check(&adult(), &history, None, Platelets, "2026-06-20");
    assert!(
        failures
            .iter()
            .any(|f| f.rule == "apheresis_volume_per_year"),
        "{failures:#?}"
    );
}

#[test]
fn a_single_donation_over_the_yearly_volume_never_fits() {
    let mut book = plasma_book();
    for rule in &mut book.rules {
        if let RuleKind::MaxVolumePerYear { ml, .. } = &mut rule.check {
            *ml = 200;
        }
    }
    let refusal = book
        .check(
            &adult(),
            &History::default(),
            None,
            request(&book, Plasma, "2026-06-20"),
        )
        .unwrap_err();
    assert_eq!(refusal.failures[0].eligible_from, None);
    assert_eq!(refusal.eligible_from, None);
}

#[test]
fn counted_apheresis_donations_feed_the_yearly_limits_not_the_intervals() {
    let book = plasma_book();
    // The donor gave platelets on 2026-11-01 and says 25 apheresis donations in 12 months.
    let declared = [PastDonation {
        date: d("2026-11-01"),
        kind: Platelets,
        volume_ml: Some(250),
    }];
    let count = ApheresisCount {
        count: 25,
        volume_ml: 6000,
    };
    let history = book.history(&[], &declared, Some((count, d("2026-11-29"))));
    assert_eq!(history.undated_apheresis.len(), 24);
    let refused = |kind, on: &str| {
        book.check(&adult(), &history, None, request(&book, kind, on))
            .err()
            .map(|r| r.failures.iter().map(|f| f.rule).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(refused(Platelets, "2026-12-01"), ["platelets_per_year"]);
    assert_eq!(refused(Plasma, "2026-12-01"), ["plasma_per_year"]);
    // Whole blood only waits for the dated platelet donation.
    assert!(refused(WholeBlood, "2026-11-29").is_empty());
    assert_eq!(
        refused(WholeBlood, "2026-11-28"),
        ["interval_platelets_to_whole_blood"]
    );
    // A repeat donor, though no single earlier donation is dated.
    let count_only = book.history(
        &[],
        &[],
        Some((
            ApheresisCount {
                count: 1,
                volume_ml: 250,
            },
            d("2026-11-29"),
        )),
    );
    assert!(count_only.donated_before(d("2026-12-01"), adult().birth_date));
}

fn vaccinated(date: &str, time: Option<&str>, vaccine: VaccineType) -> Vaccination {
    Vaccination {
        date: d(date),
        time: time.map(t),
        vaccine,
    }
}

#[test]
fn covid_wait_was_28_days_in_early_2021() {
    let v = vaccinated("2021-01-20", None, VaccineType::Inactivated);
    boundary(
        &RuleBook::default(),
        &adult(),
        &[],
        Some(&v),
        WholeBlood,
        "covid_vaccine_wait",
        "2021-02-17",
    );
    // Before the appeal there was no wait.
    let v = vaccinated("2020-12-20", None, VaccineType::Other);
    assert!(check(&adult(), &[], Some(&v), WholeBlood, "2020-12-31").is_empty());
}

#[test]
fn covid_wait_switches_on_2021_03_29() {
    use VaccineType::{Inactivated, Other};
    // On 2021-03-28 the 28-day wait applies; from the next day only 48 hours.
    let v = vaccinated("2021-03-20", None, Inactivated);
    let f = only(
        check(&adult(), &[], Some(&v), WholeBlood, "2021-03-28"),
        "covid_vaccine_wait",
    );
    assert_eq!(f.eligible_from, Some(d("2021-03-29")), "the old rule ends");
    assert!(check(&adult(), &[], Some(&v), WholeBlood, "2021-03-29").is_empty());
    // An other-type vaccine waits 14 days, counted from the vaccination day.
    let v = vaccinated("2021-03-25", None, Other);
    boundary(
        &RuleBook::default(),
        &adult(),
        &[],
        Some(&v),
        WholeBlood,
        "covid_vaccine_wait",
        "2021-04-08",
    );
}

#[test]
fn forty_eight_hours_run_from_the_end_of_the_day_or_the_time_given() {
    let book = RuleBook::default();
    // No time: from the end of 1 December, so over at the start of 4 December.
    let v = vaccinated("2026-12-01", None, VaccineType::Inactivated);
    boundary(
        &book,
        &adult(),
        &[],
        Some(&v),
        WholeBlood,
        "covid_vaccine_wait",
        "2026-12-04",
    );
    let f = only(
        check(&adult(), &[], Some(&v), WholeBlood, "2026-12-03"),
        "covid_vaccine_wait",
    );
    assert!(f.message(Language::En).contains("end of that day"));
    assert!(f.message(Language::ZhCn).contains("接种当日结束时起算"));
    // 10:00 on 1 December: over at 10:00 on 3 December, so a morning window on the 4th, an
    // afternoon window on the 3rd.
    let v = vaccinated("2026-12-01", Some("10:00:00"), VaccineType::Inactivated);
    let at = |starts_at, on: &str| {
        book.check(
            &adult(),
            &History::default(),
            Some(&v),
            Requested {
                starts_at,
                ..request(&book, WholeBlood, on)
            },
        )
    };
    assert_eq!(
        at(MORNING, "2026-12-03").unwrap_err().eligible_from,
        Some(d("2026-12-04"))
    );
    assert!(at(MORNING, "2026-12-04").is_ok());
    assert!(at(t("10:00:00"), "2026-12-03").is_ok());
    let afternoon = t("13:00:00");
    assert_eq!(
        at(afternoon, "2026-12-02").unwrap_err().eligible_from,
        Some(d("2026-12-03"))
    );
    assert!(at(afternoon, "2026-12-03").is_ok());
}

#[test]
fn recombinant_vaccines_wait_48_hours_from_december_2022() {
    let book = RuleBook::default();
    // Under the 2021 rule: 14 days.
    let v = vaccinated("2022-06-01", None, VaccineType::Recombinant);
    boundary(
        &book,
        &adult(),
        &[],
        Some(&v),
        WholeBlood,
        "covid_vaccine_wait",
        "2022-06-15",
    );
    // Vaccinated on 2022-12-10: the 14 days end on the 24th, but from the 18th only 48 hours
    // apply, long over by then.
    let v = vaccinated("2022-12-10", None, VaccineType::Recombinant);
    let f = only(
        check(&adult(), &[], Some(&v), WholeBlood, "2022-12-17"),
        "covid_vaccine_wait",
    );
    assert_eq!(f.eligible_from, Some(d("2022-12-18")));
    // From the revision on: 48 hours from the end of the day.
    let v = vaccinated("2023-03-01", None, VaccineType::Recombinant);
    boundary(
        &book,
        &adult(),
        &[],
        Some(&v),
        WholeBlood,
        "covid_vaccine_wait",
        "2023-03-04",
    );
    // Other types still wait 14 days.
    let v = vaccinated("2026-11-20", None, VaccineType::Other);
    boundary(
        &book,
        &adult(),
        &[],
        Some(&v),
        Platelets,
        "covid_vaccine_wait",
        "2026-12-04",
    );
}

#[test]
fn a_station_plasma_policy_has_its_own_codes() {
    let book = plasma_book();
    let cases = [
        (
            WholeBlood,
            Plasma,
            "interval_whole_blood_to_plasma",
            "2026-04-10",
        ),
        (
            Platelets,
            Plasma,
            "interval_platelets_to_plasma",
            "2026-01-24",
        ),
        (Plasma, Plasma, "interval_plasma_to_plasma", "2026-01-24"),
        (
            Plasma,
            WholeBlood,
            "interval_plasma_to_whole_blood",
            "2026-02-07",
        ),
        (
            Plasma,
            Platelets,
            "interval_plasma_to_platelets",
            "2026-01-24",
        ),
    ];
    for (before, next, rule, first) in cases {
        boundary(
            &book,
            &adult(),
            &[past("2026-01-10", before)],
            None,
            next,
            rule,
            first,
        );
    }
    // Its yearly count.
    let history = series(d("2026-06-01"), 24, 14, Plasma, Some(200));
    let f = only(
        check_in(&book, &adult(), &history, None, Plasma, "2026-06-15"),
        "plasma_per_year",
    );
    assert_eq!(f.eligible_from, Some(d("2026-07-14")));
    boundary(
        &book,
        &adult(),
        &history,
        None,
        Plasma,
        "plasma_per_year",
        "2026-07-14",
    );
    // Its numbers are the station's.
    let strict = RuleBook::new(&PlasmaPolicy {
        offered: true,
        effective_from: Some(d("2020-01-01")),
        after_plasma: Wait::Months(2),
        ..PlasmaPolicy::default()
    });
    boundary(
        &strict,
        &adult(),
        &[past("2026-01-31", Plasma)],
        None,
        Plasma,
        "interval_plasma_to_plasma",
        "2026-03-31",
    );
    // Platelet rules no longer cover plasma.
    assert!(
        book.rules
            .iter()
            .filter(|r| r.id.contains("platelets") && !r.id.contains("plasma"))
            .all(|r| match &r.check {
                RuleKind::MinInterval { previous, next, .. } =>
                    !previous.contains(&Plasma) && !next.contains(&Plasma),
                RuleKind::MaxPerYear { kinds, .. } => !kinds.contains(&Plasma),
                _ => true,
            })
    );
}

#[test]
fn every_failure_is_reported_most_binding_first() {
    let donor = DonorProfile {
        birth_date: d("1960-01-01"),
        sex: Sex::Female,
        weight_kg: 40.0,
        adverse_reaction_before: false,
    };
    let history = [
        past("2026-11-01", WholeBlood),
        past("2026-11-25", Platelets),
    ];
    let v = vaccinated("2026-11-30", None, VaccineType::Other);
    let refusal = refusal_in(
        &RuleBook::default(),
        &donor,
        &history,
        Some(&v),
        WholeBlood,
        "2026-12-01",
    )
    .unwrap();
    let rules: Vec<&str> = refusal.failures.iter().map(|f| f.rule).collect();
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
    let dates: Vec<_> = refusal.failures.iter().map(|f| f.eligible_from).collect();
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
    assert_eq!(refusal.eligible_from, None);
    assert!(refusal.message(Language::En).contains("no later date"));
}

#[test]
fn the_day_told_is_the_first_day_every_rule_passes() {
    let history = [past("2026-06-10", WholeBlood)];
    let v = vaccinated("2026-12-06", None, VaccineType::Other);
    let refusal = refusal_in(
        &RuleBook::default(),
        &adult(),
        &history,
        Some(&v),
        WholeBlood,
        "2026-12-01",
    )
    .unwrap();
    let dates: Vec<_> = refusal
        .failures
        .iter()
        .map(|f| (f.rule, f.eligible_from))
        .collect();
    assert_eq!(
        dates,
        [
            ("covid_vaccine_wait", Some(d("2026-12-20"))),
            ("interval_whole_blood_to_whole_blood", Some(d("2026-12-10"))),
        ]
    );
    assert_eq!(refusal.eligible_from, Some(d("2026-12-20")));
    let zh = refusal.message(Language::ZhCn);
    assert!(zh.contains("最早可于2026-12-20"), "{zh}");
    let en = refusal.message(Language::En);
    assert!(en.contains("eligible from 2026-12-20"), "{en}");
}

#[test]
fn rules_apply_only_within_their_effective_range() {
    let book = RuleBook::default();
    let ids = |on: &str| -> Vec<&str> { book.rules_on(d(on)).map(|r| r.id).collect() };
    let covid = |on: &str| {
        ids(on)
            .iter()
            .filter(|i| **i == "covid_vaccine_wait")
            .count()
    };
    assert!(!ids("2012-06-30").contains(&"min_age"));
    assert!(ids("2012-07-01").contains(&"min_age"));
    assert_eq!(covid("2020-12-31"), 0);
    assert_eq!(covid("2021-03-28"), 1);
    assert_eq!(covid("2021-03-29"), 3);
    assert_eq!(covid("2022-12-17"), 3);
    assert_eq!(covid("2022-12-18"), 3);
}

#[test]
fn every_rule_names_its_source_and_reads_in_both_languages() {
    for book in [RuleBook::default(), plasma_book()] {
        for rule in &book.rules {
            let s = &rule.source;
            assert!(
                !s.document.is_empty()
                    && !s.document_en.is_empty()
                    && !s.article.is_empty()
                    && !s.text.is_empty(),
                "{}",
                rule.id
            );
            assert!(
                rule.effective_until
                    .is_none_or(|u| u >= rule.effective_from)
            );
            for language in Language::ALL {
                assert!(!describe_rule(&rule.check, language).is_empty());
            }
            let national = !rule.station_policy;
            assert_eq!(
                national,
                !rule.id.contains("plasma") || rule.id == "apheresis_volume_per_year",
                "{}",
                rule.id
            );
        }
    }
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..3000).prop_map(|n| d("2019-01-01") + Days::new(n))
}

fn arb_kind() -> impl Strategy<Value = DonationKind> {
    prop::sample::select(DonationKind::ALL.to_vec())
}

fn arb_time() -> impl Strategy<Value = NaiveTime> {
    (0u32..24 * 4).prop_map(|q| NaiveTime::from_hms_opt(q / 4, (q % 4) * 15, 0).unwrap())
}

prop_compose! {
    fn arb_donor()(
        birth in (0u64..30_000).prop_map(|n| d("1940-01-01") + Days::new(n)),
        male in any::<bool>(),
        weight_kg in 35.0f64..90.0,
        adverse_reaction_before in any::<bool>(),
    ) -> DonorProfile {
        DonorProfile {
            birth_date: birth,
            sex: if male { Sex::Male } else { Sex::Female },
            weight_kg,
            adverse_reaction_before,
        }
    }
}

prop_compose! {
    fn arb_history()(
        items in prop::collection::vec(
            (arb_date(), arb_kind(), prop::option::of(prop::sample::select(vec![200u32, 250, 400, 500, 600]))),
            0..40,
        ),
        counted in prop::option::of((0u32..30, 0u32..8000, arb_date())),
    ) -> History {
        let donations: Vec<PastDonation> = items
            .into_iter()
            .map(|(date, kind, volume_ml)| PastDonation { date, kind, volume_ml })
            .collect();
        let apheresis = counted.map(|(count, ml, as_of)| {
            let volume_ml = if count == 0 { 0 } else { ml.max(1) };
            (ApheresisCount { count, volume_ml }, as_of)
        });
        plasma_book().history(&[], &donations, apheresis)
    }
}

fn arb_vaccination() -> impl Strategy<Value = Option<Vaccination>> {
    prop::option::of(
        (
            arb_date(),
            prop::option::of(arb_time()),
            prop::sample::select(VaccineType::ALL.to_vec()),
        )
            .prop_map(|(date, time, vaccine)| Vaccination {
                date,
                time,
                vaccine,
            }),
    )
}

fn arb_book() -> impl Strategy<Value = RuleBook> {
    (any::<bool>(), arb_date()).prop_map(|(offered, from)| {
        RuleBook::new(&PlasmaPolicy {
            offered,
            effective_from: Some(from),
            ..PlasmaPolicy::default()
        })
    })
}

proptest! {
    #[test]
    fn no_donor_is_told_a_day_on_which_the_same_request_is_refused(
        book in arb_book(),
        donor in arb_donor(),
        history in arb_history(),
        vaccination in arb_vaccination(),
        kind in arb_kind(),
        date in arb_date(),
        starts_at in arb_time(),
    ) {
        let requested = Requested {
            kind,
            volume_ml: book.volumes.default_volume(kind),
            date,
            starts_at,
        };
        let Err(refusal) = book.check(&donor, &history, vaccination.as_ref(), requested) else {
            return Ok(());
        };
        prop_assert!(!refusal.failures.is_empty());
        if let Some(from) = refusal.eligible_from {
            // The day told: the same request passes every rule, and no earlier day does.
            prop_assert!(from > date);
            let again = book.check(&donor, &history, vaccination.as_ref(), requested.on(from));
            prop_assert!(again.is_ok(), "refused again on {}: {:?}", from, again.err());
            let before = from.pred_opt().unwrap();
            prop_assert!(book.check(&donor, &history, vaccination.as_ref(), requested.on(before)).is_err());
            // It is no earlier than any single rule's day.
            for f in &refusal.failures {
                prop_assert!(f.eligible_from.is_some_and(|d| d <= from));
            }
        }
        for f in &refusal.failures {
            let Some(from) = f.eligible_from else { continue };
            prop_assert!(from > date);
            // On its day the rule passes; the day before it fails: the day is the first one.
            let again = book.check(&donor, &history, vaccination.as_ref(), requested.on(from));
            let still = again.err().is_some_and(|r| r.failures.iter().any(|g| g.rule == f.rule));
            prop_assert!(!still, "{} still fails on {}", f.rule, from);
            let before = from.pred_opt().unwrap();
            let earlier = book.check(&donor, &history, vaccination.as_ref(), requested.on(before));
            prop_assert!(earlier.err().is_some_and(|r| r.failures.iter().any(|g| g.rule == f.rule)));
            for language in Language::ALL {
                prop_assert!(f.message(language).contains(&from.to_string()));
            }
        }
        // Sorted: no day before days, then the latest first.
        let keys: Vec<NaiveDate> = refusal
            .failures
            .iter()
            .map(|f| f.eligible_from.unwrap_or(NaiveDate::MAX))
            .collect();
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

    #[test]
    fn whole_blood_waits_until_the_same_day_six_months_on(donated in arb_date()) {
        let book = RuleBook::default();
        let history = History::of(vec![PastDonation { date: donated, kind: WholeBlood, volume_ml: None }]);
        let next_day = donated.succ_opt().unwrap();
        let refusal = book
            .check(&adult(), &history, None, request(&book, WholeBlood, &next_day.to_string()))
            .unwrap_err();
        prop_assert_eq!(refusal.eligible_from, Some(dates::months_after(donated, 6)));
    }
}
