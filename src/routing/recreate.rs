//! Recreate: greedy insertion with blinks (SISR). Clients are taken in a random one of a few
//! orders and each goes to its cheapest feasible position; every position is skipped with a
//! small probability, which diversifies the rebuilt solutions at almost no cost.

use crate::routing::instance::Instance;
use crate::routing::rng::Rng;
use crate::routing::solution::{Route, Solution};

/// Probability of skipping an insertion position.
pub const DEFAULT_BLINK_RATE: f64 = 0.01;

/// Where a client can go most cheaply.
#[derive(Clone, Copy, Debug)]
struct Placement {
    delta: i64,
    /// Route index, or `routes.len() + t` for a new route of vehicle type `t`.
    route: usize,
    /// Insert after this position.
    after: usize,
}

/// Inserts every client of `pending` into `sol` (new routes allowed while `used` is below a
/// type's count); clients that fit nowhere go to `sol.unassigned`. `pending` is consumed.
#[allow(clippy::too_many_arguments)]
pub fn recreate(
    inst: &Instance,
    sol: &mut Solution,
    used: &mut [usize],
    empty_routes: &[Route],
    pending: &mut Vec<u32>,
    rng: &mut Rng,
    blink_rate: f64,
) {
    sort_pending(inst, pending, rng);
    for &c in pending.iter() {
        match best_placement(inst, sol, used, empty_routes, c, rng, blink_rate) {
            Some(p) => {
                let ri = if p.route >= sol.routes.len() {
                    let t = p.route - sol.routes.len();
                    used[t] += 1;
                    sol.routes.push(empty_routes[t].clone());
                    sol.routes.len() - 1
                } else {
                    p.route
                };
                let route = &mut sol.routes[ri];
                route.nodes.insert(p.after + 1, c);
                route.update(inst);
                sol.route_of[c as usize] = ri as u32;
            }
            None => sol.unassigned.push(c),
        }
    }
    pending.clear();
}

/// SISR's insertion orders: random, largest demand, farthest from the depot, closest.
fn sort_pending(inst: &Instance, pending: &mut [u32], rng: &mut Rng) {
    rng.shuffle(pending);
    let depot = inst.vehicle_types[0].depot;
    let far = |c: u32| inst.cost_of(depot, c) + inst.cost_of(c, depot);
    match rng.below(11) {
        0..=3 => {}
        4..=7 => pending.sort_by_key(|&c| std::cmp::Reverse(inst.demand[c as usize])),
        8..=9 => pending.sort_by_key(|&c| std::cmp::Reverse(far(c))),
        _ => pending.sort_by_key(|&c| far(c)),
    }
}

/// Cheapest feasible position of `c`, blinking over positions at `blink_rate`.
fn best_placement(
    inst: &Instance,
    sol: &Solution,
    used: &[usize],
    empty_routes: &[Route],
    c: u32,
    rng: &mut Rng,
    blink_rate: f64,
) -> Option<Placement> {
    let mut best: Option<Placement> = None;
    let demand = inst.demand[c as usize];
    let routes = sol.routes.iter().chain(
        empty_routes
            .iter()
            .enumerate()
            .filter(|(t, _)| used[*t] < inst.vehicle_types[*t].count)
            .map(|(_, r)| r),
    );
    for (ri, route) in routes.enumerate() {
        let vt = &inst.vehicle_types[route.vtype];
        let Some(seg) = vt.visits[c as usize] else {
            continue;
        };
        if route.load() + demand > vt.capacity {
            continue;
        }
        let fixed = if route.is_empty() { vt.fixed_cost } else { 0 };
        let is_new = ri >= sol.routes.len();
        for p in 0..=route.len() {
            let (a, b) = (route.nodes[p], route.nodes[p + 1]);
            let head = &route.fwd[p];
            // The prefix's earliest end only grows with p: once it is too late, stop.
            if head.earliest + head.duration + inst.time_of(a, c) > seg.latest {
                break;
            }
            if !is_new && rng.chance(blink_rate) {
                continue;
            }
            let delta = fixed + inst.cost_of(a, c) + inst.cost_of(c, b) - inst.cost_of(a, b);
            if best.is_some_and(|bp| delta >= bp.delta) {
                continue;
            }
            if route.feasible_with(inst, p, Some(&seg), &route.bwd[p + 1]) {
                let route_index = if is_new {
                    sol.routes.len() + route.vtype
                } else {
                    ri
                };
                best = Some(Placement {
                    delta,
                    route: route_index,
                    after: p,
                });
            }
        }
    }
    best
}
