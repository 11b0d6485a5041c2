//! The search driver: a greedy construction, then ruin-and-recreate under simulated
//! annealing (SISR), with local search polishing the routes changed by every improving step.
//! Each step works on the current solution in place; a [`Journal`] undoes a rejected one, so a
//! step costs O(routes it touches), not O(n). Ends at the time limit or the iteration limit,
//! whichever comes first.

use std::time::{Duration, Instant};

use crate::routing::instance::Instance;
use crate::routing::local_search::LocalSearch;
use crate::routing::recreate::{DEFAULT_BLINK_RATE, RecreateScratch, recreate};
use crate::routing::rng::Rng;
use crate::routing::ruin::{RuinParams, RuinScratch, ruin};
use crate::routing::solution::{Journal, NO_ROUTE, Route, Solution};

/// How long and how the search runs.
#[derive(Clone, Debug)]
pub struct SearchParams {
    /// Seed of the pseudo-random stream. With an iteration limit and no time limit the
    /// result is a pure function of the instance and the seed.
    pub seed: u64,
    /// Wall-clock budget.
    pub time_limit: Option<Duration>,
    /// Ruin-and-recreate iterations budget.
    pub iterations: Option<u64>,
    /// Start temperature, as a multiple of the initial average travel cost per client.
    pub start_temperature: f64,
    /// End temperature, same unit.
    pub end_temperature: f64,
    /// Ruin parameters.
    pub ruin: RuinParams,
    /// Probability of skipping an insertion position.
    pub blink_rate: f64,
    /// Routes to start from (vehicle type, clients in order), e.g. the plan being re-planned.
    /// Clients that no longer fit where they were are inserted afresh.
    pub initial: Vec<(usize, Vec<u32>)>,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            seed: 1,
            time_limit: Some(Duration::from_secs(1)),
            iterations: None,
            start_temperature: 2.0,
            end_temperature: 0.05,
            ruin: RuinParams::default(),
            blink_rate: DEFAULT_BLINK_RATE,
            initial: Vec::new(),
        }
    }
}

/// What a search run did, for benchmarks and logs.
#[derive(Clone, Debug, Default)]
pub struct SearchStats {
    /// Ruin-and-recreate iterations performed.
    pub iterations: u64,
    /// Times a new best solution was found.
    pub improvements: u64,
}

/// Solves `inst`; the best solution found (fewest left out, then lowest objective).
pub fn solve(inst: &Instance, params: &SearchParams) -> (Solution, SearchStats) {
    let started = Instant::now();
    let mut rng = Rng::new(params.seed);
    let empty_routes: Vec<Route> = (0..inst.vehicle_types.len())
        .map(|t| Route::new(inst, t))
        .collect();
    let mut ls = LocalSearch::new(inst);
    let mut stats = SearchStats::default();
    let mut journal = Journal::default();
    let mut rscratch = RecreateScratch::default();

    let mut current = Solution::empty(inst);
    let mut used = vec![0; inst.vehicle_types.len()];
    warm_start(inst, &params.initial, &mut current, &mut used);
    let mut pending = std::mem::take(&mut current.unassigned);
    journal.begin(&current, &used);
    recreate(
        inst,
        &mut current,
        &mut used,
        &empty_routes,
        &mut pending,
        &mut rng,
        0.0,
        &mut rscratch,
        &mut journal,
    );
    // The local search weighs travel only; where published windows weigh too, the annealing's
    // own acceptance (on the whole objective) decides alone.
    let polish = !inst.has_preferences();
    if polish {
        ls.improve(inst, &mut current, None);
    }
    journal.drop_empty_routes(&mut current, &mut used);
    let mut current_obj = current.objective(inst);
    let mut best = current.clone();
    let mut best_obj = current_obj;

    let served = (inst.n_clients - current.unassigned.len()).max(1) as f64;
    let scale = current.travel_cost() as f64 / served;
    let t_start = (params.start_temperature * scale).max(1e-9);
    let t_end = (params.end_temperature * scale).clamp(1e-9, t_start);

    let mut scratch = RuinScratch::default();
    let mut touched: Vec<usize> = Vec::new();
    loop {
        let progress = progress(started, params, stats.iterations);
        if progress >= 1.0 {
            break;
        }
        let temperature = t_start * (t_end / t_start).powf(progress);

        // Ruin and recreate `current` in place; the journal can undo it.
        journal.begin(&current, &used);
        pending.clear();
        pending.append(&mut current.unassigned);
        ruin(
            inst,
            &mut current,
            &mut rng,
            &params.ruin,
            &mut scratch,
            &mut journal,
            &mut pending,
        );
        recreate(
            inst,
            &mut current,
            &mut used,
            &empty_routes,
            &mut pending,
            &mut rng,
            params.blink_rate,
            &mut rscratch,
            &mut journal,
        );
        let mut cand_obj = current_obj + journal.delta(inst, &current);
        stats.iterations += 1;

        // Simulated-annealing acceptance: worse by d is kept with probability exp(-d/T).
        let threshold = current_obj as f64 - temperature * rng.unit().max(1e-300).ln();
        if cand_obj < current_obj {
            // An improving step is always kept; polish the routes it changed first (measured
            // on Solomon: better at equal time than twice as many unpolished steps).
            if polish {
                journal.touched_routes(&current, &mut touched);
                ls.improve(inst, &mut current, Some(&touched));
            }
            journal.drop_empty_routes(&mut current, &mut used);
            cand_obj = current.objective(inst);
            current_obj = cand_obj;
            if cand_obj < best_obj {
                best_obj = cand_obj;
                copy_solution(&mut best, &current);
                stats.improvements += 1;
            }
        } else if (cand_obj as f64) < threshold {
            journal.drop_empty_routes(&mut current, &mut used);
            current_obj = cand_obj;
        } else {
            journal.rollback(&mut current, &mut used);
        }
    }
    best.compact();
    (best, stats)
}

/// Puts the given routes into `sol`, client by client at the end of each, keeping each client
/// only where it is allowed, fits the vehicle and keeps the route feasible.
fn warm_start(
    inst: &Instance,
    initial: &[(usize, Vec<u32>)],
    sol: &mut Solution,
    used: &mut [usize],
) {
    for (vtype, clients) in initial {
        let Some(vt) = inst.vehicle_types.get(*vtype) else {
            continue;
        };
        if used[*vtype] >= vt.count {
            continue;
        }
        let mut route = Route::new(inst, *vtype);
        for &c in clients {
            if c as usize >= inst.n_clients || sol.route_of[c as usize] != NO_ROUTE {
                continue;
            }
            let Some(seg) = vt.visits[c as usize] else {
                continue;
            };
            let end = route.len();
            if route.load() + inst.demand[c as usize] > vt.capacity
                || !route.feasible_with(inst, end, Some(&seg), &route.bwd[end + 1])
            {
                continue;
            }
            route.nodes.insert(end + 1, c);
            route.update(inst);
            sol.route_of[c as usize] = sol.routes.len() as u32;
        }
        if !route.is_empty() {
            used[*vtype] += 1;
            sol.routes.push(route);
        }
    }
    sol.unassigned
        .retain(|&c| sol.route_of[c as usize] == NO_ROUTE);
}

/// Fraction of the budget spent, in `[0, 1]`; 1 ends the search.
fn progress(started: Instant, params: &SearchParams, iterations: u64) -> f64 {
    let mut p: f64 = 0.0;
    if let Some(limit) = params.time_limit {
        p = p.max(started.elapsed().as_secs_f64() / limit.as_secs_f64().max(1e-9));
    }
    if let Some(limit) = params.iterations {
        p = p.max(iterations as f64 / limit.max(1) as f64);
    }
    if params.time_limit.is_none() && params.iterations.is_none() {
        p = 1.0;
    }
    p.min(1.0)
}

/// Copies `from` into `to`, reusing `to`'s buffers where possible.
fn copy_solution(to: &mut Solution, from: &Solution) {
    to.routes.truncate(from.routes.len());
    for (t, f) in to.routes.iter_mut().zip(&from.routes) {
        t.clone_from(f);
    }
    for f in &from.routes[to.routes.len()..] {
        to.routes.push(f.clone());
    }
    to.unassigned.clone_from(&from.unassigned);
    to.route_of.clone_from(&from.route_of);
}
