//! A station-day as a planning problem, and a solved plan as the rows of a new version.
//!
//! Two ways in: the day's first plan groups its bookings by site and window; a re-plan keeps the
//! latest version's stops (their ids, locks and promises; pieces of one site and window on one
//! vehicle become one stop again) and starts from its routes, so it never serves fewer.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::DispatchError;
use super::day::{DayData, StoredPlan};
use super::routes::{routing_vehicle, stop_donors, window_seconds};
use super::travel::matrix_for;
use crate::db::plans::{PlanBookingRow, RouteRow, StopRow};
use crate::db::registry::VehicleRow;
use crate::domain::donation::{DonationKind, KindCounts};
use crate::routing::{DayPlan, DayProblem, GeoPoint, Stop};

/// One stop of the problem: a site in a window and the bookings to serve there.
#[derive(Debug, Clone)]
pub struct StopGroup {
    pub site_id: i64,
    pub window: String,
    /// The stored stop it stands for (a re-plan), if any.
    pub stored: Option<i32>,
    /// Bookings by id, with their kinds, in id order.
    pub bookings: Vec<(i64, DonationKind)>,
    /// The vehicle it is locked to.
    pub locked_to: Option<i64>,
    /// The vehicle it was on in the version re-planned, if any.
    pub vehicle: Option<i64>,
    /// The arrival window its donors were told.
    pub promised: Option<(NaiveDateTime, NaiveDateTime)>,
}

impl StopGroup {
    fn donors(&self) -> KindCounts {
        let mut donors = KindCounts::default();
        for (_, kind) in &self.bookings {
            *donors.get_mut(*kind) += 1;
        }
        donors
    }
}

/// The problem and what its stops stand for (problem stop `i` has id `i + 1`).
pub struct DayModel {
    pub problem: DayProblem,
    pub groups: Vec<StopGroup>,
    /// Routes to start the search from: vehicle id, problem stop ids and their donors.
    pub initial: Vec<(u64, Vec<(u64, KindCounts)>)>,
}

/// The vehicles a version may use: active and not taken out for the day.
pub fn available(day: &DayData, out: &[i64]) -> Vec<VehicleRow> {
    day.vehicles
        .iter()
        .filter(|v| !out.contains(&v.id))
        .cloned()
        .collect()
}

/// The widest arrival window told to any of these bookings.
fn promised_to(
    day: &DayData,
    bookings: &[(i64, DonationKind)],
) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let mut span: Option<(NaiveDateTime, NaiveDateTime)> = None;
    for (id, _) in bookings {
        if let Some(b) = day.booking(*id)
            && let (Some(from), Some(to)) = (b.arrival_from, b.arrival_to)
        {
            span = Some(match span {
                None => (from, to),
                Some((f, t)) => (f.min(from), t.max(to)),
            });
        }
    }
    span
}

/// Groups the day's bookings by site and window, in site and window order.
fn fresh_groups(day: &DayData, exclude: &[i64]) -> Vec<StopGroup> {
    let window_order = |w: &str| day.station.window_index(w).unwrap_or(usize::MAX);
    let mut by_key: BTreeMap<(i64, usize, String), Vec<(i64, DonationKind)>> = BTreeMap::new();
    for b in &day.bookings {
        if exclude.contains(&b.id) {
            continue;
        }
        by_key
            .entry((b.site_id, window_order(&b.window), b.window.clone()))
            .or_default()
            .push((b.id, b.kind));
    }
    by_key
        .into_iter()
        .map(|((site_id, _, window), bookings)| {
            let promised = promised_to(day, &bookings);
            StopGroup {
                site_id,
                window,
                stored: None,
                bookings,
                locked_to: None,
                vehicle: None,
                promised,
            }
        })
        .collect()
}

/// The day's first plan: its bookings grouped by site and window.
pub fn fresh(day: &DayData, vehicles: &[VehicleRow]) -> Result<DayModel, DispatchError> {
    build(day, vehicles, fresh_groups(day, &[]), Vec::new())
}

/// A re-plan of `base`: its stops keep their ids, locks and promises; bookings it does not hold
/// yet join as new stops.
pub fn replan(
    day: &DayData,
    vehicles: &[VehicleRow],
    base: &StoredPlan,
) -> Result<DayModel, DispatchError> {
    let by_stop = base.bookings_by_stop();
    let mut groups = Vec::new();
    let mut held = Vec::new();
    for row in &base.stops {
        let bookings: Vec<(i64, DonationKind)> = by_stop
            .get(&row.stop_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| day.booking(*id).map(|b| (b.id, b.kind)))
                    .collect()
            })
            .unwrap_or_default();
        held.extend(bookings.iter().map(|(id, _)| *id));
        if bookings.is_empty() {
            continue;
        }
        let locked_to = row
            .vehicle_id
            .filter(|v| row.locked && vehicles.iter().any(|x| x.id == *v));
        // Pieces of one site and window on one vehicle (or both left out) serve better as one
        // stop: one set-up, the same donors on the same vehicle.
        let twin = groups.iter_mut().find(|g: &&mut StopGroup| {
            g.site_id == row.site_id
                && g.window == row.time_window
                && g.locked_to.is_none()
                && locked_to.is_none()
                && g.vehicle == row.vehicle_id
        });
        if let Some(twin) = twin {
            twin.bookings.extend(bookings);
            twin.bookings.sort_unstable();
            continue;
        }
        groups.push(StopGroup {
            vehicle: row.vehicle_id,
            site_id: row.site_id,
            window: row.time_window.clone(),
            stored: Some(row.stop_id),
            promised: row.promised_from.zip(row.promised_to),
            bookings,
            locked_to,
        });
    }
    groups.extend(fresh_groups(day, &held));
    let index: HashMap<i32, u64> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| g.stored.map(|id| (id, i as u64 + 1)))
        .collect();
    let initial = base_routes(base, vehicles, |row| index.get(&row.stop_id).copied());
    build(day, vehicles, groups, initial)
}

/// `base`'s routes on the available vehicles, as problem stop ids.
fn base_routes(
    base: &StoredPlan,
    vehicles: &[VehicleRow],
    stop_of: impl Fn(&StopRow) -> Option<u64>,
) -> Vec<(u64, Vec<(u64, KindCounts)>)> {
    let mut routes: BTreeMap<i64, Vec<(i32, u64, KindCounts)>> = BTreeMap::new();
    for row in &base.stops {
        if let Some(vehicle) = row.vehicle_id
            && vehicles.iter().any(|v| v.id == vehicle)
            && let Some(stop) = stop_of(row)
        {
            routes
                .entry(vehicle)
                .or_default()
                .push((row.position, stop, stop_donors(row)));
        }
    }
    routes
        .into_iter()
        .map(|(vehicle, mut stops)| {
            stops.sort_unstable_by_key(|(position, stop, _)| (*position, *stop));
            let visits = stops.into_iter().map(|(_, s, d)| (s, d)).collect();
            (vehicle as u64, visits)
        })
        .collect()
}

fn build(
    day: &DayData,
    vehicles: &[VehicleRow],
    groups: Vec<StopGroup>,
    initial: Vec<(u64, Vec<(u64, KindCounts)>)>,
) -> Result<DayModel, DispatchError> {
    let station = &day.station;
    let mut points = vec![station.depot];
    let mut location: HashMap<i64, usize> = HashMap::new();
    let mut stops = Vec::with_capacity(groups.len());
    for (i, group) in groups.iter().enumerate() {
        let site = day
            .sites
            .get(&group.site_id)
            .ok_or_else(|| DispatchError::Corrupt(format!("site {} missing", group.site_id)))?;
        let at = *location.entry(group.site_id).or_insert_with(|| {
            points.push(GeoPoint {
                lon: site.lon,
                lat: site.lat,
            });
            points.len() - 1
        });
        let (window_start, window_end) =
            window_seconds(station, &day.clock, day.date, &group.window);
        stops.push(Stop {
            id: i as u64 + 1,
            location: at,
            window_start,
            window_end,
            donors: group.donors(),
            locked_to: group.locked_to.map(|v| v as u64),
            published: group
                .promised
                .map(|(from, to)| (day.clock.seconds_of(from), day.clock.seconds_of(to))),
        });
    }
    let problem = DayProblem {
        stops,
        vehicles: vehicles
            .iter()
            .map(|v| routing_vehicle(v, &day.clock, day.date))
            .collect(),
        matrix: matrix_for(station, points)?,
        service: station.service_times(),
        processing_limit_s: Some(station.processing_limit_s()),
    };
    Ok(DayModel {
        problem,
        groups,
        initial,
    })
}

/// The rows of a version (plan id 0 until stored).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub routes: Vec<RouteRow>,
    pub stops: Vec<StopRow>,
    pub bookings: Vec<PlanBookingRow>,
}

/// One piece of a problem stop in the solved plan: on a route, or left out.
struct Piece {
    donors: KindCounts,
    vehicle: Option<i64>,
    position: i32,
    times: Option<(i64, i64, i64)>,
    reason: Option<&'static str>,
}

/// The solved plan as rows. Stored stops keep their id on their first piece; every other piece
/// gets a new id above `first_new_id - 1`. Each piece takes its share of the group's bookings,
/// kind by kind.
pub fn draft(day: &DayData, model: &DayModel, plan: &DayPlan, first_new_id: i32) -> Draft {
    let mut pieces: Vec<Vec<Piece>> = (0..model.groups.len()).map(|_| Vec::new()).collect();
    let mut draft = Draft::default();
    for route in &plan.routes {
        for (p, visit) in route.visits.iter().enumerate() {
            pieces[visit.stop_id as usize - 1].push(Piece {
                donors: visit.donors,
                vehicle: Some(route.vehicle_id as i64),
                position: p as i32 + 1,
                times: Some((visit.arrival_s, visit.start_s, visit.departure_s)),
                reason: None,
            });
        }
        draft.routes.push(RouteRow {
            plan_id: 0,
            vehicle_id: route.vehicle_id as i64,
            depart_at: day.clock.stored(route.depart_s),
            return_at: day.clock.stored(route.return_s),
            drive_seconds: route.travel_s as i32,
            distance_m: route.distance_m as i32,
        });
    }
    for left in &plan.left_out {
        pieces[left.stop_id as usize - 1].push(Piece {
            donors: left.donors,
            vehicle: None,
            position: 0,
            times: None,
            reason: Some(super::constraint_code(left.reason)),
        });
    }
    let mut next_id = first_new_id;
    for (group, group_pieces) in model.groups.iter().zip(pieces) {
        let mut by_kind: BTreeMap<DonationKind, Vec<i64>> = BTreeMap::new();
        for (id, kind) in &group.bookings {
            by_kind.entry(*kind).or_default().push(*id);
        }
        for (n, piece) in group_pieces.into_iter().enumerate() {
            let stop_id = match (n, group.stored) {
                (0, Some(id)) => id,
                _ => {
                    next_id += 1;
                    next_id - 1
                }
            };
            for kind in DonationKind::ALL {
                let ids = by_kind.entry(kind).or_default();
                let take = (piece.donors.get(kind) as usize).min(ids.len());
                for booking_id in ids.drain(..take) {
                    draft.bookings.push(PlanBookingRow {
                        plan_id: 0,
                        booking_id,
                        stop_id,
                    });
                }
            }
            let at = |s: Option<i64>| s.map(|s| day.clock.stored(s));
            draft.stops.push(StopRow {
                plan_id: 0,
                stop_id,
                site_id: group.site_id,
                time_window: group.window.clone(),
                vehicle_id: piece.vehicle,
                position: piece.position,
                arrival_at: at(piece.times.map(|t| t.0)),
                start_at: at(piece.times.map(|t| t.1)),
                end_at: at(piece.times.map(|t| t.2)),
                locked: piece.vehicle.is_some() && piece.vehicle == group.locked_to,
                whole_blood: piece.donors.whole_blood as i32,
                platelets: piece.donors.platelets as i32,
                plasma: piece.donors.plasma as i32,
                left_out_reason: piece.reason.map(str::to_string),
                promised_from: group.promised.map(|p| p.0),
                promised_to: group.promised.map(|p| p.1),
            });
        }
    }
    draft
}

/// A copy of a stored version's rows (for a change that builds the next version from it).
pub fn copy(base: &StoredPlan) -> Draft {
    Draft {
        routes: base.routes.clone(),
        stops: base.stops.clone(),
        bookings: base.bookings.clone(),
    }
}

/// Donors of a stored stop.
pub fn donors_of(row: &StopRow) -> KindCounts {
    stop_donors(row)
}
