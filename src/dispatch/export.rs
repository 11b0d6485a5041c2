//! A plan for other tools: CSV (one row per booking, phones masked), GeoJSON (a line per route,
//! a point per stop) and an iCalendar feed of a vehicle's published stops.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use serde_json::{Value, json};

use super::day::DayData;
use super::view::PlanView;
use crate::domain::donor::mask_phone;

/// One row per booking of the day: where and when it is served, or why it is left out.
pub fn plan_csv(day: &DayData, view: &PlanView) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "date",
        "version",
        "status",
        "vehicle_id",
        "vehicle",
        "position",
        "stop_id",
        "site_id",
        "site",
        "window",
        "arrival",
        "start",
        "end",
        "reference",
        "donor",
        "phone",
        "kind",
        "volume_ml",
        "blood_type",
        "left_out_reason",
    ])?;
    let date = view.date.to_string();
    let version = view.version.to_string();
    let mut write = |route: Option<(&str, &str, usize)>,
                     stop_id: i32,
                     site_id: i64,
                     site: &str,
                     window: &str,
                     times: [String; 3],
                     reference: &str,
                     reason: &str|
     -> Result<(), csv::Error> {
        let booking = day.bookings.iter().find(|b| b.reference == reference);
        let (vehicle_id, vehicle, position) = route.unwrap_or(("", "", 0));
        out.write_record([
            date.as_str(),
            version.as_str(),
            if route.is_some() {
                "served"
            } else {
                "left_out"
            },
            vehicle_id,
            vehicle,
            &if position > 0 {
                position.to_string()
            } else {
                String::new()
            },
            &stop_id.to_string(),
            &site_id.to_string(),
            site,
            window,
            &times[0],
            &times[1],
            &times[2],
            reference,
            booking.map(|b| b.name.as_str()).unwrap_or(""),
            &booking.map(|b| mask_phone(&b.phone)).unwrap_or_default(),
            booking.map(|b| b.kind.as_str()).unwrap_or(""),
            &booking.map(|b| b.volume_ml.to_string()).unwrap_or_default(),
            booking.and_then(|b| b.blood_type.as_deref()).unwrap_or(""),
            reason,
        ])
    };
    for route in &view.routes {
        let vehicle_id = route.vehicle_id.to_string();
        for (p, stop) in route.stops.iter().enumerate() {
            let times = [
                stop.arrival.to_rfc3339(),
                stop.start.to_rfc3339(),
                stop.end.to_rfc3339(),
            ];
            for reference in &stop.bookings {
                write(
                    Some((&vehicle_id, &route.vehicle_name, p + 1)),
                    stop.stop_id,
                    stop.site_id,
                    &stop.site_name,
                    &stop.window,
                    times.clone(),
                    reference,
                    "",
                )?;
            }
        }
    }
    for left in &view.left_out {
        for reference in &left.bookings {
            write(
                None,
                left.stop_id,
                left.site_id,
                &left.site_name,
                &left.window,
                Default::default(),
                reference,
                &left.reason,
            )?;
        }
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8"))
}

/// The plan as a GeoJSON FeatureCollection: the depot, a LineString per route (depot, its
/// stops in order, depot) and a Point per stop.
pub fn plan_geojson(day: &DayData, view: &PlanView) -> Value {
    let depot = [day.station.depot.lon, day.station.depot.lat];
    let mut features = vec![json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": depot},
        "properties": {"kind": "depot", "name": day.station.depot_name},
    })];
    for route in &view.routes {
        let mut line = vec![depot];
        line.extend(route.stops.iter().map(|s| [s.lon, s.lat]));
        line.push(depot);
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line},
            "properties": {
                "kind": "route",
                "vehicle_id": route.vehicle_id,
                "vehicle": route.vehicle_name,
                "depart": route.depart,
                "return": route.return_at,
                "distance_km": route.distance_km,
                "drive_minutes": route.drive_minutes,
            },
        }));
        for (p, stop) in route.stops.iter().enumerate() {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
                "properties": {
                    "kind": "stop",
                    "stop_id": stop.stop_id,
                    "vehicle_id": route.vehicle_id,
                    "position": p + 1,
                    "site_id": stop.site_id,
                    "site": stop.site_name,
                    "window": stop.window,
                    "arrival": stop.arrival,
                    "start": stop.start,
                    "end": stop.end,
                    "donors": stop.donors,
                },
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// One published stop of a vehicle, for its calendar.
pub struct CalendarStop {
    /// Stable across versions: the same site, window and day on the same vehicle.
    pub uid: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An iCalendar feed of a vehicle's published stops (UTC times).
pub fn vehicle_calendar(vehicle_name: &str, stops: &[CalendarStop]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(vehicle_name);
    for stop in stops {
        calendar.push(
            Event::new()
                .uid(&stop.uid)
                .summary(&stop.summary)
                .location(&stop.location)
                .description(&stop.description)
                .starts(stop.start)
                .ends(stop.end)
                .done(),
        );
    }
    calendar.done().to_string()
}

/// The published stops of a vehicle from `from` on (the newest published version of each day).
pub fn vehicle_stops(
    conn: &mut crate::db::DbConnection,
    vehicle_id: i64,
    from: chrono::NaiveDate,
) -> Result<(String, Vec<CalendarStop>), super::DispatchError> {
    use crate::db::{plans, registry};
    let vehicle =
        registry::find_vehicle(conn, vehicle_id)?.ok_or(super::DispatchError::NotFound {
            what: "vehicle",
            field: "id",
            id: vehicle_id.to_string(),
        })?;
    let mut stops = Vec::new();
    for plan in plans::published_days(conn, vehicle.station_id, from)? {
        let rows: Vec<plans::StopRow> = plans::stops_of(conn, plan.id)?
            .into_iter()
            .filter(|s| s.vehicle_id == Some(vehicle_id))
            .collect();
        let sites =
            super::day::sites_by_id(conn, &rows.iter().map(|r| r.site_id).collect::<Vec<_>>())?;
        for row in rows {
            let (Some(start), Some(end)) = (row.start_at, row.end_at) else {
                continue;
            };
            let site = sites.get(&row.site_id);
            let donors = super::routes::stop_donors(&row);
            stops.push(CalendarStop {
                uid: format!(
                    "{}-{}-{}-{}@bloodmobile",
                    plan.service_date, vehicle_id, row.site_id, row.time_window
                ),
                summary: format!(
                    "{} ({} donors)",
                    site.map(|s| s.name.as_str()).unwrap_or("?"),
                    donors.total()
                ),
                location: site.map(|s| s.address.clone()).unwrap_or_default(),
                description: format!(
                    "{}, plan version {}: whole blood {}, platelets {}, plasma {}",
                    row.time_window,
                    plan.version,
                    donors.whole_blood,
                    donors.platelets,
                    donors.plasma
                ),
                start: start.and_utc(),
                end: end.and_utc(),
            });
        }
    }
    Ok((vehicle.name, stops))
}
