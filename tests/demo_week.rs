//! The demo week as `serve --demo` loads it: every booking through the real rules, each day
//! planned and published; the busiest day is a big drive day the fleet serves whole, and every
//! plan passes the independent checker.

#[path = "api/plan_checker.rs"]
mod plan_checker;

use bloodmobile::db::Db;
use bloodmobile::demo::load::{load_if_empty, plan_and_publish};

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
    let mut busiest = (0, 0);
    for &date in &loaded.days {
        let (view, broken) = plan_checker::stored_violations(&mut conn, loaded.station_id, date);
        assert_eq!(view.status, "published");
        assert_eq!(view.totals.left_out, 0, "{date}: {:?}", view.left_out);
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
