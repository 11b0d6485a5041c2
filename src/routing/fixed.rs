//! Routes given in full (a stored plan, a dispatcher's move, a booking squeezed into a plan):
//! timed and checked with the planner's own segment algebra, so a change made by hand obeys
//! exactly the rules the planner plans with, and names the first rule it breaks.

use crate::domain::donation::KindCounts;
use crate::routing::matrix::Travel;
use crate::routing::model::{PlannedRoute, PlannedVisit, ServiceTimes, Stop, Unassigned, Vehicle};
use crate::routing::segment::Segment;

/// What a day's routes are checked against.
#[derive(Clone, Copy)]
pub struct DayContext<'a> {
    /// The day's stops; visits refer to them by index.
    pub stops: &'a [Stop],
    /// The vehicles; routes refer to them by index.
    pub vehicles: &'a [Vehicle],
    /// Drive times between the stops' and depots' locations.
    pub travel: &'a dyn Travel,
    /// Service-time parameters.
    pub service: &'a ServiceTimes,
    /// Processing limit in seconds, if any.
    pub processing_limit_s: Option<i64>,
}

/// One visit of a given route: a stop (index into the day's stops) and the donors served there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedVisit {
    /// Index of the stop.
    pub stop: usize,
    /// Donors this vehicle serves there.
    pub donors: KindCounts,
}

/// Why a given route cannot be driven: the broken constraint and the stop where it breaks
/// (none for the shift and the processing limit, which concern the whole route).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Infeasible {
    /// The constraint.
    pub reason: Unassigned,
    /// The stop's id, when one stop breaks it.
    pub stop_id: Option<u64>,
}

/// Service seconds of `donors` on a vehicle with `beds` beds: set-up, rounds per kind, pack-up.
pub fn service_seconds(times: &ServiceTimes, donors: &KindCounts, beds: u32) -> i64 {
    let beds = beds.max(1);
    let rounds: i64 = donors
        .kinds()
        .map(|k| i64::from(donors.get(k).div_ceil(beds)) * i64::from(times.per_donor_s.get(k)))
        .sum();
    times.setup_s + rounds + times.pack_up_s
}

/// Whether `vehicle` collects every kind in `donors`.
pub fn collects_all(vehicle: &Vehicle, donors: &KindCounts) -> bool {
    donors.kinds().all(|k| vehicle.kinds.contains(&k))
}

/// Times the route of `vehicles[vehicle]` through `visits`, or says which rule it breaks first.
/// The schedule is the planner's: the first service starts as late as waiting least allows
/// (what the processing limit is checked against), then everything runs as early as possible.
pub fn time_route(
    ctx: &DayContext<'_>,
    vehicle: usize,
    visits: &[FixedVisit],
) -> Result<PlannedRoute, Infeasible> {
    let v = &ctx.vehicles[vehicle];
    let at = |visit: &FixedVisit| &ctx.stops[visit.stop];
    let fail = |reason, visit: Option<&FixedVisit>| Infeasible {
        reason,
        stop_id: visit.map(|x| at(x).id),
    };
    if visits.is_empty() {
        return Ok(PlannedRoute {
            vehicle_id: v.id,
            depart_s: v.shift_start,
            return_s: v.shift_start,
            visits: Vec::new(),
            travel_s: 0,
            distance_m: 0,
        });
    }
    let mut load = 0;
    let mut segments = Vec::with_capacity(visits.len());
    let mut core: Option<Segment> = None;
    for visit in visits {
        let stop = at(visit);
        if !collects_all(v, &visit.donors) {
            return Err(fail(Unassigned::Kinds, Some(visit)));
        }
        load += visit.donors.total();
        if load > v.donors_per_day {
            return Err(fail(Unassigned::Capacity, Some(visit)));
        }
        let service = service_seconds(ctx.service, &visit.donors, v.beds);
        let latest = stop.window_end - service;
        if latest < stop.window_start {
            return Err(fail(Unassigned::Window, Some(visit)));
        }
        let segment = Segment::visit(stop.location as u32, service, stop.window_start, latest);
        let joined = match core {
            None => segment,
            Some(c) => c.then(
                &segment,
                ctx.travel.duration(c.last as usize, segment.first as usize),
            ),
        };
        if !joined.feasible() {
            return Err(fail(Unassigned::Window, Some(visit)));
        }
        core = Some(joined);
        segments.push(segment);
    }
    let core = core.expect("at least one visit");
    let depot = v.depot;
    let depot_segment = Segment::visit(depot as u32, 0, v.shift_start, v.shift_end);
    let out = ctx.travel.duration(depot, core.first as usize);
    let back = ctx.travel.duration(core.last as usize, depot);
    let whole = depot_segment.then(&core, out).then(&depot_segment, back);
    if !whole.feasible() {
        return Err(fail(Unassigned::Shift, None));
    }
    // Processing runs from the first collection until the blood is back at the depot.
    let processing = core.then(&depot_segment, back);
    if ctx
        .processing_limit_s
        .is_some_and(|limit| processing.duration > limit)
    {
        return Err(fail(Unassigned::ProcessingLimit, None));
    }
    let first_start = core.earliest.max(v.shift_start + out);
    let mut time = first_start - out;
    let depart_s = time;
    let mut prev = depot;
    let (mut travel_s, mut distance_m) = (0, 0);
    let mut planned = Vec::with_capacity(visits.len());
    for (visit, segment) in visits.iter().zip(&segments) {
        let here = segment.first as usize;
        let drive = ctx.travel.duration(prev, here);
        let arrival = time + drive;
        let start = arrival.max(segment.earliest);
        time = start + segment.duration;
        travel_s += drive;
        distance_m += ctx.travel.distance(prev, here);
        planned.push(PlannedVisit {
            stop_id: at(visit).id,
            donors: visit.donors,
            arrival_s: arrival,
            start_s: start,
            departure_s: time,
        });
        prev = here;
    }
    travel_s += back;
    distance_m += ctx.travel.distance(prev, depot);
    let return_s = time + back;
    if return_s > v.shift_end {
        return Err(fail(Unassigned::Shift, None));
    }
    Ok(PlannedRoute {
        vehicle_id: v.id,
        depart_s,
        return_s,
        visits: planned,
        travel_s,
        distance_m,
    })
}

/// One vehicle's stops, as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedRoute {
    /// Index of the vehicle.
    pub vehicle: usize,
    /// Its visits in order.
    pub visits: Vec<FixedVisit>,
}

/// Where extra donors went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    /// Index of the route (in the given routes) that takes them.
    pub route: usize,
    /// Index of their visit on it.
    pub position: usize,
    /// Whether they joined a visit of their stop already on the route (else a new visit).
    pub joined: bool,
    /// The route with them, timed.
    pub timed: PlannedRoute,
}

/// The cheapest way to serve `donors` more within `routes` without changing anything else:
/// join a visit of one of the `join` stops that has room (least added route time), or else add
/// a visit of `new_stop` where it adds the least driving (an empty route opens its vehicle, as
/// a last resort). `accept` may refuse a timed route (a published plan keeps its promises).
/// `None` when nothing fits.
pub fn insert_donors(
    ctx: &DayContext<'_>,
    routes: &[FixedRoute],
    join: &[usize],
    new_stop: Option<usize>,
    donors: KindCounts,
    accept: &dyn Fn(&PlannedRoute) -> bool,
) -> Option<Insertion> {
    let mut scratch: Vec<FixedVisit> = Vec::new();
    let mut best: Option<(i64, Insertion)> = None;
    fn consider(best: &mut Option<(i64, Insertion)>, cost: i64, candidate: Insertion) {
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            *best = Some((cost, candidate));
        }
    }
    // Joining a visit of the same site and window: no new stop for the crew.
    for (ri, route) in routes.iter().enumerate() {
        for (p, visit) in route.visits.iter().enumerate() {
            if !join.contains(&visit.stop) {
                continue;
            }
            scratch.clone_from(&route.visits);
            scratch[p].donors = visit.donors.plus(&donors);
            let Ok(timed) = time_route(ctx, route.vehicle, &scratch) else {
                continue;
            };
            if accept(&timed) {
                let cost = timed.return_s - timed.depart_s;
                let found = Insertion {
                    route: ri,
                    position: p,
                    joined: true,
                    timed,
                };
                consider(&mut best, cost, found);
            }
        }
    }
    if best.is_some() {
        return best.map(|(_, found)| found);
    }
    let stop = new_stop?;
    let location = ctx.stops[stop].location;
    for (ri, route) in routes.iter().enumerate() {
        let v = &ctx.vehicles[route.vehicle];
        if !collects_all(v, &donors) {
            continue;
        }
        let opening = if route.visits.is_empty() {
            24 * 3600
        } else {
            0
        };
        let node = |p: usize| -> usize {
            if p == 0 || p > route.visits.len() {
                v.depot
            } else {
                ctx.stops[route.visits[p - 1].stop].location
            }
        };
        for p in 0..=route.visits.len() {
            let (a, b) = (node(p), node(p + 1));
            let added = ctx.travel.duration(a, location) + ctx.travel.duration(location, b)
                - ctx.travel.duration(a, b)
                + opening;
            if best.as_ref().is_some_and(|(c, _)| added >= *c) {
                continue;
            }
            scratch.clone_from(&route.visits);
            scratch.insert(p, FixedVisit { stop, donors });
            let Ok(timed) = time_route(ctx, route.vehicle, &scratch) else {
                continue;
            };
            if accept(&timed) {
                let found = Insertion {
                    route: ri,
                    position: p,
                    joined: false,
                    timed,
                };
                consider(&mut best, added, found);
            }
        }
    }
    best.map(|(_, found)| found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::donation::DonationKind;
    use crate::routing::matrix::{GeoPoint, GreatCircle};

    const H: i64 = 3600;

    fn day() -> (Vec<Stop>, Vec<Vehicle>, GreatCircle, ServiceTimes) {
        let points = vec![
            GeoPoint {
                lon: 112.25,
                lat: 30.32,
            },
            GeoPoint {
                lon: 112.30,
                lat: 30.35,
            },
            GeoPoint {
                lon: 112.20,
                lat: 30.30,
            },
        ];
        let stop = |id: u64, location: usize, window: (i64, i64), donors: u32| Stop {
            id,
            location,
            window_start: window.0,
            window_end: window.1,
            donors: KindCounts::one(DonationKind::WholeBlood, donors),
            locked_to: None,
            published: None,
        };
        let stops = vec![
            stop(10, 1, (8 * H, 12 * H), 8),
            stop(20, 2, (8 * H, 12 * H), 8),
            stop(30, 2, (13 * H, 17 * H + H / 2), 4),
        ];
        let vehicles = vec![Vehicle {
            id: 7,
            depot: 0,
            shift_start: 7 * H + H / 2,
            shift_end: 17 * H + H / 2,
            beds: 4,
            donors_per_day: 60,
            kinds: vec![DonationKind::WholeBlood],
        }];
        let travel = GreatCircle {
            points,
            detour_factor: 1.3,
            speed_kmh: 30.0,
        };
        let service = ServiceTimes {
            setup_s: 20 * 60,
            pack_up_s: 15 * 60,
            per_donor_s: KindCounts {
                whole_blood: 15 * 60,
                platelets: 90 * 60,
                plasma: 45 * 60,
            },
        };
        (stops, vehicles, travel, service)
    }

    fn visit(stop: usize, donors: u32) -> FixedVisit {
        FixedVisit {
            stop,
            donors: KindCounts::one(DonationKind::WholeBlood, donors),
        }
    }

    #[test]
    fn a_good_route_is_timed_like_the_planner_times_it() {
        let (stops, vehicles, travel, service) = day();
        let ctx = DayContext {
            stops: &stops,
            vehicles: &vehicles,
            travel: &travel,
            service: &service,
            processing_limit_s: Some(6 * H),
        };
        let route = time_route(&ctx, 0, &[visit(0, 8), visit(1, 8), visit(2, 4)]).unwrap();
        assert_eq!(route.visits.len(), 3);
        let first = &route.visits[0];
        // 8 donors on 4 beds: 20 + 2 × 15 + 15 minutes.
        assert_eq!(first.departure_s - first.start_s, 65 * 60);
        assert!(first.start_s >= 8 * H);
        // The first service starts as late as waiting least allows: the route then runs
        // without a pause until the afternoon stop, which cannot start before 13:00.
        assert_eq!(route.visits[1].start_s, route.visits[1].arrival_s);
        for pair in route.visits.windows(2) {
            assert!(pair[1].arrival_s >= pair[0].departure_s);
            assert!(pair[1].start_s >= pair[1].arrival_s);
        }
        assert!(route.visits[2].start_s >= 13 * H);
        assert!(route.return_s <= 17 * H + H / 2);
    }

    #[test]
    fn each_broken_rule_is_named_with_its_stop() {
        let (stops, vehicles, travel, service) = day();
        let ctx = DayContext {
            stops: &stops,
            vehicles: &vehicles,
            travel: &travel,
            service: &service,
            processing_limit_s: Some(6 * H),
        };
        let err = time_route(&ctx, 0, &[visit(2, 4), visit(0, 8)]).unwrap_err();
        assert_eq!((err.reason, err.stop_id), (Unassigned::Window, Some(10)));
        let err = time_route(&ctx, 0, &[visit(0, 57), visit(1, 2)]).unwrap_err();
        assert_eq!(
            err.reason,
            Unassigned::Window,
            "57 donors do not fit 4 hours"
        );
        let err = time_route(&ctx, 0, &[visit(0, 8), visit(2, 53)]).unwrap_err();
        assert_eq!((err.reason, err.stop_id), (Unassigned::Capacity, Some(30)));
        let platelets = FixedVisit {
            stop: 0,
            donors: KindCounts::one(DonationKind::Platelets, 1),
        };
        let err = time_route(&ctx, 0, &[platelets]).unwrap_err();
        assert_eq!((err.reason, err.stop_id), (Unassigned::Kinds, Some(10)));
        let short = DayContext {
            processing_limit_s: Some(2 * H),
            ..ctx
        };
        let err = time_route(&short, 0, &[visit(0, 8), visit(2, 4)]).unwrap_err();
        assert_eq!(err.reason, Unassigned::ProcessingLimit);
    }

    #[test]
    fn insertion_joins_the_stop_first_then_adds_the_cheapest_visit() {
        let (stops, vehicles, travel, service) = day();
        let ctx = DayContext {
            stops: &stops,
            vehicles: &vehicles,
            travel: &travel,
            service: &service,
            processing_limit_s: Some(6 * H),
        };
        let routes = vec![FixedRoute {
            vehicle: 0,
            visits: vec![visit(0, 8), visit(2, 4)],
        }];
        let one = KindCounts::one(DonationKind::WholeBlood, 1);
        let joined = insert_donors(&ctx, &routes, &[0], Some(0), one, &|_| true).unwrap();
        assert!(joined.joined);
        assert_eq!(joined.timed.visits[0].donors.whole_blood, 9);
        let added = insert_donors(&ctx, &routes, &[], Some(1), one, &|_| true).unwrap();
        assert!(!added.joined);
        assert_eq!(
            added.position, 1,
            "the morning stop goes before the afternoon"
        );
        let nothing = insert_donors(&ctx, &routes, &[0], Some(1), one, &|_| false);
        assert!(nothing.is_none(), "a refusing filter refuses everything");
        let too_many = KindCounts::one(DonationKind::WholeBlood, 49);
        assert!(insert_donors(&ctx, &routes, &[0], Some(1), too_many, &|_| true).is_none());
        let join_only = insert_donors(&ctx, &routes, &[1], None, one, &|_| true);
        assert!(join_only.is_none(), "stop 1 has no visit to join");
    }
}
