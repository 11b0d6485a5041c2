//! The one binary: serve, migrate, manage dispatcher accounts, run the planner's benchmarks.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::accounts;
use crate::api::AppState;
use crate::api::limits::Limits;
use crate::bench::BenchCommand;
use crate::config::{DEFAULT_DATABASE_URL, ServeSettings, WorkerSettings};
use crate::db::{Db, connection};
use crate::notices::worker::Worker;
use crate::{demo, startup};

#[derive(Debug, Parser)]
#[command(
    name = "bloodmobile",
    version,
    about = "Door-to-door blood collection: bookings, routes, notices"
)]
pub struct Cli {
    /// `postgres://user:pass@host/db` for PostgreSQL; anything else is a SQLite file.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve(ServeSettings),
    /// Apply pending migrations and exit.
    Migrate,
    /// Dispatcher accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Send notices (a worker beside `serve --no-worker`, or on another machine).
    Worker(WorkerSettings),
    /// Plan a station's day from its bookings and print the routes.
    Plan(PlanArgs),
    /// Change the latest plan of a day (move, lock, take a vehicle out, re-optimise) and print
    /// the new version.
    Change(ChangeArgs),
    /// Publish a version of a day's plan (the latest by default): donors get their windows.
    Publish(PublishArgs),
    /// Copy the SQLite database, consistently, while the service runs.
    Backup {
        /// Where the copy goes (a file that does not exist yet).
        path: String,
    },
    /// Benchmarks of the route planner.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The station's id.
    #[arg(long)]
    pub station: i64,
    /// The service day, YYYY-MM-DD (the station's local date).
    #[arg(long)]
    pub date: chrono::NaiveDate,
    /// Seconds of search.
    #[arg(long, default_value_t = 2.0)]
    pub time_limit: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Publish the new version: donors get their arrival windows.
    #[arg(long)]
    pub publish: bool,
}

/// A station-day.
#[derive(Debug, clap::Args)]
pub struct DayArgs {
    /// The station's id.
    #[arg(long)]
    pub station: i64,
    /// The service day, YYYY-MM-DD (the station's local date).
    #[arg(long)]
    pub date: chrono::NaiveDate,
}

#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub day: DayArgs,
    #[command(subcommand)]
    pub change: ChangeCommand,
}

/// One change, as `POST .../plan/changes` takes it.
#[derive(Debug, Subcommand)]
pub enum ChangeCommand {
    /// Put a stop on a vehicle's route at a position (1 = first stop).
    Move {
        #[arg(long)]
        stop: i32,
        #[arg(long)]
        vehicle: i64,
        #[arg(long)]
        position: usize,
    },
    /// Keep a stop on its vehicle when re-optimising.
    Lock {
        #[arg(long)]
        stop: i32,
    },
    Unlock {
        #[arg(long)]
        stop: i32,
    },
    /// Take a vehicle out for the day (a breakdown) and re-plan the rest.
    VehicleOut {
        #[arg(long)]
        vehicle: i64,
    },
    /// Re-plan the rest, keeping locked stops and published windows where it can.
    Reoptimise {
        #[arg(long, default_value_t = 2.0)]
        time_limit: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// The version to publish (default: the latest).
    #[arg(long)]
    pub version: Option<i32>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dispatcher account.
    Add {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Parses the command line, runs it, and turns any failure into a one-line message.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("BLOODMOBILE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // One JSON object a line for log collectors; the request id is a field of its span.
    let _ = match std::env::var("BLOODMOBILE_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().with_current_span(true).try_init(),
        _ => builder.try_init(),
    };
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    if cli.database_url.trim().is_empty() {
        anyhow::bail!(
            "DATABASE_URL is set but empty: unset it for the embedded SQLite file, or give a URL"
        );
    }
    match cli.command {
        Command::Serve(settings) => serve(&cli.database_url, settings),
        Command::Migrate => {
            let mut conn = connection::establish(&cli.database_url)?;
            let applied = connection::run_migrations(&mut conn, &cli.database_url)?;
            println!(
                "{applied} migration(s) applied to {}",
                connection::redact_url(&cli.database_url)
            );
            Ok(())
        }
        Command::User(UserCommand::Add { username, .. }) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            accounts::check_new_account(&username, password)?;
            let hash = accounts::hash_password(password);
            let db = Db::open(&cli.database_url, 1)?;
            db.write_blocking(move |conn| {
                accounts::add_user(conn, &username, &hash, chrono::Utc::now())
            })?;
            println!("dispatcher account created");
            Ok(())
        }
        Command::Worker(settings) => worker(&cli.database_url, settings),
        Command::Plan(args) => plan(&cli.database_url, &args),
        Command::Change(args) => change(&cli.database_url, args),
        Command::Publish(args) => publish(&cli.database_url, &args),
        Command::Backup { path } => {
            let db = Db::open(&cli.database_url, 1)?;
            db.backup(&path)?;
            println!("backed up {} to {path}", db.display_url());
            Ok(())
        }
        Command::Bench(command) => crate::bench::run(command, &cli.database_url),
    }
}

fn serve(database_url: &str, settings: ServeSettings) -> anyhow::Result<()> {
    let db = Db::open(database_url, settings.pool_size)?;
    tracing::info!(database = %db.display_url(), "database ready");
    if settings.demo
        && let Some(loaded) = demo::load::load_if_empty(&db)?
    {
        println!("planning and publishing the demo days...");
        demo::load::plan_and_publish(&db, &loaded, 1.0)?;
    }
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
    let address = listener.local_addr()?;
    let public_url = settings
        .notices
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let state = AppState {
        token_ttl: chrono::Duration::hours(settings.token_ttl_hours.clamp(1, 24 * 30)),
        sms_receipt_token: settings.notices.sms_receipt_token.clone(),
        limits: Limits::new(settings.rate_limit, settings.trust_forwarded_for),
        cors_origins: settings.cors_origins.clone(),
        metrics_token: settings.metrics_token.clone(),
        ..AppState::new(db.clone())
    };
    println!("bloodmobile listening on http://{address}");
    actix_web::rt::System::new().block_on(async move {
        if !settings.no_worker {
            let worker = Worker::new(db, settings.notices.clone(), &public_url)
                .map_err(|e| anyhow::anyhow!(e))?;
            println!("notices: {}", worker.describe());
            actix_web::rt::spawn(worker.run());
        }
        startup::server(state, listener, settings.workers)?.await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(())
}

/// `bloodmobile worker`: sends notices until stopped.
fn worker(database_url: &str, settings: WorkerSettings) -> anyhow::Result<()> {
    let db = Db::open(database_url, settings.pool_size)?;
    let public_url = settings
        .notices
        .public_url
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    actix_web::rt::System::new().block_on(async move {
        let worker =
            Worker::new(db, settings.notices, &public_url).map_err(|e| anyhow::anyhow!(e))?;
        println!("bloodmobile worker: {}", worker.describe());
        worker.run().await;
        Ok(())
    })
}

fn change(database_url: &str, args: ChangeArgs) -> anyhow::Result<()> {
    use crate::dispatch::changes::{Change, apply};
    use crate::dispatch::planning::SolveOptions;
    let db = Db::open(database_url, 2)?;
    let change = match args.change {
        ChangeCommand::Move {
            stop,
            vehicle,
            position,
        } => Change::Move {
            stop_id: stop,
            vehicle_id: vehicle,
            position,
        },
        ChangeCommand::Lock { stop } => Change::Lock { stop_id: stop },
        ChangeCommand::Unlock { stop } => Change::Unlock { stop_id: stop },
        ChangeCommand::VehicleOut { vehicle } => Change::VehicleOut {
            vehicle_id: vehicle,
        },
        ChangeCommand::Reoptimise { time_limit, seed } => Change::Reoptimise {
            options: SolveOptions::new(Some(time_limit), Some(seed))
                .map_err(|e| anyhow::anyhow!("--time-limit: {}", e.message))?,
        },
    };
    let (station, date) = (args.day.station, args.day.date);
    let plan = apply(&db, station, date, change, chrono::Utc::now())?;
    print_plan(&db, station, date, plan.version, None)
}

fn publish(database_url: &str, args: &PublishArgs) -> anyhow::Result<()> {
    let db = Db::open(database_url, 2)?;
    let (station, date, version) = (args.day.station, args.day.date, args.version);
    let (plan, changes) = db.write_blocking(move |conn| {
        crate::db::write_transaction(conn, |conn| {
            crate::dispatch::publish::publish(conn, station, date, version, chrono::Utc::now())
        })
    })?;
    println!(
        "published version {} of station {station} on {date}; {} arrival windows told or changed",
        plan.version,
        changes.len()
    );
    print_plan(&db, station, date, plan.version, None)
}

/// Prints a version of a day as a table per vehicle.
fn print_plan(
    db: &Db,
    station: i64,
    date: chrono::NaiveDate,
    version: i32,
    timings: Option<crate::dispatch::planning::Timings>,
) -> anyhow::Result<()> {
    let mut conn = db.get()?;
    let (_, _, view) = crate::dispatch::view::read_plan(&mut conn, station, date, Some(version))?;
    print!("{}", crate::dispatch::table::plan_table(&view, timings));
    Ok(())
}

fn plan(database_url: &str, args: &PlanArgs) -> anyhow::Result<()> {
    use crate::dispatch::planning::{SolveOptions, plan_day};
    let db = Db::open(database_url, 2)?;
    let options = SolveOptions::new(Some(args.time_limit), Some(args.seed))
        .map_err(|e| anyhow::anyhow!("--time-limit: {}", e.message))?;
    let now = chrono::Utc::now();
    let (plan, timings) = plan_day(&db, args.station, args.date, options, now)?;
    if args.publish {
        let (station, date) = (args.station, args.date);
        db.write_blocking(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                crate::dispatch::publish::publish(conn, station, date, Some(plan.version), now)
            })
        })?;
    }
    print_plan(&db, args.station, args.date, plan.version, Some(timings))
}
