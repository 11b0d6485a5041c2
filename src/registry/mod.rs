//! The registry dispatchers keep: stations, sites (communities and villages) and vehicles.
//! Validation, defaults and merges live here, so the API, the pages, the command line and the
//! demo loader all save the same checked values. Reads are plain queries in `db::registry`.

pub mod fields;
pub mod sites;
pub mod stations;
pub mod vehicles;

use crate::db::DbError;
use crate::domain::FieldError;

pub use sites::SiteFields;
pub use stations::{PlasmaFields, StationFields};
pub use vehicles::VehicleFields;

/// Why a registry change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("{what} {id} does not exist")]
    NotFound {
        what: &'static str,
        field: &'static str,
        id: i64,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RegistryError {
    fn from(e: diesel::result::Error) -> Self {
        RegistryError::Db(DbError::Query(e))
    }
}
