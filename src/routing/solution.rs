//! Routes with cached prefix/suffix segments, and a solution (routes plus left-out clients).

use crate::routing::instance::Instance;
use crate::routing::segment::Segment;

/// Marker for "not on any route" in [`Solution::route_of`].
pub const NO_ROUTE: u32 = u32::MAX;

/// One vehicle's route. Positions: 0 is the start depot, `1..=len` the clients, `len + 1`
/// the return to the depot. Caches are rebuilt by [`Route::update`] after every change.
#[derive(Debug)]
pub struct Route {
    /// Vehicle type serving the route.
    pub vtype: usize,
    /// Nodes by position, depots included at both ends.
    pub nodes: Vec<u32>,
    /// `fwd[p]`: segment of positions `0..=p`.
    pub fwd: Vec<Segment>,
    /// `core[p]`: segment of positions `1..=p` (no start depot; `core[0]` is unused). Used
    /// for the processing limit, which counts from the first service; only maintained when
    /// the vehicle type has one.
    pub core: Vec<Segment>,
    /// `bwd[p]`: segment of positions `p..=len+1`.
    pub bwd: Vec<Segment>,
    /// `load_fwd[p]`: load of positions `0..=p`.
    pub load_fwd: Vec<i64>,
    /// `cost_fwd[p]`: travel cost of positions `0..=p`.
    pub cost_fwd: Vec<i64>,
    /// Seconds of service outside the clients' preferred intervals, on the route's schedule
    /// (0 unless the instance has preferences).
    pub drift: i64,
}

impl Clone for Route {
    fn clone(&self) -> Self {
        Route {
            vtype: self.vtype,
            nodes: self.nodes.clone(),
            fwd: self.fwd.clone(),
            core: self.core.clone(),
            bwd: self.bwd.clone(),
            load_fwd: self.load_fwd.clone(),
            cost_fwd: self.cost_fwd.clone(),
            drift: self.drift,
        }
    }

    /// Field by field, so the search's snapshots and restores reuse their memory (the
    /// derived version would allocate a fresh route every time).
    fn clone_from(&mut self, other: &Self) {
        self.vtype = other.vtype;
        self.nodes.clone_from(&other.nodes);
        self.fwd.clone_from(&other.fwd);
        self.core.clone_from(&other.core);
        self.bwd.clone_from(&other.bwd);
        self.load_fwd.clone_from(&other.load_fwd);
        self.cost_fwd.clone_from(&other.cost_fwd);
        self.drift = other.drift;
    }
}

impl Route {
    /// A placeholder route with room for `nodes` nodes (overwritten before use).
    fn with_capacity(nodes: usize) -> Self {
        Route {
            vtype: 0,
            nodes: Vec::with_capacity(nodes),
            fwd: Vec::with_capacity(nodes),
            core: Vec::with_capacity(nodes),
            bwd: Vec::with_capacity(nodes),
            load_fwd: Vec::with_capacity(nodes),
            cost_fwd: Vec::with_capacity(nodes),
            drift: 0,
        }
    }

    /// An empty route of vehicle type `vtype`.
    pub fn new(inst: &Instance, vtype: usize) -> Self {
        let depot = inst.vehicle_types[vtype].depot;
        let mut r = Route {
            vtype,
            nodes: vec![depot, depot],
            fwd: Vec::new(),
            core: Vec::new(),
            bwd: Vec::new(),
            load_fwd: Vec::new(),
            cost_fwd: Vec::new(),
            drift: 0,
        };
        r.update(inst);
        r
    }

    /// Number of clients.
    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len() - 2
    }

    /// True when the route visits no client.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 2
    }

    /// The clients in visiting order.
    #[inline]
    pub fn clients(&self) -> &[u32] {
        &self.nodes[1..self.nodes.len() - 1]
    }

    /// Total load.
    #[inline]
    pub fn load(&self) -> i64 {
        *self.load_fwd.last().unwrap()
    }

    /// Total travel cost.
    #[inline]
    pub fn cost(&self) -> i64 {
        *self.cost_fwd.last().unwrap()
    }

    /// This route's share of the objective: travel cost, the vehicle's fixed cost when the
    /// route is in use, and the cost of leaving preferred intervals.
    #[inline]
    pub fn objective(&self, inst: &Instance) -> i64 {
        if self.is_empty() {
            0
        } else {
            self.cost() + inst.vehicle_types[self.vtype].fixed_cost + self.drift * inst.drift_weight
        }
    }

    /// Segment of the visit at position `p` for this route's vehicle type.
    #[inline]
    pub fn segment_at(&self, inst: &Instance, p: usize) -> Segment {
        if p == 0 || p == self.nodes.len() - 1 {
            inst.depot_segment(self.vtype)
        } else {
            inst.vehicle_types[self.vtype].visits[self.nodes[p] as usize].expect("allowed visit")
        }
    }

    /// Rebuilds every cache; O(len), reuses the vectors' memory.
    pub fn update(&mut self, inst: &Instance) {
        self.refresh(inst, 1, 0);
    }

    /// Rebuilds the caches after an edit that kept `nodes[..first]` and the last `tail`
    /// nodes as they were (`first >= 1`, `tail` counts the end depot or not at all): forward
    /// caches are recomputed from `first`, backward ones up to the kept tail, which is moved.
    pub fn refresh(&mut self, inst: &Instance, first: usize, tail: usize) {
        let n = self.nodes.len();
        let depot = inst.depot_segment(self.vtype);
        let limit = inst.vehicle_types[self.vtype]
            .max_after_first_service
            .is_some();
        let first = first.clamp(1, n).min(self.fwd.len().max(1));
        if first == 1 {
            self.fwd.clear();
            self.core.clear();
            self.load_fwd.clear();
            self.cost_fwd.clear();
            self.fwd.push(depot);
            self.core.push(depot);
            self.load_fwd.push(0);
            self.cost_fwd.push(0);
        }
        self.fwd.truncate(first);
        self.core.truncate(first);
        self.load_fwd.truncate(first);
        self.cost_fwd.truncate(first);
        let visits = &inst.vehicle_types[self.vtype].visits;
        for p in first..n {
            let (a, b) = (self.nodes[p - 1], self.nodes[p]);
            let t = inst.time_of(a, b);
            let last = p == n - 1;
            let seg = if last {
                depot
            } else {
                visits[b as usize].expect("allowed visit")
            };
            let f = self.fwd[p - 1].then(&seg, t);
            self.fwd.push(f);
            if limit {
                let c = if p == 1 {
                    seg
                } else {
                    self.core[p - 1].then(&seg, t)
                };
                self.core.push(c);
            } else {
                self.core.push(seg);
            }
            let demand = if last { 0 } else { inst.demand[b as usize] };
            self.load_fwd.push(self.load_fwd[p - 1] + demand);
            self.cost_fwd
                .push(self.cost_fwd[p - 1] + inst.cost_of(a, b));
        }
        // Backward caches: keep the last `tail` entries (they only depend on the kept tail).
        let old = self.bwd.len();
        let tail = tail.min(old).min(n);
        if tail > 0 {
            if n >= old {
                self.bwd.resize(n, depot);
                self.bwd.copy_within(old - tail..old, n - tail);
            } else {
                self.bwd.copy_within(old - tail..old, n - tail);
                self.bwd.truncate(n);
            }
        } else {
            self.bwd.clear();
            self.bwd.resize(n, depot);
        }
        let mut p = n - tail;
        if tail == 0 {
            self.bwd[n - 1] = depot;
            p = n - 1;
        }
        while p > 0 {
            p -= 1;
            let seg = if p == 0 {
                depot
            } else {
                visits[self.nodes[p] as usize].expect("allowed visit")
            };
            let t = inst.time_of(self.nodes[p], self.nodes[p + 1]);
            self.bwd[p] = seg.then(&self.bwd[p + 1], t);
        }
        if inst.has_preferences() {
            self.drift = self.schedule_drift(inst);
        }
    }

    /// Seconds of service outside the clients' preferred intervals when the route runs as
    /// the plan will time it: the first service as late as waiting least allows, then
    /// everything as early as possible (`fixed::time_route`).
    fn schedule_drift(&self, inst: &Instance) -> i64 {
        let clients = self.clients();
        let Some(&first) = clients.first() else {
            return 0;
        };
        let visits = &inst.vehicle_types[self.vtype].visits;
        let seg = |c: u32| visits[c as usize].expect("allowed visit");
        let mut core = seg(first);
        for pair in clients.windows(2) {
            core = core.then(&seg(pair[1]), inst.time_of(pair[0], pair[1]));
        }
        let depot = inst.vehicle_types[self.vtype].depot;
        let out = inst.time_of(depot, first);
        let mut time = core
            .earliest
            .max(inst.vehicle_types[self.vtype].shift_start + out)
            - out;
        let mut prev = depot;
        let mut drift = 0;
        for &c in clients {
            let s = seg(c);
            let start = (time + inst.time_of(prev, c)).max(s.earliest);
            time = start + s.duration;
            if let Some((from, to)) = inst.preferred[c as usize] {
                drift += (from - start).max(0) + (time - to).max(0);
            }
            prev = c;
        }
        drift
    }

    /// Feasibility (time windows, shift, processing limit) of the route made of positions
    /// `0..=i` of this route, then `mid` (if any), then `suffix` (which must end at this
    /// route's depot). Capacity and vehicle/client compatibility are the caller's business.
    #[inline]
    pub fn feasible_with(
        &self,
        inst: &Instance,
        i: usize,
        mid: Option<&Segment>,
        suffix: &Segment,
    ) -> bool {
        let head = &self.fwd[i];
        let full = match mid {
            Some(m) => head
                .then(m, inst.time_of(head.last, m.first))
                .then(suffix, inst.time_of(m.last, suffix.first)),
            None => head.then(suffix, inst.time_of(head.last, suffix.first)),
        };
        if !full.feasible() {
            return false;
        }
        match inst.vehicle_types[self.vtype].max_after_first_service {
            None => true,
            Some(limit) => {
                let core = match (i >= 1, mid) {
                    (true, Some(m)) => {
                        let c = &self.core[i];
                        c.then(m, inst.time_of(c.last, m.first))
                            .then(suffix, inst.time_of(m.last, suffix.first))
                    }
                    (true, None) => {
                        let c = &self.core[i];
                        c.then(suffix, inst.time_of(c.last, suffix.first))
                    }
                    (false, Some(m)) => m.then(suffix, inst.time_of(m.last, suffix.first)),
                    (false, None) => *suffix,
                };
                core.duration <= limit
            }
        }
    }
}

/// A set of routes and the clients left out.
#[derive(Clone, Debug)]
pub struct Solution {
    /// Non-empty routes (empty ones are dropped by [`Solution::compact`]).
    pub routes: Vec<Route>,
    /// Clients not on any route.
    pub unassigned: Vec<u32>,
    /// Route index of each client, or [`NO_ROUTE`].
    pub route_of: Vec<u32>,
}

impl Solution {
    /// No routes; every client left out.
    pub fn empty(inst: &Instance) -> Self {
        Solution {
            routes: Vec::new(),
            unassigned: (0..inst.n_clients as u32).collect(),
            route_of: vec![NO_ROUTE; inst.n_clients],
        }
    }

    /// Objective: travel cost + fixed vehicle costs + penalties of left-out clients.
    pub fn objective(&self, inst: &Instance) -> i64 {
        let routes: i64 = self.routes.iter().map(|r| r.objective(inst)).sum();
        routes
            + self
                .unassigned
                .iter()
                .map(|&c| inst.penalty[c as usize])
                .sum::<i64>()
    }

    /// Total travel cost of the routes.
    pub fn travel_cost(&self) -> i64 {
        self.routes.iter().map(|r| r.cost()).sum()
    }

    /// Routes in use per vehicle type.
    pub fn used_per_type(&self, inst: &Instance) -> Vec<usize> {
        let mut used = vec![0; inst.vehicle_types.len()];
        for r in &self.routes {
            used[r.vtype] += 1;
        }
        used
    }

    /// Drops empty routes and refreshes `route_of`.
    pub fn compact(&mut self) {
        self.routes.retain(|r| !r.is_empty());
        for (ri, r) in self.routes.iter().enumerate() {
            for &c in r.clients() {
                self.route_of[c as usize] = ri as u32;
            }
        }
    }
}

/// Undo log of one ruin-and-recreate step: copies of the routes it touched, so the step
/// costs O(touched routes) whether it is kept or rolled back, never a copy of the solution.
#[derive(Debug, Default)]
pub struct Journal {
    /// Route count when the step began; routes past it were opened by the step.
    base_routes: usize,
    /// Index and former state of every route touched so far.
    saved: Vec<(usize, Route)>,
    /// Spare route buffers, so snapshots and new routes reuse memory.
    spare: Vec<Route>,
    /// Per route: the step that last saved it.
    saved_in: Vec<u64>,
    /// Step counter.
    step: u64,
    /// Left-out clients and routes per type when the step began.
    unassigned: Vec<u32>,
    used: Vec<usize>,
}

impl Journal {
    /// Starts a step on `sol`.
    pub fn begin(&mut self, sol: &Solution, used: &[usize]) {
        self.step += 1;
        self.base_routes = sol.routes.len();
        while let Some((_, r)) = self.saved.pop() {
            self.spare.push(r);
        }
        if self.saved_in.len() < sol.routes.len() {
            self.saved_in.resize(sol.routes.len(), 0);
        }
        self.unassigned.clone_from(&sol.unassigned);
        self.used.clear();
        self.used.extend_from_slice(used);
    }

    /// Records route `ri` before its first change in this step.
    #[inline]
    pub fn touch(&mut self, sol: &Solution, ri: usize) {
        if ri >= self.base_routes || self.saved_in[ri] == self.step {
            return;
        }
        self.saved_in[ri] = self.step;
        let mut copy = self
            .spare
            .pop()
            .unwrap_or_else(|| Route::with_capacity(sol.routes[ri].nodes.len()));
        copy.clone_from(&sol.routes[ri]);
        self.saved.push((ri, copy));
    }

    /// A fresh copy of `template` (an empty route), reusing a spare buffer.
    pub fn new_route(&mut self, template: &Route) -> Route {
        match self.spare.pop() {
            Some(mut r) => {
                r.clone_from(template);
                r
            }
            None => template.clone(),
        }
    }

    /// Change of the objective since [`Journal::begin`].
    pub fn delta(&self, inst: &Instance, sol: &Solution) -> i64 {
        let mut d = 0;
        for (ri, old) in &self.saved {
            d += sol.routes[*ri].objective(inst) - old.objective(inst);
        }
        for r in &sol.routes[self.base_routes..] {
            d += r.objective(inst);
        }
        let penalty = |v: &[u32]| v.iter().map(|&c| inst.penalty[c as usize]).sum::<i64>();
        d + penalty(&sol.unassigned) - penalty(&self.unassigned)
    }

    /// Indices of the routes the step changed or opened.
    pub fn touched_routes(&self, sol: &Solution, out: &mut Vec<usize>) {
        out.clear();
        out.extend(self.saved.iter().map(|(ri, _)| *ri));
        out.extend(self.base_routes..sol.routes.len());
    }

    /// Undoes the step.
    pub fn rollback(&mut self, sol: &mut Solution, used: &mut [usize]) {
        while sol.routes.len() > self.base_routes {
            let r = sol.routes.pop().expect("route past the base");
            self.spare.push(r);
        }
        for (ri, old) in self.saved.iter_mut() {
            std::mem::swap(&mut sol.routes[*ri], old);
            for &c in sol.routes[*ri].clients() {
                sol.route_of[c as usize] = *ri as u32;
            }
        }
        for &c in &self.unassigned {
            sol.route_of[c as usize] = NO_ROUTE;
        }
        sol.unassigned.clone_from(&self.unassigned);
        used.copy_from_slice(&self.used);
    }

    /// Drops the routes left empty by a kept step (moving the last route into each hole, so
    /// only that route's clients are renumbered).
    pub fn drop_empty_routes(&mut self, sol: &mut Solution, used: &mut [usize]) {
        let mut i = 0;
        while i < sol.routes.len() {
            if !sol.routes[i].is_empty() {
                i += 1;
                continue;
            }
            used[sol.routes[i].vtype] -= 1;
            let r = sol.routes.swap_remove(i);
            self.spare.push(r);
            if i < sol.routes.len() {
                for &c in sol.routes[i].clients() {
                    sol.route_of[c as usize] = i as u32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::instance::VehicleType;
    use crate::routing::rng::Rng;

    /// A random line-shaped instance with tight windows and a processing limit.
    fn instance(rng: &mut Rng, n: usize) -> Instance {
        let side = n + 1;
        let xs: Vec<i64> = (0..side).map(|_| rng.below(100) as i64).collect();
        let travel: Vec<i64> = (0..side * side)
            .map(|k| (xs[k / side] - xs[k % side]).abs())
            .collect();
        let visits = (0..n)
            .map(|c| {
                let ready = rng.below(300) as i64;
                Some(Segment::visit(
                    c as u32,
                    rng.below(20) as i64,
                    ready,
                    ready + rng.below(150) as i64,
                ))
            })
            .collect();
        let vt = VehicleType {
            depot: n as u32,
            count: n,
            capacity: 1000,
            shift_start: 0,
            shift_end: 600,
            max_after_first_service: Some(250),
            fixed_cost: 0,
            visits,
        };
        Instance::new(n, travel.clone(), travel, vec![1; n], vec![1; n], vec![vt])
    }

    /// Whole-route truth: rebuild the route and look at its full and core segments.
    fn truly_feasible(inst: &Instance, clients: &[u32]) -> bool {
        let mut r = Route::new(inst, 0);
        r.nodes.splice(1..1, clients.iter().copied());
        r.update(inst);
        let last = r.nodes.len() - 1;
        let core_ok = clients.is_empty() || r.core[last].duration <= 250;
        r.fwd[last].feasible() && core_ok
    }

    #[test]
    fn insertion_removal_and_tail_exchange_checks_match_a_rebuild() {
        let mut rng = Rng::new(11);
        for _ in 0..300 {
            let inst = instance(&mut rng, 8);
            let mut order: Vec<u32> = (0..8).collect();
            rng.shuffle(&mut order);
            let (a_clients, b_clients) = order.split_at(1 + rng.below(5));
            let mut a = Route::new(&inst, 0);
            a.nodes.splice(1..1, a_clients.iter().copied());
            a.update(&inst);
            let mut b = Route::new(&inst, 0);
            b.nodes.splice(1..1, b_clients.iter().copied());
            b.update(&inst);
            let seg = |c: u32| inst.vehicle_types[0].visits[c as usize].unwrap();

            // Insertion of b's first client into every position of a (relocate, recreate).
            let u = b_clients[0];
            for p in 0..=a.len() {
                let mut truth: Vec<u32> = a.clients().to_vec();
                truth.insert(p, u);
                let fast = a.feasible_with(&inst, p, Some(&seg(u)), &a.bwd[p + 1]);
                assert_eq!(fast, truly_feasible(&inst, &truth));
            }
            // Removal of each client of a (the other half of relocate).
            for p in 1..=a.len() {
                let mut truth: Vec<u32> = a.clients().to_vec();
                truth.remove(p - 1);
                let fast = a.feasible_with(&inst, p - 1, None, &a.bwd[p + 1]);
                assert_eq!(fast, truly_feasible(&inst, &truth));
            }
            // 2-opt*: a's head up to i, then b's tail from j + 1.
            for i in 0..=a.len() {
                for j in 0..=b.len() {
                    let mut truth: Vec<u32> = a.clients()[..i].to_vec();
                    truth.extend_from_slice(&b.clients()[j..]);
                    let fast = a.feasible_with(&inst, i, None, &b.bwd[j + 1]);
                    assert_eq!(fast, truly_feasible(&inst, &truth), "i={i} j={j}");
                }
            }
        }
    }

    #[test]
    fn partial_refresh_matches_a_full_rebuild() {
        let mut rng = Rng::new(5);
        for _ in 0..500 {
            let inst = instance(&mut rng, 10);
            let mut order: Vec<u32> = (0..10).collect();
            rng.shuffle(&mut order);
            let mut r = Route::new(&inst, 0);
            r.nodes
                .splice(1..1, order[..1 + rng.below(8)].iter().copied());
            r.update(&inst);
            // Insert the next client somewhere, or remove a run of clients.
            let len = r.len();
            if rng.chance(0.5) {
                let q = 1 + rng.below(len + 1);
                let tail = r.nodes.len() - q;
                r.nodes.insert(q, order[9]);
                r.refresh(&inst, q, tail);
            } else {
                let from = 1 + rng.below(len);
                let to = from + rng.below(len + 1 - from);
                let tail = r.nodes.len() - (to + 1);
                r.nodes.drain(from..=to);
                r.refresh(&inst, from, tail);
            }
            let mut fresh = Route::new(&inst, 0);
            fresh.nodes.clone_from(&r.nodes);
            fresh.update(&inst);
            assert_eq!(r.fwd, fresh.fwd);
            assert_eq!(r.core, fresh.core);
            assert_eq!(r.bwd, fresh.bwd);
            assert_eq!(r.load_fwd, fresh.load_fwd);
            assert_eq!(r.cost_fwd, fresh.cost_fwd);
        }
    }
}
