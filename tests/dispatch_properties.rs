//! Property test: random station-days (sites, a mixed fleet, bookings made through the real
//! booking service), planned, changed and re-planned by the dispatch service; every stored plan
//! passes the independent checker.

#[path = "api/plan_checker.rs"]
mod plan_checker;

use bloodmobile::booking::{self, BookingRequest, DonorAnswers};
use bloodmobile::db::registry::{self, SiteValues, VehicleValues};
use bloodmobile::db::{Db, DbError, stored_instant};
use bloodmobile::dispatch::DispatchError;
use bloodmobile::dispatch::changes::{self, Change};
use bloodmobile::dispatch::planning::{SolveOptions, plan_day};
use bloodmobile::dispatch::view::read_plan;
use bloodmobile::domain::donation::{DonationKind, Sex};
use bloodmobile::domain::donor::{DonorName, PhoneNumber};
use bloodmobile::domain::language::Language;
use bloodmobile::routing::GeoPoint;
use bloodmobile::routing::rng::Rng;
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use proptest::prelude::*;

struct TempDb {
    db: Db,
    path: String,
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path));
        }
    }
}

fn temp_db() -> TempDb {
    let path = std::env::temp_dir()
        .join(format!(
            "bloodmobile-dispatch-prop-{}-{}.db",
            std::process::id(),
            rand::random::<u64>()
        ))
        .to_string_lossy()
        .into_owned();
    TempDb {
        db: Db::open(&path, 2).expect("open a temp database"),
        path,
    }
}

/// A random station-day: returns the station and the day.
fn seed(db: &Db, seed: u64) -> (i64, NaiveDate) {
    let mut rng = Rng::new(seed);
    let now = Utc::now();
    let at = stored_instant(now);
    let depot = GeoPoint {
        lon: 112.25,
        lat: 30.32,
    };
    let (station, sites) = db
        .write_blocking(move |conn| {
            let mut values = bloodmobile::station::new_station_values(
                "随机血站",
                "Asia/Shanghai",
                "车场",
                "沙市区",
                depot,
                at,
            );
            values.processing_limit_minutes = [240, 300, 360][rng.below(3)];
            let station = registry::insert_station(conn, &values)?;
            let mut sites = Vec::new();
            for n in 0..3 + rng.below(10) {
                let site = registry::insert_site(
                    conn,
                    &SiteValues {
                        station_id: station.id,
                        kind: "village".into(),
                        district: "荆州区".into(),
                        township: "某镇".into(),
                        name: format!("第{n}村"),
                        address: format!("第{n}村村委会"),
                        lat: 30.32 + 0.25 * (rng.unit() - 0.5),
                        lon: 112.25 + 0.35 * (rng.unit() - 0.5),
                        contact_name: None,
                        contact_phone: None,
                        active: true,
                        updated_at: at,
                    },
                )?;
                sites.push(site.id);
            }
            for n in 0..1 + rng.below(4) {
                let kinds = match rng.below(3) {
                    0 => "whole_blood",
                    1 => "platelets,whole_blood",
                    _ => "plasma,platelets,whole_blood",
                };
                let start = 7 + rng.below(2) as u32;
                registry::insert_vehicle(
                    conn,
                    &VehicleValues {
                        station_id: station.id,
                        name: format!("车{n}"),
                        plate: None,
                        beds: 1 + rng.below(6) as i32,
                        donors_per_day: 10 + rng.below(50) as i32,
                        shift_start: NaiveTime::from_hms_opt(start, 0, 0).unwrap(),
                        shift_end: NaiveTime::from_hms_opt(start + 8 + rng.below(3) as u32, 0, 0)
                            .unwrap(),
                        kinds: kinds.into(),
                        active: true,
                        updated_at: at,
                    },
                )?;
            }
            Ok::<_, DbError>((station.id, sites))
        })
        .unwrap();
    let date = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + Days::new(3);
    let mut rng = Rng::new(seed ^ 0xb00c);
    for n in 0..rng.below(60) {
        let kind = match rng.below(10) {
            0 => DonationKind::Platelets,
            1 => DonationKind::Plasma,
            _ => DonationKind::WholeBlood,
        };
        let request = BookingRequest {
            site_id: sites[rng.below(sites.len())],
            date,
            window: if rng.chance(0.5) {
                "morning"
            } else {
                "afternoon"
            }
            .into(),
            kind,
            volume_ml: None,
            language: Language::ZhCn,
            donor: DonorAnswers {
                name: DonorName::parse("测试", "donor.name").unwrap(),
                phone: PhoneNumber::parse(&format!("139{:08}", seed % 1000 * 1000 + n as u64), "p")
                    .unwrap(),
                email: None,
                birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
                sex: Sex::Male,
                weight_kg: 70.0,
                blood_type: None,
                last_donations: Vec::new(),
                legacy_last_donation: false,
                apheresis_12_months: None,
                adverse_reaction_before: false,
                vaccination: None,
            },
        };
        // Full windows and kinds nobody collects are refused: that is part of the day.
        let _ =
            db.write_blocking(move |conn| booking::create_booking(conn, request, None, Utc::now()));
    }
    (station, date)
}

/// The rules the day's newest plan breaks, read back from the database.
fn check(db: &Db, station: i64, date: NaiveDate) -> Vec<String> {
    plan_checker::stored_violations(&mut db.get().unwrap(), station, date).1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_stored_plan_passes_the_independent_check(day_seed in any::<u64>()) {
        let temp = temp_db();
        let (station, date) = seed(&temp.db, day_seed);
        let options = SolveOptions::new(Some(0.1), Some(day_seed)).unwrap();
        plan_day(&temp.db, station, date, options, Utc::now()).unwrap();
        let broken = check(&temp.db, station, date);
        prop_assert!(broken.is_empty(), "after planning: {broken:#?}");

        // A move wherever it is accepted, a lock, a re-plan: still every rule holds.
        let mut conn = temp.db.get().unwrap();
        let (_, stored, _) = read_plan(&mut conn, station, date, None).unwrap();
        drop(conn);
        let mut rng = Rng::new(day_seed);
        if let Some(stop) = stored.stops.get(rng.below(stored.stops.len().max(1))) {
            let vehicle = stored.routes.get(rng.below(stored.routes.len().max(1))).map(|r| r.vehicle_id);
            if let Some(vehicle_id) = vehicle {
                let moved = changes::apply(&temp.db, station, date, Change::Move {
                    stop_id: stop.stop_id, vehicle_id, position: 1,
                }, Utc::now());
                if moved.is_ok() {
                    let broken = check(&temp.db, station, date);
                    prop_assert!(broken.is_empty(), "after a move: {broken:#?}");
                }
                let _ = changes::apply(&temp.db, station, date, Change::Lock { stop_id: stop.stop_id }, Utc::now());
            }
        }
        let options = SolveOptions::new(Some(0.1), Some(day_seed + 1)).unwrap();
        changes::apply(&temp.db, station, date, Change::Reoptimise { options }, Utc::now()).unwrap();
        let broken = check(&temp.db, station, date);
        prop_assert!(broken.is_empty(), "after re-planning: {broken:#?}");
    }
}

/// A change a dispatcher (or a hostile client) might send: ids of the day's stops and
/// vehicles, or ids that exist nowhere; positions in range or not.
#[derive(Debug, Clone)]
enum Edit {
    Move {
        stop: usize,
        vehicle: usize,
        position: usize,
    },
    Lock {
        stop: usize,
    },
    Unlock {
        stop: usize,
    },
    VehicleOut {
        vehicle: usize,
    },
    Reoptimise {
        seed: u64,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0usize..64, 0usize..16, 0usize..12)
            .prop_map(|(stop, vehicle, position)| Edit::Move { stop, vehicle, position }),
        1 => (0usize..64).prop_map(|stop| Edit::Lock { stop }),
        1 => (0usize..64).prop_map(|stop| Edit::Unlock { stop }),
        1 => (0usize..16).prop_map(|vehicle| Edit::VehicleOut { vehicle }),
        1 => any::<u64>().prop_map(|seed| Edit::Reoptimise { seed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Any sequence of changes: each is accepted, and the plan it stores passes every rule, or
    /// refused with an error that names what was wrong; never a broken plan, never a 500.
    #[test]
    fn any_sequence_of_changes_keeps_the_plan_sound(
        day_seed in any::<u64>(),
        edits in prop::collection::vec(edit(), 1..7),
    ) {
        let temp = temp_db();
        let (station, date) = seed(&temp.db, day_seed);
        let options = SolveOptions::new(Some(0.1), Some(day_seed)).unwrap();
        plan_day(&temp.db, station, date, options, Utc::now()).unwrap();
        for edit in edits {
            let mut conn = temp.db.get().unwrap();
            let (_, stored, _) = read_plan(&mut conn, station, date, None).unwrap();
            drop(conn);
            // Indexes past the day's stops and vehicles become ids that do not exist.
            let stop_id = |i: usize| stored.stops.get(i).map_or(10_000 + i as i32, |s| s.stop_id);
            let vehicle_id = |i: usize| stored.routes.get(i).map_or(90_000 + i as i64, |r| r.vehicle_id);
            let change = match edit {
                Edit::Move { stop, vehicle, position } => Change::Move {
                    stop_id: stop_id(stop), vehicle_id: vehicle_id(vehicle), position,
                },
                Edit::Lock { stop } => Change::Lock { stop_id: stop_id(stop) },
                Edit::Unlock { stop } => Change::Unlock { stop_id: stop_id(stop) },
                Edit::VehicleOut { vehicle } => Change::VehicleOut { vehicle_id: vehicle_id(vehicle) },
                Edit::Reoptimise { seed } => Change::Reoptimise {
                    options: SolveOptions::new(Some(0.05), Some(seed)).unwrap(),
                },
            };
            let described = format!("{change:?}");
            match changes::apply(&temp.db, station, date, change, Utc::now()) {
                Ok(_) => {
                    let broken = check(&temp.db, station, date);
                    prop_assert!(broken.is_empty(), "after {described}: {broken:#?}");
                }
                Err(DispatchError::NotFound { .. } | DispatchError::Infeasible { .. } | DispatchError::Invalid(_)) => {}
                Err(other) => prop_assert!(false, "{described} failed as {other:?}"),
            }
        }
    }
}
