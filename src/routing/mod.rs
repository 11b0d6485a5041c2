//! The route planner: turns a day's stops and vehicles into bloodmobile routes.
//!
//! Pure computation (no HTTP, no SQL, no I/O). The product model ([`model`]) compiles to a
//! solver [`instance::Instance`], which is also what the Solomon benchmark builds, so one
//! core serves both. The search ([`search`]) is SISR-style ruin-and-recreate under simulated
//! annealing with constant-time time-window checks ([`segment`]) and a granular local search
//! (or-opt, swap, 2-opt*, intra-route relocate and 2-opt) on every improving step.

pub mod fixed;
pub mod instance;
pub mod local_search;
pub mod matrix;
pub mod model;
pub mod recreate;
pub mod rng;
pub mod ruin;
pub mod search;
pub mod segment;
pub mod solution;

pub use matrix::{GeoPoint, MatrixError, TravelMatrix};
pub use model::{
    DayPlan, DayProblem, DonationKind, KindCounts, LeftOut, PlanOptions, PlannedRoute,
    PlannedVisit, ServiceTimes, Stop, Unassigned, Vehicle, plan_day,
};
