//! Small field checks shared by the registry endpoints.

use super::error::ApiError;
use crate::db::{DbConnection, registry};

/// Trimmed length within bounds and no control characters.
pub fn check_text(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.trim().chars().count();
    if length < min || length > max {
        return Err(ApiError::bad_request(
            "invalid_length",
            field,
            format!("must be {min}-{max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_text",
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

pub fn check_coordinates(lat: f64, lon: f64) -> Result<(), ApiError> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "lat",
            "must be between -90 and 90",
        ));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "lon",
            "must be between -180 and 180",
        ));
    }
    Ok(())
}

/// An optional text on PATCH: absent keeps the old value, an empty string clears it.
pub fn optional_text(given: Option<String>, old: Option<String>) -> Option<String> {
    match given {
        Some(text) if text.trim().is_empty() => None,
        Some(text) => Some(text.trim().to_string()),
        None => old,
    }
}

pub fn check_positive(field: &str, value: i64, max: i64) -> Result<(), ApiError> {
    if !(1..=max).contains(&value) {
        return Err(ApiError::bad_request(
            "out_of_range",
            field,
            format!("must be between 1 and {max}"),
        ));
    }
    Ok(())
}

pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::bad_request("required", field, "is required"))
}

/// A `station_id` given in a body must name a station.
pub fn ensure_station(conn: &mut DbConnection, station_id: i64) -> Result<(), ApiError> {
    registry::find_station(conn, station_id)?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("station", "station_id", station_id))
}
