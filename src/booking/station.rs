//! A station's stored configuration turned into the domain's policies.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::BookingError;
use crate::db::registry::{FleetRow, StationRow};
use crate::domain::calendar::{BookingPolicy, WindowDef};
use crate::domain::capacity::{CapacityPolicy, FleetVehicle, day_seats};
use crate::domain::donation::DonationKind;

/// A half-day window as stored and shown: a name and local wall-clock times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// e.g. "morning"
    pub name: String,
    /// Local start, "08:00:00".
    #[schema(value_type = String, example = "08:00:00")]
    pub start: NaiveTime,
    /// Local end, "12:00:00".
    #[schema(value_type = String, example = "12:00:00")]
    pub end: NaiveTime,
}

pub fn windows_from_json(text: &str) -> Result<Vec<WindowSpec>, serde_json::Error> {
    serde_json::from_str(text)
}

pub fn windows_to_json(windows: &[WindowSpec]) -> String {
    serde_json::to_string(windows).expect("windows serialise")
}

/// Everything the booking rules need to know about one station.
#[derive(Debug, Clone)]
pub struct StationConfig {
    pub id: i64,
    pub name: String,
    pub tz: Tz,
    pub booking: BookingPolicy,
    pub capacity: CapacityPolicy,
}

impl StationConfig {
    pub fn from_row(row: &StationRow) -> Result<StationConfig, BookingError> {
        let bad = |what: String| BookingError::Internal(format!("station {}: {}", row.id, what));
        let tz: Tz = row
            .time_zone
            .parse()
            .map_err(|_| bad(format!("unknown time zone {}", row.time_zone)))?;
        let windows = windows_from_json(&row.windows)
            .map_err(|e| bad(format!("windows: {e}")))?
            .into_iter()
            .map(|w| WindowDef {
                name: w.name,
                start: w.start,
                end: w.end,
            })
            .collect();
        let non_negative =
            |v: i32| u32::try_from(v).map_err(|_| bad(format!("negative setting {v}")));
        let mut booking = BookingPolicy::with_defaults(tz);
        booking.windows = windows;
        booking.horizon_min_days = non_negative(row.horizon_min_days)?;
        booking.horizon_max_days = non_negative(row.horizon_max_days)?;
        booking.cutoff_days_before = non_negative(row.cutoff_days_before)?;
        booking.cutoff_time = row.cutoff_time;
        booking.change_notice_minutes = non_negative(row.change_notice_minutes)?;
        let capacity = CapacityPolicy {
            minutes_per_donor: non_negative(row.minutes_per_donor)?,
            setup_minutes: non_negative(row.setup_minutes)?,
            packup_minutes: non_negative(row.packup_minutes)?,
            utilisation_percent: non_negative(row.utilisation_percent)?,
        };
        Ok(StationConfig {
            id: row.id,
            name: row.name.clone(),
            tz,
            booking,
            capacity,
        })
    }

    /// Seats of each window of a day, in the order of `booking.windows`.
    pub fn seats_per_window(&self, fleet: &[FleetVehicle]) -> Vec<u32> {
        day_seats(fleet, &self.booking.windows, &self.capacity)
    }

    pub fn window_index(&self, name: &str) -> Option<usize> {
        self.booking.windows.iter().position(|w| w.name == name)
    }
}

/// The active vehicles of a station as the capacity rule sees them.
pub fn fleet(rows: &[FleetRow]) -> Vec<FleetVehicle> {
    rows.iter()
        .map(|v| FleetVehicle {
            beds: v.beds.max(0) as u32,
            donors_per_day: v.donors_per_day.max(0) as u32,
            shift_start: v.shift_start,
            shift_end: v.shift_end,
            kinds: parse_kinds(&v.kinds),
        })
        .collect()
}

/// Kinds as stored on a vehicle: a comma-separated list.
pub fn parse_kinds(text: &str) -> Vec<DonationKind> {
    text.split(',')
        .filter_map(|k| DonationKind::parse(k.trim()))
        .collect()
}

pub fn kinds_to_text(kinds: &[DonationKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
