//! The station every load example books into: one site, 12 large vehicles, 28 bookable days.

use bloodmobile::db::registry::{self, SiteValues, VehicleValues};
use bloodmobile::db::{Db, stored_instant};
use bloodmobile::domain::donation::DonationKind;
use bloodmobile::station::{kinds_to_text, new_station_values};
use chrono::{Days, NaiveDate, NaiveTime, Utc};

/// A station whose fleet has room for every request: 12 large vehicles, 28 bookable days.
pub fn seed(db: &Db) -> (i64, Vec<NaiveDate>) {
    db.write_blocking(|conn| Ok::<_, bloodmobile::db::DbError>(seed_in(conn)))
        .expect("seed")
}

pub fn seed_in(conn: &mut bloodmobile::db::DbConnection) -> (i64, Vec<NaiveDate>) {
    let now = Utc::now();
    let depot = bloodmobile::routing::GeoPoint {
        lat: 30.32,
        lon: 112.25,
    };
    let at = bloodmobile::db::stored_instant(now);
    let mut station = new_station_values("压测血站", "Asia/Shanghai", "车场", "沙市区", depot, at);
    station.name = format!("压测血站 {}", now.timestamp_micros());
    let station = registry::insert_station(conn, &station).expect("station");
    let site = registry::insert_site(
        conn,
        &SiteValues {
            station_id: station.id,
            kind: "community".into(),
            district: "沙市区".into(),
            township: "解放街道".into(),
            name: "便河社区".into(),
            address: "荆州市沙市区解放街道便河社区".into(),
            lat: 30.31,
            lon: 112.26,
            contact_name: None,
            contact_phone: None,
            active: true,
            updated_at: stored_instant(now),
        },
    )
    .expect("site");
    for n in 0..12 {
        registry::insert_vehicle(
            conn,
            &VehicleValues {
                station_id: station.id,
                name: format!("压测车{n}"),
                plate: None,
                beds: 50,
                donors_per_day: 1000,
                shift_start: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
                shift_end: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
                kinds: kinds_to_text(&[DonationKind::WholeBlood]),
                active: true,
                updated_at: stored_instant(now),
            },
        )
        .expect("vehicle");
    }
    let today = now.date_naive();
    let days = (3..31).map(|d| today + Days::new(d)).collect();
    (site.id, days)
}
