//! The planner on a real Solomon instance (R101), checked independently.

use std::path::PathBuf;

use bloodmobile::bench::bks::BestKnown;
use bloodmobile::bench::checker::check;
use bloodmobile::bench::solomon::{Convention, SolomonInstance};
use bloodmobile::routing::search::{SearchParams, solve};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn r101() -> SolomonInstance {
    SolomonInstance::parse(&std::fs::read_to_string(fixture("R101.txt")).unwrap()).unwrap()
}

fn routes_of(sol: &bloodmobile::routing::solution::Solution) -> Vec<Vec<usize>> {
    sol.routes
        .iter()
        .map(|r| r.clients().iter().map(|&c| c as usize + 1).collect())
        .collect()
}

fn params(seed: u64, iterations: u64) -> SearchParams {
    SearchParams {
        seed,
        time_limit: None,
        iterations: Some(iterations),
        ..SearchParams::default()
    }
}

#[test]
fn parses_r101() {
    let inst = r101();
    assert_eq!(inst.name, "R101");
    assert_eq!(inst.customers(), 100);
    assert_eq!((inst.vehicles, inst.capacity), (25, 200.0));
    assert_eq!(inst.nodes[1].due, 171.0);
}

#[test]
fn r101_within_two_percent_of_best_known_dimacs() {
    let inst = r101();
    let best = BestKnown::load(&fixture("bks.csv"), Convention::Dimacs).unwrap();
    let bks = best.get("R101").unwrap();
    assert_eq!(bks, 1637.7);
    let (sol, _) = solve(&inst.to_instance(Convention::Dimacs), &params(1, 20_000));
    let report = check(&inst, &routes_of(&sol), Convention::Dimacs);
    assert!(
        report.feasible(),
        "{:?} {:?}",
        report.violations,
        report.missing
    );
    // The solver's own integer objective agrees with the checker (tenths).
    assert_eq!(sol.travel_cost(), (report.distance * 10.0).round() as i64);
    let gap = 100.0 * (report.distance - bks) / bks;
    assert!(gap < 2.0, "gap {gap:.2} %");
}

#[test]
fn exact_convention_solutions_are_feasible_in_doubles() {
    let inst = r101();
    let (sol, _) = solve(&inst.to_instance(Convention::Exact), &params(2, 200));
    let report = check(&inst, &routes_of(&sol), Convention::Exact);
    assert!(report.feasible(), "{:?}", report.violations);
}

#[test]
fn same_seed_same_solution() {
    let core = r101().to_instance(Convention::Dimacs);
    let a = solve(&core, &params(7, 150)).0;
    let b = solve(&core, &params(7, 150)).0;
    assert_eq!(routes_of(&a), routes_of(&b));
}

#[test]
fn checker_catches_broken_routes() {
    let inst = r101();
    // Customer 2 twice, the rest missing; one route far over capacity and late.
    let routes = vec![(1..=100).collect::<Vec<_>>(), vec![2]];
    let report = check(&inst, &routes, Convention::Dimacs);
    assert!(!report.feasible());
    assert!(report.violations.iter().any(|v| v.contains("capacity")));
    assert!(report.violations.iter().any(|v| v.contains("due")));
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("customer 2 served 2 times"))
    );
    let report = check(&inst, &[vec![1]], Convention::Dimacs);
    assert_eq!(report.missing.len(), 99);
}
