//! Keeping a stored plan true to its bookings, in place: a new booking is accepted only where
//! it fits the routes (a cheap insertion, no re-solve); a cancelled one frees its room at once.
//! Both run inside the booking's own write transaction, under the day's lock.

use chrono::{DateTime, NaiveDate, Utc};

use super::DispatchError;
use super::day::{active_vehicles, sites_by_id};
use super::routes::PlanRoutes;
use crate::db::plans::{self, PlanBookingRow, PlanRow, StopRow};
use crate::db::registry::VehicleRow;
use crate::db::schema::bookings;
use crate::db::{DbConnection, stored_instant};
use crate::domain::donation::{DonationKind, KindCounts};
use crate::routing::fixed::{FixedVisit, insert_donors, time_route};
use crate::station::Station;
use diesel::prelude::*;

/// A booking as placement needs it.
#[derive(Debug, Clone)]
pub struct Seat {
    pub booking_id: i64,
    pub site_id: i64,
    pub window: String,
    pub kind: DonationKind,
}

/// Where a booking went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub stop_id: i32,
    pub vehicle_id: i64,
}

/// The vehicles a stored version may use.
fn usable(conn: &mut DbConnection, plan: &PlanRow) -> QueryResult<Vec<VehicleRow>> {
    let out = plan.vehicles_out();
    Ok(active_vehicles(conn, plan.station_id)?
        .into_iter()
        .filter(|v| !out.contains(&v.id))
        .collect())
}

/// The routing view of a stored version, with room for `extra_site`.
pub fn plan_routes(
    conn: &mut DbConnection,
    station: &Station,
    plan: &PlanRow,
    extra_site: Option<i64>,
) -> Result<PlanRoutes, DispatchError> {
    let stops = plans::stops_of(conn, plan.id)?;
    let vehicles = usable(conn, plan)?;
    let mut site_ids: Vec<i64> = stops.iter().map(|s| s.site_id).collect();
    site_ids.extend(extra_site);
    let sites = sites_by_id(conn, &site_ids)?;
    PlanRoutes::build(
        station,
        plan.service_date,
        &vehicles,
        &sites,
        &stops,
        extra_site.as_slice(),
    )
}

/// How many donors of `kind` more the plan can take at `site_id` in `window` (at most `cap`):
/// the seats a planned day still offers.
pub fn room_for(
    conn: &mut DbConnection,
    station: &Station,
    plan: &PlanRow,
    site_id: i64,
    window: &str,
    kind: DonationKind,
    cap: u32,
) -> Result<u32, DispatchError> {
    let mut routes = plan_routes(conn, station, plan, Some(site_id))?;
    let join = joinable(&routes, site_id, window);
    let next = next_stop_id(&routes.rows);
    let new_stop = routes.add_stop(station, plan.service_date, site_id, window, next);
    let fits = |n: u32| {
        n == 0
            || insert_donors(
                &routes.context(),
                &routes.routes,
                &join,
                Some(new_stop),
                KindCounts::one(kind, n),
                &|timed| routes.keeps_promises(timed),
            )
            .is_some()
    };
    // Room only grows as donors leave, so the largest fitting count is found by bisection.
    let (mut lo, mut hi) = (0, cap);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// Stops on routes at this site in this window.
fn joinable(routes: &PlanRoutes, site_id: i64, window: &str) -> Vec<usize> {
    routes
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.site_id == site_id && r.time_window == window && r.vehicle_id.is_some())
        .map(|(i, _)| i)
        .collect()
}

fn next_stop_id(rows: &[StopRow]) -> i32 {
    rows.iter().map(|r| r.stop_id).max().unwrap_or(0) + 1
}

/// Places a booking into `plan` where it fits, re-timing the route that takes it and keeping
/// every promised arrival window. `None`: it fits nowhere (nothing is written).
pub fn place(
    conn: &mut DbConnection,
    station: &Station,
    plan: &PlanRow,
    seat: &Seat,
    now: DateTime<Utc>,
) -> Result<Option<Placed>, DispatchError> {
    let mut routes = plan_routes(conn, station, plan, Some(seat.site_id))?;
    let join = joinable(&routes, seat.site_id, &seat.window);
    let new_id = next_stop_id(&routes.rows);
    let new_stop = routes.add_stop(
        station,
        plan.service_date,
        seat.site_id,
        &seat.window,
        new_id,
    );
    let Some(found) = insert_donors(
        &routes.context(),
        &routes.routes,
        &join,
        Some(new_stop),
        KindCounts::one(seat.kind, 1),
        &|timed| routes.keeps_promises(timed),
    ) else {
        return Ok(None);
    };
    let mut route = routes.routes[found.route].clone();
    if found.joined {
        let visit = &mut route.visits[found.position];
        visit.donors = visit.donors.plus(&KindCounts::one(seat.kind, 1));
    } else {
        route.visits.insert(
            found.position,
            FixedVisit {
                stop: new_stop,
                donors: KindCounts::one(seat.kind, 1),
            },
        );
    }
    let stop_id = routes.stops[route.visits[found.position].stop].id as i32;
    let template = |_: usize| StopRow {
        plan_id: plan.id,
        stop_id: new_id,
        site_id: seat.site_id,
        time_window: seat.window.clone(),
        vehicle_id: None,
        position: 0,
        arrival_at: None,
        start_at: None,
        end_at: None,
        locked: false,
        whole_blood: 0,
        platelets: 0,
        plasma: 0,
        left_out_reason: None,
        promised_from: None,
        promised_to: None,
    };
    let (mut rows, route_row) =
        routes.rows_for(plan.id, found.route, &route, &found.timed, &template);
    let vehicle_id = routes.vehicles[found.route].id as i64;
    if plan.status == plans::PUBLISHED {
        // A published day: the donor learns the window at once, and it becomes a promise.
        let row = rows
            .iter_mut()
            .find(|r| r.stop_id == stop_id)
            .expect("the booking's stop is on its route");
        let (start, end) = (row.start_at.expect("timed"), row.end_at.expect("timed"));
        let window = station
            .dispatch
            .arrival_window(start.and_utc(), end.and_utc());
        let (from, to) = (stored_instant(window.from), stored_instant(window.to));
        row.promised_from = Some(row.promised_from.map_or(from, |p| p.min(from)));
        row.promised_to = Some(row.promised_to.map_or(to, |p| p.max(to)));
        diesel::update(bookings::table.find(seat.booking_id))
            .set((
                bookings::arrival_from.eq(Some(from)),
                bookings::arrival_to.eq(Some(to)),
                bookings::plan_version.eq(Some(plan.version)),
                bookings::updated_at.eq(stored_instant(now)),
            ))
            .execute(conn)?;
    }
    plans::replace_route(conn, plan.id, vehicle_id, &rows, route_row.as_ref())?;
    plans::insert_bookings(
        conn,
        &[PlanBookingRow {
            plan_id: plan.id,
            booking_id: seat.booking_id,
            stop_id,
        }],
    )?;
    Ok(Some(Placed {
        stop_id,
        vehicle_id,
    }))
}

/// Records a booking the plan cannot serve in a left-out stop of its site and window.
pub fn leave_out(
    conn: &mut DbConnection,
    plan: &PlanRow,
    seat: &Seat,
    reason: &str,
) -> Result<i32, DispatchError> {
    let stops = plans::stops_of(conn, plan.id)?;
    let existing = stops.iter().find(|r| {
        r.vehicle_id.is_none() && r.site_id == seat.site_id && r.time_window == seat.window
    });
    let mut row = match existing {
        Some(row) => row.clone(),
        None => StopRow {
            plan_id: plan.id,
            stop_id: next_stop_id(&stops),
            site_id: seat.site_id,
            time_window: seat.window.clone(),
            vehicle_id: None,
            position: 0,
            arrival_at: None,
            start_at: None,
            end_at: None,
            locked: false,
            whole_blood: 0,
            platelets: 0,
            plasma: 0,
            left_out_reason: Some(reason.to_string()),
            promised_from: None,
            promised_to: None,
        },
    };
    add_kind(&mut row, seat.kind, 1);
    plans::replace_stop(conn, plan.id, row.stop_id, Some(&row))?;
    plans::insert_bookings(
        conn,
        &[PlanBookingRow {
            plan_id: plan.id,
            booking_id: seat.booking_id,
            stop_id: row.stop_id,
        }],
    )?;
    Ok(row.stop_id)
}

fn add_kind(row: &mut StopRow, kind: DonationKind, n: i32) {
    match kind {
        DonationKind::WholeBlood => row.whole_blood += n,
        DonationKind::Platelets => row.platelets += n,
        DonationKind::Plasma => row.plasma += n,
    }
}

/// Takes a booking out of `plan` (cancelled or moved away): its stop shrinks, or goes when
/// empty, and its route is re-timed. Nothing happens when the plan does not hold it.
pub fn remove(
    conn: &mut DbConnection,
    station: &Station,
    plan: &PlanRow,
    booking_id: i64,
    kind: DonationKind,
) -> Result<bool, DispatchError> {
    let Some(place) = plans::place_of(conn, plan.id, booking_id)? else {
        return Ok(false);
    };
    plans::remove_booking(conn, plan.id, booking_id)?;
    let routes = plan_routes(conn, station, plan, None)?;
    let Some(index) = routes.stop_index(place.stop_id) else {
        return Ok(true);
    };
    let mut row = routes.rows[index].clone();
    add_kind(&mut row, kind, -1);
    let empty = row.whole_blood + row.platelets + row.plasma <= 0;
    let Some(vehicle_id) = row.vehicle_id else {
        plans::replace_stop(conn, plan.id, row.stop_id, (!empty).then_some(&row))?;
        return Ok(true);
    };
    let Some(vehicle) = routes.vehicle_index(vehicle_id) else {
        // Its vehicle was taken out since: keep the stop as it is, with one donor fewer.
        plans::replace_stop(conn, plan.id, row.stop_id, (!empty).then_some(&row))?;
        return Ok(true);
    };
    let mut route = routes.routes[vehicle].clone();
    let p = route
        .visits
        .iter()
        .position(|v| v.stop == index)
        .ok_or_else(|| DispatchError::Corrupt(format!("stop {} off its route", row.stop_id)))?;
    if empty {
        route.visits.remove(p);
    } else {
        route.visits[p].donors = super::routes::stop_donors(&row);
    }
    match time_route(&routes.context(), vehicle, &route.visits) {
        Ok(timed) => {
            let (rows, route_row) =
                routes.rows_for(plan.id, vehicle, &route, &timed, &|_| unreachable!());
            plans::replace_route(conn, plan.id, vehicle_id, &rows, route_row.as_ref())?;
        }
        // Fewer donors never break a route under the planner's rules; if stored data says
        // otherwise, keep the old times rather than refuse a cancellation.
        Err(_) => {
            plans::replace_stop(conn, plan.id, row.stop_id, (!empty).then_some(&row))?;
        }
    }
    Ok(true)
}

/// The latest plan of a station-day, if the day has one.
pub fn latest_plan(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<PlanRow>> {
    plans::latest(conn, station_id, date)
}
