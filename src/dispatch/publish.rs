//! Publishing a version: each booking on it gets its arrival window (the stop's start less the
//! station's lead, to the stop's end), every window that moved is recorded, and the stops'
//! windows become promises that later insertions keep.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DispatchError;
use super::day::{StoredPlan, day_bookings, lock_day, station};
use crate::db::plans::{self, PlanRow};
use crate::db::schema::{arrival_window_changes, bookings};
use crate::db::{DbConnection, stored_instant};

/// A donor's arrival window before and after a publish (none: not on a route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowChange {
    pub booking_id: i64,
    pub old: Option<(NaiveDateTime, NaiveDateTime)>,
    pub new: Option<(NaiveDateTime, NaiveDateTime)>,
}

/// Publishes `version` (the latest when none) of a station-day, in the caller's transaction.
/// Returns the plan and every booking whose window changed.
pub fn publish(
    conn: &mut DbConnection,
    station_id: i64,
    date: NaiveDate,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(PlanRow, Vec<WindowChange>), DispatchError> {
    let station = station(conn, station_id)?;
    lock_day(conn, station_id, date)?;
    let plan = match version {
        Some(v) => plans::version(conn, station_id, date, v)?.ok_or(DispatchError::NotFound {
            what: "plan version",
            field: "version",
            id: v.to_string(),
        })?,
        None => plans::latest(conn, station_id, date)?.ok_or(DispatchError::NoPlan)?,
    };
    let stored = StoredPlan::load(conn, plan)?;
    let day = day_bookings(conn, station_id, date)?;
    let stops: std::collections::HashMap<i32, &plans::StopRow> =
        stored.stops.iter().map(|s| (s.stop_id, s)).collect();
    let at = stored_instant(now);
    let mut changes = Vec::new();
    for stop in stored.stops.iter() {
        let window = match (stop.vehicle_id, stop.start_at, stop.end_at) {
            (Some(_), Some(start), Some(end)) => {
                let w = station
                    .dispatch
                    .arrival_window(start.and_utc(), end.and_utc());
                Some((stored_instant(w.from), stored_instant(w.to)))
            }
            _ => None,
        };
        plans::set_promise(conn, stored.plan.id, stop.stop_id, window)?;
    }
    for held in &stored.bookings {
        let Some(booking) = day.iter().find(|b| b.id == held.booking_id) else {
            continue;
        };
        let new =
            stops
                .get(&held.stop_id)
                .and_then(|s| match (s.vehicle_id, s.start_at, s.end_at) {
                    (Some(_), Some(start), Some(end)) => {
                        let w = station
                            .dispatch
                            .arrival_window(start.and_utc(), end.and_utc());
                        Some((stored_instant(w.from), stored_instant(w.to)))
                    }
                    _ => None,
                });
        let old = booking.arrival_from.zip(booking.arrival_to);
        diesel::update(bookings::table.find(booking.id))
            .set((
                bookings::arrival_from.eq(new.map(|w| w.0)),
                bookings::arrival_to.eq(new.map(|w| w.1)),
                bookings::plan_version.eq(Some(stored.plan.version)),
            ))
            .execute(conn)?;
        if old != new {
            diesel::insert_into(arrival_window_changes::table)
                .values((
                    arrival_window_changes::booking_id.eq(booking.id),
                    arrival_window_changes::plan_id.eq(stored.plan.id),
                    arrival_window_changes::old_from.eq(old.map(|w| w.0)),
                    arrival_window_changes::old_to.eq(old.map(|w| w.1)),
                    arrival_window_changes::new_from.eq(new.map(|w| w.0)),
                    arrival_window_changes::new_to.eq(new.map(|w| w.1)),
                    arrival_window_changes::created_at.eq(at),
                ))
                .execute(conn)?;
            // The donor is told in this transaction's outbox.
            if let Some(row) = crate::db::bookings::find(conn, booking.id)? {
                crate::notices::outbox::window(
                    conn,
                    &station,
                    &row,
                    stored.plan.id,
                    old,
                    new,
                    now,
                )?;
            }
            changes.push(WindowChange {
                booking_id: booking.id,
                old,
                new,
            });
        }
    }
    plans::mark_published(conn, stored.plan.id, at)?;
    let plan = plans::version(conn, station_id, date, stored.plan.version)?
        .ok_or_else(|| DispatchError::Corrupt("published plan vanished".into()))?;
    Ok((plan, changes))
}
