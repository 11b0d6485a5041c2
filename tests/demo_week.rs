//! The demo week as `serve --demo` loads it: every booking through the real rules, each day
//! planned and published; the busiest day is a big drive day the fleet serves whole, and every
//! plan passes the independent checker.

#[path = "api/plan_checker.rs"]
mod plan_checker;

use std::collections::HashMap;

use bloodmobile::api::sites::Site;
use bloodmobile::api::stations::Station as StationView;
use bloodmobile::api::vehicles::Vehicle as VehicleView;
use bloodmobile::db::{Db, registry};
use bloodmobile::demo::load::{load_if_empty, plan_and_publish};
use bloodmobile::dispatch::view::read_plan;
use serde_json::Value;

#[test]
fn the_demo_fleet_serves_the_whole_demo_week() {
    let path = std::env::temp_dir()
        .join(format!("bloodmobile-demo-week-{}.db", std::process::id()))
        .to_string_lossy()
        .into_owned();
    let db = Db::open(&path, 2).unwrap();
    let loaded = load_if_empty(&db).unwrap().expect("an empty database");
    plan_and_publish(&db, &loaded, 1.0).unwrap();
    let mut conn = db.get().unwrap();
    let station_row = registry::find_station(&mut conn, loaded.station_id)
        .unwrap()
        .unwrap();
    let station = serde_json::to_value(StationView::try_from(station_row).unwrap()).unwrap();
    let vehicles: Vec<Value> = registry::list_vehicles(&mut conn, Some(loaded.station_id))
        .unwrap()
        .into_iter()
        .map(|v| serde_json::to_value(VehicleView::from(v)).unwrap())
        .collect();
    let mut busiest = (0, 0);
    for &date in &loaded.days {
        let (day, _, view) = read_plan(&mut conn, loaded.station_id, date, None).unwrap();
        assert_eq!(view.status, "published");
        assert_eq!(view.totals.left_out, 0, "{date}: {:?}", view.left_out);
        let sites: HashMap<i64, Value> = day
            .sites
            .values()
            .map(|s| (s.id, serde_json::to_value(Site::from(s.clone())).unwrap()))
            .collect();
        let bookings: Vec<(String, String)> = day
            .bookings
            .iter()
            .map(|b| (b.reference.clone(), b.kind.as_str().to_string()))
            .collect();
        let plan = serde_json::to_value(&view).unwrap();
        let broken = plan_checker::violations(
            &plan,
            &plan_checker::Facts {
                station: &station,
                vehicles: &vehicles,
                sites: &sites,
                bookings: &bookings,
            },
        );
        assert!(broken.is_empty(), "{date}: {broken:#?}");
        busiest = busiest.max((view.totals.bookings, view.totals.stops));
    }
    assert!(
        busiest.0 >= 300 && busiest.1 >= 30,
        "busiest day: {busiest:?}"
    );
    drop(conn);
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}
