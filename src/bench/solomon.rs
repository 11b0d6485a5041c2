//! Solomon-format VRPTW files (also the Gehring & Homberger ones) and their translation to
//! the solver's [`Instance`] in either distance convention.

use anyhow::{Context, bail};

use crate::routing::instance::{Instance, VehicleType};
use crate::routing::segment::Segment;

/// How arc lengths and travel times are computed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// DIMACS 2021: Euclidean distance truncated to one decimal, for cost and time alike.
    Dimacs,
    /// Double-precision Euclidean distance.
    Exact,
}

impl Convention {
    /// Integer units per distance unit in the solver.
    pub fn scale(self) -> f64 {
        match self {
            Convention::Dimacs => 10.0,
            Convention::Exact => 10_000.0,
        }
    }
}

/// One row of the customer table (row 0 is the depot).
#[derive(Clone, Copy, Debug)]
pub struct SolomonNode {
    /// X coordinate.
    pub x: f64,
    /// Y coordinate.
    pub y: f64,
    /// Demand.
    pub demand: f64,
    /// Earliest service start.
    pub ready: f64,
    /// Latest service start (for the depot: latest return).
    pub due: f64,
    /// Service duration.
    pub service: f64,
}

/// A parsed Solomon-format instance.
#[derive(Clone, Debug)]
pub struct SolomonInstance {
    /// Name on the first line.
    pub name: String,
    /// Fleet size (an upper bound).
    pub vehicles: usize,
    /// Capacity of every vehicle.
    pub capacity: f64,
    /// Depot first, then customers `1..`.
    pub nodes: Vec<SolomonNode>,
}

impl SolomonInstance {
    /// Parses the text of a Solomon-format file.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let name = lines.next().context("empty file")?.to_string();
        let mut vehicles = None;
        let mut nodes = Vec::new();
        let mut in_vehicle = false;
        for line in lines {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("NUMBER") {
                in_vehicle = true;
                continue;
            }
            if upper.starts_with("VEHICLE")
                || upper.starts_with("CUSTOMER")
                || upper.starts_with("CUST")
            {
                continue;
            }
            let nums: Vec<f64> = line
                .split_whitespace()
                .map(|t| t.parse::<f64>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("bad line: {line}"))?;
            if in_vehicle {
                if nums.len() != 2 {
                    bail!("bad vehicle line: {line}");
                }
                vehicles = Some((nums[0] as usize, nums[1]));
                in_vehicle = false;
            } else if nums.len() == 7 {
                if nums[0] as usize != nodes.len() {
                    bail!("customers out of order at {line}");
                }
                nodes.push(SolomonNode {
                    x: nums[1],
                    y: nums[2],
                    demand: nums[3],
                    ready: nums[4],
                    due: nums[5],
                    service: nums[6],
                });
            } else {
                bail!("unexpected line: {line}");
            }
        }
        let (vehicles, capacity) = vehicles.context("no VEHICLE section")?;
        if nodes.len() < 2 {
            bail!("no customers");
        }
        Ok(SolomonInstance {
            name,
            vehicles,
            capacity,
            nodes,
        })
    }

    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Arc length between rows `a` and `b` in `convention`, in distance units.
    pub fn distance(&self, a: usize, b: usize, convention: Convention) -> f64 {
        let (p, q) = (&self.nodes[a], &self.nodes[b]);
        let sq = (p.x - q.x).powi(2) + (p.y - q.y).powi(2);
        match convention {
            // sqrt(100·d²) is exact for perfect squares, so the floor never slips.
            Convention::Dimacs => (100.0 * sq).sqrt().floor() / 10.0,
            Convention::Exact => sq.sqrt(),
        }
    }

    /// The solver instance: customer `i` (1-based) becomes client `i - 1`, the depot is the
    /// last node. Exact times are rounded up, so a solver-feasible route is feasible in
    /// double precision too; exact costs are rounded to the nearest unit.
    pub fn to_instance(&self, convention: Convention) -> Instance {
        let n = self.customers();
        let scale = convention.scale();
        // Solver node k ↔ file row: clients 0..n ↔ rows 1..=n, depot n ↔ row 0.
        let row = |k: usize| if k == n { 0 } else { k + 1 };
        let side = n + 1;
        let mut travel = vec![0; side * side];
        let mut cost = vec![0; side * side];
        for a in 0..side {
            for b in 0..side {
                let d = self.distance(row(a), row(b), convention) * scale;
                let (t, c) = match convention {
                    Convention::Dimacs => (d.round() as i64, d.round() as i64),
                    Convention::Exact => ((d - 1e-7).ceil() as i64, d.round() as i64),
                };
                travel[a * side + b] = t;
                cost[a * side + b] = c;
            }
        }
        let units = |v: f64| (v * scale).round() as i64;
        let depot = &self.nodes[0];
        let visits = (0..n)
            .map(|c| {
                let node = &self.nodes[c + 1];
                Some(Segment::visit(
                    c as u32,
                    units(node.service),
                    units(node.ready),
                    units(node.due),
                ))
            })
            .collect();
        let vehicle = VehicleType {
            depot: n as u32,
            count: self.vehicles,
            capacity: (self.capacity + 1e-9).floor() as i64,
            shift_start: units(depot.ready),
            shift_end: units(depot.due),
            max_after_first_service: None,
            fixed_cost: 0,
            visits,
        };
        let demand = (0..n)
            .map(|c| (self.nodes[c + 1].demand - 1e-9).ceil() as i64)
            .collect();
        // Leaving a customer out must never pay: more than any route set costs.
        let total: i64 = cost.iter().copied().max().unwrap_or(0) * 2 * side as i64 + 1;
        Instance::new(n, travel, cost, demand, vec![total; n], vec![vehicle])
    }
}
