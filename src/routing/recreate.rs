//! Recreate: greedy insertion with blinks (SISR). Clients are taken in a random one of a few
//! orders and each goes to its cheapest feasible position; every position is skipped with a
//! small probability, which diversifies the rebuilt solutions at almost no cost.

use crate::routing::instance::Instance;
use crate::routing::rng::Rng;
use crate::routing::solution::{Journal, NO_ROUTE, Route, Solution};

/// With more routes than this, a client is only offered the routes of its nearest
/// neighbours (plus an empty route), so an insertion costs O(neighbours), not O(n).
const ALL_ROUTES_UP_TO: usize = 25;

/// Neighbours whose routes are offered to a client on large instances.
const ROUTE_NEIGHBOURS: usize = 40;

/// Reusable buffers of [`recreate`].
#[derive(Default, Debug)]
pub struct RecreateScratch {
    /// Per route: the client whose candidate list last included it.
    mark: Vec<u32>,
    /// Candidate routes of the current client.
    candidates: Vec<usize>,
}

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
    scratch: &mut RecreateScratch,
    journal: &mut Journal,
) {
    sort_pending(inst, pending, rng);
    for &c in pending.iter() {
        candidate_routes(inst, sol, c, scratch);
        let found = best_placement(
            inst,
            sol,
            used,
            empty_routes,
            &scratch.candidates,
            c,
            rng,
            blink_rate,
        );
        match found {
            Some(p) => {
                let ri = if p.route >= sol.routes.len() {
                    let t = p.route - sol.routes.len();
                    used[t] += 1;
                    let route = journal.new_route(&empty_routes[t]);
                    sol.routes.push(route);
                    sol.routes.len() - 1
                } else {
                    journal.touch(sol, p.route);
                    p.route
                };
                let route = &mut sol.routes[ri];
                let tail = route.nodes.len() - (p.after + 1);
                route.nodes.insert(p.after + 1, c);
                route.refresh(inst, p.after + 1, tail);
                sol.route_of[c as usize] = ri as u32;
            }
            None => sol.unassigned.push(c),
        }
    }
    pending.clear();
}

/// SISR's insertion orders: random, largest demand, farthest from the depot, closest. Clients
/// fewer vehicles can serve (an apheresis stop, a locked stop) go first whatever the order, so
/// the vehicles they need are not taken by stops any vehicle could serve.
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
    if inst.restricted {
        pending.sort_by_key(|&c| inst.serving_vehicles[c as usize]);
    }
}

/// The routes `c` may join: every route on small instances, else the routes of its nearest
/// neighbours. Either way empty routes of the solution are left to the "new route" option.
fn candidate_routes(inst: &Instance, sol: &Solution, c: u32, scratch: &mut RecreateScratch) {
    scratch.candidates.clear();
    if sol.routes.len() <= ALL_ROUTES_UP_TO {
        scratch.candidates.extend(0..sol.routes.len());
        return;
    }
    if scratch.mark.len() < sol.routes.len() {
        scratch.mark.resize(sol.routes.len(), NO_ROUTE);
    }
    for &v in inst.neighbours[c as usize].iter().take(ROUTE_NEIGHBOURS) {
        let ri = sol.route_of[v as usize];
        if ri == NO_ROUTE || scratch.mark[ri as usize] == c {
            continue;
        }
        scratch.mark[ri as usize] = c;
        scratch.candidates.push(ri as usize);
    }
    // Marks are per client: reset the ones we set so the next call with `c` starts clean.
    for &ri in &scratch.candidates {
        scratch.mark[ri] = NO_ROUTE;
    }
}

/// Cheapest feasible position of `c` among `candidates` and new routes, blinking over
/// positions at `blink_rate`.
#[allow(clippy::too_many_arguments)]
fn best_placement(
    inst: &Instance,
    sol: &Solution,
    used: &[usize],
    empty_routes: &[Route],
    candidates: &[usize],
    c: u32,
    rng: &mut Rng,
    blink_rate: f64,
) -> Option<Placement> {
    let mut best: Option<Placement> = None;
    let demand = inst.demand[c as usize];
    let existing = candidates.iter().map(|&ri| (ri, &sol.routes[ri]));
    let fresh = empty_routes
        .iter()
        .enumerate()
        .filter(|(t, _)| used[*t] < inst.vehicle_types[*t].count)
        .map(|(t, r)| (sol.routes.len() + t, r));
    for (ri, route) in existing.chain(fresh) {
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
                best = Some(Placement {
                    delta,
                    route: ri,
                    after: p,
                });
            }
        }
    }
    best
}
