//! The internal problem form every planner run is compiled to: a solver core shared by the
//! product model (bloodmobile days) and the Solomon/Homberger benchmark.
//!
//! Nodes `0..n_clients` are clients (visits); the nodes after them are depots. Each vehicle
//! type sees its own unit segment per client, because service time (beds) and the latest
//! start (the whole service must fit the window) depend on the vehicle.

use crate::routing::segment::Segment;

/// A class of identical vehicles.
#[derive(Clone, Debug)]
pub struct VehicleType {
    /// Depot node (index into the matrix, `>= n_clients`).
    pub depot: u32,
    /// How many vehicles of this type exist (an upper bound on its routes).
    pub count: usize,
    /// Load a vehicle can carry (donors per day, or Solomon demand).
    pub capacity: i64,
    /// Earliest departure from the depot.
    pub shift_start: i64,
    /// Latest return to the depot.
    pub shift_end: i64,
    /// Longest time from the start of service at the first client to the arrival back at the
    /// depot (the processing limit), if any.
    pub max_after_first_service: Option<i64>,
    /// Cost added for using one vehicle of this type.
    pub fixed_cost: i64,
    /// Per client: service, window and whether this type may serve it at all.
    pub visits: Vec<Option<Segment>>,
}

/// A solver instance: clients, depots, vehicle types and matrices.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Number of clients; client `c` is matrix node `c`.
    pub n_clients: usize,
    /// Matrix side (clients plus depots).
    pub n_nodes: usize,
    /// Travel time between nodes, row-major.
    pub travel: Vec<i64>,
    /// Travel cost between nodes (the objective), row-major.
    pub cost: Vec<i64>,
    /// Load of each client.
    pub demand: Vec<i64>,
    /// Penalty paid when a client is left out (large: serving comes first).
    pub penalty: Vec<i64>,
    /// Vehicle types.
    pub vehicle_types: Vec<VehicleType>,
    /// For each client, other clients by increasing cost (the granular neighbourhood).
    pub neighbours: Vec<Vec<u32>>,
    /// Per client (empty: none at all), the interval its service should stay inside: a
    /// published arrival window. Leaving it costs `drift_weight` per second outside.
    pub preferred: Vec<Option<(i64, i64)>>,
    /// Objective cost of one second of service outside its preferred interval.
    pub drift_weight: i64,
    /// Per client: how many vehicles may serve it (its kinds, its size, its lock).
    pub serving_vehicles: Vec<usize>,
    /// Whether some clients may be served by fewer vehicles than others.
    pub restricted: bool,
}

impl Instance {
    /// Builds an instance and its neighbour lists. `travel` and `cost` are `n_nodes²`
    /// row-major; `n_nodes = n_clients + depots`.
    pub fn new(
        n_clients: usize,
        travel: Vec<i64>,
        cost: Vec<i64>,
        demand: Vec<i64>,
        penalty: Vec<i64>,
        vehicle_types: Vec<VehicleType>,
    ) -> Self {
        let n_nodes = (travel.len() as f64).sqrt().round() as usize;
        assert_eq!(n_nodes * n_nodes, travel.len(), "matrix must be square");
        assert_eq!(cost.len(), travel.len());
        assert!(n_nodes >= n_clients);
        let mut inst = Instance {
            n_clients,
            n_nodes,
            travel,
            cost,
            demand,
            penalty,
            vehicle_types,
            neighbours: Vec::new(),
            preferred: Vec::new(),
            drift_weight: 0,
            serving_vehicles: Vec::new(),
            restricted: false,
        };
        inst.serving_vehicles = (0..n_clients)
            .map(|c| {
                inst.vehicle_types
                    .iter()
                    .filter(|t| t.visits[c].is_some())
                    .map(|t| t.count)
                    .sum()
            })
            .collect();
        inst.restricted = inst
            .serving_vehicles
            .iter()
            .any(|&n| Some(&n) != inst.serving_vehicles.first());
        inst.neighbours = (0..n_clients)
            .map(|c| {
                let mut others: Vec<u32> =
                    (0..n_clients as u32).filter(|&o| o as usize != c).collect();
                // Symmetrised cost, so a neighbour is close in either direction.
                others.sort_by_key(|&o| (inst.cost_of(c as u32, o) + inst.cost_of(o, c as u32), o));
                others
            })
            .collect();
        inst
    }

    /// Whether some client has a preferred interval (re-planning a published day).
    #[inline]
    pub fn has_preferences(&self) -> bool {
        !self.preferred.is_empty()
    }

    /// Travel time from `a` to `b`.
    #[inline]
    pub fn time_of(&self, a: u32, b: u32) -> i64 {
        self.travel[a as usize * self.n_nodes + b as usize]
    }

    /// Travel cost from `a` to `b`.
    #[inline]
    pub fn cost_of(&self, a: u32, b: u32) -> i64 {
        self.cost[a as usize * self.n_nodes + b as usize]
    }

    /// Segment for the depot of vehicle type `t` (open for the whole shift).
    #[inline]
    pub fn depot_segment(&self, t: usize) -> Segment {
        let v = &self.vehicle_types[t];
        Segment::visit(v.depot, 0, v.shift_start, v.shift_end)
    }
}
