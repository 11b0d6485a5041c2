//! `bench dispatch`: a large city's day built through the real booking rules, then planned end
//! to end (load, solve, store), with the cost of the insertion check every booking passes.
//!
//! The first `--before-plan` bookings are sold by the station's seat rule; the day is then
//! planned, and every later booking is accepted only where it fits the routes (what is sold can
//! be delivered); then the full day is planned again, as a dispatcher would the evening before.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, NaiveTime, Utc};
use serde_json::json;

use crate::booking::{self, BookingError, BookingRequest, DonorAnswers};
use crate::db::registry::{self, SiteValues, VehicleValues};
use crate::db::{Db, DbError, plans, stored_instant};
use crate::dispatch::placement;
use crate::dispatch::planning::{SolveOptions, plan_day};
use crate::dispatch::view::read_plan;
use crate::domain::donation::{DonationKind, Sex};
use crate::domain::donor::{DonorName, PhoneNumber};
use crate::domain::language::Language;
use crate::routing::GeoPoint;
use crate::routing::rng::Rng;
use crate::station::Station;

/// Arguments of `bench dispatch`.
#[derive(clap::Args, Debug, Clone)]
pub struct DispatchArgs {
    /// Bookings attempted (the accepted ones make the day).
    #[arg(long, default_value_t = 2600)]
    pub attempts: usize,
    /// Communities and villages of the city.
    #[arg(long, default_value_t = 260)]
    pub sites: usize,
    /// Bloodmobiles available.
    #[arg(long, default_value_t = 100)]
    pub vehicles: usize,
    /// Share of bookings for apheresis platelets (one bloodmobile in six collects them).
    #[arg(long, default_value_t = 0.02)]
    pub platelets: f64,
    /// Seconds of search for the day's plan.
    #[arg(long, default_value_t = 2.0)]
    pub time_limit: f64,
    /// Share of the attempts made before the day's first plan (sold by the seat rule).
    #[arg(long, default_value_t = 0.5)]
    pub before_plan: f64,
    /// Insertion checks timed after the day is built.
    #[arg(long, default_value_t = 1000)]
    pub probes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Builds the city: a station, its sites around the depot and a mixed fleet.
fn build_city(db: &Db, args: &DispatchArgs) -> anyhow::Result<(i64, Vec<i64>)> {
    let (sites, vehicles, seed) = (args.sites, args.vehicles, args.seed);
    let ids = db.write_blocking(move |conn| {
        let mut rng = Rng::new(seed);
        let at = stored_instant(Utc::now());
        let depot = GeoPoint {
            lon: 112.25,
            lat: 30.32,
        };
        let mut values = crate::station::new_station_values(
            &format!("基准血站 {}", Utc::now().timestamp_micros()),
            "Asia/Shanghai",
            "中心血站",
            "沙市区北京中路",
            depot,
            at,
        );
        values.horizon_max_days = 60;
        let station = registry::insert_station(conn, &values)?;
        let mut site_ids = Vec::with_capacity(sites);
        for n in 0..sites {
            // A city of about 25 km across, denser near the centre.
            let r = 0.12 * rng.unit().sqrt();
            let a = std::f64::consts::TAU * rng.unit();
            let site = registry::insert_site(
                conn,
                &SiteValues {
                    station_id: station.id,
                    kind: if n % 3 == 0 { "village" } else { "community" }.into(),
                    district: format!("区{}", n % 8),
                    township: format!("街道{}", n % 40),
                    name: format!("社区{n}"),
                    address: format!("基准市社区{n}"),
                    lat: depot.lat + r * a.sin(),
                    lon: depot.lon + 1.2 * r * a.cos(),
                    contact_name: None,
                    contact_phone: None,
                    active: true,
                    updated_at: at,
                },
            )?;
            site_ids.push(site.id);
        }
        for n in 0..vehicles {
            let apheresis = n % 6 == 0;
            registry::insert_vehicle(
                conn,
                &VehicleValues {
                    station_id: station.id,
                    name: format!("采血车{n}"),
                    plate: None,
                    beds: [4, 5, 6][n % 3],
                    donors_per_day: [60, 70, 80][n % 3],
                    shift_start: NaiveTime::from_hms_opt(7, 30, 0).expect("a time"),
                    shift_end: NaiveTime::from_hms_opt(18, 0, 0).expect("a time"),
                    kinds: if apheresis {
                        "platelets,whole_blood"
                    } else {
                        "whole_blood"
                    }
                    .into(),
                    active: true,
                    updated_at: at,
                },
            )?;
        }
        Ok::<_, DbError>((station.id, site_ids))
    })?;
    Ok(ids)
}

fn request(
    site_id: i64,
    date: NaiveDate,
    window: &str,
    kind: DonationKind,
    n: u64,
) -> BookingRequest {
    BookingRequest {
        site_id,
        date,
        window: window.into(),
        kind,
        volume_ml: None,
        language: Language::ZhCn,
        donor: DonorAnswers {
            name: DonorName::parse("基准献血者", "donor.name").expect("a name"),
            phone: PhoneNumber::parse(&format!("+86137{:08}", n % 100_000_000), "donor.phone")
                .expect("a phone"),
            email: None,
            birth_date: NaiveDate::from_ymd_opt(1985, 6, 1).expect("a date"),
            sex: Sex::Male,
            weight_kg: 68.0,
            blood_type: None,
            last_donations: Vec::new(),
            legacy_last_donation: false,
            apheresis_12_months: None,
            adverse_reaction_before: false,
            vaccination: None,
        },
    }
}

/// Runs the benchmark and prints one JSON line.
pub fn run(args: &DispatchArgs, database_url: &str) -> anyhow::Result<()> {
    let (db, _temp) = open(database_url)?;
    let (station_id, sites) = build_city(&db, args)?;
    let date = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        + Days::new(7);
    let first_plan_at = (args.attempts as f64 * args.before_plan.clamp(0.0, 1.0)) as usize;

    // Bookings cluster as drives do: each site draws mostly one window.
    let mut rng = Rng::new(args.seed ^ 0xb00c);
    let phone_base = u64::from(Utc::now().timestamp_subsec_micros()) * 10_000;
    let (mut accepted, mut full) = (0usize, 0usize);
    let mut booking_times = Vec::with_capacity(args.attempts);
    let mut first_left_out = 0;
    for n in 0..args.attempts {
        if n == first_plan_at {
            let first = SolveOptions::new(Some(args.time_limit), Some(args.seed))?;
            let (plan, _) = plan_day(&db, station_id, date, first, Utc::now())?;
            let mut conn = db.get()?;
            first_left_out = read_plan(&mut conn, station_id, date, Some(plan.version))?
                .2
                .totals
                .left_out;
        }
        let site_index = ((rng.unit().powf(1.2)) * sites.len() as f64) as usize % sites.len();
        let morning = (site_index % 5 < 3) ^ rng.chance(0.15);
        let window = if morning { "morning" } else { "afternoon" };
        let kind = if rng.chance(args.platelets) {
            DonationKind::Platelets
        } else {
            DonationKind::WholeBlood
        };
        let wanted = request(sites[site_index], date, window, kind, phone_base + n as u64);
        let started = Instant::now();
        let result =
            db.write_blocking(move |conn| booking::create_booking(conn, wanted, None, Utc::now()));
        booking_times.push(started.elapsed());
        match result {
            Ok(_) => accepted += 1,
            Err(BookingError::Full { .. }) => full += 1,
            Err(e) => return Err(anyhow::anyhow!("booking {n}: {e}")),
        }
    }

    // The insertion check alone, on the full day: one more donor at a random site and window.
    let mut conn = db.get()?;
    let station_row = registry::find_station(&mut conn, station_id)?
        .ok_or_else(|| anyhow::anyhow!("the station vanished"))?;
    let station = Station::from_row(&station_row)?;
    let plan = plans::latest(&mut conn, station_id, date)?
        .ok_or_else(|| anyhow::anyhow!("the day has no plan"))?;
    let mut insert_times = Vec::with_capacity(args.probes);
    for _ in 0..args.probes {
        let site = sites[rng.below(sites.len())];
        let window = if rng.chance(0.5) {
            "morning"
        } else {
            "afternoon"
        };
        let started = Instant::now();
        placement::room_for(
            &mut conn,
            &station,
            &plan,
            site,
            window,
            DonationKind::WholeBlood,
            1,
        )?;
        insert_times.push(started.elapsed());
    }
    drop(conn);

    // The evening before: the whole day planned again, end to end.
    let options = SolveOptions::new(Some(args.time_limit), Some(args.seed))?;
    let started = Instant::now();
    let (planned, timings) = plan_day(&db, station_id, date, options, Utc::now())?;
    let plan_s = started.elapsed().as_secs_f64();
    let mut conn = db.get()?;
    let (_, _, view) = read_plan(&mut conn, station_id, date, Some(planned.version))?;
    booking_times.sort();
    insert_times.sort();
    println!(
        "{}",
        json!({
            "database": db.backend_name(),
            "stops": view.totals.stops + view.left_out.len(),
            "bookings": accepted,
            "refused_full": full,
            "vehicles": view.totals.vehicles_used,
            "plan_s": round3(plan_s),
            "load_s": round3(timings.load.as_secs_f64()),
            "solve_s": round3(timings.solve.as_secs_f64()),
            "store_s": round3(timings.store.as_secs_f64()),
            "served": view.totals.served,
            "left_out_by_reason": view.left_out.iter().fold(std::collections::BTreeMap::<String, usize>::new(), |mut m, l| { *m.entry(l.reason.clone()).or_default() += l.bookings.len(); m }),
            "first_plan_left_out": first_left_out,
            "left_out_donors": view.left_out.iter().fold(crate::domain::donation::KindCounts::default(), |a, l| a.plus(&l.donors)),
            "left_out": view.totals.left_out,
            "insert_p50_ms": round3(percentile(&insert_times, 0.5)),
            "insert_p99_ms": round3(percentile(&insert_times, 0.99)),
            "booking_p50_ms": round3(percentile(&booking_times, 0.5)),
            "booking_p99_ms": round3(percentile(&booking_times, 0.99)),
        })
    );
    Ok(())
}

/// The database named by `database_url` when it is PostgreSQL, else a fresh SQLite file that is
/// removed afterwards.
fn open(database_url: &str) -> anyhow::Result<(Db, Option<TempFile>)> {
    if crate::db::Backend::from_url(database_url) == crate::db::Backend::Postgres {
        return Ok((Db::open(database_url, 4)?, None));
    }
    let path = std::env::temp_dir()
        .join(format!("bloodmobile-bench-{}.db", std::process::id()))
        .to_string_lossy()
        .into_owned();
    let temp = TempFile(path.clone());
    Ok((Db::open(&path, 4)?, Some(temp)))
}

struct TempFile(String);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
        }
    }
}
