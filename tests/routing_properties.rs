//! Property tests: on random small instances every returned route passes an independent
//! check, nothing is served twice, and served + left out = everything.

use std::collections::HashMap;

use bloodmobile::bench::checker::check;
use bloodmobile::bench::solomon::{Convention, SolomonInstance, SolomonNode};
use bloodmobile::domain::capacity::CapacityPolicy;
use bloodmobile::routing::search::{SearchParams, solve};
use bloodmobile::routing::{
    DayProblem, DonationKind, GeoPoint, KindCounts, PlanOptions, ServiceTimes, Stop, TravelMatrix,
    Vehicle, plan_day,
};
use proptest::prelude::*;

fn params(seed: u64) -> SearchParams {
    SearchParams {
        seed,
        time_limit: None,
        iterations: Some(40),
        ..SearchParams::default()
    }
}

prop_compose! {
    fn solomon_like()(
        n in 1usize..25,
        fleet in 1usize..6,
        capacity in 10.0f64..80.0,
        seed in any::<u64>(),
    ) -> SolomonInstance {
        let mut rng = bloodmobile::routing::rng::Rng::new(seed);
        let horizon = 400.0;
        let mut nodes = vec![SolomonNode { x: 50.0, y: 50.0, demand: 0.0, ready: 0.0, due: horizon, service: 0.0 }];
        for _ in 0..n {
            let ready = rng.below(300) as f64;
            nodes.push(SolomonNode {
                x: rng.below(100) as f64,
                y: rng.below(100) as f64,
                demand: 1.0 + rng.below(30) as f64,
                ready,
                due: ready + rng.below(100) as f64,
                service: rng.below(20) as f64,
            });
        }
        SolomonInstance { name: "random".into(), vehicles: fleet, capacity, nodes }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn vrptw_routes_pass_the_checker(inst in solomon_like(), seed in 0u64..4, exact in any::<bool>()) {
        let convention = if exact { Convention::Exact } else { Convention::Dimacs };
        let (sol, _) = solve(&inst.to_instance(convention), &params(seed));
        let routes: Vec<Vec<usize>> =
            sol.routes.iter().map(|r| r.clients().iter().map(|&c| c as usize + 1).collect()).collect();
        let report = check(&inst, &routes, convention);
        prop_assert!(report.violations.is_empty(), "{:?}", report.violations);
        let mut left: Vec<usize> = sol.unassigned.iter().map(|&c| c as usize + 1).collect();
        left.sort();
        prop_assert_eq!(left, report.missing);
    }

    #[test]
    fn day_plans_respect_every_constraint(seed in any::<u64>(), stops in 1usize..14, vehicles in 1usize..4) {
        let problem = random_day(seed, stops, vehicles);
        let plan = plan_day(&problem, &PlanOptions { seed, time_limit: None, iterations: Some(30), initial: Vec::new() });
        check_day(&problem, &plan);
    }

    /// Re-planning from a plan, with some stops locked to the vehicle they were on and the
    /// plan's times published: locks hold, every constraint holds, and no donor served by the
    /// plan it started from is dropped.
    #[test]
    fn replans_keep_locks_and_never_serve_fewer(seed in any::<u64>(), stops in 2usize..14, vehicles in 1usize..4) {
        let mut problem = random_day(seed, stops, vehicles);
        let options = PlanOptions { seed, time_limit: None, iterations: Some(20), initial: Vec::new() };
        let first = plan_day(&problem, &options);
        let mut rng = bloodmobile::routing::rng::Rng::new(seed ^ 0x10c);
        let mut locks = HashMap::new();
        // A stop split over several vehicles cannot be locked to one (dispatch locks its parts,
        // each a stop of its own).
        let mut visits: HashMap<u64, usize> = HashMap::new();
        for visit in first.routes.iter().flat_map(|r| &r.visits) {
            *visits.entry(visit.stop_id).or_default() += 1;
        }
        for route in &first.routes {
            for visit in &route.visits {
                let stop = problem.stops.iter_mut().find(|s| s.id == visit.stop_id).unwrap();
                stop.published = Some((visit.start_s - 900, visit.departure_s));
                let whole = visits[&visit.stop_id] == 1 && !first.left_out.iter().any(|l| l.stop_id == visit.stop_id);
                if rng.chance(0.4) && whole {
                    stop.locked_to = Some(route.vehicle_id);
                    locks.insert(stop.id, route.vehicle_id);
                }
            }
        }
        let initial = first
            .routes
            .iter()
            .map(|r| (r.vehicle_id, r.visits.iter().map(|v| (v.stop_id, v.donors)).collect()))
            .collect();
        let again = plan_day(&problem, &PlanOptions { seed: seed + 1, initial, ..options });
        check_day(&problem, &again);
        prop_assert!(again.donors_served >= first.donors_served);
        for route in &again.routes {
            for visit in &route.visits {
                if let Some(&vehicle) = locks.get(&visit.stop_id) {
                    prop_assert_eq!(route.vehicle_id, vehicle, "stop {} left its lock", visit.stop_id);
                }
            }
        }
    }
}

fn random_day(seed: u64, stops: usize, vehicles: usize) -> DayProblem {
    let mut rng = bloodmobile::routing::rng::Rng::new(seed);
    let hour = 3600;
    let mut points = vec![GeoPoint {
        lon: 112.25,
        lat: 30.32,
    }];
    let stops = (0..stops)
        .map(|i| {
            points.push(GeoPoint {
                lon: 112.0 + 0.5 * rng.unit(),
                lat: 30.0 + 0.4 * rng.unit(),
            });
            let start = (8 + rng.below(6) as i64) * hour;
            let donors = KindCounts {
                whole_blood: rng.below(30) as u32,
                platelets: if rng.chance(0.3) {
                    1 + rng.below(3) as u32
                } else {
                    0
                },
                plasma: if rng.chance(0.2) {
                    1 + rng.below(2) as u32
                } else {
                    0
                },
            };
            Stop {
                id: 100 + i as u64,
                location: i + 1,
                window_start: start,
                window_end: start + (1 + rng.below(4) as i64) * hour,
                donors,
                locked_to: None,
                published: None,
            }
        })
        .collect();
    let vehicles = (0..vehicles)
        .map(|v| {
            let mut kinds = vec![DonationKind::WholeBlood];
            if rng.chance(0.5) {
                kinds.push(DonationKind::Platelets);
            }
            Vehicle {
                id: 1 + v as u64,
                depot: 0,
                shift_start: 7 * hour,
                shift_end: (15 + rng.below(4) as i64) * hour,
                beds: 1 + rng.below(5) as u32,
                donors_per_day: 10 + rng.below(30) as u32,
                kinds,
            }
        })
        .collect();
    DayProblem {
        stops,
        vehicles,
        matrix: TravelMatrix::great_circle(&points, 1.3, 35.0),
        service: ServiceTimes::from(&CapacityPolicy::default()),
        processing_limit_s: if rng.chance(0.7) {
            Some((3 + rng.below(4) as i64) * hour)
        } else {
            None
        },
    }
}

/// Recomputes every time from the matrix and the service rules; trusts nothing else.
fn check_day(problem: &DayProblem, plan: &bloodmobile::routing::DayPlan) {
    let mut served: HashMap<u64, [u32; 3]> = HashMap::new();
    let add = |m: &mut HashMap<u64, [u32; 3]>, id: u64, d: &KindCounts| {
        let e = m.entry(id).or_default();
        for (i, k) in DonationKind::ALL.into_iter().enumerate() {
            e[i] += d.get(k);
        }
    };
    let mut used = std::collections::HashSet::new();
    for route in &plan.routes {
        assert!(used.insert(route.vehicle_id), "vehicle used twice");
        let v = problem
            .vehicles
            .iter()
            .find(|v| v.id == route.vehicle_id)
            .unwrap();
        assert!(!route.visits.is_empty());
        assert!(route.depart_s >= v.shift_start);
        let (mut loc, mut t, mut load) = (v.depot, route.depart_s, 0);
        for visit in &route.visits {
            let stop = problem
                .stops
                .iter()
                .find(|s| s.id == visit.stop_id)
                .unwrap();
            assert_eq!(
                visit.arrival_s,
                t + problem.matrix.duration(loc, stop.location)
            );
            assert!(visit.start_s >= visit.arrival_s && visit.start_s >= stop.window_start);
            let d = &visit.donors;
            let rounds: i64 = d
                .kinds()
                .map(|k| {
                    d.get(k).div_ceil(v.beds) as i64 * problem.service.per_donor_s.get(k) as i64
                })
                .sum();
            let service = problem.service.setup_s + rounds + problem.service.pack_up_s;
            assert_eq!(visit.departure_s, visit.start_s + service);
            assert!(
                visit.departure_s <= stop.window_end,
                "service ends after the window"
            );
            assert!(
                d.kinds().all(|k| v.kinds.contains(&k)),
                "kind not collected"
            );
            load += d.total();
            add(&mut served, stop.id, d);
            loc = stop.location;
            t = visit.departure_s;
        }
        let back = t + problem.matrix.duration(loc, v.depot);
        assert_eq!(route.return_s, back);
        assert!(back <= v.shift_end, "after shift end");
        assert!(load <= v.donors_per_day, "over capacity");
        if let Some(limit) = problem.processing_limit_s {
            assert!(back - route.visits[0].start_s <= limit, "processing limit");
        }
    }
    for l in &plan.left_out {
        add(&mut served, l.stop_id, &l.donors);
    }
    for stop in &problem.stops {
        let got = served.get(&stop.id).copied().unwrap_or_default();
        let want = [
            stop.donors.whole_blood,
            stop.donors.platelets,
            stop.donors.plasma,
        ];
        assert_eq!(got, want, "stop {} served + left out != booked", stop.id);
    }
    assert_eq!(
        plan.donors_served,
        plan.routes
            .iter()
            .flat_map(|r| &r.visits)
            .map(|v| v.donors.total())
            .sum::<u32>()
    );
}
