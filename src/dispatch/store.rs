//! Storing a new plan version in one short write, caught up with the bookings made or
//! cancelled while it was being solved.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::DispatchError;
use super::day::{day_bookings, lock_day};
use super::model::Draft;
use super::placement::{self, Seat};
use crate::db::plans::{self, NewPlan, PlanRow};
use crate::db::{DbConnection, stored_instant};
use crate::station::Station;

/// What made a version, and with what.
#[derive(Debug, Clone)]
pub struct Origin {
    /// plan, move, lock, unlock, vehicle_out, reoptimise.
    pub action: &'static str,
    pub vehicles_out: Vec<i64>,
    pub seed: u64,
    pub solve_ms: u64,
}

/// Stores `draft` as the day's next version (draft status) and returns it.
pub fn store_version(
    conn: &mut DbConnection,
    station: &Station,
    date: NaiveDate,
    origin: &Origin,
    mut draft: Draft,
    now: DateTime<Utc>,
) -> Result<PlanRow, DispatchError> {
    lock_day(conn, station.id, date)?;
    let version = plans::latest(conn, station.id, date)?.map_or(1, |p| p.version + 1);
    let mut out = origin.vehicles_out.clone();
    out.sort_unstable();
    out.dedup();
    let plan = plans::insert_plan(
        conn,
        &NewPlan {
            station_id: station.id,
            service_date: date,
            version,
            status: plans::DRAFT.to_string(),
            origin: origin.action.to_string(),
            vehicles_out: out.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            seed: origin.seed as i64,
            solve_ms: origin.solve_ms.min(i32::MAX as u64) as i32,
            created_at: stored_instant(now),
        },
    )?;
    for row in &mut draft.routes {
        row.plan_id = plan.id;
    }
    for row in &mut draft.stops {
        row.plan_id = plan.id;
    }
    for row in &mut draft.bookings {
        row.plan_id = plan.id;
    }
    plans::insert_routes(conn, &draft.routes)?;
    plans::insert_stops(conn, &draft.stops)?;
    plans::insert_bookings(conn, &draft.bookings)?;
    reconcile(conn, station, &plan, now)?;
    Ok(plan)
}

/// Makes `plan` hold exactly the day's confirmed bookings: those cancelled or moved away since
/// it was loaded leave it, those made meanwhile are placed where they fit (or left out, named,
/// when the new routes have no room: they were accepted, so they are never dropped).
pub fn reconcile(
    conn: &mut DbConnection,
    station: &Station,
    plan: &PlanRow,
    now: DateTime<Utc>,
) -> Result<(), DispatchError> {
    let confirmed = day_bookings(conn, station.id, plan.service_date)?;
    let held: HashSet<i64> = plans::bookings_of(conn, plan.id)?
        .into_iter()
        .map(|b| b.booking_id)
        .collect();
    let current: HashSet<i64> = confirmed.iter().map(|b| b.id).collect();
    for gone in held.difference(&current) {
        // Its kind decides which donor count shrinks: read it from the booking itself.
        let kind = crate::db::bookings::find_kind(conn, *gone)?;
        if let Some(kind) = kind {
            placement::remove(conn, station, plan, *gone, kind)?;
        } else {
            plans::remove_booking(conn, plan.id, *gone)?;
        }
    }
    for booking in confirmed.iter().filter(|b| !held.contains(&b.id)) {
        let seat = Seat {
            booking_id: booking.id,
            site_id: booking.site_id,
            window: booking.window.clone(),
            kind: booking.kind,
        };
        if placement::place(conn, station, plan, &seat, now)?.is_none() {
            placement::leave_out(conn, plan, &seat, "fleet")?;
        }
    }
    Ok(())
}
