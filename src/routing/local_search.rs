//! Local search on granular neighbourhoods (each client and its nearest neighbours):
//! inter-route relocate and 2-opt*, first improvement, every move checked in O(1) with the
//! routes' cached segments. Applied to each new best solution of the ruin-and-recreate.

use crate::routing::instance::Instance;
use crate::routing::solution::{NO_ROUTE, Route, Solution};

/// Neighbours of a client considered by the moves.
const GRANULARITY: usize = 20;

/// Local search state: the position of every client on its route.
#[derive(Debug)]
pub struct LocalSearch {
    pos: Vec<usize>,
}

impl LocalSearch {
    /// Buffers sized for `inst`.
    pub fn new(inst: &Instance) -> Self {
        LocalSearch {
            pos: vec![0; inst.n_clients],
        }
    }

    /// Applies improving moves until none is left. Routes may become empty; the caller
    /// drops them.
    pub fn improve(&mut self, inst: &Instance, sol: &mut Solution) {
        for r in &sol.routes {
            self.index_route(r);
        }
        let mut improved = true;
        while improved {
            improved = false;
            for u in 0..inst.n_clients as u32 {
                if sol.route_of[u as usize] == NO_ROUTE {
                    continue;
                }
                for &v in inst.neighbours[u as usize].iter().take(GRANULARITY) {
                    if sol.route_of[v as usize] == NO_ROUTE
                        || sol.route_of[v as usize] == sol.route_of[u as usize]
                    {
                        continue;
                    }
                    if self.relocate(inst, sol, u, v) || self.two_opt_star(inst, sol, u, v) {
                        improved = true;
                        break;
                    }
                }
            }
        }
    }

    fn index_route(&mut self, r: &Route) {
        for (p, &c) in r.clients().iter().enumerate() {
            self.pos[c as usize] = p + 1;
        }
    }

    /// Moves `u` next to `v` (after it, or before it) in `v`'s route, if that is cheaper.
    fn relocate(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let (ru, rv) = (
            sol.route_of[u as usize] as usize,
            sol.route_of[v as usize] as usize,
        );
        let (pu, pv) = (self.pos[u as usize], self.pos[v as usize]);
        let (a, b) = (&sol.routes[ru], &sol.routes[rv]);
        let vt = &inst.vehicle_types[b.vtype];
        let Some(seg) = vt.visits[u as usize] else {
            return false;
        };
        if b.load() + inst.demand[u as usize] > vt.capacity {
            return false;
        }
        let (prev, next) = (a.nodes[pu - 1], a.nodes[pu + 1]);
        let mut gain = inst.cost_of(prev, u) + inst.cost_of(u, next) - inst.cost_of(prev, next);
        if a.len() == 1 {
            gain += inst.vehicle_types[a.vtype].fixed_cost;
        }
        // Try after v (between pv and pv + 1), then before v (between pv - 1 and pv).
        for after in [pv, pv - 1] {
            let (x, y) = (b.nodes[after], b.nodes[after + 1]);
            let add = inst.cost_of(x, u) + inst.cost_of(u, y) - inst.cost_of(x, y);
            if add >= gain {
                continue;
            }
            if b.feasible_with(inst, after, Some(&seg), &b.bwd[after + 1])
                && a.feasible_with(inst, pu - 1, None, &a.bwd[pu + 1])
            {
                sol.routes[ru].nodes.remove(pu);
                sol.routes[ru].update(inst);
                sol.routes[rv].nodes.insert(after + 1, u);
                sol.routes[rv].update(inst);
                sol.route_of[u as usize] = rv as u32;
                self.index_route(&sol.routes[ru]);
                self.index_route(&sol.routes[rv]);
                return true;
            }
        }
        false
    }

    /// 2-opt*: makes `u → v` an arc by swapping the tails of their routes (same vehicle
    /// type only, so both tails end at the same depot).
    fn two_opt_star(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let (ru, rv) = (
            sol.route_of[u as usize] as usize,
            sol.route_of[v as usize] as usize,
        );
        let (a, b) = (&sol.routes[ru], &sol.routes[rv]);
        if a.vtype != b.vtype {
            return false;
        }
        let (i, j) = (self.pos[u as usize], self.pos[v as usize] - 1);
        let (a_next, b_cut) = (a.nodes[i + 1], b.nodes[j]);
        let delta = inst.cost_of(u, v) + inst.cost_of(b_cut, a_next)
            - inst.cost_of(u, a_next)
            - inst.cost_of(b_cut, v);
        if delta >= 0 {
            return false;
        }
        let cap = inst.vehicle_types[a.vtype].capacity;
        if a.load_fwd[i] + b.load() - b.load_fwd[j] > cap
            || b.load_fwd[j] + a.load() - a.load_fwd[i] > cap
        {
            return false;
        }
        if !a.feasible_with(inst, i, None, &b.bwd[j + 1])
            || !b.feasible_with(inst, j, None, &a.bwd[i + 1])
        {
            return false;
        }
        let a_tail: Vec<u32> = sol.routes[ru].nodes.drain(i + 1..).collect();
        let b_tail: Vec<u32> = sol.routes[rv].nodes.drain(j + 1..).collect();
        sol.routes[ru].nodes.extend_from_slice(&b_tail);
        sol.routes[rv].nodes.extend_from_slice(&a_tail);
        for ri in [ru, rv] {
            sol.routes[ri].update(inst);
            for &c in sol.routes[ri].clients() {
                sol.route_of[c as usize] = ri as u32;
            }
        }
        self.index_route(&sol.routes[ru]);
        self.index_route(&sol.routes[rv]);
        true
    }
}
