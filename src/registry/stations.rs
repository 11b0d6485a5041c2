//! Stations: their settings, checked and merged over the stored values or the defaults.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RegistryError;
use super::fields::{check_coordinates, check_text, in_range, optional_text, required};
use crate::db::registry::{self, StationRow, StationValues};
use crate::db::{DbConnection, stored_instant};
use crate::domain::FieldError;
use crate::domain::calendar::check_window_name;
use crate::domain::donation::VolumeOptions;
use crate::domain::eligibility::{PlasmaPolicy, Wait};
use crate::routing::{GeoPoint, TravelMatrix};
use crate::station::{
    WindowSpec, new_station_values, plasma_from_json, plasma_to_json, values_of, windows_to_json,
};

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
    /// Local hour of the reminder the day before (8-20).
    pub reminder_hour: Option<i32>,
    /// Text messages one phone receives in a day at most.
    pub sms_daily_cap: Option<i32>,
    pub detour_factor: Option<f64>,
    pub average_speed_kmh: Option<f64>,
    /// Path of an OSRM `table` response for drive times; "" goes back to estimates.
    pub travel_matrix_file: Option<String>,
    /// The station's own plasma rules (off by default); absent members stay as they are.
    pub plasma: Option<PlasmaFields>,
}

/// A change of the station's plasma policy: absent members stay as they are. Turning plasma on
/// without `effective_from` makes the rules apply from the station's local today.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlasmaFields {
    pub offered: Option<bool>,
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_from: Option<NaiveDate>,
    pub volumes: Option<VolumeOptions>,
    pub after_whole_blood: Option<Wait>,
    pub after_platelets: Option<Wait>,
    pub after_plasma: Option<Wait>,
    pub whole_blood_after: Option<Wait>,
    pub platelets_after: Option<Wait>,
    pub per_year: Option<u32>,
    pub ml_per_year: Option<u32>,
}

/// The GB 18467-2011 took effect on 2012-07-01; no station rule predates it.
const EARLIEST_POLICY: NaiveDate = crate::domain::eligibility::rules::GB_18467_2011_FROM;

impl PlasmaFields {
    /// The given members over `policy`, checked; `today` is the station's local day.
    fn merge(self, mut policy: PlasmaPolicy, today: NaiveDate) -> Result<PlasmaPolicy, FieldError> {
        let turned_on = self.offered == Some(true) && !policy.offered;
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { policy.$field = v; })* };
        }
        take!(
            offered,
            volumes,
            after_whole_blood,
            after_platelets,
            after_plasma,
            whole_blood_after,
            platelets_after,
            per_year,
            ml_per_year
        );
        match self.effective_from {
            Some(from) => policy.effective_from = Some(from),
            None if turned_on => policy.effective_from = Some(today),
            None => {}
        }
        check_plasma(&policy)?;
        Ok(policy)
    }
}

fn check_plasma(policy: &PlasmaPolicy) -> Result<(), FieldError> {
    let field = |name: &str| format!("plasma.{name}");
    if let Some(from) = policy.effective_from
        && from < EARLIEST_POLICY
    {
        return Err(FieldError::new(
            field("effective_from"),
            "invalid_date",
            format!("must not be before {EARLIEST_POLICY}"),
        ));
    }
    let volumes = &policy.volumes;
    let ascending = volumes.allowed_ml.windows(2).all(|w| w[0] < w[1]);
    if volumes.allowed_ml.is_empty()
        || volumes.allowed_ml.len() > 20
        || !ascending
        || volumes
            .allowed_ml
            .iter()
            .any(|ml| !(50..=1000).contains(ml))
    {
        return Err(FieldError::new(
            field("volumes.allowed_ml"),
            "invalid_volumes",
            "1-20 volumes between 50 and 1000 ml, ascending",
        ));
    }
    if !volumes.allowed_ml.contains(&volumes.default_ml) {
        return Err(FieldError::new(
            field("volumes.default_ml"),
            "invalid_volumes",
            "must be one of allowed_ml",
        ));
    }
    for (name, wait) in [
        ("after_whole_blood", policy.after_whole_blood),
        ("after_platelets", policy.after_platelets),
        ("after_plasma", policy.after_plasma),
        ("whole_blood_after", policy.whole_blood_after),
        ("platelets_after", policy.platelets_after),
    ] {
        let fine = match wait {
            Wait::Days(n) => (1..=730).contains(&n),
            Wait::Months(n) => (1..=24).contains(&n),
            Wait::Hours(_) => false,
        };
        if !fine {
            return Err(FieldError::new(
                field(name),
                "invalid_wait",
                "{\"days\": 1-730} or {\"months\": 1-24}",
            ));
        }
    }
    if !(1..=52).contains(&policy.per_year) {
        return Err(FieldError::new(
            field("per_year"),
            "out_of_range",
            "must be between 1 and 52",
        ));
    }
    let largest = volumes.allowed_ml.iter().copied().max().unwrap_or(0);
    if !(largest..=20_000).contains(&policy.ml_per_year) {
        return Err(FieldError::new(
            field("ml_per_year"),
            "out_of_range",
            format!("must be between the largest volume ({largest} ml) and 20000"),
        ));
    }
    Ok(())
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
            reminder_hour,
            sms_daily_cap,
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
        // Up to a year and a month: a drive booked a year ahead, and its reminders.
        in_range(
            "horizon_max_days",
            values.horizon_max_days,
            values.horizon_min_days,
            400,
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
        in_range("reminder_hour", values.reminder_hour, 8, 20)?;
        in_range("sms_daily_cap", values.sms_daily_cap, 0, 50)?;
        in_range("detour_factor", values.detour_factor, 1.0, 5.0)?;
        in_range("average_speed_kmh", values.average_speed_kmh, 5.0, 120.0)?;
        if let Some(path) = &values.travel_matrix_file {
            check_matrix_file(path)?;
        }
        if let Some(plasma) = self.plasma {
            let tz: Tz = values.time_zone.parse().expect("time zone checked above");
            let today = now.with_timezone(&tz).date_naive();
            let current = plasma_from_json(&values.plasma_policy).unwrap_or_default();
            values.plasma_policy = plasma_to_json(&plasma.merge(current, today)?);
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
