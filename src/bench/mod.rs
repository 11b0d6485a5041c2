//! Benchmarks of the route planner (not part of the product): Solomon/Homberger VRPTW
//! instances with an independent checker, and a synthetic Jingzhou-scale day.

pub mod bks;
pub mod checker;
pub mod day;
pub mod dispatch;
pub mod solomon;
pub mod vrptw;

pub use day::DayArgs;
pub use vrptw::VrptwArgs;

/// `bloodmobile bench ...` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Solve Solomon-format VRPTW files, check them, print JSON lines with the gap to the BKS.
    Vrptw(VrptwArgs),
    /// Plan a synthetic Jingzhou-scale day (400 stops, 20 vehicles) and print its figures.
    Day(DayArgs),
    /// Build a large city's day through the booking rules on a fresh database (SQLite, or the
    /// PostgreSQL of DATABASE_URL), plan it end to end and time the insertion check.
    Dispatch(dispatch::DispatchArgs),
}

/// Runs a benchmark subcommand (`database_url` is the one given to the binary).
pub fn run(cmd: BenchCommand, database_url: &str) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Vrptw(args) => vrptw::run(&args),
        BenchCommand::Day(args) => day::run(&args),
        BenchCommand::Dispatch(args) => dispatch::run(&args, database_url),
    }
}
