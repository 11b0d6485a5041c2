//! Local search on granular neighbourhoods (each client and its nearest neighbours), first
//! improvement. Between routes: relocate of strings of 1–3 clients (or-opt), 1-1 swap and
//! 2-opt*, every one checked in O(1) with the routes' cached segments. Within a route:
//! relocate of strings of 1–3 clients and 2-opt, checked in O(route length) (only once the
//! O(1) cost estimate says the move would pay). Applied to each new best solution of the
//! ruin-and-recreate, starting from the routes that step changed.

use crate::routing::instance::Instance;
use crate::routing::segment::Segment;
use crate::routing::solution::{NO_ROUTE, Route, Solution};

/// Neighbours of a client considered by the moves.
const GRANULARITY: usize = 20;

/// Longest string moved by or-opt.
const MAX_STRING: usize = 3;

/// Local search state: positions of clients on their routes (indexed lazily, per route),
/// and a work queue of clients whose neighbourhood may hold an improving move.
#[derive(Debug)]
pub struct LocalSearch {
    pos: Vec<usize>,
    /// Per route: the call of [`LocalSearch::improve`] that last indexed its positions.
    indexed: Vec<u64>,
    /// Call counter.
    call: u64,
    /// Clients to examine, with `queued` flags; `head` is the next one.
    queue: Vec<u32>,
    head: usize,
    queued: Vec<bool>,
    /// A route's nodes being rebuilt by a move.
    buffer: Vec<u32>,
}

impl LocalSearch {
    /// Buffers sized for `inst`.
    pub fn new(inst: &Instance) -> Self {
        LocalSearch {
            pos: vec![0; inst.n_clients],
            indexed: Vec::new(),
            call: 0,
            queue: Vec::new(),
            head: 0,
            queued: vec![false; inst.n_clients],
            buffer: Vec::new(),
        }
    }

    /// Applies improving moves until none is left. With `dirty`, only the neighbourhoods of
    /// those routes' clients (and of clients of routes changed by later moves) are examined;
    /// the rest is assumed locally optimal (a move from a clean client into a dirty route is
    /// mostly seen from the other side, as neighbour lists are nearly symmetric: measured,
    /// that costs less than it loses). Routes may become empty; the caller drops them.
    pub fn improve(&mut self, inst: &Instance, sol: &mut Solution, dirty: Option<&[usize]>) {
        self.call += 1;
        if self.indexed.len() < sol.routes.len() {
            self.indexed.resize(sol.routes.len(), 0);
        }
        self.queue.clear();
        self.head = 0;
        match dirty {
            None => {
                for u in 0..inst.n_clients as u32 {
                    self.push(u);
                }
            }
            Some(d) => {
                for &ri in d {
                    self.push_route(sol, ri);
                }
            }
        }
        while self.head < self.queue.len() {
            let u = self.queue[self.head];
            self.head += 1;
            self.queued[u as usize] = false;
            for k in 0..GRANULARITY.min(inst.neighbours[u as usize].len()) {
                let v = inst.neighbours[u as usize][k];
                let (ru, rv) = (sol.route_of[u as usize], sol.route_of[v as usize]);
                if ru == NO_ROUTE || rv == NO_ROUTE {
                    continue;
                }
                self.ensure_indexed(sol, ru as usize);
                self.ensure_indexed(sol, rv as usize);
                if ru == rv {
                    let _ = self.intra_relocate(inst, sol, u, v) || self.two_opt(inst, sol, u, v);
                } else {
                    let _ = self.relocate(inst, sol, u, v)
                        || self.swap(inst, sol, u, v)
                        || self.two_opt_star(inst, sol, u, v);
                }
            }
            if self.head > 4096 && self.head * 2 > self.queue.len() {
                // Keep the queue short: drop the part already served.
                self.queue.drain(..self.head);
                self.head = 0;
            }
        }
    }

    fn push(&mut self, u: u32) {
        if !self.queued[u as usize] {
            self.queued[u as usize] = true;
            self.queue.push(u);
        }
    }

    /// Queues every client of route `ri`.
    fn push_route(&mut self, sol: &Solution, ri: usize) {
        for p in 1..sol.routes[ri].nodes.len() - 1 {
            let c = sol.routes[ri].nodes[p];
            self.push(c);
        }
    }

    fn ensure_indexed(&mut self, sol: &Solution, ri: usize) {
        if self.indexed[ri] != self.call {
            self.indexed[ri] = self.call;
            index_route(&mut self.pos, &sol.routes[ri]);
        }
    }

    /// Records that routes `a` and `b` changed: re-index them and queue their neighbourhoods.
    fn changed(&mut self, sol: &Solution, a: usize, b: usize) {
        index_route(&mut self.pos, &sol.routes[a]);
        self.push_route(sol, a);
        if b != a {
            index_route(&mut self.pos, &sol.routes[b]);
            self.push_route(sol, b);
        }
    }

    /// Moves the string of 1–3 clients starting at `u` next to `v` (after it, or before it)
    /// in `v`'s route, if that is cheaper.
    fn relocate(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let (ru, rv) = (
            sol.route_of[u as usize] as usize,
            sol.route_of[v as usize] as usize,
        );
        let (pu, pv) = (self.pos[u as usize], self.pos[v as usize]);
        let (a, b) = (&sol.routes[ru], &sol.routes[rv]);
        let vt = &inst.vehicle_types[b.vtype];
        let mut string: Option<Segment> = None;
        let mut load = 0;
        for k in 1..=MAX_STRING.min(a.len() + 1 - pu) {
            // The string is positions pu..pu + k - 1 of a.
            let last = a.nodes[pu + k - 1];
            let Some(seg) = vt.visits[last as usize] else {
                return false;
            };
            string = Some(match string {
                None => seg,
                Some(s) => s.then(&seg, inst.time_of(s.last, seg.first)),
            });
            let s = string.as_ref().expect("set above");
            load += inst.demand[last as usize];
            if !s.feasible() || b.load() + load > vt.capacity {
                return false;
            }
            // The string keeps its inner arcs; only its ends are reconnected.
            let (prev, next) = (a.nodes[pu - 1], a.nodes[pu + k]);
            let mut gain =
                inst.cost_of(prev, u) + inst.cost_of(last, next) - inst.cost_of(prev, next);
            if a.len() == k {
                gain += inst.vehicle_types[a.vtype].fixed_cost;
            }
            // Try after v (between pv and pv + 1), then before v (between pv - 1 and pv).
            for after in [pv, pv - 1] {
                let (x, y) = (b.nodes[after], b.nodes[after + 1]);
                let add = inst.cost_of(x, u) + inst.cost_of(last, y) - inst.cost_of(x, y);
                if add >= gain {
                    continue;
                }
                if b.feasible_with(inst, after, Some(s), &b.bwd[after + 1])
                    && a.feasible_with(inst, pu - 1, None, &a.bwd[pu + k])
                {
                    let (ra, rb) = two_mut(&mut sol.routes, ru, rv);
                    let (a_tail, b_tail) =
                        (ra.nodes.len() - (pu + k), rb.nodes.len() - (after + 1));
                    rb.nodes
                        .splice(after + 1..after + 1, ra.nodes[pu..pu + k].iter().copied());
                    ra.nodes.drain(pu..pu + k);
                    ra.refresh(inst, pu, a_tail);
                    rb.refresh(inst, after + 1, b_tail);
                    for &c in &rb.nodes[after + 1..after + 1 + k] {
                        sol.route_of[c as usize] = rv as u32;
                    }
                    self.changed(sol, ru, rv);
                    return true;
                }
            }
        }
        false
    }

    /// Exchanges `u` and `v` between their routes, if that is cheaper.
    fn swap(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let (ru, rv) = (
            sol.route_of[u as usize] as usize,
            sol.route_of[v as usize] as usize,
        );
        let (pu, pv) = (self.pos[u as usize], self.pos[v as usize]);
        let (a, b) = (&sol.routes[ru], &sol.routes[rv]);
        let (ua, ub) = (a.nodes[pu - 1], a.nodes[pu + 1]);
        let (va, vb) = (b.nodes[pv - 1], b.nodes[pv + 1]);
        let delta =
            inst.cost_of(ua, v) + inst.cost_of(v, ub) + inst.cost_of(va, u) + inst.cost_of(u, vb)
                - inst.cost_of(ua, u)
                - inst.cost_of(u, ub)
                - inst.cost_of(va, v)
                - inst.cost_of(v, vb);
        if delta >= 0 {
            return false;
        }
        let (ta, tb) = (&inst.vehicle_types[a.vtype], &inst.vehicle_types[b.vtype]);
        let (Some(v_in_a), Some(u_in_b)) = (ta.visits[v as usize], tb.visits[u as usize]) else {
            return false;
        };
        let (du, dv) = (inst.demand[u as usize], inst.demand[v as usize]);
        if a.load() - du + dv > ta.capacity || b.load() - dv + du > tb.capacity {
            return false;
        }
        if !a.feasible_with(inst, pu - 1, Some(&v_in_a), &a.bwd[pu + 1])
            || !b.feasible_with(inst, pv - 1, Some(&u_in_b), &b.bwd[pv + 1])
        {
            return false;
        }
        let (a_tail, b_tail) = (a.nodes.len() - pu - 1, b.nodes.len() - pv - 1);
        sol.routes[ru].nodes[pu] = v;
        sol.routes[rv].nodes[pv] = u;
        sol.routes[ru].refresh(inst, pu, a_tail);
        sol.routes[rv].refresh(inst, pv, b_tail);
        sol.route_of[u as usize] = rv as u32;
        sol.route_of[v as usize] = ru as u32;
        self.changed(sol, ru, rv);
        true
    }

    /// 2-opt*: makes `u → v` an arc by swapping the tails of their routes. Tails that change
    /// vehicle type are re-timed visit by visit (their depot and service times differ).
    fn two_opt_star(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let (ru, rv) = (
            sol.route_of[u as usize] as usize,
            sol.route_of[v as usize] as usize,
        );
        let (a, b) = (&sol.routes[ru], &sol.routes[rv]);
        let (i, j) = (self.pos[u as usize], self.pos[v as usize] - 1);
        let (a_next, b_cut) = (a.nodes[i + 1], b.nodes[j]);
        let (a_end, b_end) = (a.nodes[a.nodes.len() - 1], b.nodes[b.nodes.len() - 1]);
        // b's head continues with a's tail, or goes home to its own depot if that is empty;
        // arcs into the depot also change when the depots differ.
        let b_joins = if i < a.len() { a_next } else { b_end };
        let delta = inst.cost_of(u, v) + inst.cost_of(b_cut, b_joins)
            - inst.cost_of(u, a_next)
            - inst.cost_of(b_cut, v)
            + tail_depot_change(inst, b, j + 1, a_end)
            + tail_depot_change(inst, a, i + 1, b_end);
        let fixed = |r: &Route, keeps_clients: bool| {
            if r.is_empty() || keeps_clients {
                0
            } else {
                inst.vehicle_types[r.vtype].fixed_cost
            }
        };
        // A route left with no clients saves its fixed cost.
        let a_keeps = i >= 1 || j < b.len();
        let b_keeps = j >= 1 || i < a.len();
        let delta = delta - fixed(a, a_keeps) - fixed(b, b_keeps);
        if delta >= 0 {
            return false;
        }
        let (ta, tb) = (&inst.vehicle_types[a.vtype], &inst.vehicle_types[b.vtype]);
        if a.load_fwd[i] + b.load() - b.load_fwd[j] > ta.capacity
            || b.load_fwd[j] + a.load() - a.load_fwd[i] > tb.capacity
        {
            return false;
        }
        if a.vtype == b.vtype {
            if !a.feasible_with(inst, i, None, &b.bwd[j + 1])
                || !b.feasible_with(inst, j, None, &a.bwd[i + 1])
            {
                return false;
            }
        } else {
            let (Some(b_tail), Some(a_tail)) = (
                retimed_tail(inst, b, j + 1, a.vtype),
                retimed_tail(inst, a, i + 1, b.vtype),
            ) else {
                return false;
            };
            if !a.feasible_with(inst, i, None, &b_tail) || !b.feasible_with(inst, j, None, &a_tail)
            {
                return false;
            }
        }
        let (ra, rb) = two_mut(&mut sol.routes, ru, rv);
        let (a_len, b_len) = (ra.nodes.len(), rb.nodes.len());
        // Swap the client tails; each route keeps its own end depot.
        self.buffer.clear();
        self.buffer.extend_from_slice(&ra.nodes[i + 1..a_len - 1]);
        ra.nodes
            .splice(i + 1..a_len - 1, rb.nodes[j + 1..b_len - 1].iter().copied());
        rb.nodes
            .splice(j + 1..b_len - 1, self.buffer.iter().copied());
        for (ri, r) in [(ru, &mut *ra), (rv, &mut *rb)] {
            r.update(inst);
            for &c in r.clients() {
                sol.route_of[c as usize] = ri as u32;
            }
        }
        self.changed(sol, ru, rv);
        true
    }

    /// Moves the string of 1–3 clients starting at `u` next to `v` in their common route.
    fn intra_relocate(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let ri = sol.route_of[u as usize] as usize;
        let (pu, pv) = (self.pos[u as usize], self.pos[v as usize]);
        let r = &sol.routes[ri];
        for k in 1..=MAX_STRING.min(r.len() + 1 - pu) {
            if pv >= pu && pv < pu + k {
                return false;
            }
            let last = r.nodes[pu + k - 1];
            let (prev, next) = (r.nodes[pu - 1], r.nodes[pu + k]);
            let gain = inst.cost_of(prev, u) + inst.cost_of(last, next) - inst.cost_of(prev, next);
            for after in [pv, pv - 1] {
                // Inserting between positions `after` and `after + 1`, outside the string.
                if after + 1 == pu || after == pu + k - 1 {
                    continue;
                }
                let (x, y) = (r.nodes[after], r.nodes[after + 1]);
                let add = inst.cost_of(x, u) + inst.cost_of(last, y) - inst.cost_of(x, y);
                if add >= gain {
                    continue;
                }
                self.buffer.clear();
                for (p, &node) in r.nodes.iter().enumerate() {
                    if p >= pu && p < pu + k {
                        continue;
                    }
                    self.buffer.push(node);
                    if p == after {
                        self.buffer.extend_from_slice(&r.nodes[pu..pu + k]);
                    }
                }
                if sequence_feasible(inst, r.vtype, &self.buffer) {
                    let route = &mut sol.routes[ri];
                    std::mem::swap(&mut route.nodes, &mut self.buffer);
                    route.update(inst);
                    self.changed(sol, ri, ri);
                    return true;
                }
            }
        }
        false
    }

    /// 2-opt within a route: reverses the part between `u` and `v` so that `u → v` (or
    /// `v → u`) becomes an arc, if that is cheaper.
    fn two_opt(&mut self, inst: &Instance, sol: &mut Solution, u: u32, v: u32) -> bool {
        let ri = sol.route_of[u as usize] as usize;
        let (pu, pv) = (self.pos[u as usize], self.pos[v as usize]);
        let r = &sol.routes[ri];
        // Reverse positions lo..=hi.
        let (lo, hi) = if pu < pv { (pu + 1, pv) } else { (pv, pu - 1) };
        if hi <= lo {
            return false;
        }
        let (x, y) = (r.nodes[lo - 1], r.nodes[hi + 1]);
        let (first, last) = (r.nodes[lo], r.nodes[hi]);
        let old_inner = r.cost_fwd[hi] - r.cost_fwd[lo];
        let mut new_inner = 0;
        for p in lo..hi {
            new_inner += inst.cost_of(r.nodes[p + 1], r.nodes[p]);
        }
        let delta = inst.cost_of(x, last) + inst.cost_of(first, y) + new_inner
            - inst.cost_of(x, first)
            - inst.cost_of(last, y)
            - old_inner;
        if delta >= 0 {
            return false;
        }
        self.buffer.clear();
        self.buffer.extend_from_slice(&r.nodes);
        self.buffer[lo..=hi].reverse();
        if !sequence_feasible(inst, r.vtype, &self.buffer) {
            return false;
        }
        let route = &mut sol.routes[ri];
        std::mem::swap(&mut route.nodes, &mut self.buffer);
        route.update(inst);
        self.changed(sol, ri, ri);
        true
    }
}

fn index_route(pos: &mut [usize], r: &Route) {
    for (p, &c) in r.clients().iter().enumerate() {
        pos[c as usize] = p + 1;
    }
}

/// Mutable references to two different routes.
fn two_mut(routes: &mut [Route], a: usize, b: usize) -> (&mut Route, &mut Route) {
    assert_ne!(a, b);
    if a < b {
        let (l, r) = routes.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = routes.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

/// Cost change when the tail of `r` from position `from` ends at `depot` instead of its
/// own depot.
fn tail_depot_change(inst: &Instance, r: &Route, from: usize, depot: u32) -> i64 {
    let n = r.nodes.len();
    let own = r.nodes[n - 1];
    if own == depot || from >= n - 1 {
        return 0;
    }
    let last = r.nodes[n - 2];
    inst.cost_of(last, depot) - inst.cost_of(last, own)
}

/// Segment of the clients of `r` from position `from` on, served by vehicle type `t` and
/// ending at its depot; `None` when `t` may not serve one of them.
fn retimed_tail(inst: &Instance, r: &Route, from: usize, t: usize) -> Option<Segment> {
    let vt = &inst.vehicle_types[t];
    let depot = inst.depot_segment(t);
    let mut acc: Option<Segment> = None;
    for &c in &r.nodes[from..r.nodes.len() - 1] {
        let seg = vt.visits[c as usize]?;
        acc = Some(match acc {
            None => seg,
            Some(s) => s.then(&seg, inst.time_of(s.last, seg.first)),
        });
    }
    Some(match acc {
        None => depot,
        Some(s) => s.then(&depot, inst.time_of(s.last, depot.first)),
    })
}

/// Feasibility of a whole route (`nodes` with depots at both ends) for vehicle type `t`:
/// windows, shift and processing limit. Capacity is unchanged by the moves that use it.
fn sequence_feasible(inst: &Instance, t: usize, nodes: &[u32]) -> bool {
    let vt = &inst.vehicle_types[t];
    let depot = inst.depot_segment(t);
    let mut full = depot;
    let mut core: Option<Segment> = None;
    for &c in &nodes[1..nodes.len() - 1] {
        let seg = vt.visits[c as usize].expect("served visits are allowed");
        full = full.then(&seg, inst.time_of(full.last, seg.first));
        if !full.feasible() {
            return false;
        }
        core = Some(match core {
            None => seg,
            Some(s) => s.then(&seg, inst.time_of(s.last, seg.first)),
        });
    }
    full = full.then(&depot, inst.time_of(full.last, depot.first));
    if !full.feasible() {
        return false;
    }
    match (vt.max_after_first_service, core) {
        (Some(limit), Some(c)) => {
            c.then(&depot, inst.time_of(c.last, depot.first)).duration <= limit
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::instance::VehicleType;
    use crate::routing::recreate::{RecreateScratch, recreate};
    use crate::routing::rng::Rng;
    use crate::routing::solution::Journal;

    /// Random points in a plane, two vehicle types with different depots, service times,
    /// capacities and a processing limit: every move meets heterogeneous routes.
    fn instance(rng: &mut Rng, n: usize) -> Instance {
        let side = n + 2;
        let pts: Vec<(i64, i64)> = (0..side)
            .map(|_| (rng.below(100) as i64, rng.below(100) as i64))
            .collect();
        let travel: Vec<i64> = (0..side * side)
            .map(|k| {
                let (a, b) = (pts[k / side], pts[k % side]);
                (a.0 - b.0).abs() + (a.1 - b.1).abs()
            })
            .collect();
        let windows: Vec<(i64, i64)> = (0..n)
            .map(|_| {
                let ready = rng.below(400) as i64;
                (ready, ready + 30 + rng.below(200) as i64)
            })
            .collect();
        let vehicle = |t: usize, rng: &mut Rng| VehicleType {
            depot: (n + t) as u32,
            count: 3,
            capacity: 8 + 4 * t as i64,
            shift_start: 0,
            shift_end: 700,
            max_after_first_service: Some(400),
            fixed_cost: 1000,
            visits: windows
                .iter()
                .enumerate()
                .map(|(c, &(r, d))| {
                    (rng.below(8) > 0).then(|| Segment::visit(c as u32, 5 + 5 * t as i64, r, d))
                })
                .collect(),
        };
        let types = vec![vehicle(0, rng), vehicle(1, rng)];
        let demand = (0..n).map(|_| 1 + rng.below(3) as i64).collect();
        Instance::new(n, travel.clone(), travel, demand, vec![100_000; n], types)
    }

    #[test]
    fn moves_keep_routes_feasible_consistent_and_never_worsen() {
        let mut rng = Rng::new(17);
        for round in 0..200 {
            let inst = instance(&mut rng, 12 + round % 20);
            let empty: Vec<Route> = (0..2).map(|t| Route::new(&inst, t)).collect();
            let mut sol = Solution::empty(&inst);
            let mut used = vec![0; 2];
            let mut pending = std::mem::take(&mut sol.unassigned);
            let mut journal = Journal::default();
            journal.begin(&sol, &used);
            recreate(
                &inst,
                &mut sol,
                &mut used,
                &empty,
                &mut pending,
                &mut rng,
                0.3,
                &mut RecreateScratch::default(),
                &mut journal,
            );
            let before = sol.objective(&inst);
            let mut ls = LocalSearch::new(&inst);
            ls.improve(&inst, &mut sol, None);
            assert!(sol.objective(&inst) <= before);
            for (ri, r) in sol.routes.iter().enumerate() {
                let mut fresh = Route::new(&inst, r.vtype);
                fresh.nodes.clone_from(&r.nodes);
                fresh.update(&inst);
                assert_eq!(r.cost_fwd, fresh.cost_fwd);
                assert_eq!(r.fwd, fresh.fwd);
                assert_eq!(r.bwd, fresh.bwd);
                assert!(sequence_feasible(&inst, r.vtype, &r.nodes));
                assert!(r.load() <= inst.vehicle_types[r.vtype].capacity);
                assert_eq!(r.nodes[0], inst.vehicle_types[r.vtype].depot);
                assert_eq!(*r.nodes.last().unwrap(), inst.vehicle_types[r.vtype].depot);
                for &c in r.clients() {
                    assert_eq!(sol.route_of[c as usize], ri as u32);
                }
            }
            let served: usize = sol.routes.iter().map(|r| r.len()).sum();
            assert_eq!(served + sol.unassigned.len(), inst.n_clients);
        }
    }
}
