//! A dispatcher's changes to the latest version: move a stop, lock or unlock it, take a
//! vehicle out, re-optimise. Each is checked by the planner's own rules and, if accepted,
//! stored as the next version.

use chrono::{DateTime, NaiveDate, Utc};

use super::DispatchError;
use super::day::{DayData, StoredPlan, lock_day};
use super::model::{self, Draft};
use super::planning::{self, SolveOptions, read_day};
use super::routes::PlanRoutes;
use super::store::{Origin, store_version};
use super::{constraint_code, constraint_message};
use crate::db::plans::{self, PlanRow};
use crate::db::{Db, write_transaction};
use crate::domain::FieldError;
use crate::routing::fixed::{FixedVisit, time_route};

/// One change, as the API names it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Put a stop on a vehicle's route at a position (1 = first).
    Move {
        stop_id: i32,
        vehicle_id: i64,
        position: usize,
    },
    Lock {
        stop_id: i32,
    },
    Unlock {
        stop_id: i32,
    },
    /// Take a vehicle out for the day (a breakdown) and re-plan the rest.
    VehicleOut {
        vehicle_id: i64,
    },
    Reoptimise {
        options: SolveOptions,
    },
}

fn stop_not_found(stop_id: i32) -> DispatchError {
    DispatchError::NotFound {
        what: "stop",
        field: "stop_id",
        id: stop_id.to_string(),
    }
}

/// Applies `change` to the day's latest version; returns the new version.
pub fn apply(
    db: &Db,
    station_id: i64,
    date: NaiveDate,
    change: Change,
    now: DateTime<Utc>,
) -> Result<PlanRow, DispatchError> {
    let (day, base) = read_day(db, station_id, date)?;
    let base = base.ok_or(DispatchError::NoPlan)?;
    match change {
        Change::Move {
            stop_id,
            vehicle_id,
            position,
        } => {
            let draft = moved(&day, &base, stop_id, vehicle_id, position)?;
            store_copy(db, &day, &base, "move", draft, now)
        }
        Change::Lock { stop_id } | Change::Unlock { stop_id } => {
            let lock = matches!(change, Change::Lock { .. });
            let mut draft = model::copy(&base);
            let row = draft
                .stops
                .iter_mut()
                .find(|s| s.stop_id == stop_id)
                .ok_or_else(|| stop_not_found(stop_id))?;
            if lock && row.vehicle_id.is_none() {
                return Err(DispatchError::Infeasible {
                    constraint: "left_out",
                    stop_id: Some(stop_id),
                    message: format!("stop {stop_id} is on no route: move it onto one first"),
                });
            }
            row.locked = lock;
            store_copy(
                db,
                &day,
                &base,
                if lock { "lock" } else { "unlock" },
                draft,
                now,
            )
        }
        Change::VehicleOut { vehicle_id } => {
            let mut out = base.plan.vehicles_out();
            if !day.vehicles.iter().any(|v| v.id == vehicle_id) || out.contains(&vehicle_id) {
                return Err(DispatchError::NotFound {
                    what: "vehicle",
                    field: "vehicle_id",
                    id: vehicle_id.to_string(),
                });
            }
            out.push(vehicle_id);
            let options = SolveOptions::new(None, Some(base.plan.seed as u64))?;
            let (plan, _) = planning::replan(db, day, &base, "vehicle_out", out, options, now)?;
            Ok(plan)
        }
        Change::Reoptimise { options } => {
            let out = base.plan.vehicles_out();
            let (plan, _) = planning::replan(db, day, &base, "reoptimise", out, options, now)?;
            Ok(plan)
        }
    }
}

/// The base's rows with one stop moved, or the rule the move breaks.
fn moved(
    day: &DayData,
    base: &StoredPlan,
    stop_id: i32,
    vehicle_id: i64,
    position: usize,
) -> Result<Draft, DispatchError> {
    let station = &day.station;
    let vehicles = model::available(day, &base.plan.vehicles_out());
    let routes = PlanRoutes::build(station, day.date, &vehicles, &day.sites, &base.stops, &[])?;
    let index = routes
        .stop_index(stop_id)
        .ok_or_else(|| stop_not_found(stop_id))?;
    let target = routes
        .vehicle_index(vehicle_id)
        .ok_or_else(|| DispatchError::NotFound {
            what: "vehicle",
            field: "vehicle_id",
            id: vehicle_id.to_string(),
        })?;
    let row = &routes.rows[index];
    if row.locked && row.vehicle_id != Some(vehicle_id) {
        return Err(DispatchError::Infeasible {
            constraint: "locked",
            stop_id: Some(stop_id),
            message: format!("stop {stop_id} is locked to its vehicle: unlock it first"),
        });
    }
    let source = row.vehicle_id.and_then(|v| routes.vehicle_index(v));
    let mut new_routes = routes.routes.clone();
    if let Some(source) = source {
        new_routes[source].visits.retain(|v| v.stop != index);
    }
    let length = new_routes[target].visits.len();
    if position == 0 || position > length + 1 {
        return Err(FieldError::new(
            "position",
            "out_of_range",
            format!("must be between 1 and {}", length + 1),
        )
        .into());
    }
    new_routes[target].visits.insert(
        position - 1,
        FixedVisit {
            stop: index,
            donors: routes.stops[index].donors,
        },
    );
    let ctx = routes.context();
    let mut draft = model::copy(base);
    let mut changed = vec![target];
    if let Some(source) = source.filter(|s| *s != target) {
        changed.insert(0, source);
    }
    for vehicle in changed {
        let route = &new_routes[vehicle];
        let timed = time_route(&ctx, vehicle, &route.visits).map_err(|e| {
            let broken = constraint_code(e.reason);
            let at = e.stop_id.map(|s| s as i32);
            DispatchError::Infeasible {
                constraint: broken,
                stop_id: at.or(Some(stop_id)),
                message: match at {
                    Some(at) => format!("stop {at}: {}", constraint_message(e.reason)),
                    None => format!(
                        "the route of vehicle {}: {}",
                        routes.vehicles[vehicle].id,
                        constraint_message(e.reason)
                    ),
                },
            }
        })?;
        let (rows, route_row) =
            routes.rows_for(base.plan.id, vehicle, route, &timed, &|_| unreachable!());
        let vehicle_id = routes.vehicles[vehicle].id as i64;
        draft.stops.retain(|s| {
            s.vehicle_id != Some(vehicle_id) && !rows.iter().any(|r| r.stop_id == s.stop_id)
        });
        draft.stops.extend(rows);
        draft.routes.retain(|r| r.vehicle_id != vehicle_id);
        draft.routes.extend(route_row);
    }
    if source.is_none() {
        // A left-out stop moved onto a route no longer says why it was left out.
        for row in &mut draft.stops {
            if row.stop_id == stop_id {
                row.left_out_reason = None;
            }
        }
    }
    draft
        .stops
        .sort_by_key(|s| (s.vehicle_id, s.position, s.stop_id));
    Ok(draft)
}

/// Stores a copy-based change as the next version, unless another was stored since `base`.
fn store_copy(
    db: &Db,
    day: &DayData,
    base: &StoredPlan,
    action: &'static str,
    draft: Draft,
    now: DateTime<Utc>,
) -> Result<PlanRow, DispatchError> {
    let station = day.station.clone();
    let date = day.date;
    let expected = base.plan.version;
    let origin = Origin {
        action,
        vehicles_out: base.plan.vehicles_out(),
        seed: base.plan.seed as u64,
        solve_ms: 0,
    };
    db.write_blocking(move |conn| {
        write_transaction(conn, |conn| {
            lock_day(conn, station.id, date)?;
            let latest = plans::latest(conn, station.id, date)?.map_or(0, |p| p.version);
            if latest != expected {
                return Err(DispatchError::PlanChanged { expected, latest });
            }
            store_version(conn, &station, date, &origin, draft, now)
        })
    })
}
