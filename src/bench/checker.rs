//! An independent VRPTW checker: recomputes every arc from the coordinates and replays each
//! route; it never looks at the solver's own numbers.

use crate::bench::solomon::{Convention, SolomonInstance};

/// The verdict on a set of routes.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// Non-empty routes.
    pub vehicles: usize,
    /// Total distance in the convention.
    pub distance: f64,
    /// Every broken constraint (a customer served twice included).
    pub violations: Vec<String>,
    /// Customers on no route.
    pub missing: Vec<usize>,
}

impl CheckReport {
    /// True when nothing was violated and every customer is served.
    pub fn feasible(&self) -> bool {
        self.violations.is_empty() && self.missing.is_empty()
    }
}

/// Checks `routes` (customer numbers, depot omitted) against `inst`.
pub fn check(inst: &SolomonInstance, routes: &[Vec<usize>], convention: Convention) -> CheckReport {
    const EPS: f64 = 1e-6;
    let n = inst.customers();
    let mut seen = vec![0usize; n + 1];
    let mut violations = Vec::new();
    let mut distance = 0.0;
    let mut vehicles = 0;
    let depot = &inst.nodes[0];
    for (ri, route) in routes.iter().enumerate() {
        if route.is_empty() {
            continue;
        }
        vehicles += 1;
        let (mut t, mut load, mut prev) = (depot.ready, 0.0, 0usize);
        for &c in route {
            if c == 0 || c > n {
                violations.push(format!("route {ri}: unknown customer {c}"));
                continue;
            }
            seen[c] += 1;
            let node = &inst.nodes[c];
            let d = inst.distance(prev, c, convention);
            distance += d;
            t = (t + d).max(node.ready);
            if t > node.due + EPS {
                violations.push(format!(
                    "route {ri}: customer {c} starts at {t:.4} > due {}",
                    node.due
                ));
            }
            t += node.service;
            load += node.demand;
            prev = c;
        }
        let d = inst.distance(prev, 0, convention);
        distance += d;
        t += d;
        if t > depot.due + EPS {
            violations.push(format!(
                "route {ri}: back at {t:.4} > horizon {}",
                depot.due
            ));
        }
        if load > inst.capacity + EPS {
            violations.push(format!(
                "route {ri}: load {load} > capacity {}",
                inst.capacity
            ));
        }
    }
    let mut missing = Vec::new();
    for (c, &k) in seen.iter().enumerate().skip(1) {
        match k {
            0 => missing.push(c),
            1 => {}
            _ => violations.push(format!("customer {c} served {k} times")),
        }
    }
    if vehicles > inst.vehicles {
        violations.push(format!("{vehicles} vehicles > fleet {}", inst.vehicles));
    }
    CheckReport {
        vehicles,
        distance,
        violations,
        missing,
    }
}
