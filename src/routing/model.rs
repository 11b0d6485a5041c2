//! The product model: a day's stops (a site, a window, donors by kind) and a heterogeneous
//! fleet, planned with [`plan_day`].
//!
//! Times are integer seconds on the service day's local clock (e.g. 08:00 = 28 800); the
//! caller converts to and from UTC. Locations are indices into the [`TravelMatrix`].
//!
//! Constraints, exactly:
//! - **Window**: the whole service of a stop, setup through pack-up, lies inside the stop's
//!   window: `window_start <= start` and `start + service <= window_end`. A vehicle may
//!   arrive early and wait.
//! - **Service** on a vehicle with `beds` beds: `setup + Σ_kind ceil(donors_kind / beds) ×
//!   per_donor_kind + pack_up`.
//! - **Shift**: leave the depot at or after `shift_start`, be back by `shift_end`.
//! - **Capacity**: donors on a vehicle ≤ `donors_per_day`; a stop too big for one vehicle is
//!   split into near-equal parts served by different vehicles.
//! - **Kinds**: a vehicle serves a stop (part) only if it collects every kind booked there.
//!   When no vehicle collects all of a stop's kinds, the stop is split by kind first.
//! - **Processing limit**: from the start of service at a route's first stop to the arrival
//!   back at the depot takes at most `processing_limit_s`.
//! - **Locks**: a stop locked to a vehicle is served by that vehicle or not at all.
//!
//! Objective, in order: donors served, vehicles used, total travel time. When stops carry a
//! published interval (re-planning a published day), each second of service outside it costs
//! as much as a vehicle does in an hour: a soft rule, so a breakdown can still be absorbed.

use std::time::Duration;

pub use crate::domain::donation::{DonationKind, KindCounts};

use crate::domain::capacity::CapacityPolicy;
use crate::routing::fixed::{DayContext, FixedVisit, collects_all, service_seconds, time_route};
use crate::routing::instance::{Instance, VehicleType};
use crate::routing::matrix::TravelMatrix;
use crate::routing::search::{SearchParams, solve};
use crate::routing::segment::Segment;

/// One site on the day in one window, with its booked donors.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    /// Caller's identifier, echoed in the plan.
    pub id: u64,
    /// Location index in the matrix.
    pub location: usize,
    /// Window start (seconds of the day).
    pub window_start: i64,
    /// Window end (seconds of the day).
    pub window_end: i64,
    /// Donors booked, by kind.
    pub donors: KindCounts,
    /// The vehicle (id) this stop is locked to, if any.
    pub locked_to: Option<u64>,
    /// Where its service was published: it should start no earlier than the first and end no
    /// later than the second (seconds of the day).
    pub published: Option<(i64, i64)>,
}

/// One bloodmobile.
#[derive(Clone, Debug, PartialEq)]
pub struct Vehicle {
    /// Caller's identifier, echoed in the plan.
    pub id: u64,
    /// Depot location index in the matrix.
    pub depot: usize,
    /// Earliest departure (seconds of the day).
    pub shift_start: i64,
    /// Latest return (seconds of the day).
    pub shift_end: i64,
    /// Donors served at once.
    pub beds: u32,
    /// Donors per day (bag stock).
    pub donors_per_day: u32,
    /// Kinds it collects.
    pub kinds: Vec<DonationKind>,
}

/// Service-time parameters (station configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTimes {
    /// Set-up at a stop, seconds.
    pub setup_s: i64,
    /// Pack-up at a stop, seconds.
    pub pack_up_s: i64,
    /// Seconds per donor round (one donor per bed), by kind.
    pub per_donor_s: KindCounts,
}

impl From<&CapacityPolicy> for ServiceTimes {
    /// The planner serves a stop in the very minutes the booking rule sells seats with.
    fn from(policy: &CapacityPolicy) -> Self {
        let seconds = |minutes: u32| i64::from(minutes) * 60;
        ServiceTimes {
            setup_s: seconds(policy.setup_minutes),
            pack_up_s: seconds(policy.packup_minutes),
            per_donor_s: KindCounts {
                whole_blood: policy.minutes_per_donor.whole_blood * 60,
                platelets: policy.minutes_per_donor.platelets * 60,
                plasma: policy.minutes_per_donor.plasma * 60,
            },
        }
    }
}

/// Everything needed to plan one day.
#[derive(Clone, Debug)]
pub struct DayProblem {
    /// Stops to visit.
    pub stops: Vec<Stop>,
    /// Available vehicles.
    pub vehicles: Vec<Vehicle>,
    /// Travel between locations.
    pub matrix: TravelMatrix,
    /// Service-time parameters.
    pub service: ServiceTimes,
    /// Processing limit in seconds (`None`: no limit). Default in the station: 6 h.
    pub processing_limit_s: Option<i64>,
}

/// How long to search.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Seed; with `time_limit: None` the plan is a pure function of the problem and seed.
    pub seed: u64,
    /// Wall-clock budget.
    pub time_limit: Option<Duration>,
    /// Iteration budget.
    pub iterations: Option<u64>,
    /// Routes to start from (a plan being re-planned): vehicle id, and the stop ids in order
    /// with the donors served there (a split stop's parts are told apart by their donors).
    pub initial: Vec<(u64, Vec<(u64, KindCounts)>)>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            seed: 1,
            time_limit: Some(Duration::from_secs(2)),
            iterations: None,
            initial: Vec::new(),
        }
    }
}

impl DayProblem {
    /// What the day's routes are timed and checked against.
    pub fn context(&self) -> DayContext<'_> {
        DayContext {
            stops: &self.stops,
            vehicles: &self.vehicles,
            travel: &self.matrix,
            service: &self.service,
            processing_limit_s: self.processing_limit_s,
        }
    }
}

/// One visit of a route.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlannedVisit {
    /// The stop's id.
    pub stop_id: u64,
    /// Donors this vehicle serves there (all of the stop, or its part of a split stop).
    pub donors: KindCounts,
    /// Arrival at the site.
    pub arrival_s: i64,
    /// Start of service (set-up begins), inside the window.
    pub start_s: i64,
    /// End of pack-up, inside the window.
    pub departure_s: i64,
}

/// One vehicle's day.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlannedRoute {
    /// The vehicle's id.
    pub vehicle_id: u64,
    /// Departure from the depot.
    pub depart_s: i64,
    /// Return to the depot.
    pub return_s: i64,
    /// Visits in order.
    pub visits: Vec<PlannedVisit>,
    /// Driving time, seconds.
    pub travel_s: i64,
    /// Driving distance, metres.
    pub distance_m: i64,
}

/// Why a stop (or part of one) was left out: the constraint that kept it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unassigned {
    /// No vehicle collects the kinds booked there.
    Kinds,
    /// More donors than any suitable vehicle takes in a day.
    Capacity,
    /// The service does not fit in the stop's window on any suitable vehicle.
    Window,
    /// No suitable vehicle can reach it and return within its shift.
    Shift,
    /// Even alone on a route, it breaks the processing limit.
    ProcessingLimit,
    /// It fits a vehicle on its own, but the fleet is used up by other stops.
    Fleet,
}

/// A stop (part) left out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// The stop's id.
    pub stop_id: u64,
    /// Donors not served.
    pub donors: KindCounts,
    /// The constraint that kept it out.
    pub reason: Unassigned,
}

/// A planned day.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DayPlan {
    /// Routes of the vehicles used.
    pub routes: Vec<PlannedRoute>,
    /// What could not be served.
    pub left_out: Vec<LeftOut>,
    /// Donors served.
    pub donors_served: u32,
    /// Total driving time, seconds.
    pub travel_s: i64,
}

/// A piece of a stop that one vehicle serves.
#[derive(Clone, Debug)]
struct Part {
    stop: usize,
    donors: KindCounts,
}

/// Plans the day: see the module docs for the constraints and objective.
pub fn plan_day(problem: &DayProblem, options: &PlanOptions) -> DayPlan {
    let compiled = compile(problem);
    let params = SearchParams {
        seed: options.seed,
        time_limit: options.time_limit,
        iterations: options.iterations,
        initial: initial_routes(problem, &compiled, &options.initial),
        ..SearchParams::default()
    };
    let (solution, _) = solve(&compiled.instance, &params);
    let mut next_vehicle = vec![0; compiled.type_vehicles.len()];
    let context = problem.context();
    let mut routes = Vec::new();
    for route in &solution.routes {
        let t = route.vtype;
        let vehicle = compiled.type_vehicles[t][next_vehicle[t]];
        next_vehicle[t] += 1;
        let visits: Vec<FixedVisit> = route
            .clients()
            .iter()
            .map(|&c| {
                let part = &compiled.parts[c as usize];
                FixedVisit {
                    stop: part.stop,
                    donors: part.donors,
                }
            })
            .collect();
        // The search and the fixed-route timing share the segment algebra: they agree.
        let timed = time_route(&context, vehicle, &visits)
            .unwrap_or_else(|e| panic!("the planner built a route it cannot time: {e:?}"));
        routes.push(timed);
    }
    let left_out = solution
        .unassigned
        .iter()
        .map(|&c| {
            let part = &compiled.parts[c as usize];
            LeftOut {
                stop_id: problem.stops[part.stop].id,
                donors: part.donors,
                reason: why_left_out(problem, &compiled, c),
            }
        })
        .collect();
    DayPlan {
        donors_served: routes
            .iter()
            .flat_map(|r: &PlannedRoute| &r.visits)
            .map(|v| v.donors.total())
            .sum(),
        travel_s: routes.iter().map(|r| r.travel_s).sum(),
        routes,
        left_out,
    }
}

/// The starting routes in solver terms: each vehicle's type and the parts of its stops.
fn initial_routes(
    problem: &DayProblem,
    compiled: &Compiled,
    initial: &[(u64, Vec<(u64, KindCounts)>)],
) -> Vec<(usize, Vec<u32>)> {
    let mut taken = vec![false; compiled.parts.len()];
    let mut routes = Vec::new();
    for (vehicle_id, stop_ids) in initial {
        let Some(vehicle) = problem.vehicles.iter().position(|v| v.id == *vehicle_id) else {
            continue;
        };
        let Some(vtype) = compiled
            .type_vehicles
            .iter()
            .position(|members| members.contains(&vehicle))
        else {
            continue;
        };
        let mut clients = Vec::new();
        for (stop_id, donors) in stop_ids {
            // The part of the stop with these donors, else its first part not placed yet.
            let free = |c: usize| !taken[c] && problem.stops[compiled.parts[c].stop].id == *stop_id;
            let part = (0..compiled.parts.len())
                .find(|&c| free(c) && compiled.parts[c].donors == *donors)
                .or_else(|| (0..compiled.parts.len()).find(|&c| free(c)));
            if let Some(c) = part {
                taken[c] = true;
                clients.push(c as u32);
            }
        }
        routes.push((vtype, clients));
    }
    routes
}

/// The day compiled to a solver instance.
struct Compiled {
    instance: Instance,
    parts: Vec<Part>,
    /// Vehicle indices of each vehicle type.
    type_vehicles: Vec<Vec<usize>>,
}

/// Splits stops by kind (when no vehicle takes them all) and by capacity.
fn split_stops(problem: &DayProblem) -> Vec<Part> {
    let mut parts = Vec::new();
    for (si, stop) in problem.stops.iter().enumerate() {
        if stop.donors.total() == 0 {
            continue;
        }
        let groups: Vec<KindCounts> = if problem
            .vehicles
            .iter()
            .any(|v| collects_all(v, &stop.donors))
        {
            vec![stop.donors]
        } else {
            stop.donors
                .kinds()
                .map(|k| {
                    let mut g = KindCounts::default();
                    *g.get_mut(k) = stop.donors.get(k);
                    g
                })
                .collect()
        };
        for group in groups {
            for size in part_sizes(problem, stop, &group) {
                // Fill kinds in order.
                let mut part = KindCounts::default();
                let mut need = size;
                for k in DonationKind::ALL {
                    let take = need.min(remaining_of(&group, &parts, si, k));
                    *part.get_mut(k) += take;
                    need -= take;
                }
                parts.push(Part {
                    stop: si,
                    donors: part,
                });
            }
        }
    }
    parts
}

/// Donors of `kind` in `group` of stop `si` not yet in a part.
fn remaining_of(group: &KindCounts, parts: &[Part], si: usize, kind: DonationKind) -> u32 {
    let taken: u32 = parts
        .iter()
        .rev()
        .take_while(|p| p.stop == si)
        .map(|p| p.donors.get(kind))
        .sum();
    group.get(kind).saturating_sub(taken)
}

/// The first `n` donors of `group`, kinds in [`DonationKind::ALL`] order.
fn first_donors(group: &KindCounts, n: u32) -> KindCounts {
    let mut part = KindCounts::default();
    let mut need = n;
    for k in DonationKind::ALL {
        let take = need.min(group.get(k));
        *part.get_mut(k) = take;
        need -= take;
    }
    part
}

/// How a group of a stop's donors is cut into parts, one per vehicle: whole when one vehicle
/// can serve it all, else a part as large as each suitable vehicle can serve there (its bag
/// stock, and what its beds serve inside the window), largest first; what the fleet cannot
/// take is cut into near-equal parts as large as the largest vehicle's.
fn part_sizes(problem: &DayProblem, stop: &Stop, group: &KindCounts) -> Vec<u32> {
    let window = stop.window_end - stop.window_start;
    let total = group.total();
    let serves = |v: &Vehicle, n: u32| {
        n <= v.donors_per_day
            && service_seconds(&problem.service, &first_donors(group, n), v.beds) <= window
    };
    let suitable: Vec<&Vehicle> = problem
        .vehicles
        .iter()
        .filter(|v| collects_all(v, group))
        .collect();
    if suitable.iter().any(|v| serves(v, total)) {
        return vec![total];
    }
    // The most each vehicle serves there (fitting only gets harder with more donors).
    let mut caps: Vec<u32> = suitable
        .iter()
        .map(|v| {
            let (mut lo, mut hi) = (0, total);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if serves(v, mid) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            lo
        })
        .filter(|&cap| cap > 0)
        .collect();
    caps.sort_unstable_by(|a, b| b.cmp(a));
    if caps.is_empty() {
        // No vehicle can serve any of it in its window: keep it in few parts, left out by the
        // search with the rule that keeps it out.
        caps = suitable
            .iter()
            .map(|v| v.donors_per_day)
            .max()
            .into_iter()
            .collect();
    }
    let largest = caps.first().copied().unwrap_or(0).max(1);
    if total <= largest {
        return vec![total];
    }
    let mut sizes = Vec::new();
    let mut left = total;
    for cap in caps {
        if left == 0 {
            break;
        }
        let take = cap.min(left);
        sizes.push(take);
        left -= take;
    }
    let pieces = left.div_ceil(largest);
    for p in 0..pieces {
        sizes.push(left / pieces + u32::from(left % pieces > p));
    }
    sizes
}

fn compile(problem: &DayProblem) -> Compiled {
    let parts = split_stops(problem);
    let n = parts.len();
    // Identical vehicles form one type; a vehicle a stop is locked to is a type of its own.
    let locked: Vec<bool> = problem
        .vehicles
        .iter()
        .map(|v| problem.stops.iter().any(|s| s.locked_to == Some(v.id)))
        .collect();
    let mut type_vehicles: Vec<Vec<usize>> = Vec::new();
    for (vi, v) in problem.vehicles.iter().enumerate() {
        if locked[vi] {
            type_vehicles.push(vec![vi]);
            continue;
        }
        let same = type_vehicles
            .iter_mut()
            .filter(|g| !locked[g[0]])
            .find(|g| {
                let w = &problem.vehicles[g[0]];
                (
                    w.depot,
                    w.shift_start,
                    w.shift_end,
                    w.beds,
                    w.donors_per_day,
                    &w.kinds,
                ) == (
                    v.depot,
                    v.shift_start,
                    v.shift_end,
                    v.beds,
                    v.donors_per_day,
                    &v.kinds,
                )
            });
        match same {
            Some(g) => g.push(vi),
            None => type_vehicles.push(vec![vi]),
        }
    }
    let mut node_location: Vec<usize> = parts
        .iter()
        .map(|p| problem.stops[p.stop].location)
        .collect();
    let mut depots: Vec<usize> = Vec::new();
    let mut depot_node = Vec::new();
    for g in &type_vehicles {
        let loc = problem.vehicles[g[0]].depot;
        let k = depots.iter().position(|&d| d == loc).unwrap_or_else(|| {
            depots.push(loc);
            depots.len() - 1
        });
        depot_node.push((n + k) as u32);
    }
    node_location.extend(&depots);
    let side = node_location.len();
    let mut travel = vec![0; side * side];
    for a in 0..side {
        for b in 0..side {
            travel[a * side + b] = problem.matrix.duration(node_location[a], node_location[b]);
        }
    }
    let max_arc = travel.iter().copied().max().unwrap_or(0).max(1);
    // Weights that make the order strict: one vehicle outweighs any travel, one donor
    // outweighs any number of vehicles.
    let vehicle_weight = max_arc * (side as i64 + 2 * problem.vehicles.len() as i64) + 1;
    let donor_weight = vehicle_weight * (problem.vehicles.len() as i64 + 1);
    let vehicle_types = type_vehicles
        .iter()
        .zip(&depot_node)
        .map(|(g, &depot)| {
            let v = &problem.vehicles[g[0]];
            let visits = parts
                .iter()
                .enumerate()
                .map(|(c, part)| {
                    let stop = &problem.stops[part.stop];
                    let service = service_seconds(&problem.service, &part.donors, v.beds);
                    let latest = stop.window_end - service;
                    let lock_ok = stop.locked_to.is_none_or(|id| g.len() == 1 && id == v.id);
                    let ok = lock_ok
                        && collects_all(v, &part.donors)
                        && part.donors.total() <= v.donors_per_day
                        && latest >= stop.window_start;
                    ok.then(|| Segment::visit(c as u32, service, stop.window_start, latest))
                })
                .collect();
            VehicleType {
                depot,
                count: g.len(),
                capacity: v.donors_per_day as i64,
                shift_start: v.shift_start,
                shift_end: v.shift_end,
                max_after_first_service: problem.processing_limit_s,
                fixed_cost: vehicle_weight,
                visits,
            }
        })
        .collect();
    let demand = parts.iter().map(|p| p.donors.total() as i64).collect();
    let penalty = parts
        .iter()
        .map(|p| p.donors.total() as i64 * donor_weight)
        .collect();
    let mut instance = Instance::new(n, travel.clone(), travel, demand, penalty, vehicle_types);
    if problem.stops.iter().any(|s| s.published.is_some()) {
        instance.preferred = parts
            .iter()
            .map(|p| problem.stops[p.stop].published)
            .collect();
        instance.drift_weight = (vehicle_weight / 3600).max(1);
    }
    Compiled {
        instance,
        parts,
        type_vehicles,
    }
}

/// The furthest check any vehicle type passes for client `c` alone names the reason.
fn why_left_out(problem: &DayProblem, compiled: &Compiled, c: u32) -> Unassigned {
    let inst = &compiled.instance;
    let part = &compiled.parts[c as usize];
    let stop = &problem.stops[part.stop];
    let mut furthest = Unassigned::Kinds;
    for (t, vt) in inst.vehicle_types.iter().enumerate() {
        let v = &problem.vehicles[compiled.type_vehicles[t][0]];
        let reached = if !collects_all(v, &part.donors) {
            Unassigned::Kinds
        } else if part.donors.total() > v.donors_per_day {
            Unassigned::Capacity
        } else {
            match vt.visits[c as usize] {
                None => Unassigned::Window,
                Some(seg) => {
                    let depot = inst.depot_segment(t);
                    let core = seg.then(&depot, inst.time_of(c, vt.depot));
                    if !depot.then(&core, inst.time_of(vt.depot, c)).feasible() {
                        Unassigned::Shift
                    } else if vt
                        .max_after_first_service
                        .is_some_and(|l| core.duration > l)
                    {
                        Unassigned::ProcessingLimit
                    } else {
                        Unassigned::Fleet
                    }
                }
            }
        };
        debug_assert!(stop.window_end >= stop.window_start || reached <= Unassigned::Window);
        furthest = furthest.max(reached);
    }
    furthest
}
