//! Invariants of the demo region.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Days, Months, NaiveDate};

use super::*;

const DAYS: u32 = 7;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn region() -> DemoRegion {
    jingzhou(42, first_day(), DAYS)
}

fn km_between(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn is_mobile(phone: &str) -> bool {
    phone.len() == 11
        && phone.bytes().all(|b| b.is_ascii_digit())
        && phone.starts_with('1')
        && (b'3'..=b'9').contains(&phone.as_bytes()[1])
}

#[test]
fn has_at_least_150_sites_of_both_kinds() {
    let r = region();
    assert!(r.sites.len() >= 150, "{} sites", r.sites.len());
    let communities = r
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Community)
        .count();
    let villages = r
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Village)
        .count();
    assert!(
        communities >= 50 && villages >= 50,
        "{communities} / {villages}"
    );
    assert!(r.sites.iter().all(|s| match s.kind {
        SiteKind::Community => s.name.ends_with("社区") && s.address.ends_with("居委会"),
        SiteKind::Village => s.name.ends_with('村') && s.address.ends_with("村委会"),
    }));
}

#[test]
fn covers_all_eight_districts_with_more_sites_in_the_city() {
    let r = region();
    let expected = [
        "沙市区",
        "荆州区",
        "公安县",
        "监利市",
        "江陵县",
        "石首市",
        "洪湖市",
        "松滋市",
    ];
    let listed: BTreeSet<_> = r.districts.iter().map(|d| d.name).collect();
    assert_eq!(listed, expected.into_iter().collect());
    let mut per_district: BTreeMap<&str, usize> = BTreeMap::new();
    for site in &r.sites {
        *per_district.entry(site.district).or_default() += 1;
    }
    assert_eq!(per_district.len(), 8);
    for county in &expected[2..] {
        assert!(per_district["沙市区"] > per_district[county]);
        assert!(per_district["荆州区"] > per_district[county]);
    }
}

#[test]
fn every_phone_is_a_unique_valid_mobile() {
    let r = region();
    let phones: Vec<&str> = r
        .sites
        .iter()
        .map(|s| s.contact_phone.as_str())
        .chain(r.bookings.iter().map(|b| b.donor.phone.as_str()))
        .collect();
    assert!(phones.iter().all(|p| is_mobile(p)), "{phones:?}");
    let unique: HashSet<_> = phones.iter().collect();
    assert_eq!(unique.len(), phones.len());
}

#[test]
fn site_names_are_unique_within_a_township() {
    let r = region();
    let mut seen = HashSet::new();
    for site in &r.sites {
        assert!(
            seen.insert((site.district, site.township, site.name.as_str())),
            "duplicate {}{}{}",
            site.district,
            site.township,
            site.name
        );
    }
}

#[test]
fn every_coordinate_lies_in_jingzhou() {
    let r = region();
    let inside =
        |lat: f64, lon: f64| (29.4..=30.8).contains(&lat) && (111.4..=113.9).contains(&lon);
    assert!(inside(r.station.depot_lat, r.station.depot_lon));
    assert!(r.districts.iter().all(|d| inside(d.lat, d.lon)));
    for site in &r.sites {
        assert!(
            inside(site.lat, site.lon),
            "{} at {}/{}",
            site.name,
            site.lon,
            site.lat
        );
    }
}

#[test]
fn communities_are_near_the_seat_and_villages_farther_out() {
    let r = region();
    for site in &r.sites {
        let seat = r
            .districts
            .iter()
            .find(|d| d.name == site.district)
            .unwrap();
        let km = km_between(seat.lat, seat.lon, site.lat, site.lon);
        match site.kind {
            SiteKind::Community => assert!(km <= 3.1, "{} {km:.1} km", site.name),
            SiteKind::Village => assert!((4.9..=25.1).contains(&km), "{} {km:.1} km", site.name),
        }
    }
}

#[test]
fn same_seed_gives_the_same_region_and_another_seed_does_not() {
    assert_eq!(region(), region());
    let other = jingzhou(43, first_day(), DAYS);
    assert_ne!(region().sites, other.sites);
    assert_ne!(region().bookings, other.bookings);
}

#[test]
fn bookings_are_about_150_a_day_with_a_big_drive_day() {
    let r = region();
    assert!(
        (900..=1700).contains(&r.bookings.len()),
        "{}",
        r.bookings.len()
    );
    let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut drives: BTreeMap<NaiveDate, HashSet<(usize, &str)>> = BTreeMap::new();
    for b in &r.bookings {
        *per_day.entry(b.date).or_default() += 1;
        drives
            .entry(b.date)
            .or_default()
            .insert((b.site_index, b.window));
    }
    let (busiest, most) = per_day.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(*most >= 300, "{per_day:?}");
    assert!(
        drives[busiest].len() >= 30,
        "{} drives",
        drives[busiest].len()
    );
    let last = first_day() + Days::new(u64::from(DAYS - 1));
    for b in &r.bookings {
        assert!(b.date >= first_day() && b.date <= last, "{}", b.date);
        assert!(b.site_index < r.sites.len());
        assert!(["morning", "afternoon"].contains(&b.window));
    }
    let days: BTreeSet<_> = r.bookings.iter().map(|b| b.date).collect();
    assert_eq!(days.len(), DAYS as usize);
}

#[test]
fn no_days_means_no_bookings() {
    assert!(jingzhou(42, first_day(), 0).bookings.is_empty());
}

#[test]
fn donors_are_18_to_55_on_the_booking_day_and_heavy_enough() {
    for b in region().bookings {
        let d = &b.donor;
        let age = age_on(d.birth_date, b.date);
        assert!((18..=55).contains(&age), "{} aged {age}", d.name);
        match d.sex {
            "male" => assert!((55..=90).contains(&d.weight_kg)),
            "female" => assert!((47..=75).contains(&d.weight_kg)),
            other => panic!("sex {other}"),
        }
    }
}

#[test]
fn donor_names_look_real() {
    for b in region().bookings {
        let chars = b.donor.name.chars().count();
        match b.language {
            "zh-CN" => assert!((2..=3).contains(&chars), "{}", b.donor.name),
            "en" => assert!(b.donor.name.is_ascii() && b.donor.name.contains(' ')),
            other => panic!("language {other}"),
        }
        if let Some(email) = &b.donor.email {
            assert!(email.contains('@') && email.contains("example."), "{email}");
        }
    }
}

#[test]
fn most_bookings_are_chinese_whole_blood_with_valid_volumes() {
    let r = region();
    let total = r.bookings.len();
    let whole = r
        .bookings
        .iter()
        .filter(|b| b.kind == "whole_blood")
        .count();
    let chinese = r.bookings.iter().filter(|b| b.language == "zh-CN").count();
    assert!(
        whole * 10 >= total * 9 && whole < total,
        "{whole} of {total}"
    );
    assert!(chinese * 10 >= total * 9, "{chinese} of {total}");
    for b in &r.bookings {
        match b.kind {
            "whole_blood" => assert!([200, 300, 400].contains(&b.volume_ml)),
            "platelets" => assert_eq!(b.volume_ml, 250),
            "plasma" => assert_eq!(b.volume_ml, 400),
            other => panic!("kind {other}"),
        }
    }
}

#[test]
fn last_donations_allow_the_booking() {
    let r = region();
    let with_history: Vec<_> = r
        .bookings
        .iter()
        .filter_map(|b| b.donor.last_donation.as_ref().map(|l| (b, l)))
        .collect();
    assert!(!with_history.is_empty());
    for (b, last) in with_history {
        assert_eq!((b.kind, last.kind), ("whole_blood", "whole_blood"));
        assert!(
            last.date + Months::new(6) < b.date,
            "{} then {}",
            last.date,
            b.date
        );
        assert!(age_on(b.donor.birth_date, last.date) >= 18);
    }
}

#[test]
fn bookings_cluster_into_drives_of_3_to_15() {
    let r = region();
    let mut drives: BTreeMap<(usize, NaiveDate, &str), usize> = BTreeMap::new();
    for b in &r.bookings {
        *drives.entry((b.site_index, b.date, b.window)).or_default() += 1;
    }
    assert!(drives.values().all(|n| (3..=15).contains(n)), "{drives:?}");
    assert!(drives.len() * 3 < r.bookings.len());
}

#[test]
fn each_window_stays_well_under_the_fleet_capacity() {
    let r = region();
    let daily: u32 = r.vehicles.iter().map(|v| u32::from(v.donors_per_day)).sum();
    let per_window = f64::from(daily) * 0.8 / 2.0;
    let mut load: BTreeMap<(NaiveDate, &str), usize> = BTreeMap::new();
    for b in &r.bookings {
        *load.entry((b.date, b.window)).or_default() += 1;
    }
    assert!(
        load.values().all(|&n| n as f64 <= per_window * 0.8),
        "{load:?}"
    );
}

#[test]
fn twenty_vehicles_with_differing_beds_shifts_and_kinds() {
    let r = region();
    assert_eq!(r.vehicles.len(), 20);
    let beds: BTreeSet<_> = r.vehicles.iter().map(|v| v.beds).collect();
    let shifts: BTreeSet<_> = r
        .vehicles
        .iter()
        .map(|v| (v.shift_start, v.shift_end))
        .collect();
    assert!(beds.len() >= 4 && shifts.len() >= 4, "{beds:?} {shifts:?}");
    for v in &r.vehicles {
        // Jingzhou's plates (鄂D), and two lent by Jingmen (鄂H).
        assert!(v.plate.starts_with("鄂D·") || v.plate.starts_with("鄂H·"));
        assert!(v.shift_start < v.shift_end && v.beds >= 2 && v.donors_per_day >= 30);
        assert!(v.kinds.contains(&"whole_blood"));
    }
    for kind in ["platelets", "plasma"] {
        assert!(r.vehicles.iter().any(|v| v.kinds.contains(&kind)));
    }
    let names: HashSet<_> = r.vehicles.iter().map(|v| &v.name).collect();
    assert_eq!(names.len(), 20);
}

#[test]
fn the_region_serialises_in_the_api_spelling() {
    let json = serde_json::to_value(region()).unwrap();
    assert_eq!(json["station"]["time_zone"], "Asia/Shanghai");
    let kind = &json["sites"][0]["kind"];
    assert!(kind == "community" || kind == "village");
    assert_eq!(SiteKind::Village.as_str(), "village");
}
