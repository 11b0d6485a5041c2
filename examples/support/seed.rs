//! Stations the examples book into, and the pieces they are made of. Each example uses some.
#![allow(dead_code)]

use bloodmobile::db::registry::{self, SiteRow, SiteValues, StationRow, VehicleValues};
use bloodmobile::db::{Db, DbConnection, stored_instant};
use bloodmobile::domain::donation::DonationKind;
use bloodmobile::station::{kinds_to_text, new_station_values};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use diesel::QueryResult;

/// A station in Asia/Shanghai with its depot in Shashi, named `name` and the time (so that
/// runs against one PostgreSQL database do not collide).
pub fn station(conn: &mut DbConnection, name: &str) -> QueryResult<StationRow> {
    let now = Utc::now();
    let depot = bloodmobile::routing::GeoPoint {
        lat: 30.32,
        lon: 112.25,
    };
    let mut values = new_station_values(
        name,
        "Asia/Shanghai",
        "车场",
        "沙市区",
        depot,
        stored_instant(now),
    );
    values.name = format!("{name} {}", now.timestamp_micros());
    registry::insert_station(conn, &values)
}

/// A community of the station in 沙市区 解放街道, `lat` north.
pub fn site(
    conn: &mut DbConnection,
    station_id: i64,
    name: &str,
    lat: f64,
) -> QueryResult<SiteRow> {
    registry::insert_site(
        conn,
        &SiteValues {
            station_id,
            kind: "community".into(),
            district: "沙市区".into(),
            township: "解放街道".into(),
            name: name.into(),
            address: format!("荆州市沙市区解放街道{name}"),
            lat,
            lon: 112.26,
            contact_name: None,
            contact_phone: None,
            active: true,
            updated_at: stored_instant(Utc::now()),
        },
    )
}

/// A whole-blood bloodmobile of the station working `shift` (local times).
pub fn vehicle(
    conn: &mut DbConnection,
    station_id: i64,
    name: &str,
    beds: i32,
    donors_per_day: i32,
    shift: (NaiveTime, NaiveTime),
) -> QueryResult<()> {
    registry::insert_vehicle(
        conn,
        &VehicleValues {
            station_id,
            name: name.into(),
            plate: None,
            beds,
            donors_per_day,
            shift_start: shift.0,
            shift_end: shift.1,
            kinds: kinds_to_text(&[DonationKind::WholeBlood]),
            active: true,
            updated_at: stored_instant(Utc::now()),
        },
    )
    .map(|_| ())
}

/// 07:00 to 19:00.
pub fn long_shift() -> (NaiveTime, NaiveTime) {
    (
        NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
    )
}

/// 12 vehicles with room for every request: 50 beds, 1,000 donors a day each.
pub fn large_fleet(conn: &mut DbConnection, station_id: i64) -> QueryResult<()> {
    (0..12).try_for_each(|n| {
        vehicle(
            conn,
            station_id,
            &format!("压测车{n}"),
            50,
            1000,
            long_shift(),
        )
    })
}

/// The 28 days from 3 days ahead, inside any station's default horizon.
pub fn bookable_days() -> Vec<NaiveDate> {
    let today = Utc::now().date_naive();
    (3..31).map(|d| today + Days::new(d)).collect()
}

/// A station whose fleet has room for every request: one site, 12 large vehicles, 28 bookable
/// days.
pub fn seed(db: &Db) -> (i64, Vec<NaiveDate>) {
    db.write_blocking(|conn| Ok::<_, bloodmobile::db::DbError>(seed_in(conn)))
        .expect("seed")
}

pub fn seed_in(conn: &mut DbConnection) -> (i64, Vec<NaiveDate>) {
    let station = station(conn, "压测血站").expect("station");
    let site = site(conn, station.id, "便河社区", 30.31).expect("site");
    large_fleet(conn, station.id).expect("vehicles");
    (site.id, bookable_days())
}
