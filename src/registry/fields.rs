//! Small field checks shared by the registry's records.

use crate::db::{DbConnection, registry};
use crate::domain::FieldError;

use super::RegistryError;

/// Trimmed length within bounds and no control characters.
pub fn check_text(field: &str, value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let length = value.trim().chars().count();
    if length < min || length > max {
        return Err(FieldError::new(
            field,
            "invalid_length",
            format!("must be {min}-{max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_text",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Latitude and longitude in range; `prefix` names the fields ("" or "depot_").
pub fn check_coordinates(prefix: &str, lat: f64, lon: f64) -> Result<(), FieldError> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(FieldError::new(
            format!("{prefix}lat"),
            "out_of_range",
            "must be between -90 and 90",
        ));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(FieldError::new(
            format!("{prefix}lon"),
            "out_of_range",
            "must be between -180 and 180",
        ));
    }
    Ok(())
}

/// An optional text on a change: absent keeps the old value, an empty string clears it.
pub fn optional_text(given: Option<String>, old: Option<String>) -> Option<String> {
    match given {
        Some(text) if text.trim().is_empty() => None,
        Some(text) => Some(text.trim().to_string()),
        None => old,
    }
}

pub fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), FieldError> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ))
    }
}

pub fn required<T>(value: Option<T>, field: &str) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, "required", "is required"))
}

/// A `station_id` given in a record must name a station.
pub fn ensure_station(conn: &mut DbConnection, station_id: i64) -> Result<(), RegistryError> {
    registry::find_station(conn, station_id)?
        .map(|_| ())
        .ok_or(RegistryError::NotFound {
            what: "station",
            field: "station_id",
            id: station_id,
        })
}
