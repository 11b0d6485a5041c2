//! `bench day`: a synthetic Jingzhou-scale day — 400 stops scattered around Jingzhou,
//! Hubei (lon 111.7–113.5, lat 29.7–30.4), 20 heterogeneous bloodmobiles from the station
//! at 112.25/30.32, great-circle travel, a 6-hour processing limit.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::domain::capacity::CapacityPolicy;
use crate::routing::rng::Rng;
use crate::routing::{
    DayPlan, DayProblem, DonationKind, GeoPoint, KindCounts, PlanOptions, ServiceTimes, Stop,
    TravelMatrix, Vehicle, plan_day,
};

/// Arguments of `bench day`.
#[derive(clap::Args, Debug, Clone)]
pub struct DayArgs {
    /// Seconds of search.
    #[arg(long, default_value_t = 1.9)]
    pub time_limit: f64,
    /// Seed of the generator and the search.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of stops.
    #[arg(long, default_value_t = 400)]
    pub stops: usize,
    /// Number of vehicles.
    #[arg(long, default_value_t = 20)]
    pub vehicles: usize,
    /// Iteration limit (the time limit still applies).
    #[arg(long)]
    pub iterations: Option<u64>,
}

const HOUR: i64 = 3600;

/// A reproducible synthetic day.
pub fn synthetic_day(stops: usize, vehicles: usize, seed: u64) -> DayProblem {
    let mut rng = Rng::new(seed);
    let depot = GeoPoint {
        lon: 112.25,
        lat: 30.32,
    };
    let mut points = vec![depot];
    let mut stop_list = Vec::with_capacity(stops);
    for i in 0..stops {
        points.push(GeoPoint {
            lon: 111.7 + 1.8 * rng.unit(),
            lat: 29.7 + 0.7 * rng.unit(),
        });
        let (start, end) = if rng.chance(0.55) {
            (8 * HOUR, 12 * HOUR)
        } else {
            (13 * HOUR, 17 * HOUR + HOUR / 2)
        };
        let mut donors = KindCounts {
            whole_blood: 1 + rng.below(8) as u32,
            ..KindCounts::default()
        };
        if rng.chance(0.1) {
            donors.platelets = 1 + rng.below(2) as u32;
        }
        if rng.chance(0.05) {
            donors.plasma = 1 + rng.below(3) as u32;
        }
        stop_list.push(Stop {
            id: i as u64 + 1,
            location: i + 1,
            window_start: start,
            window_end: end,
            donors,
            locked_to: None,
            published: None,
        });
    }
    let fleet = (0..vehicles)
        .map(|v| {
            let mut kinds = vec![DonationKind::WholeBlood];
            if v % 4 == 0 {
                kinds.push(DonationKind::Platelets);
            }
            if v % 5 == 0 {
                kinds.push(DonationKind::Plasma);
            }
            Vehicle {
                id: v as u64 + 1,
                depot: 0,
                shift_start: 7 * HOUR,
                shift_end: if v % 3 == 0 { 19 * HOUR } else { 18 * HOUR },
                beds: [2, 4, 6][v % 3],
                donors_per_day: [40, 60, 80][v % 3],
                kinds,
            }
        })
        .collect();
    DayProblem {
        stops: stop_list,
        vehicles: fleet,
        matrix: TravelMatrix::great_circle(&points, 1.3, 40.0),
        service: ServiceTimes::from(&CapacityPolicy::default()),
        processing_limit_s: Some(6 * HOUR),
    }
}

/// Runs the day benchmark and prints one JSON line.
pub fn run(args: &DayArgs) -> anyhow::Result<()> {
    let problem = synthetic_day(args.stops, args.vehicles, args.seed);
    let started = Instant::now();
    let plan: DayPlan = plan_day(
        &problem,
        &PlanOptions {
            seed: args.seed,
            time_limit: Some(Duration::from_secs_f64(args.time_limit)),
            iterations: args.iterations,
            initial: Vec::new(),
        },
    );
    let wall_s = started.elapsed().as_secs_f64();
    let booked: u32 = problem.stops.iter().map(|s| s.donors.total()).sum();
    let mut reasons = std::collections::BTreeMap::new();
    for l in &plan.left_out {
        *reasons
            .entry(format!("{:?}", l.reason).to_lowercase())
            .or_insert(0) += 1;
    }
    println!(
        "{}",
        json!({
            "stops": problem.stops.len(),
            "donors_booked": booked,
            "donors_served": plan.donors_served,
            "stops_visited": plan.routes.iter().map(|r| r.visits.len()).sum::<usize>(),
            "vehicles": plan.routes.len(),
            "drive_h": (plan.travel_s as f64 / 3600.0 * 100.0).round() / 100.0,
            "left_out_by_reason": reasons,
            "wall_s": (wall_s * 1000.0).round() / 1000.0,
        })
    );
    Ok(())
}
