//! Bookings for the coming days, clustered the way community and village drives really fill:
//! an organiser gathers several neighbours for one site, day and half-day.

use std::collections::HashSet;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

use super::people::{PhoneBook, chinese_name, email, english_name};
use super::rng::DemoRng;
use super::{DemoBooking, DemoDonor, DemoLastDonation, DemoSite, DemoVehicle, SiteKind};

/// A half-day window with its default local times (DESIGN.md).
struct Window {
    name: &'static str,
    start: (u32, u32),
    end: (u32, u32),
    /// Share of a day's bookings made for this window: mornings are more popular.
    share: f64,
}

const WINDOWS: &[Window] = &[
    Window {
        name: "morning",
        start: (8, 0),
        end: (12, 0),
        share: 0.55,
    },
    Window {
        name: "afternoon",
        start: (13, 0),
        end: (17, 30),
        share: 0.45,
    },
];

/// Bookings on an ordinary weekday (the station's 55,226 donors of 2020 are about 150 a day);
/// weekends get more, when people are home, and the first Saturday is a big drive day.
const WEEKDAY_BOOKINGS: f64 = 135.0;
const WEEKEND_FACTOR: f64 = 1.35;
const BIG_DAY_FACTOR: f64 = 2.6;
/// Share of the fleet's planned capacity the demo may fill in one window, so every booking
/// passes the capacity rule with room to spare.
const MAX_FILL: f64 = 0.75;
/// Share of a vehicle's daily bag stock the station plans to use.
const PLANNED_SHARE: f64 = 0.8;
/// Fewer donors than this do not justify sending a bloodmobile.
const MIN_DRIVE: u64 = 3;
/// Platelet and plasma donors per window: apheresis beds are few.
const MAX_APHERESIS_PER_WINDOW: u32 = 3;
/// District names of the city proper, where drives are bigger and apheresis is offered.
const CITY_PROPER: &[&str] = &["沙市区", "荆州区"];

const BLOOD_TYPES: &[(&str, u32)] = &[
    ("A+", 280),
    ("B+", 300),
    ("O+", 310),
    ("AB+", 95),
    ("A-", 2),
    ("B-", 2),
    ("O-", 3),
    ("AB-", 1),
];

/// Everything the bookings are drawn from.
pub(crate) struct BookingInputs<'a> {
    pub(crate) sites: &'a [DemoSite],
    pub(crate) vehicles: &'a [DemoVehicle],
    pub(crate) first_day: NaiveDate,
    pub(crate) days: u32,
}

/// The bookings of `days` days from `first_day`.
pub(crate) fn bookings(
    rng: &mut DemoRng,
    phones: &mut PhoneBook,
    inputs: &BookingInputs<'_>,
) -> Vec<DemoBooking> {
    let weights: Vec<(usize, u32)> = inputs
        .sites
        .iter()
        .enumerate()
        .map(|(i, site)| (i, site_weight(site)))
        .collect();
    let mut out = Vec::new();
    let big_day = (0..inputs.days)
        .map(|offset| inputs.first_day + Days::new(u64::from(offset)))
        .find(|d| d.weekday() == Weekday::Sat);
    for offset in 0..inputs.days {
        let date = inputs.first_day + Days::new(u64::from(offset));
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let factor = if Some(date) == big_day {
            BIG_DAY_FACTOR
        } else if weekend {
            WEEKEND_FACTOR
        } else {
            1.0
        };
        let day_target = WEEKDAY_BOOKINGS * factor + rng.range(0, 10) as f64 - 5.0;
        for window in WINDOWS {
            let capacity = window_capacity(inputs.vehicles, window, None);
            let limit = (capacity * MAX_FILL).floor() as u64;
            let apheresis_offered =
                window_capacity(inputs.vehicles, window, Some("platelets")) > 0.0;
            let mut remaining = ((day_target * window.share).round() as u64).min(limit);
            let mut visited = HashSet::new();
            let mut apheresis = 0;
            while remaining >= MIN_DRIVE {
                let Some(site_index) = pick_unvisited(rng, &weights, &visited) else {
                    break;
                };
                visited.insert(site_index);
                let site = &inputs.sites[site_index];
                let (lo, hi) = drive_size(site);
                let size = rng.range(lo, hi).min(remaining);
                remaining -= size;
                for _ in 0..size {
                    let mut kind = "whole_blood";
                    if apheresis_offered
                        && apheresis < MAX_APHERESIS_PER_WINDOW
                        && is_city_community(site)
                        && rng.chance(0.08)
                    {
                        kind = if rng.chance(0.6) {
                            "platelets"
                        } else {
                            "plasma"
                        };
                        apheresis += 1;
                    }
                    out.push(booking(
                        rng,
                        phones,
                        inputs.first_day,
                        site_index,
                        date,
                        window,
                        kind,
                    ));
                }
            }
        }
    }
    out
}

fn is_city_community(site: &DemoSite) -> bool {
    site.kind == SiteKind::Community && CITY_PROPER.contains(&site.district)
}

/// How likely an organiser at this site runs a drive on a given half-day.
fn site_weight(site: &DemoSite) -> u32 {
    match site.kind {
        SiteKind::Community if is_city_community(site) => 6,
        SiteKind::Community => 4,
        SiteKind::Village => 2,
    }
}

/// Donors a drive gathers: city communities are big, villages small.
fn drive_size(site: &DemoSite) -> (u64, u64) {
    match site.kind {
        SiteKind::Community if is_city_community(site) => (4, 15),
        SiteKind::Community => (3, 12),
        SiteKind::Village => (3, 8),
    }
}

/// A weighted site not yet visited in this window, or `None` once a few draws all hit taken
/// sites (the demo never needs that many drives).
fn pick_unvisited(
    rng: &mut DemoRng,
    weights: &[(usize, u32)],
    visited: &HashSet<usize>,
) -> Option<usize> {
    (0..50)
        .map(|_| rng.weighted(weights))
        .find(|index| !visited.contains(index))
}

/// The station's planned capacity in one window: each vehicle's planned bag stock split over
/// the windows its shift covers, in proportion to the minutes covered. With `kind`, only the
/// vehicles that collect it count.
fn window_capacity(vehicles: &[DemoVehicle], window: &Window, kind: Option<&str>) -> f64 {
    vehicles
        .iter()
        .filter(|v| kind.is_none_or(|k| v.kinds.contains(&k)))
        .map(|v| {
            let covered: i64 = WINDOWS.iter().map(|w| overlap_minutes(v, w)).sum();
            if covered == 0 {
                return 0.0;
            }
            let share = overlap_minutes(v, window) as f64 / covered as f64;
            f64::from(v.donors_per_day) * PLANNED_SHARE * share
        })
        .sum()
}

fn overlap_minutes(vehicle: &DemoVehicle, window: &Window) -> i64 {
    let start = time(window.start).max(vehicle.shift_start);
    let end = time(window.end).min(vehicle.shift_end);
    (end - start).num_minutes().max(0)
}

fn time((hour, minute): (u32, u32)) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("valid window time")
}

fn booking(
    rng: &mut DemoRng,
    phones: &mut PhoneBook,
    first_day: NaiveDate,
    site_index: usize,
    date: NaiveDate,
    window: &Window,
    kind: &'static str,
) -> DemoBooking {
    let english = rng.chance(0.02);
    let donor = donor(rng, phones, first_day, date, kind, english);
    let volume_ml = match kind {
        "platelets" => 250,
        "plasma" => 400,
        // Lighter donors tend to give less; 400 ml is what stations encourage.
        _ if donor.sex == "female" && donor.weight_kg < 55 => rng.weighted(&[(200, 50), (300, 50)]),
        _ => rng.weighted(&[(200, 20), (300, 30), (400, 50)]),
    };
    DemoBooking {
        site_index,
        date,
        window: window.name,
        kind,
        volume_ml,
        language: if english { "en" } else { "zh-CN" },
        donor,
    }
}

fn donor(
    rng: &mut DemoRng,
    phones: &mut PhoneBook,
    first_day: NaiveDate,
    date: NaiveDate,
    kind: &'static str,
    english: bool,
) -> DemoDonor {
    let male = rng.chance(0.56);
    let name = if english {
        english_name(rng)
    } else {
        chinese_name(rng, male)
    };
    // Aged 19–54 on the first day: subtracting under a year keeps the age in whole years.
    let age = rng.range(19, 54) as u32;
    let birth_date = first_day
        .checked_sub_months(Months::new(12 * age))
        .and_then(|d| d.checked_sub_days(Days::new(rng.range(0, 364))))
        .expect("demo birth date in range");
    let weight_kg = if male {
        rng.range(55, 90)
    } else {
        rng.range(47, 75)
    } as u16;
    let email =
        (english || rng.chance(0.4)).then(|| email(rng, &name.email_local, birth_date.year()));
    let blood_type = rng.chance(0.8).then(|| rng.weighted(BLOOD_TYPES));
    let last_donation = (kind == "whole_blood" && rng.chance(0.35))
        .then(|| previous_whole_blood(rng, birth_date, date))
        .flatten();
    DemoDonor {
        name: name.display,
        phone: phones.issue(rng),
        email,
        birth_date,
        sex: if male { "male" } else { "female" },
        weight_kg,
        blood_type,
        last_donation,
    }
}

/// A whole-blood donation well over six months before `date` (so whole blood is allowed again)
/// and after the donor turned 18; `None` if the donor is too young to have one.
fn previous_whole_blood(
    rng: &mut DemoRng,
    birth_date: NaiveDate,
    date: NaiveDate,
) -> Option<DemoLastDonation> {
    const MIN_DAYS: i64 = 200;
    let adult = birth_date.checked_add_months(Months::new(12 * 18))?;
    let max_days = (date - adult).num_days().min(1100);
    if max_days < MIN_DAYS {
        return None;
    }
    let ago = rng.range(MIN_DAYS as u64, max_days as u64);
    Some(DemoLastDonation {
        date: date - Days::new(ago),
        kind: "whole_blood",
    })
}
