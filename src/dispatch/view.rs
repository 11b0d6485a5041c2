//! A plan version as dispatchers read it: per vehicle the ordered stops with local times,
//! donors by kind and blood type, drive and processing times; what was left out and why;
//! totals; and how far the donors' published arrival windows would move.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::day::{DayData, StoredPlan};
use super::model::available;
use super::routes::{PlanRoutes, stop_donors};
use super::{DispatchError, constraint_from_code, constraint_message};
use crate::db::plans::StopRow;
use crate::domain::donation::KindCounts;
use crate::routing::fixed::insert_donors;
use crate::routing::matrix::haversine_m;

/// Donors per blood type ("A+" ... "O-", "unknown").
pub type BloodTypes = BTreeMap<String, u32>;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StopView {
    pub stop_id: i32,
    pub site_id: i64,
    pub site_name: String,
    pub district: String,
    pub lat: f64,
    pub lon: f64,
    pub window: String,
    #[schema(value_type = String, format = DateTime)]
    pub arrival: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub start: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub end: DateTime<FixedOffset>,
    pub locked: bool,
    /// Fewer donors than the station's minimum turnout.
    pub below_minimum: bool,
    /// For a stop below the minimum: the nearest stop of the same window that could take its
    /// donors instead.
    pub absorb_into: Option<i32>,
    pub donors: KindCounts,
    pub blood_types: BloodTypes,
    pub bookings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteView {
    pub vehicle_id: i64,
    pub vehicle_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub depart: DateTime<FixedOffset>,
    #[serde(rename = "return")]
    #[schema(value_type = String, format = DateTime)]
    pub return_at: DateTime<FixedOffset>,
    pub drive_minutes: i64,
    pub distance_km: f64,
    /// From the start of the first collection to the return to the station.
    pub processing_minutes: i64,
    pub processing_limit_minutes: u32,
    pub donors: KindCounts,
    pub stops: Vec<StopView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeftOutView {
    pub stop_id: i32,
    pub site_id: i64,
    pub site_name: String,
    pub window: String,
    pub donors: KindCounts,
    pub bookings: Vec<String>,
    /// The constraint that kept it out: kinds, bag_stock, window, shift, processing_limit, fleet.
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    pub bookings: usize,
    pub served: usize,
    pub left_out: usize,
    pub vehicles_used: usize,
    pub stops: usize,
    pub below_minimum: usize,
    pub drive_minutes: i64,
    pub distance_km: f64,
    pub donors: KindCounts,
    pub blood_types: BloodTypes,
}

/// How the donors' published arrival windows compare with this version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowMoves {
    /// Bookings with a published window whose window in this version differs.
    pub bookings_moved: usize,
    /// Of those, moved by more than the station's threshold (they would be told).
    pub beyond_threshold: usize,
    /// The largest move of either end, in minutes.
    pub max_minutes: i64,
    /// Published bookings this version leaves out.
    pub no_longer_served: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub station_id: i64,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub version: i32,
    /// "draft" or "published".
    pub status: String,
    /// What made this version: plan, move, lock, unlock, vehicle_out, reoptimise.
    pub origin: String,
    pub vehicles_out: Vec<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<DateTime<FixedOffset>>,
    pub solve_ms: i32,
    pub routes: Vec<RouteView>,
    pub left_out: Vec<LeftOutView>,
    pub totals: Totals,
    pub window_moves: WindowMoves,
}

fn blood_type_key(blood_type: Option<&str>) -> String {
    blood_type.unwrap_or("unknown").to_string()
}

/// The nearest stop of the same window whose route could take `row`'s donors on top (with
/// `row` itself taken off its route first).
fn absorbing_stop(routes: &PlanRoutes, index: usize) -> Option<i32> {
    let row = &routes.rows[index];
    let here = routes.point(row.site_id)?;
    let mut candidates: Vec<(f64, usize)> = routes
        .rows
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            *i != index
                && r.vehicle_id.is_some()
                && r.time_window == row.time_window
                && r.site_id != row.site_id
        })
        .filter_map(|(i, r)| Some((haversine_m(here, routes.point(r.site_id)?), i)))
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut without = routes.routes.clone();
    for route in &mut without {
        route.visits.retain(|v| v.stop != index);
    }
    candidates.into_iter().take(5).find_map(|(_, target)| {
        insert_donors(
            &routes.context(),
            &without,
            &[target],
            None,
            stop_donors(row),
            &|_| true,
        )
        .map(|_| routes.rows[target].stop_id)
    })
}

/// Reads a version of a station-day (the latest when none) with its day.
pub fn read_plan(
    conn: &mut crate::db::DbConnection,
    station_id: i64,
    date: NaiveDate,
    version: Option<i32>,
) -> Result<(DayData, StoredPlan, PlanView), DispatchError> {
    use crate::db::plans;
    super::day::station(conn, station_id)?;
    let plan = match version {
        Some(v) => plans::version(conn, station_id, date, v)?.ok_or(DispatchError::NotFound {
            what: "plan version",
            field: "version",
            id: v.to_string(),
        })?,
        None => plans::latest(conn, station_id, date)?.ok_or(DispatchError::NoPlan)?,
    };
    let stored = StoredPlan::load(conn, plan)?;
    let day = super::day::load_day(conn, station_id, date, &[&stored])?;
    let view = plan_view(&day, &stored)?;
    Ok((day, stored, view))
}

/// The readable plan of `stored` on `day`.
pub fn plan_view(day: &DayData, stored: &StoredPlan) -> Result<PlanView, DispatchError> {
    let clock = &day.clock;
    let local = |at: NaiveDateTime| clock.local(at).fixed_offset();
    let station = &day.station;
    let vehicles = available(day, &stored.plan.vehicles_out());
    let routes = PlanRoutes::build(station, day.date, &vehicles, &day.sites, &stored.stops, &[])?;
    let by_stop = stored.bookings_by_stop();
    let held_by_stop = |stop_id: i32| by_stop.get(&stop_id).cloned().unwrap_or_default();
    let references = |ids: &[i64]| -> Vec<String> {
        ids.iter()
            .filter_map(|id| day.booking(*id).map(|b| b.reference.clone()))
            .collect()
    };
    let mut totals = Totals {
        bookings: 0,
        served: 0,
        left_out: 0,
        vehicles_used: stored.routes.len(),
        stops: 0,
        below_minimum: 0,
        drive_minutes: 0,
        distance_km: 0.0,
        donors: KindCounts::default(),
        blood_types: BloodTypes::new(),
    };
    // The bookings this version holds (an older version may hold fewer than the day now has).
    for booking in stored
        .bookings
        .iter()
        .filter_map(|b| day.booking(b.booking_id))
    {
        *totals
            .blood_types
            .entry(blood_type_key(booking.blood_type.as_deref()))
            .or_default() += 1;
        *totals.donors.get_mut(booking.kind) += 1;
    }
    let site = |id: i64| day.sites.get(&id);
    let mut route_views = Vec::new();
    let mut stops_of: HashMap<i64, Vec<(usize, &StopRow)>> = HashMap::new();
    for (index, row) in stored.stops.iter().enumerate() {
        if let Some(vehicle) = row.vehicle_id {
            stops_of.entry(vehicle).or_default().push((index, row));
        }
    }
    for route in &stored.routes {
        let mut stops = stops_of.remove(&route.vehicle_id).unwrap_or_default();
        stops.sort_by_key(|(_, r)| r.position);
        let mut stop_views = Vec::new();
        let mut route_donors = KindCounts::default();
        for (index, row) in stops {
            let ids = held_by_stop(row.stop_id);
            let mut blood_types = BloodTypes::new();
            for id in &ids {
                if let Some(b) = day.booking(*id) {
                    *blood_types
                        .entry(blood_type_key(b.blood_type.as_deref()))
                        .or_default() += 1;
                }
            }
            let donors = stop_donors(row);
            route_donors = route_donors.plus(&donors);
            totals.served += ids.len();
            let below = station.dispatch.below_minimum(donors.total());
            let absorb_into = if below {
                totals.below_minimum += 1;
                routes
                    .stop_index(row.stop_id)
                    .and_then(|i| absorbing_stop(&routes, i))
            } else {
                None
            };
            let _ = index;
            let (Some(arrival), Some(start), Some(end)) =
                (row.arrival_at, row.start_at, row.end_at)
            else {
                return Err(DispatchError::Corrupt(format!(
                    "stop {} of plan {} has no times",
                    row.stop_id, stored.plan.id
                )));
            };
            let place = site(row.site_id);
            stop_views.push(StopView {
                stop_id: row.stop_id,
                site_id: row.site_id,
                site_name: place.map(|s| s.name.clone()).unwrap_or_default(),
                district: place.map(|s| s.district.clone()).unwrap_or_default(),
                lat: place.map_or(0.0, |s| s.lat),
                lon: place.map_or(0.0, |s| s.lon),
                window: row.time_window.clone(),
                arrival: local(arrival),
                start: local(start),
                end: local(end),
                locked: row.locked,
                below_minimum: below,
                absorb_into,
                donors,
                blood_types,
                bookings: references(&ids),
            });
        }
        totals.stops += stop_views.len();
        let first_start = stop_views.first().map(|s| s.start);
        let return_at = local(route.return_at);
        let drive_minutes = (i64::from(route.drive_seconds) + 30) / 60;
        totals.drive_minutes += drive_minutes;
        totals.distance_km += f64::from(route.distance_m) / 1000.0;
        route_views.push(RouteView {
            vehicle_id: route.vehicle_id,
            vehicle_name: day
                .vehicles
                .iter()
                .find(|v| v.id == route.vehicle_id)
                .map(|v| v.name.clone())
                .unwrap_or_else(|| format!("#{}", route.vehicle_id)),
            depart: local(route.depart_at),
            return_at,
            drive_minutes,
            distance_km: (f64::from(route.distance_m) / 100.0).round() / 10.0,
            processing_minutes: first_start.map_or(0, |s| (return_at - s).num_minutes()),
            processing_limit_minutes: station.dispatch.processing_limit_minutes,
            donors: route_donors,
            stops: stop_views,
        });
    }
    totals.distance_km = (totals.distance_km * 10.0).round() / 10.0;
    let mut left_out = Vec::new();
    for row in stored.stops.iter().filter(|r| r.vehicle_id.is_none()) {
        let ids = held_by_stop(row.stop_id);
        totals.left_out += ids.len();
        let reason = row
            .left_out_reason
            .clone()
            .unwrap_or_else(|| "fleet".into());
        let message = constraint_from_code(&reason)
            .map(constraint_message)
            .unwrap_or("left out")
            .to_string();
        left_out.push(LeftOutView {
            stop_id: row.stop_id,
            site_id: row.site_id,
            site_name: site(row.site_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            window: row.time_window.clone(),
            donors: stop_donors(row),
            bookings: references(&ids),
            reason,
            message,
        });
    }
    totals.bookings = totals.served + totals.left_out;
    Ok(PlanView {
        station_id: stored.plan.station_id,
        date: stored.plan.service_date,
        version: stored.plan.version,
        status: stored.plan.status.clone(),
        origin: stored.plan.origin.clone(),
        vehicles_out: stored.plan.vehicles_out(),
        created_at: local(stored.plan.created_at),
        published_at: stored.plan.published_at.map(local),
        solve_ms: stored.plan.solve_ms,
        routes: route_views,
        left_out,
        window_moves: window_moves(day, stored),
        totals,
    })
}

/// Each held booking's window in this version against the one it was told.
fn window_moves(day: &DayData, stored: &StoredPlan) -> WindowMoves {
    let stops: HashMap<i32, &StopRow> = stored.stops.iter().map(|s| (s.stop_id, s)).collect();
    let threshold = i64::from(day.station.dispatch.window_change_minutes);
    let mut moves = WindowMoves {
        bookings_moved: 0,
        beyond_threshold: 0,
        max_minutes: 0,
        no_longer_served: 0,
    };
    for held in &stored.bookings {
        let Some(booking) = day.booking(held.booking_id) else {
            continue;
        };
        let (Some(old_from), Some(old_to)) = (booking.arrival_from, booking.arrival_to) else {
            continue;
        };
        let stop = stops.get(&held.stop_id);
        let (Some(start), Some(end)) = (stop.and_then(|s| s.start_at), stop.and_then(|s| s.end_at))
        else {
            moves.no_longer_served += 1;
            continue;
        };
        let window = day
            .station
            .dispatch
            .arrival_window(start.and_utc(), end.and_utc());
        let minutes = (window.from.naive_utc() - old_from)
            .num_minutes()
            .abs()
            .max((window.to.naive_utc() - old_to).num_minutes().abs());
        if minutes > 0 {
            moves.bookings_moved += 1;
            moves.max_minutes = moves.max_minutes.max(minutes);
            if minutes > threshold {
                moves.beyond_threshold += 1;
            }
        }
    }
    moves
}
