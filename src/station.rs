//! One station model: a stored station turned into everything the rules and the planner need,
//! in one place, so the seats sold and the routes planned come from the same numbers.
//!
//! The numbers a new station starts with are the domain's defaults (`BookingPolicy`,
//! `CapacityPolicy`, `DispatchPolicy`, `TravelPolicy`, `PlasmaPolicy`); the stored row is the
//! truth after that.

use chrono::{NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::bookings::BookedDay;
use crate::db::registry::{FleetRow, StationRow, StationValues};
use crate::domain::calendar::{BookingPolicy, WindowDef};
use crate::domain::capacity::{CapacityPolicy, CapacityRule, FleetVehicle};
use crate::domain::dispatch::{DispatchPolicy, TravelPolicy};
use crate::domain::donation::{DonationKind, KindCounts, VolumeRules};
use crate::domain::eligibility::{PlasmaPolicy, RuleBook};
use crate::domain::notice::NoticePolicy;
use crate::routing::{GeoPoint, ServiceTimes};

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

/// A stored plasma policy: absent numbers are the domain's defaults.
pub fn plasma_from_json(text: &str) -> Result<PlasmaPolicy, serde_json::Error> {
    serde_json::from_str(text)
}

pub fn plasma_to_json(policy: &PlasmaPolicy) -> String {
    serde_json::to_string(policy).expect("a plasma policy serialises")
}

/// A stored station that cannot be read (a bug or a hand-edited row).
#[derive(Debug, thiserror::Error)]
#[error("station {id}: {reason}")]
pub struct CorruptStation {
    pub id: i64,
    pub reason: String,
}

/// Everything the booking rules, the capacity rule and the planner need to know about one
/// station.
#[derive(Debug, Clone)]
pub struct Station {
    pub id: i64,
    pub name: String,
    pub tz: Tz,
    pub depot_name: String,
    pub depot: GeoPoint,
    pub booking: BookingPolicy,
    pub capacity: CapacityPolicy,
    pub dispatch: DispatchPolicy,
    pub travel: TravelPolicy,
    /// An OSRM `table` response to use for drive times instead of great-circle estimates.
    pub travel_matrix_file: Option<String>,
    /// Whether and how the station collects plasma on its own.
    pub plasma: PlasmaPolicy,
    /// When donors are reminded, and how many text messages a phone gets a day.
    pub notices: NoticePolicy,
}

impl Station {
    pub fn from_row(row: &StationRow) -> Result<Station, CorruptStation> {
        let bad = |reason: String| CorruptStation { id: row.id, reason };
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
        let n = |v: i32| u32::try_from(v).map_err(|_| bad(format!("negative setting {v}")));
        let mut booking = BookingPolicy::with_defaults(tz);
        booking.windows = windows;
        booking.horizon_min_days = n(row.horizon_min_days)?;
        booking.horizon_max_days = n(row.horizon_max_days)?;
        booking.cutoff_days_before = n(row.cutoff_days_before)?;
        booking.cutoff_time = row.cutoff_time;
        booking.change_notice_minutes = n(row.change_notice_minutes)?;
        let capacity = CapacityPolicy {
            minutes_per_donor: KindCounts {
                whole_blood: n(row.minutes_per_donor)?,
                platelets: n(row.platelets_minutes_per_donor)?,
                plasma: n(row.plasma_minutes_per_donor)?,
            },
            setup_minutes: n(row.setup_minutes)?,
            packup_minutes: n(row.packup_minutes)?,
            utilisation_percent: n(row.utilisation_percent)?,
        };
        let dispatch = DispatchPolicy {
            processing_limit_minutes: n(row.processing_limit_minutes)?,
            arrival_lead_minutes: n(row.arrival_lead_minutes)?,
            min_turnout: n(row.min_turnout)?,
            window_change_minutes: n(row.window_change_minutes)?,
        };
        Ok(Station {
            id: row.id,
            name: row.name.clone(),
            tz,
            depot_name: row.depot_name.clone(),
            depot: GeoPoint {
                lon: row.depot_lon,
                lat: row.depot_lat,
            },
            booking,
            capacity,
            dispatch,
            travel: TravelPolicy {
                detour_factor: row.detour_factor,
                average_speed_kmh: row.average_speed_kmh,
            },
            travel_matrix_file: row.travel_matrix_file.clone(),
            plasma: plasma_from_json(&row.plasma_policy)
                .map_err(|e| bad(format!("plasma policy: {e}")))?,
            notices: NoticePolicy {
                reminder_hour: n(row.reminder_hour)?,
                sms_daily_cap: n(row.sms_daily_cap)?,
            },
        })
    }

    /// The eligibility rules the station applies: the national rules and its plasma policy.
    pub fn rule_book(&self) -> RuleBook {
        RuleBook::new(&self.plasma)
    }

    /// The volumes the station collects of each kind.
    pub fn volumes(&self) -> VolumeRules {
        let mut volumes = VolumeRules::default();
        volumes.plasma = self.plasma.volumes.clone();
        volumes
    }

    /// Whether the station takes bookings of `kind` for `date` (plasma only under its policy).
    pub fn collects(&self, kind: DonationKind, date: chrono::NaiveDate) -> bool {
        kind != DonationKind::Plasma || self.plasma.offered_on(date)
    }

    /// The planner's service times: the minutes the capacity rule sells seats with.
    pub fn service_times(&self) -> ServiceTimes {
        ServiceTimes::from(&self.capacity)
    }

    /// The processing limit in seconds.
    pub fn processing_limit_s(&self) -> i64 {
        i64::from(self.dispatch.processing_limit_minutes) * 60
    }

    /// The seat rule of a day with this fleet: the planner's minutes, before a plan exists.
    pub fn capacity_rule<'a>(&'a self, fleet: &'a [FleetVehicle]) -> CapacityRule<'a> {
        CapacityRule {
            fleet,
            windows: &self.booking.windows,
            policy: &self.capacity,
            day_limit_minutes: self.dispatch.processing_limit_minutes,
        }
    }

    /// Donors of `kind` that can still join `site_id` in window `window_index`, at most `cap`,
    /// before the day has a plan; `booked` is the day's bookings.
    pub fn room(
        &self,
        fleet: &[FleetVehicle],
        window_index: usize,
        site_id: i64,
        booked: &BookedDay,
        kind: DonationKind,
        cap: u32,
    ) -> u32 {
        let day: Vec<Vec<(i64, KindCounts)>> = self
            .booking
            .windows
            .iter()
            .map(|w| booked.get(&w.name).cloned().unwrap_or_default())
            .collect();
        self.capacity_rule(fleet)
            .room(window_index, site_id, &day, kind, cap)
    }

    pub fn window_index(&self, name: &str) -> Option<usize> {
        self.booking.windows.iter().position(|w| w.name == name)
    }
}

/// A new station's stored values: its name and depot, and the domain's defaults for the rest.
pub fn new_station_values(
    name: &str,
    time_zone: &str,
    depot_name: &str,
    depot_address: &str,
    depot: GeoPoint,
    now: NaiveDateTime,
) -> StationValues {
    let booking = BookingPolicy::with_defaults(chrono_tz::UTC);
    let capacity = CapacityPolicy::default();
    let dispatch = DispatchPolicy::default();
    let travel = TravelPolicy::default();
    let windows: Vec<WindowSpec> = booking
        .windows
        .iter()
        .map(|w| WindowSpec {
            name: w.name.clone(),
            start: w.start,
            end: w.end,
        })
        .collect();
    let signed = |v: u32| i32::try_from(v).expect("default settings are small");
    StationValues {
        name: name.to_string(),
        time_zone: time_zone.to_string(),
        depot_name: depot_name.to_string(),
        depot_address: depot_address.to_string(),
        depot_lat: depot.lat,
        depot_lon: depot.lon,
        windows: windows_to_json(&windows),
        horizon_min_days: signed(booking.horizon_min_days),
        horizon_max_days: signed(booking.horizon_max_days),
        cutoff_days_before: signed(booking.cutoff_days_before),
        cutoff_time: booking.cutoff_time,
        change_notice_minutes: signed(booking.change_notice_minutes),
        processing_limit_minutes: signed(dispatch.processing_limit_minutes),
        minutes_per_donor: signed(capacity.minutes_per_donor.whole_blood),
        platelets_minutes_per_donor: signed(capacity.minutes_per_donor.platelets),
        plasma_minutes_per_donor: signed(capacity.minutes_per_donor.plasma),
        setup_minutes: signed(capacity.setup_minutes),
        packup_minutes: signed(capacity.packup_minutes),
        utilisation_percent: signed(capacity.utilisation_percent),
        arrival_lead_minutes: signed(dispatch.arrival_lead_minutes),
        min_turnout: signed(dispatch.min_turnout),
        window_change_minutes: signed(dispatch.window_change_minutes),
        detour_factor: travel.detour_factor,
        average_speed_kmh: travel.average_speed_kmh,
        travel_matrix_file: None,
        plasma_policy: plasma_to_json(&PlasmaPolicy::default()),
        reminder_hour: signed(NoticePolicy::default().reminder_hour),
        sms_daily_cap: signed(NoticePolicy::default().sms_daily_cap),
        updated_at: now,
    }
}

/// A stored station's values, to merge a change into.
pub fn values_of(row: &StationRow) -> StationValues {
    StationValues {
        name: row.name.clone(),
        time_zone: row.time_zone.clone(),
        depot_name: row.depot_name.clone(),
        depot_address: row.depot_address.clone(),
        depot_lat: row.depot_lat,
        depot_lon: row.depot_lon,
        windows: row.windows.clone(),
        horizon_min_days: row.horizon_min_days,
        horizon_max_days: row.horizon_max_days,
        cutoff_days_before: row.cutoff_days_before,
        cutoff_time: row.cutoff_time,
        change_notice_minutes: row.change_notice_minutes,
        processing_limit_minutes: row.processing_limit_minutes,
        minutes_per_donor: row.minutes_per_donor,
        platelets_minutes_per_donor: row.platelets_minutes_per_donor,
        plasma_minutes_per_donor: row.plasma_minutes_per_donor,
        setup_minutes: row.setup_minutes,
        packup_minutes: row.packup_minutes,
        utilisation_percent: row.utilisation_percent,
        arrival_lead_minutes: row.arrival_lead_minutes,
        min_turnout: row.min_turnout,
        window_change_minutes: row.window_change_minutes,
        detour_factor: row.detour_factor,
        average_speed_kmh: row.average_speed_kmh,
        travel_matrix_file: row.travel_matrix_file.clone(),
        plasma_policy: row.plasma_policy.clone(),
        reminder_hour: row.reminder_hour,
        sms_daily_cap: row.sms_daily_cap,
        updated_at: row.updated_at,
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

#[cfg(test)]
fn stored(values: StationValues) -> StationRow {
    StationRow {
        id: 1,
        name: values.name,
        time_zone: values.time_zone,
        depot_name: values.depot_name,
        depot_address: values.depot_address,
        depot_lat: values.depot_lat,
        depot_lon: values.depot_lon,
        windows: values.windows,
        horizon_min_days: values.horizon_min_days,
        horizon_max_days: values.horizon_max_days,
        cutoff_days_before: values.cutoff_days_before,
        cutoff_time: values.cutoff_time,
        change_notice_minutes: values.change_notice_minutes,
        processing_limit_minutes: values.processing_limit_minutes,
        minutes_per_donor: values.minutes_per_donor,
        setup_minutes: values.setup_minutes,
        packup_minutes: values.packup_minutes,
        utilisation_percent: values.utilisation_percent,
        created_at: values.updated_at,
        updated_at: values.updated_at,
        platelets_minutes_per_donor: values.platelets_minutes_per_donor,
        plasma_minutes_per_donor: values.plasma_minutes_per_donor,
        arrival_lead_minutes: values.arrival_lead_minutes,
        min_turnout: values.min_turnout,
        window_change_minutes: values.window_change_minutes,
        detour_factor: values.detour_factor,
        average_speed_kmh: values.average_speed_kmh,
        travel_matrix_file: values.travel_matrix_file,
        plasma_policy: values.plasma_policy,
        reminder_hour: values.reminder_hour,
        sms_daily_cap: values.sms_daily_cap,
    }
}

#[cfg(test)]
/// A station with every default, around a depot in Jingzhou (for tests).
pub(crate) fn sample_station() -> Station {
    let depot = GeoPoint {
        lon: 112.25,
        lat: 30.32,
    };
    let now = chrono::Utc::now().naive_utc();
    Station::from_row(&stored(new_station_values(
        "s",
        "Asia/Shanghai",
        "d",
        "a",
        depot,
        now,
    )))
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_station() -> Station {
        sample_station()
    }

    #[test]
    fn a_new_station_has_the_domain_defaults() {
        let station = new_station();
        assert_eq!(station.capacity, CapacityPolicy::default());
        assert_eq!(station.dispatch, DispatchPolicy::default());
        assert_eq!(station.travel, TravelPolicy::default());
        assert_eq!(station.plasma, PlasmaPolicy::default());
        assert!(!station.collects(DonationKind::Plasma, chrono::NaiveDate::MAX));
        assert_eq!(station.volumes(), VolumeRules::default());
        let mut booking = BookingPolicy::with_defaults(chrono_tz::Asia::Shanghai);
        booking.tz = station.tz;
        assert_eq!(station.booking, booking);
    }

    #[test]
    fn the_planner_serves_in_the_minutes_the_seats_are_sold_in() {
        let station = new_station();
        let service = station.service_times();
        let minutes = &station.capacity.minutes_per_donor;
        assert_eq!(
            service.setup_s,
            i64::from(station.capacity.setup_minutes) * 60
        );
        assert_eq!(
            service.pack_up_s,
            i64::from(station.capacity.packup_minutes) * 60
        );
        for kind in DonationKind::ALL {
            assert_eq!(service.per_donor_s.get(kind), minutes.get(kind) * 60);
        }
        assert_eq!(station.processing_limit_s(), 6 * 3600);
    }
}
