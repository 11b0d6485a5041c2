//! Dispatch: a station-day's bookings turned into bloodmobile routes and kept true to them.
//!
//! A day is planned in a read (load), a solve outside any transaction, and one short write
//! that stores a new plan version and catches up with the bookings made meanwhile. Every later
//! change (a booking placed or removed, a stop moved or locked, a vehicle taken out) is checked
//! and re-timed by the planner's own rules (`routing::fixed`).

pub mod changes;
pub mod clock;
pub mod day;
pub mod export;
pub mod model;
pub mod placement;
pub mod planning;
pub mod publish;
pub mod reach;
pub mod routes;
pub mod store;
pub mod table;
pub mod travel;
pub mod view;

use crate::db::DbError;
use crate::domain::FieldError;
use crate::routing::Unassigned;

/// Why a dispatch request failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("{what} {id} does not exist")]
    NotFound {
        what: &'static str,
        field: &'static str,
        id: String,
    },
    #[error("this day has no plan yet")]
    NoPlan,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("{message}")]
    Infeasible {
        constraint: &'static str,
        stop_id: Option<i32>,
        message: String,
    },
    #[error("the plan changed meanwhile: version {latest} is the latest, not {expected}")]
    PlanChanged { expected: i32, latest: i32 },
    #[error(transparent)]
    Matrix(#[from] travel::MatrixFileError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DispatchError {
    fn from(e: diesel::result::Error) -> Self {
        DispatchError::Db(DbError::Query(e))
    }
}

impl From<crate::station::CorruptStation> for DispatchError {
    fn from(e: crate::station::CorruptStation) -> Self {
        DispatchError::Corrupt(e.to_string())
    }
}

/// The stable code of a constraint, as plans and errors name it.
pub fn constraint_code(reason: Unassigned) -> &'static str {
    match reason {
        Unassigned::Kinds => "kinds",
        Unassigned::Capacity => "bag_stock",
        Unassigned::Window => "window",
        Unassigned::Shift => "shift",
        Unassigned::ProcessingLimit => "processing_limit",
        Unassigned::Fleet => "fleet",
    }
}

/// Parses a stored constraint code.
pub fn constraint_from_code(code: &str) -> Option<Unassigned> {
    [
        Unassigned::Kinds,
        Unassigned::Capacity,
        Unassigned::Window,
        Unassigned::Shift,
        Unassigned::ProcessingLimit,
        Unassigned::Fleet,
    ]
    .into_iter()
    .find(|r| constraint_code(*r) == code)
}

/// What a constraint means, in English, for dispatchers.
pub fn constraint_message(reason: Unassigned) -> &'static str {
    match reason {
        Unassigned::Kinds => "no available bloodmobile collects the kinds booked here",
        Unassigned::Capacity => "more donors than a bloodmobile's bag stock for the day",
        Unassigned::Window => "the service does not fit inside the booked window",
        Unassigned::Shift => "no bloodmobile can reach it and be back within its shift",
        Unassigned::ProcessingLimit => {
            "its blood would not reach the station within the processing limit"
        }
        Unassigned::Fleet => "it fits a bloodmobile alone, but the fleet is used up by other stops",
    }
}
