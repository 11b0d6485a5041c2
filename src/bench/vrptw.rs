//! `bench vrptw`: solve every Solomon-format file of a folder, check each solution
//! independently and print one JSON line per instance plus a summary line.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use crate::bench::bks::{self, BestKnown};
use crate::bench::checker::check;
use crate::bench::solomon::{Convention, SolomonInstance};
use crate::routing::search::{SearchParams, solve};

/// Arguments of `bench vrptw`.
#[derive(clap::Args, Debug, Clone)]
pub struct VrptwArgs {
    /// Folder of Solomon-format `.txt` files (or one file).
    pub dir: PathBuf,
    /// Seconds per instance.
    #[arg(long, default_value_t = 1.0)]
    pub time_limit: f64,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Distance convention (and which best-known values the gap is measured against).
    #[arg(long, value_enum, default_value_t = Convention::Dimacs)]
    pub distances: Convention,
    /// A `bks.csv` to compare with (default: `bks.csv` in DIR or its parent).
    #[arg(long)]
    pub bks: Option<PathBuf>,
    /// Iteration limit per instance (the time limit still applies).
    #[arg(long)]
    pub iterations: Option<u64>,
}

/// Result of one instance.
#[derive(Clone, Debug)]
pub struct InstanceResult {
    /// Instance name (file stem).
    pub instance: String,
    /// Vehicles used.
    pub vehicles: usize,
    /// Distance recomputed by the checker.
    pub distance: f64,
    /// Checker verdict.
    pub feasible: bool,
    /// Solve time.
    pub wall_s: f64,
    /// Gap to the best known, percent.
    pub gap_pct: Option<f64>,
}

/// Solves one instance and checks it.
pub fn solve_file(
    path: &Path,
    args: &VrptwArgs,
    best: &BestKnown,
) -> anyhow::Result<InstanceResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let inst =
        SolomonInstance::parse(&text).with_context(|| format!("parsing {}", path.display()))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(&inst.name)
        .to_string();
    let started = Instant::now();
    let core = inst.to_instance(args.distances);
    let params = SearchParams {
        seed: args.seed,
        time_limit: Some(Duration::from_secs_f64(args.time_limit)),
        iterations: args.iterations,
        ..SearchParams::default()
    };
    let (solution, stats) = solve(&core, &params);
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        eprintln!(
            "{name}: {} iterations, {} improvements",
            stats.iterations, stats.improvements
        );
    }
    let wall_s = started.elapsed().as_secs_f64();
    // Client k is customer k + 1 in the file.
    let routes: Vec<Vec<usize>> = solution
        .routes
        .iter()
        .map(|r| r.clients().iter().map(|&c| c as usize + 1).collect())
        .collect();
    let report = check(&inst, &routes, args.distances);
    for v in &report.violations {
        eprintln!("{name}: {v}");
    }
    if !report.missing.is_empty() {
        eprintln!("{name}: customers not served: {:?}", report.missing);
    }
    let gap_pct = best.get(&name).map(|b| 100.0 * (report.distance - b) / b);
    Ok(InstanceResult {
        instance: name,
        vehicles: report.vehicles,
        distance: report.distance,
        feasible: report.feasible(),
        wall_s,
        gap_pct,
    })
}

/// Runs the whole folder, printing JSON lines.
pub fn run(args: &VrptwArgs) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = if args.dir.is_file() {
        vec![args.dir.clone()]
    } else {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&args.dir)
            .with_context(|| format!("reading {}", args.dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("txt")))
            .collect();
        v.sort();
        v
    };
    let bks_path = args.bks.clone().or_else(|| bks::default_path(&args.dir));
    let best = match &bks_path {
        Some(p) => BestKnown::load(p, args.distances)?,
        None => BestKnown::default(),
    };
    let mut results = Vec::new();
    for file in &files {
        let r = solve_file(file, args, &best)?;
        println!(
            "{}",
            ordered(&[
                ("instance", json!(r.instance)),
                ("vehicles", json!(r.vehicles)),
                ("distance", json!(round(r.distance, 4))),
                ("feasible", json!(r.feasible)),
                ("wall_s", json!(round(r.wall_s, 3))),
                ("gap_pct", json!(r.gap_pct.map(|g| round(g, 4)))),
            ])
        );
        results.push(r);
    }
    let gaps: Vec<f64> = results.iter().filter_map(|r| r.gap_pct).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            None
        } else {
            Some(v.iter().sum::<f64>() / v.len() as f64)
        }
    };
    let walls: Vec<f64> = results.iter().map(|r| r.wall_s).collect();
    println!(
        "{}",
        ordered(&[
            ("summary", json!(true)),
            ("instances", json!(results.len())),
            (
                "feasible",
                json!(results.iter().filter(|r| r.feasible).count())
            ),
            ("mean_gap_pct", json!(mean(&gaps).map(|g| round(g, 4)))),
            (
                "max_gap_pct",
                json!(gaps.iter().copied().reduce(f64::max).map(|g| round(g, 4)))
            ),
            ("mean_wall_s", json!(mean(&walls).map(|w| round(w, 3)))),
        ])
    );
    Ok(())
}

/// A JSON object with its keys in the given order (serde_json sorts them otherwise).
fn ordered(fields: &[(&str, serde_json::Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
