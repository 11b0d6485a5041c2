//! Writes the generated demo region into an empty database. Bookings go through the real
//! booking service, so the demo only ever holds bookings the rules accept.

use chrono::{NaiveDate, Utc};

use super::{DemoBooking, DemoRegion, jingzhou};
use crate::accounts;
use crate::api::bookings::CreateBookingBody;
use crate::booking::{self, new_secret};
use crate::db::{Db, DbConnection, registry as rows, users, write_transaction};
use crate::dispatch::planning::{SolveOptions, plan_day};
use crate::dispatch::publish::publish;
use crate::dispatch::view::read_plan;
use crate::domain::donation::DonationKind;
use crate::registry::{
    PlasmaFields, SiteFields, StationFields, VehicleFields, sites, stations, vehicles,
};
use crate::station::Station;

/// Seed of the demo region: the same demo on every machine.
const DEMO_SEED: u64 = 2020;
/// Days of bookings loaded, starting at the first bookable day.
const DEMO_DAYS: u32 = 7;
const DEMO_USER: &str = "dispatcher";

/// What was loaded: the station and the days that have bookings.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub station_id: i64,
    pub days: Vec<NaiveDate>,
}

/// Loads the demo region unless the database already holds a station: the registry in one
/// write, then each day's bookings as donors would make them. Half of a day is sold by the
/// seat rule; the day is then planned (outside any write) and the rest is accepted only where
/// it fits the routes, as for any day with a plan, so the demo holds only what its fleet can
/// serve.
pub fn load_if_empty(db: &Db) -> anyhow::Result<Option<Loaded>> {
    let Some((region, station_id, site_ids)) = db.write_blocking(load_registry)? else {
        return Ok(None);
    };
    let mut days: Vec<NaiveDate> = region.bookings.iter().map(|b| b.date).collect();
    days.sort_unstable();
    days.dedup();
    let (mut booked, mut refused) = (0, 0);
    for &date in &days {
        let of_day: Vec<&DemoBooking> = region.bookings.iter().filter(|b| b.date == date).collect();
        let (first, rest) = of_day.split_at(of_day.len() / 2);
        let counts = book(db, first, &site_ids)?;
        let options = SolveOptions::new(Some(0.5), Some(DEMO_SEED))?;
        plan_day(db, station_id, date, options, Utc::now())?;
        let more = book(db, rest, &site_ids)?;
        booked += counts.0 + more.0;
        refused += counts.1 + more.1;
    }
    println!(
        "demo loaded: {} ({} sites, {} vehicles, {booked} bookings from {}; {refused} refused by the rules)",
        region.station.name,
        region.sites.len(),
        region.vehicles.len(),
        days.first().copied().unwrap_or_default(),
    );
    Ok(Some(Loaded { station_id, days }))
}

/// Writes the demo's station, sites, vehicles and dispatcher; `None` when the database already
/// holds a station.
fn load_registry(conn: &mut DbConnection) -> anyhow::Result<Option<(DemoRegion, i64, Vec<i64>)>> {
    if !rows::list_stations(conn)?.is_empty() {
        println!("database already holds data: demo not loaded");
        return Ok(None);
    }
    let now = Utc::now();
    // The station does not depend on the days, so it is written first to learn its first
    // bookable day from its own rules.
    let place = jingzhou(DEMO_SEED, now.date_naive(), 0).station;
    let station = stations::create(
        conn,
        StationFields {
            name: Some(place.name.into()),
            time_zone: Some(place.time_zone.into()),
            depot_name: Some(place.depot_name.into()),
            depot_address: Some(place.depot_address.into()),
            depot_lat: Some(place.depot_lat),
            depot_lon: Some(place.depot_lon),
            // County roads between the district seats: faster than town streets.
            average_speed_kmh: Some(50.0),
            // As in 2020, when the station collected convalescent plasma: on, with the
            // policy's default numbers.
            plasma: Some(PlasmaFields {
                offered: Some(true),
                ..PlasmaFields::default()
            }),
            ..StationFields::default()
        },
        now,
    )?;
    // The first day still open for booking (after 18:00 tomorrow has closed).
    let rules = Station::from_row(&station)?.booking;
    let mut first_day = rules.bookable_range(now).0;
    while rules.windows.first().is_some_and(|w| {
        rules
            .check_bookable(now, first_day, &w.name)
            .is_err_and(|e| e.code() == "after_cutoff")
    }) {
        first_day = first_day.succ_opt().expect("a date after today");
    }
    let region = jingzhou(DEMO_SEED, first_day, DEMO_DAYS);
    let mut site_ids = Vec::with_capacity(region.sites.len());
    for site in &region.sites {
        let row = sites::create(
            conn,
            SiteFields {
                station_id: Some(station.id),
                kind: Some(site.kind.as_str().to_string()),
                district: Some(site.district.to_string()),
                township: Some(site.township.to_string()),
                name: Some(site.name.clone()),
                address: Some(site.address.clone()),
                lat: Some(site.lat),
                lon: Some(site.lon),
                contact_name: Some(site.contact_name.clone()),
                contact_phone: Some(format!("+86{}", site.contact_phone)),
                active: Some(true),
            },
            now,
        )?;
        site_ids.push(row.id);
    }
    for vehicle in &region.vehicles {
        vehicles::create(
            conn,
            VehicleFields {
                station_id: Some(station.id),
                name: Some(vehicle.name.clone()),
                plate: Some(vehicle.plate.to_string()),
                beds: Some(i32::from(vehicle.beds)),
                donors_per_day: Some(i32::from(vehicle.donors_per_day)),
                shift_start: Some(vehicle.shift_start),
                shift_end: Some(vehicle.shift_end),
                kinds: Some(
                    vehicle
                        .kinds
                        .iter()
                        .filter_map(|k| DonationKind::parse(k))
                        .collect(),
                ),
                active: Some(true),
            },
            now,
        )?;
    }
    let password = new_secret();
    if users::find_user(conn, DEMO_USER)?.is_none() {
        let hash = accounts::hash_password(&password);
        accounts::add_user(conn, DEMO_USER, &hash, now)?;
        println!("dispatcher account: {DEMO_USER} / {password}   (shown once)");
    }
    Ok(Some((region, station.id, site_ids)))
}

/// Plans and publishes each demo day as a dispatcher would (the solving outside any write),
/// so a newcomer sees routes and donors see arrival windows at once.
pub fn plan_and_publish(db: &Db, loaded: &Loaded, seconds_per_day: f64) -> anyhow::Result<()> {
    for &date in &loaded.days {
        let options = SolveOptions::new(Some(seconds_per_day), Some(DEMO_SEED))?;
        let (plan, _) = plan_day(db, loaded.station_id, date, options, Utc::now())?;
        let station = loaded.station_id;
        db.write_blocking(move |conn| {
            write_transaction(conn, |conn| {
                publish(conn, station, date, Some(plan.version), Utc::now())
            })
        })?;
        let mut conn = db.get()?;
        let (_, _, view) = read_plan(&mut conn, station, date, Some(plan.version))?;
        let t = &view.totals;
        println!(
            "  {date}: {} bookings at {} stops on {} bloodmobiles, {} left out; published",
            t.bookings, t.stops, t.vehicles_used, t.left_out
        );
    }
    // The demo's donors are invented: none of their notices is sent, only those of what a
    // visitor does next.
    db.write_blocking(|conn| {
        crate::db::notices::skip_all_pending(conn, "demo data").map_err(crate::db::DbError::from)
    })?;
    Ok(())
}

/// Books `bookings` one by one, as donors would; returns how many were accepted and refused.
fn book(db: &Db, bookings: &[&DemoBooking], site_ids: &[i64]) -> anyhow::Result<(usize, usize)> {
    let (mut booked, mut refused) = (0, 0);
    for demo in bookings {
        let request = request_body(demo, site_ids[demo.site_index])
            .parse()
            .map_err(|e| anyhow::anyhow!("demo booking invalid: {e}"))?;
        match db
            .write_blocking(move |conn| booking::create_booking(conn, request, None, Utc::now()))
        {
            Ok(_) => booked += 1,
            Err(e) => {
                tracing::debug!(error = %e, "demo booking refused");
                refused += 1;
            }
        }
    }
    Ok((booked, refused))
}

/// The demo booking as a donor would send it.
fn request_body(demo: &DemoBooking, site_id: i64) -> CreateBookingBody {
    let donor = &demo.donor;
    let json = serde_json::json!({
        "site_id": site_id,
        "date": demo.date,
        "window": demo.window,
        "kind": demo.kind,
        "volume_ml": demo.volume_ml,
        "language": demo.language,
        "donor": {
            "name": donor.name,
            "phone": donor.phone,
            "email": donor.email,
            "birth_date": donor.birth_date,
            "sex": donor.sex,
            "weight_kg": donor.weight_kg,
            "blood_type": donor.blood_type,
            "last_donation": donor.last_donation.as_ref().map(|l| serde_json::json!({"date": l.date, "kind": l.kind})),
        }
    });
    serde_json::from_value(json).expect("demo bookings match the API's shape")
}
