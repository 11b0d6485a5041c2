//! Solving a station-day: load in a read, solve outside any transaction, store in one write.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use super::DispatchError;
use super::day::{DayData, StoredPlan, load_day};
use super::model::{self, DayModel};
use super::store::{Origin, store_version};
use crate::db::plans::{self, PlanRow};
use crate::db::{Db, write_transaction};
use crate::domain::FieldError;
use crate::routing::{PlanOptions, plan_day as solve};

/// How long and with which seed to search.
#[derive(Debug, Clone, Copy)]
pub struct SolveOptions {
    pub time_limit: Duration,
    pub seed: u64,
}

impl SolveOptions {
    /// Checks a requested budget: more than 0 and at most 60 seconds.
    pub fn new(time_limit_s: Option<f64>, seed: Option<u64>) -> Result<SolveOptions, FieldError> {
        let seconds = time_limit_s.unwrap_or(2.0);
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 60.0) {
            return Err(FieldError::new(
                "time_limit_s",
                "out_of_range",
                "must be more than 0 and at most 60 seconds",
            ));
        }
        Ok(SolveOptions {
            time_limit: Duration::from_secs_f64(seconds),
            seed: seed.unwrap_or(1),
        })
    }
}

/// The day and its latest version, read in one go.
pub fn read_day(
    db: &Db,
    station_id: i64,
    date: NaiveDate,
) -> Result<(DayData, Option<StoredPlan>), DispatchError> {
    let mut conn = db.get()?;
    let latest = match plans::latest(&mut conn, station_id, date)? {
        Some(plan) => Some(StoredPlan::load(&mut conn, plan)?),
        None => None,
    };
    let day = load_day(
        &mut conn,
        station_id,
        date,
        latest.iter().collect::<Vec<_>>().as_slice(),
    )?;
    Ok((day, latest))
}

/// Timings of a solve, for the command line and the benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub load: Duration,
    pub solve: Duration,
    pub store: Duration,
}

/// Plans the day: the first time, its bookings grouped by site and window; later, the latest
/// version re-planned (its stops, locks and promises kept, the search started from its routes,
/// so planning again never serves fewer donors). Stored as a new draft.
pub fn plan_day(
    db: &Db,
    station_id: i64,
    date: NaiveDate,
    options: SolveOptions,
    now: DateTime<Utc>,
) -> Result<(PlanRow, Timings), DispatchError> {
    let started = Instant::now();
    let (day, base) = read_day(db, station_id, date)?;
    let out = base
        .as_ref()
        .map(|b| b.plan.vehicles_out())
        .unwrap_or_default();
    let vehicles = model::available(&day, &out);
    let (model, first_new) = match &base {
        Some(base) => (
            model::replan(&day, &vehicles, base)?,
            base.stops.iter().map(|s| s.stop_id).max().unwrap_or(0) + 1,
        ),
        None => (model::fresh(&day, &vehicles)?, 1),
    };
    let load = started.elapsed();
    solve_and_store(
        db, day, model, None, first_new, "plan", out, options, now, load,
    )
}

/// Re-plans the latest version: its stops keep their ids, locks and promises; `vehicles_out`
/// are taken out for the day. Refused if another version was stored since `base`.
#[allow(clippy::too_many_arguments)]
pub fn replan(
    db: &Db,
    day: DayData,
    base: &StoredPlan,
    action: &'static str,
    vehicles_out: Vec<i64>,
    options: SolveOptions,
    now: DateTime<Utc>,
) -> Result<(PlanRow, Timings), DispatchError> {
    let started = Instant::now();
    let vehicles = model::available(&day, &vehicles_out);
    let model = model::replan(&day, &vehicles, base)?;
    let first_new = base.stops.iter().map(|s| s.stop_id).max().unwrap_or(0) + 1;
    let load = started.elapsed();
    solve_and_store(
        db,
        day,
        model,
        Some(base.plan.version),
        first_new,
        action,
        vehicles_out,
        options,
        now,
        load,
    )
}

#[allow(clippy::too_many_arguments)]
fn solve_and_store(
    db: &Db,
    day: DayData,
    model: DayModel,
    based_on: Option<i32>,
    first_new_id: i32,
    action: &'static str,
    vehicles_out: Vec<i64>,
    options: SolveOptions,
    now: DateTime<Utc>,
    load: Duration,
) -> Result<(PlanRow, Timings), DispatchError> {
    let started = Instant::now();
    let solved = solve(
        &model.problem,
        &PlanOptions {
            seed: options.seed,
            time_limit: Some(options.time_limit),
            iterations: None,
            initial: model.initial.clone(),
        },
    );
    let solve_time = started.elapsed();
    let draft = model::draft(&day, &model, &solved, first_new_id);
    let origin = Origin {
        action,
        vehicles_out,
        seed: options.seed,
        solve_ms: solve_time.as_millis() as u64,
    };
    let station = day.station.clone();
    let date = day.date;
    let started = Instant::now();
    let plan = db.write_blocking(move |conn| {
        write_transaction(conn, |conn| {
            if let Some(expected) = based_on {
                super::day::lock_day(conn, station.id, date)?;
                let latest = plans::latest(conn, station.id, date)?.map_or(0, |p| p.version);
                if latest != expected {
                    return Err(DispatchError::PlanChanged { expected, latest });
                }
            }
            store_version(conn, &station, date, &origin, draft, now)
        })
    })?;
    let timings = Timings {
        load,
        solve: solve_time,
        store: started.elapsed(),
    };
    crate::metrics::metrics()
        .plans
        .with_label_values(&[action])
        .observe((timings.load + timings.store).as_secs_f64());
    Ok((plan, timings))
}
