//! An independent check of a stored plan, as the API returns it: it recomputes every drive from
//! the coordinates and every service time from the station's numbers and the vehicle's beds,
//! and never uses the planner's code. What it checks: windows, shifts, beds (service times),
//! bag stock, kinds (of each stop's bookings as booked), the processing limit, drive times between stops, and that every confirmed
//! booking of the day is in the plan exactly once.
//!
//! `stored_violations` checks a day's newest stored plan against the registry it was made from.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde_json::Value;

/// What the plan is checked against.
pub struct Facts<'a> {
    /// The station as `GET /api/v1/stations/{id}` returns it.
    pub station: &'a Value,
    /// The station's vehicles as `GET /api/v1/vehicles` returns them.
    pub vehicles: &'a [Value],
    /// Sites by id, as `GET /api/v1/sites/{id}` returns them.
    pub sites: &'a HashMap<i64, Value>,
    /// The day's confirmed bookings: reference and kind.
    pub bookings: &'a [(String, String)],
}

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8_f64;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

fn time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time")).expect("RFC 3339")
}

fn local(tz: chrono_tz::Tz, date: NaiveDate, hms: &str) -> DateTime<FixedOffset> {
    let t = NaiveTime::parse_from_str(hms, "%H:%M:%S").expect("a local time");
    tz.from_local_datetime(&date.and_time(t))
        .earliest()
        .expect("a time that exists")
        .fixed_offset()
}

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("an integer: {value}"))
}

/// The newest stored plan of a station-day as the API shows it, and every rule it breaks,
/// checked against the station, vehicles, sites and confirmed bookings the database holds.
#[allow(dead_code)] // not every test that includes the checker reads plans from a database
pub fn stored_violations(
    conn: &mut bloodmobile::db::DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> (bloodmobile::dispatch::view::PlanView, Vec<String>) {
    use bloodmobile::api::{sites::Site, stations::Station, vehicles::Vehicle};
    use bloodmobile::db::registry;
    let (day, _, view) =
        bloodmobile::dispatch::view::read_plan(conn, station_id, date, None).expect("a plan");
    let station = registry::find_station(conn, station_id)
        .expect("the station")
        .expect("a station");
    let station =
        serde_json::to_value(Station::try_from(station).expect("a station view")).expect("JSON");
    let vehicles: Vec<Value> = registry::list_vehicles(conn, Some(station_id))
        .expect("the vehicles")
        .into_iter()
        .map(|v| serde_json::to_value(Vehicle::from(v)).expect("JSON"))
        .collect();
    let sites: HashMap<i64, Value> = day
        .sites
        .values()
        .map(|s| {
            (
                s.id,
                serde_json::to_value(Site::from(s.clone())).expect("JSON"),
            )
        })
        .collect();
    let bookings: Vec<(String, String)> = day
        .bookings
        .iter()
        .map(|b| (b.reference.clone(), b.kind.as_str().to_string()))
        .collect();
    let plan = serde_json::to_value(&view).expect("JSON");
    let broken = violations(
        &plan,
        &Facts {
            station: &station,
            vehicles: &vehicles,
            sites: &sites,
            bookings: &bookings,
        },
    );
    (view, broken)
}

/// Every rule the plan breaks (empty: none).
pub fn violations(plan: &Value, facts: &Facts) -> Vec<String> {
    let mut broken = Vec::new();
    let kind_of: HashMap<&str, &str> = facts
        .bookings
        .iter()
        .map(|(reference, kind)| (reference.as_str(), kind.as_str()))
        .collect();
    let mut booked_kinds: HashMap<&str, i64> = HashMap::new();
    let station = facts.station;
    let tz: chrono_tz::Tz = station["time_zone"].as_str().unwrap().parse().unwrap();
    let date: NaiveDate = plan["date"].as_str().unwrap().parse().unwrap();
    let depot = (
        station["depot_lat"].as_f64().unwrap(),
        station["depot_lon"].as_f64().unwrap(),
    );
    let speed = station["average_speed_kmh"].as_f64().unwrap() / 3.6;
    let detour = station["detour_factor"].as_f64().unwrap();
    let drive_s =
        |a: (f64, f64), b: (f64, f64)| (haversine_m(a, b) * detour / speed).round() as i64;
    let minutes = |kind: &str| match kind {
        "whole_blood" => int(&station["minutes_per_donor"]),
        "platelets" => int(&station["platelets_minutes_per_donor"]),
        _ => int(&station["plasma_minutes_per_donor"]),
    };
    let setup = int(&station["setup_minutes"]);
    let packup = int(&station["packup_minutes"]);
    let limit = int(&station["processing_limit_minutes"]);
    let windows: HashMap<String, (DateTime<FixedOffset>, DateTime<FixedOffset>)> =
        station["windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["name"].as_str().unwrap().to_string(),
                    (
                        local(tz, date, w["start"].as_str().unwrap()),
                        local(tz, date, w["end"].as_str().unwrap()),
                    ),
                )
            })
            .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut vehicles_used = HashSet::new();
    for route in plan["routes"].as_array().unwrap() {
        let vehicle_id = int(&route["vehicle_id"]);
        let name = format!("vehicle {vehicle_id}");
        if !vehicles_used.insert(vehicle_id) {
            broken.push(format!("{name} has two routes"));
        }
        let Some(vehicle) = facts.vehicles.iter().find(|v| int(&v["id"]) == vehicle_id) else {
            broken.push(format!("{name} is not in the fleet"));
            continue;
        };
        let beds = int(&vehicle["beds"]);
        let kinds: HashSet<&str> = vehicle["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let shift_start = local(tz, date, vehicle["shift_start"].as_str().unwrap());
        let shift_end = local(tz, date, vehicle["shift_end"].as_str().unwrap());
        let depart = time(&route["depart"]);
        let back = time(&route["return"]);
        if depart < shift_start {
            broken.push(format!("{name} leaves before its shift"));
        }
        if back > shift_end {
            broken.push(format!("{name} returns after its shift"));
        }
        let stops = route["stops"].as_array().unwrap();
        if stops.is_empty() {
            broken.push(format!("{name} has a route without stops"));
            continue;
        }
        let (mut at, mut clock, mut donors_today) = (depot, depart, 0);
        for stop in stops {
            let stop_id = int(&stop["stop_id"]);
            let here = format!("{name}, stop {stop_id}");
            let site = &facts.sites[&int(&stop["site_id"])];
            let place = (site["lat"].as_f64().unwrap(), site["lon"].as_f64().unwrap());
            let arrival = time(&stop["arrival"]);
            let start = time(&stop["start"]);
            let end = time(&stop["end"]);
            let earliest = clock + chrono::Duration::seconds(drive_s(at, place));
            if (arrival - earliest).num_seconds().abs() > 1 && arrival < earliest {
                broken.push(format!(
                    "{here}: arrives {arrival} before it can ({earliest})"
                ));
            }
            if start < arrival {
                broken.push(format!("{here}: starts before it arrives"));
            }
            let window = stop["window"].as_str().unwrap();
            match windows.get(window) {
                Some((open, close)) => {
                    if start < *open || end > *close {
                        broken.push(format!("{here}: service {start}-{end} outside {window}"));
                    }
                }
                None => broken.push(format!("{here}: unknown window {window}")),
            }
            let mut service = setup + packup;
            let mut donors = 0;
            for (kind, count) in stop["donors"].as_object().unwrap() {
                let count = int(count);
                if count > 0 && !kinds.contains(kind.as_str()) {
                    broken.push(format!("{here}: {kind} is not collected by {name}"));
                }
                service += (count + beds - 1) / beds * minutes(kind);
                donors += count;
            }
            if (end - start).num_minutes() != service {
                broken.push(format!(
                    "{here}: service takes {} min, the beds need {service}",
                    (end - start).num_minutes()
                ));
            }
            let refs = stop["bookings"].as_array().unwrap();
            if refs.len() as i64 != donors {
                broken.push(format!(
                    "{here}: {} bookings for {donors} donors",
                    refs.len()
                ));
            }
            // The kinds the stop's bookings really are, not what the plan counts.
            for reference in refs {
                let reference = reference.as_str().unwrap();
                if let Some(kind) = kind_of.get(reference) {
                    if !kinds.contains(*kind) {
                        broken.push(format!(
                            "{here}: booking {reference} is {kind}, not collected by {name}"
                        ));
                    }
                    *booked_kinds.entry(*kind).or_default() += 1;
                }
            }
            for (kind, count) in stop["donors"].as_object().unwrap() {
                let booked = booked_kinds.remove(kind.as_str()).unwrap_or(0);
                if booked != int(count) {
                    broken.push(format!(
                        "{here}: {} {kind} donors counted, {booked} booked",
                        int(count)
                    ));
                }
            }
            for (kind, booked) in booked_kinds.drain() {
                broken.push(format!("{here}: {booked} {kind} bookings not counted"));
            }
            for reference in refs {
                *seen
                    .entry(reference.as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            donors_today += donors;
            at = place;
            clock = end;
        }
        let home = clock + chrono::Duration::seconds(drive_s(at, depot));
        if (back - home).num_seconds().abs() > 1 && back < home {
            broken.push(format!("{name}: returns {back} before it can ({home})"));
        }
        if donors_today > int(&vehicle["donors_per_day"]) {
            broken.push(format!("{name}: {donors_today} donors, over its bag stock"));
        }
        let first_start = time(&stops[0]["start"]);
        if (back - first_start).num_minutes() > limit {
            broken.push(format!("{name}: blood travels beyond the processing limit"));
        }
    }
    for left in plan["left_out"].as_array().unwrap() {
        if left["reason"].as_str().is_none_or(str::is_empty) {
            broken.push(format!("left-out stop {} gives no reason", left["stop_id"]));
        }
        for reference in left["bookings"].as_array().unwrap() {
            *seen
                .entry(reference.as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    for (reference, _) in facts.bookings {
        match seen.remove(reference) {
            Some(1) => {}
            Some(n) => broken.push(format!("booking {reference} is in the plan {n} times")),
            None => broken.push(format!("booking {reference} is missing from the plan")),
        }
    }
    for reference in seen.keys() {
        broken.push(format!(
            "booking {reference} is in the plan but not confirmed"
        ));
    }
    broken
}
