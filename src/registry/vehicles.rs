//! Bloodmobiles: beds, bag stock, shift and the kinds each collects.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RegistryError;
use super::fields::{check_text, ensure_station, in_range, optional_text, required};
use crate::db::registry::{self, VehicleRow, VehicleValues};
use crate::db::{DbConnection, stored_instant};
use crate::domain::FieldError;
use crate::domain::donation::DonationKind;
use crate::station::kinds_to_text;

/// A vehicle as a dispatcher enters it. On a change every field is optional.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleFields {
    pub station_id: Option<i64>,
    pub name: Option<String>,
    pub plate: Option<String>,
    #[schema(minimum = 1, maximum = 50)]
    pub beds: Option<i32>,
    #[schema(minimum = 1, maximum = 1000)]
    pub donors_per_day: Option<i32>,
    #[schema(value_type = Option<String>)]
    pub shift_start: Option<NaiveTime>,
    #[schema(value_type = Option<String>)]
    pub shift_end: Option<NaiveTime>,
    pub kinds: Option<Vec<DonationKind>>,
    pub active: Option<bool>,
}

impl VehicleFields {
    /// Applies the given fields over `base` (none for a new vehicle) and checks the result.
    pub fn merge(
        self,
        base: Option<&VehicleRow>,
        now: DateTime<Utc>,
    ) -> Result<VehicleValues, FieldError> {
        let kinds = match self.kinds {
            Some(mut kinds) => {
                kinds.sort_by_key(|k| k.as_str());
                kinds.dedup();
                if kinds.is_empty() {
                    return Err(FieldError::new(
                        "kinds",
                        "required",
                        "at least one donation kind",
                    ));
                }
                kinds_to_text(&kinds)
            }
            None => base
                .map(|b| b.kinds.clone())
                .unwrap_or_else(|| DonationKind::WholeBlood.as_str().to_string()),
        };
        let values = VehicleValues {
            station_id: required(self.station_id.or(base.map(|b| b.station_id)), "station_id")?,
            name: required(self.name.or(base.map(|b| b.name.clone())), "name")?
                .trim()
                .to_string(),
            plate: optional_text(self.plate, base.and_then(|b| b.plate.clone())),
            beds: required(self.beds.or(base.map(|b| b.beds)), "beds")?,
            donors_per_day: required(
                self.donors_per_day.or(base.map(|b| b.donors_per_day)),
                "donors_per_day",
            )?,
            shift_start: required(
                self.shift_start.or(base.map(|b| b.shift_start)),
                "shift_start",
            )?,
            shift_end: required(self.shift_end.or(base.map(|b| b.shift_end)), "shift_end")?,
            kinds,
            active: self.active.or(base.map(|b| b.active)).unwrap_or(true),
            updated_at: stored_instant(now),
        };
        check_text("name", &values.name, 1, 64)?;
        if let Some(plate) = &values.plate {
            check_text("plate", plate, 1, 20)?;
        }
        in_range("beds", values.beds, 1, 50)?;
        in_range("donors_per_day", values.donors_per_day, 1, 1000)?;
        if values.shift_start >= values.shift_end {
            return Err(FieldError::new(
                "shift_end",
                "invalid_shift",
                "must be after shift_start",
            ));
        }
        Ok(values)
    }
}

/// Adds a vehicle to a station's fleet.
pub fn create(
    conn: &mut DbConnection,
    fields: VehicleFields,
    now: DateTime<Utc>,
) -> Result<VehicleRow, RegistryError> {
    let values = fields.merge(None, now)?;
    ensure_station(conn, values.station_id)?;
    Ok(registry::insert_vehicle(conn, &values)?)
}

/// Changes a vehicle; absent fields stay as they are (`active: false` takes it out of service).
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    fields: VehicleFields,
    now: DateTime<Utc>,
) -> Result<VehicleRow, RegistryError> {
    let not_found = || RegistryError::NotFound {
        what: "vehicle",
        field: "id",
        id,
    };
    let current = registry::find_vehicle(conn, id)?.ok_or_else(not_found)?;
    let values = fields.merge(Some(&current), now)?;
    ensure_station(conn, values.station_id)?;
    registry::update_vehicle(conn, id, &values)?.ok_or_else(not_found)
}
