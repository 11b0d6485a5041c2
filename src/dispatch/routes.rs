//! A stored plan version as the routing code sees it: one routing stop per stored stop, one
//! route per available vehicle, drive times among their places. Moves, insertions, removals
//! and checks all go through `routing::fixed` with this, the planner's own rules.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::DispatchError;
use super::clock::DayClock;
use super::travel::travel_for;
use crate::db::plans::{RouteRow, StopRow};
use crate::db::registry::{SiteRow, VehicleRow};
use crate::domain::donation::KindCounts;
use crate::routing::fixed::{DayContext, FixedRoute, FixedVisit};
use crate::routing::matrix::Travel;
use crate::routing::{GeoPoint, PlannedRoute, ServiceTimes, Stop, Vehicle};
use crate::station::{Station, parse_kinds};

/// A version's stops and routes, ready for `routing::fixed`.
pub struct PlanRoutes {
    pub clock: DayClock,
    /// One routing stop per stored stop (ids are the stored stop ids), then any added by
    /// [`PlanRoutes::add_stop`].
    pub stops: Vec<Stop>,
    /// The stored rows, in the order of `stops` (added stops have none).
    pub rows: Vec<StopRow>,
    /// Available vehicles (active, not taken out).
    pub vehicles: Vec<Vehicle>,
    /// One route per vehicle, in the order of `vehicles`.
    pub routes: Vec<FixedRoute>,
    pub travel: Box<dyn Travel + Send + Sync>,
    pub service: ServiceTimes,
    pub processing_limit_s: i64,
    /// Location of each site.
    locations: HashMap<i64, usize>,
    points: Vec<GeoPoint>,
    /// Per stop id: the part of the day (seconds) its donors were told to be at the gate.
    promises: HashMap<u64, (i64, i64)>,
}

/// Seconds of the day at which `window` of `station` opens and closes ((0, 0): unknown window).
pub fn window_seconds(
    station: &Station,
    clock: &DayClock,
    date: NaiveDate,
    window: &str,
) -> (i64, i64) {
    match station.booking.window(window) {
        Some(w) => (
            clock.seconds_at(date, w.start),
            clock.seconds_at(date, w.end),
        ),
        None => (0, 0),
    }
}

/// A vehicle as the planner sees it, its shift in seconds of the day.
pub fn routing_vehicle(row: &VehicleRow, clock: &DayClock, date: NaiveDate) -> Vehicle {
    Vehicle {
        id: row.id as u64,
        depot: 0,
        shift_start: clock.seconds_at(date, row.shift_start),
        shift_end: clock.seconds_at(date, row.shift_end),
        beds: row.beds.max(1) as u32,
        donors_per_day: row.donors_per_day.max(0) as u32,
        kinds: parse_kinds(&row.kinds),
    }
}

pub fn stop_donors(row: &StopRow) -> KindCounts {
    KindCounts {
        whole_blood: row.whole_blood.max(0) as u32,
        platelets: row.platelets.max(0) as u32,
        plasma: row.plasma.max(0) as u32,
    }
}

impl PlanRoutes {
    /// Builds the routing view of `stops` (one version's rows) for the `available` vehicles.
    /// `extra_sites` are places that may be added later (a new booking's site).
    pub fn build(
        station: &Station,
        date: NaiveDate,
        available: &[VehicleRow],
        sites: &HashMap<i64, SiteRow>,
        stops: &[StopRow],
        extra_sites: &[i64],
    ) -> Result<PlanRoutes, DispatchError> {
        let clock = DayClock::new(station.tz, date);
        let mut points = vec![station.depot];
        let mut locations: HashMap<i64, usize> = HashMap::new();
        let site_ids = stops
            .iter()
            .map(|s| s.site_id)
            .chain(extra_sites.iter().copied());
        for site_id in site_ids {
            if locations.contains_key(&site_id) {
                continue;
            }
            let site = sites
                .get(&site_id)
                .ok_or_else(|| DispatchError::Corrupt(format!("site {site_id} is missing")))?;
            locations.insert(site_id, points.len());
            points.push(GeoPoint {
                lon: site.lon,
                lat: site.lat,
            });
        }
        let vehicles: Vec<Vehicle> = available
            .iter()
            .map(|v| routing_vehicle(v, &clock, date))
            .collect();
        let mut routes: Vec<FixedRoute> = (0..vehicles.len())
            .map(|vehicle| FixedRoute {
                vehicle,
                visits: Vec::new(),
            })
            .collect();
        let mut routing_stops = Vec::with_capacity(stops.len());
        let mut on_route: Vec<(usize, i32, usize)> = Vec::new();
        let mut promises = HashMap::new();
        for (index, row) in stops.iter().enumerate() {
            let (window_start, window_end) =
                window_seconds(station, &clock, date, &row.time_window);
            let promise = row
                .promised_from
                .zip(row.promised_to)
                .map(|(from, to)| (clock.seconds_of(from), clock.seconds_of(to)));
            if let Some(promise) = promise {
                promises.insert(row.stop_id as u64, promise);
            }
            routing_stops.push(Stop {
                id: row.stop_id as u64,
                location: locations[&row.site_id],
                window_start,
                window_end,
                donors: stop_donors(row),
                locked_to: row.vehicle_id.filter(|_| row.locked).map(|v| v as u64),
                published: promise,
            });
            if let Some(vehicle_id) = row.vehicle_id
                && let Some(vehicle) = available.iter().position(|v| v.id == vehicle_id)
            {
                on_route.push((vehicle, row.position, index));
            }
        }
        on_route.sort_unstable();
        for (vehicle, _, index) in on_route {
            routes[vehicle].visits.push(FixedVisit {
                stop: index,
                donors: routing_stops[index].donors,
            });
        }
        let travel = travel_for(station, points.clone())?;
        Ok(PlanRoutes {
            clock,
            stops: routing_stops,
            rows: stops.to_vec(),
            vehicles,
            routes,
            travel,
            service: station.service_times(),
            processing_limit_s: station.processing_limit_s(),
            locations,
            points,
            promises,
        })
    }

    pub fn context(&self) -> DayContext<'_> {
        DayContext {
            stops: &self.stops,
            vehicles: &self.vehicles,
            travel: self.travel.as_ref(),
            service: &self.service,
            processing_limit_s: Some(self.processing_limit_s),
        }
    }

    /// Index of the stop with this stored id.
    pub fn stop_index(&self, stop_id: i32) -> Option<usize> {
        self.rows.iter().position(|r| r.stop_id == stop_id)
    }

    /// Index of the available vehicle with this id.
    pub fn vehicle_index(&self, vehicle_id: i64) -> Option<usize> {
        self.vehicles.iter().position(|v| v.id == vehicle_id as u64)
    }

    /// Adds a routing stop for a site in a window (no donors yet); returns its index. Its site
    /// must have been among the `extra_sites`.
    pub fn add_stop(
        &mut self,
        station: &Station,
        date: NaiveDate,
        site_id: i64,
        window: &str,
        stop_id: i32,
    ) -> usize {
        let (window_start, window_end) = window_seconds(station, &self.clock, date, window);
        self.stops.push(Stop {
            id: stop_id as u64,
            location: self.locations[&site_id],
            window_start,
            window_end,
            donors: KindCounts::default(),
            locked_to: None,
            published: None,
        });
        self.stops.len() - 1
    }

    /// The location of a site (its index among the points).
    pub fn point(&self, site_id: i64) -> Option<GeoPoint> {
        self.locations.get(&site_id).map(|&i| self.points[i])
    }

    /// Whether a timed route keeps every stop's promise: its donors were told an arrival
    /// window, and the stop still runs inside it.
    pub fn keeps_promises(&self, timed: &PlannedRoute) -> bool {
        timed.visits.iter().all(|visit| {
            self.promises
                .get(&visit.stop_id)
                .is_none_or(|&(from, to)| visit.start_s >= from && visit.departure_s <= to)
        })
    }

    /// The stored rows of a vehicle's route after `timed`: every stop re-timed and numbered,
    /// donor counts from the route's visits. `template` gives the rows of stops not stored yet.
    pub fn rows_for(
        &self,
        plan_id: i64,
        vehicle: usize,
        route: &FixedRoute,
        timed: &PlannedRoute,
        template: &dyn Fn(usize) -> StopRow,
    ) -> (Vec<StopRow>, Option<RouteRow>) {
        let vehicle_id = self.vehicles[vehicle].id as i64;
        let mut rows = Vec::with_capacity(route.visits.len());
        for (p, (visit, planned)) in route.visits.iter().zip(&timed.visits).enumerate() {
            let mut row = self
                .rows
                .get(visit.stop)
                .cloned()
                .unwrap_or_else(|| template(visit.stop));
            row.plan_id = plan_id;
            row.vehicle_id = Some(vehicle_id);
            row.position = p as i32 + 1;
            row.arrival_at = Some(self.clock.stored(planned.arrival_s));
            row.start_at = Some(self.clock.stored(planned.start_s));
            row.end_at = Some(self.clock.stored(planned.departure_s));
            row.whole_blood = visit.donors.whole_blood as i32;
            row.platelets = visit.donors.platelets as i32;
            row.plasma = visit.donors.plasma as i32;
            row.left_out_reason = None;
            rows.push(row);
        }
        let route_row = (!rows.is_empty()).then(|| RouteRow {
            plan_id,
            vehicle_id,
            depart_at: self.clock.stored(timed.depart_s),
            return_at: self.clock.stored(timed.return_s),
            drive_seconds: timed.travel_s as i32,
            distance_m: timed.distance_m as i32,
        });
        (rows, route_row)
    }
}
