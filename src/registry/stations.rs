//! Stations: their settings, checked and merged over the stored values or the defaults.

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RegistryError;
use super::fields::{check_coordinates, check_text, in_range, optional_text, required};
use crate::db::registry::{self, StationRow, StationValues};
use crate::db::{DbConnection, stored_instant};
use crate::domain::FieldError;
use crate::domain::calendar::check_window_name;
use crate::routing::{GeoPoint, TravelMatrix};
use crate::station::{WindowSpec, new_station_values, values_of, windows_to_json};

/// A station as a dispatcher enters it; on create only `name`, `time_zone`, the depot and its
/// coordinates are required, every other number takes the documented default. On a change every
/// field is optional and absent ones stay as they are.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationFields {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub depot_name: Option<String>,
    pub depot_address: Option<String>,
    pub depot_lat: Option<f64>,
    pub depot_lon: Option<f64>,
    pub windows: Option<Vec<WindowSpec>>,
    pub horizon_min_days: Option<i32>,
    pub horizon_max_days: Option<i32>,
    pub cutoff_days_before: Option<i32>,
    #[schema(value_type = Option<String>)]
    pub cutoff_time: Option<NaiveTime>,
    pub change_notice_minutes: Option<i32>,
    pub processing_limit_minutes: Option<i32>,
    /// Minutes a bed is taken per whole-blood donor.
    pub minutes_per_donor: Option<i32>,
    pub platelets_minutes_per_donor: Option<i32>,
    pub plasma_minutes_per_donor: Option<i32>,
    pub setup_minutes: Option<i32>,
    pub packup_minutes: Option<i32>,
    pub utilisation_percent: Option<i32>,
    pub arrival_lead_minutes: Option<i32>,
    pub min_turnout: Option<i32>,
    pub window_change_minutes: Option<i32>,
    pub detour_factor: Option<f64>,
    pub average_speed_kmh: Option<f64>,
    /// Path of an OSRM `table` response for drive times; "" goes back to estimates.
    pub travel_matrix_file: Option<String>,
}

fn check_windows(windows: &[WindowSpec]) -> Result<(), FieldError> {
    if windows.is_empty() || windows.len() > 6 {
        return Err(FieldError::new("windows", "invalid_windows", "1-6 windows"));
    }
    for (i, window) in windows.iter().enumerate() {
        let field = format!("windows[{i}]");
        check_window_name(&window.name)
            .map_err(|e| FieldError::new(field.clone(), e.code, e.message))?;
        if window.start >= window.end {
            return Err(FieldError::new(
                field,
                "invalid_window",
                "start must be before end",
            ));
        }
        if windows[..i].iter().any(|w| w.name == window.name) {
            return Err(FieldError::new(
                field,
                "duplicate_window",
                "window names must be unique",
            ));
        }
    }
    Ok(())
}

/// The file must hold an OSRM table response that can be read now.
fn check_matrix_file(path: &str) -> Result<(), FieldError> {
    let field = "travel_matrix_file";
    let text = std::fs::read_to_string(path)
        .map_err(|e| FieldError::new(field, "unreadable_file", format!("{path}: {e}")))?;
    TravelMatrix::from_osrm_table(&text)
        .map(|_| ())
        .map_err(|e| FieldError::new(field, "invalid_matrix", e.to_string()))
}

impl StationFields {
    /// The given fields over `values`, checked.
    pub fn merge(
        self,
        mut values: StationValues,
        now: DateTime<Utc>,
    ) -> Result<StationValues, FieldError> {
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { values.$field = v; })* };
        }
        take!(
            name,
            time_zone,
            depot_name,
            depot_address,
            depot_lat,
            depot_lon,
            horizon_min_days,
            horizon_max_days,
            cutoff_days_before,
            cutoff_time,
            change_notice_minutes,
            processing_limit_minutes,
            minutes_per_donor,
            platelets_minutes_per_donor,
            plasma_minutes_per_donor,
            setup_minutes,
            packup_minutes,
            utilisation_percent,
            arrival_lead_minutes,
            min_turnout,
            window_change_minutes,
            detour_factor,
            average_speed_kmh
        );
        values.travel_matrix_file =
            optional_text(self.travel_matrix_file, values.travel_matrix_file);
        if let Some(windows) = self.windows {
            check_windows(&windows)?;
            values.windows = windows_to_json(&windows);
        }
        values.name = values.name.trim().to_string();
        check_text("name", &values.name, 1, 100)?;
        check_text("depot_name", &values.depot_name, 1, 100)?;
        check_text("depot_address", &values.depot_address, 1, 200)?;
        if values.time_zone.parse::<Tz>().is_err() {
            return Err(FieldError::new(
                "time_zone",
                "invalid_time_zone",
                "an IANA time zone such as Asia/Shanghai",
            ));
        }
        check_coordinates("depot_", values.depot_lat, values.depot_lon)?;
        in_range("horizon_min_days", values.horizon_min_days, 0, 365)?;
        in_range(
            "horizon_max_days",
            values.horizon_max_days,
            values.horizon_min_days,
            366,
        )?;
        in_range("cutoff_days_before", values.cutoff_days_before, 0, 30)?;
        in_range(
            "change_notice_minutes",
            values.change_notice_minutes,
            0,
            30 * 24 * 60,
        )?;
        in_range(
            "processing_limit_minutes",
            values.processing_limit_minutes,
            30,
            24 * 60,
        )?;
        in_range("minutes_per_donor", values.minutes_per_donor, 1, 240)?;
        in_range(
            "platelets_minutes_per_donor",
            values.platelets_minutes_per_donor,
            1,
            480,
        )?;
        in_range(
            "plasma_minutes_per_donor",
            values.plasma_minutes_per_donor,
            1,
            480,
        )?;
        in_range("setup_minutes", values.setup_minutes, 0, 240)?;
        in_range("packup_minutes", values.packup_minutes, 0, 240)?;
        in_range("utilisation_percent", values.utilisation_percent, 1, 100)?;
        in_range("arrival_lead_minutes", values.arrival_lead_minutes, 0, 240)?;
        in_range("min_turnout", values.min_turnout, 0, 1000)?;
        in_range(
            "window_change_minutes",
            values.window_change_minutes,
            0,
            24 * 60,
        )?;
        in_range("detour_factor", values.detour_factor, 1.0, 5.0)?;
        in_range("average_speed_kmh", values.average_speed_kmh, 5.0, 120.0)?;
        if let Some(path) = &values.travel_matrix_file {
            check_matrix_file(path)?;
        }
        values.updated_at = stored_instant(now);
        Ok(values)
    }
}

/// Adds a station: the required fields, the defaults for the rest.
pub fn create(
    conn: &mut DbConnection,
    fields: StationFields,
    now: DateTime<Utc>,
) -> Result<StationRow, RegistryError> {
    let base = new_station_values(
        &required(fields.name.clone(), "name")?,
        &required(fields.time_zone.clone(), "time_zone")?,
        &required(fields.depot_name.clone(), "depot_name")?,
        &required(fields.depot_address.clone(), "depot_address")?,
        GeoPoint {
            lat: required(fields.depot_lat, "depot_lat")?,
            lon: required(fields.depot_lon, "depot_lon")?,
        },
        stored_instant(now),
    );
    let values = fields.merge(base, now)?;
    Ok(registry::insert_station(conn, &values)?)
}

/// Changes a station's settings; absent fields stay as they are.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    fields: StationFields,
    now: DateTime<Utc>,
) -> Result<StationRow, RegistryError> {
    let not_found = || RegistryError::NotFound {
        what: "station",
        field: "id",
        id,
    };
    let current = registry::find_station(conn, id)?.ok_or_else(not_found)?;
    let values = fields.merge(values_of(&current), now)?;
    registry::update_station(conn, id, &values)?.ok_or_else(not_found)
}
