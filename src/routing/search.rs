//! The search driver: a greedy construction, then ruin-and-recreate under simulated
//! annealing (SISR), with local search polishing every new best solution. Ends at the time
//! limit or the iteration limit, whichever comes first.

use std::time::{Duration, Instant};

use crate::routing::instance::Instance;
use crate::routing::local_search::LocalSearch;
use crate::routing::recreate::{DEFAULT_BLINK_RATE, recreate};
use crate::routing::rng::Rng;
use crate::routing::ruin::{RuinParams, RuinScratch, ruin};
use crate::routing::solution::{Route, Solution};

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
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            seed: 1,
            time_limit: Some(Duration::from_secs(1)),
            iterations: None,
            start_temperature: 5.0,
            end_temperature: 0.1,
            ruin: RuinParams::default(),
            blink_rate: DEFAULT_BLINK_RATE,
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

    let mut current = Solution::empty(inst);
    let mut used = vec![0; inst.vehicle_types.len()];
    let mut pending = std::mem::take(&mut current.unassigned);
    recreate(
        inst,
        &mut current,
        &mut used,
        &empty_routes,
        &mut pending,
        &mut rng,
        0.0,
    );
    ls.improve(inst, &mut current);
    current.compact();
    let mut current_obj = current.objective(inst);
    let mut best = current.clone();
    let mut best_obj = current_obj;

    let served = (inst.n_clients - current.unassigned.len()).max(1) as f64;
    let scale = current.travel_cost() as f64 / served;
    let t_start = (params.start_temperature * scale).max(1e-9);
    let t_end = (params.end_temperature * scale).clamp(1e-9, t_start);

    let mut candidate = current.clone();
    let mut cand_used = used.clone();
    let mut scratch = RuinScratch::default();
    loop {
        let progress = progress(started, params, stats.iterations);
        if progress >= 1.0 {
            break;
        }
        let temperature = t_start * (t_end / t_start).powf(progress);

        copy_solution(&mut candidate, &current);
        cand_used.copy_from_slice(&used);
        pending.clear();
        pending.append(&mut candidate.unassigned);
        ruin(
            inst,
            &mut candidate,
            &mut rng,
            &params.ruin,
            &mut scratch,
            &mut pending,
        );
        recreate(
            inst,
            &mut candidate,
            &mut cand_used,
            &empty_routes,
            &mut pending,
            &mut rng,
            params.blink_rate,
        );
        drop_empty_routes(&mut candidate, &mut cand_used);
        let mut cand_obj = candidate.objective(inst);
        stats.iterations += 1;

        if cand_obj < best_obj {
            ls.improve(inst, &mut candidate);
            drop_empty_routes(&mut candidate, &mut cand_used);
            cand_obj = candidate.objective(inst);
        }
        // Simulated-annealing acceptance: worse by d is kept with probability exp(-d/T).
        let threshold = current_obj as f64 - temperature * rng.unit().max(1e-300).ln();
        if (cand_obj as f64) < threshold {
            std::mem::swap(&mut current, &mut candidate);
            std::mem::swap(&mut used, &mut cand_used);
            current_obj = cand_obj;
            if current_obj < best_obj {
                best_obj = current_obj;
                copy_solution(&mut best, &current);
                stats.improvements += 1;
            }
        }
    }
    best.compact();
    (best, stats)
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

/// Removes routes left empty, keeping `used` and `route_of` consistent.
fn drop_empty_routes(sol: &mut Solution, used: &mut [usize]) {
    if sol.routes.iter().all(|r| !r.is_empty()) {
        return;
    }
    for r in sol.routes.iter().filter(|r| r.is_empty()) {
        used[r.vtype] -= 1;
    }
    sol.compact();
}
