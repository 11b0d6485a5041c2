//! Writes the generated demo region into an empty database. Bookings go through the real
//! booking service, so the demo only ever holds bookings the rules accept.

use chrono::Utc;

use super::{DemoBooking, DemoRegion, jingzhou};
use crate::api::stations::default_station;
use crate::api::{auth, bookings::CreateBookingBody};
use crate::booking::{self, StationConfig, kinds_to_text, new_secret};
use crate::db::registry::{self, SiteValues, VehicleValues};
use crate::db::{DbConnection, stored_instant, users};

/// Seed of the demo region: the same demo on every machine.
const DEMO_SEED: u64 = 2020;
/// Days of bookings loaded, starting at the first bookable day.
const DEMO_DAYS: u32 = 7;
const DEMO_USER: &str = "dispatcher";

/// Loads the demo region unless the database already holds a station.
pub fn load_if_empty(conn: &mut DbConnection) -> anyhow::Result<()> {
    if !registry::list_stations(conn)?.is_empty() {
        println!("database already holds data: demo not loaded");
        return Ok(());
    }
    let now = Utc::now();
    let at = stored_instant(now);
    // The station does not depend on the days, so it is written first to learn its first
    // bookable day from its own rules.
    let place = jingzhou(DEMO_SEED, now.date_naive(), 0).station;
    let station = registry::insert_station(
        conn,
        &default_station(
            place.name,
            place.time_zone,
            place.depot_name,
            place.depot_address,
            place.depot_lat,
            place.depot_lon,
        ),
    )?;
    let first_day = StationConfig::from_row(&station)?
        .booking
        .bookable_range(now)
        .0;
    let region = jingzhou(DEMO_SEED, first_day, DEMO_DAYS);
    let mut site_ids = Vec::with_capacity(region.sites.len());
    for site in &region.sites {
        let row = registry::insert_site(
            conn,
            &SiteValues {
                station_id: station.id,
                kind: site.kind.as_str().to_string(),
                district: site.district.to_string(),
                township: site.township.to_string(),
                name: site.name.clone(),
                address: site.address.clone(),
                lat: site.lat,
                lon: site.lon,
                contact_name: Some(site.contact_name.clone()),
                contact_phone: Some(format!("+86{}", site.contact_phone)),
                active: true,
                updated_at: at,
            },
        )?;
        site_ids.push(row.id);
    }
    for vehicle in &region.vehicles {
        let kinds: Vec<_> = vehicle
            .kinds
            .iter()
            .filter_map(|k| crate::domain::donation::DonationKind::parse(k))
            .collect();
        registry::insert_vehicle(
            conn,
            &VehicleValues {
                station_id: station.id,
                name: vehicle.name.clone(),
                plate: Some(vehicle.plate.to_string()),
                beds: i32::from(vehicle.beds),
                donors_per_day: i32::from(vehicle.donors_per_day),
                shift_start: vehicle.shift_start,
                shift_end: vehicle.shift_end,
                kinds: kinds_to_text(&kinds),
                active: true,
                updated_at: at,
            },
        )?;
    }
    let (booked, refused) = load_bookings(conn, &region, &site_ids)?;
    let password = new_secret();
    if users::find_user(conn, DEMO_USER)?.is_none() {
        auth::add_user(conn, DEMO_USER, &password).map_err(|e| anyhow::anyhow!(e.message))?;
        println!("dispatcher account: {DEMO_USER} / {password}   (shown once)");
    }
    println!(
        "demo loaded: {} ({} sites, {} vehicles, {booked} bookings from {first_day}; {refused} refused by the rules)",
        region.station.name,
        region.sites.len(),
        region.vehicles.len(),
    );
    Ok(())
}

fn load_bookings(
    conn: &mut DbConnection,
    region: &DemoRegion,
    site_ids: &[i64],
) -> anyhow::Result<(usize, usize)> {
    let (mut booked, mut refused) = (0, 0);
    for demo in &region.bookings {
        let request = request_body(demo, site_ids[demo.site_index])
            .parse()
            .map_err(|e| anyhow::anyhow!("demo booking invalid: {e}"))?;
        match booking::create_booking(conn, request, None, Utc::now()) {
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
