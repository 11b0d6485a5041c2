//! Whether any bloodmobile can serve a site at all in a window: out from the depot, one donor,
//! back within its shift and the processing limit. The seat rule sells nothing else.

use chrono::NaiveDate;

use super::clock::DayClock;
use super::routes::window_seconds;
use super::travel::travel_for;
use crate::domain::capacity::FleetVehicle;
use crate::domain::donation::{DonationKind, KindCounts};
use crate::routing::fixed::{DayContext, FixedVisit, time_route};
use crate::routing::{GeoPoint, Stop, Vehicle};
use crate::station::Station;

/// Whether some vehicle of `fleet` collecting `kind` can drive to `site`, serve one donor
/// inside window `window` of `date`, and be back in time. A station whose road matrix cannot
/// be read reaches nothing (planning would fail too).
pub fn reaches(
    station: &Station,
    fleet: &[FleetVehicle],
    site: GeoPoint,
    date: NaiveDate,
    window: &str,
    kind: DonationKind,
) -> bool {
    let Ok(travel) = travel_for(station, vec![station.depot, site]) else {
        return false;
    };
    let clock = DayClock::new(station.tz, date);
    let (window_start, window_end) = window_seconds(station, &clock, date, window);
    let stops = [Stop {
        id: 1,
        location: 1,
        window_start,
        window_end,
        donors: KindCounts::one(kind, 1),
        locked_to: None,
        published: None,
    }];
    let service = station.service_times();
    fleet.iter().filter(|v| v.collects(kind)).any(|v| {
        let vehicles = [Vehicle {
            id: 1,
            depot: 0,
            shift_start: clock.seconds_at(date, v.shift_start),
            shift_end: clock.seconds_at(date, v.shift_end),
            beds: v.beds.max(1),
            donors_per_day: v.donors_per_day,
            kinds: v.kinds.clone(),
        }];
        let ctx = DayContext {
            stops: &stops,
            vehicles: &vehicles,
            travel: travel.as_ref(),
            service: &service,
            processing_limit_s: Some(station.processing_limit_s()),
        };
        let visit = FixedVisit {
            stop: 0,
            donors: KindCounts::one(kind, 1),
        };
        time_route(&ctx, 0, &[visit]).is_ok()
    })
}
