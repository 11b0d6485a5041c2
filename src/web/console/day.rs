//! A station's day: its totals, the routes on a map and in tables, what was left out and why;
//! plan or plan again, move a stop, lock it, take a bloodmobile out, re-optimise, publish.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use super::map::{self, MapRoute, Style};
use super::session::Session;
use crate::api::AppState;
use crate::db::registry::{StationRow, VehicleRow, find_station};
use crate::db::write_transaction;
use crate::dispatch::changes::{self, Change};
use crate::dispatch::day::{DayData, active_vehicles, day_bookings};
use crate::dispatch::planning::{self, SolveOptions};
use crate::dispatch::view::{PlanView, RouteView, read_plan};
use crate::dispatch::{DispatchError, publish as publishing};
use crate::routing::GeoPoint;
use crate::web::page::{PageError, Ui, ok, render, see_other};

/// A route with the way the map draws it.
pub struct DrawnRoute {
    pub style: Style,
    pub route: RouteView,
}

#[derive(Template)]
#[template(path = "console/day.html")]
struct DayPage {
    ui: Ui,
    station: StationRow,
    date: NaiveDate,
    plan: Option<PlanView>,
    routes: Vec<DrawnRoute>,
    map: String,
    vehicles: Vec<VehicleRow>,
    /// Every stop of the plan, for the forms: id and label ("A2 红星社区").
    stops: Vec<(i32, String)>,
    /// Confirmed bookings of the day (before a plan exists).
    bookings: usize,
    done: Option<&'static str>,
    problem: Option<String>,
}

impl DayPage {
    fn path(&self) -> String {
        format!("/console/stations/{}/days/{}", self.station.id, self.date)
    }

    /// Blood types of the day, in a stable order.
    fn blood_types(&self) -> Vec<(String, u32)> {
        self.plan.as_ref().map_or_else(Vec::new, |p| {
            let ordered: BTreeMap<&String, &u32> = p.totals.blood_types.iter().collect();
            ordered.into_iter().map(|(k, v)| (k.clone(), *v)).collect()
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    pub version: Option<i32>,
    pub done: Option<String>,
}

type DayPath = web::Path<(i64, NaiveDate)>;

/// Everything the day page shows.
async fn load(
    state: &AppState,
    ui: Ui,
    station_id: i64,
    date: NaiveDate,
    version: Option<i32>,
) -> Result<DayPage, PageError> {
    let (station, vehicles, plan, bookings) = state
        .db
        .run(move |conn| {
            let station = find_station(conn, station_id)?.ok_or(PageError::NotFound)?;
            let vehicles = active_vehicles(conn, station_id)?;
            let plan = match read_plan(conn, station_id, date, version) {
                Ok((_, _, view)) => Some(view),
                Err(DispatchError::NoPlan) => None,
                Err(e) => return Err(e.into()),
            };
            let bookings = day_bookings(conn, station_id, date)?.len();
            Ok::<_, PageError>((station, vehicles, plan, bookings))
        })
        .await?;
    let routes: Vec<DrawnRoute> = plan.as_ref().map_or_else(Vec::new, |p| {
        p.routes
            .iter()
            .enumerate()
            .map(|(i, r)| DrawnRoute {
                style: map::style(i),
                route: r.clone(),
            })
            .collect()
    });
    let drawn: Vec<MapRoute> = routes
        .iter()
        .map(|r| MapRoute {
            vehicle_id: r.route.vehicle_id,
            vehicle_name: r.route.vehicle_name.clone(),
            style: r.style.clone(),
            stops: r
                .route
                .stops
                .iter()
                .map(|s| {
                    (
                        GeoPoint {
                            lat: s.lat,
                            lon: s.lon,
                        },
                        s.site_name.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    let depot = GeoPoint {
        lat: station.depot_lat,
        lon: station.depot_lon,
    };
    let map = map::svg(depot, &station.depot_name, &drawn, ui.t.map_heading);
    let mut stops: Vec<(i32, String)> = routes
        .iter()
        .flat_map(|r| {
            r.route.stops.iter().enumerate().map(|(n, s)| {
                (
                    s.stop_id,
                    format!("{}{} {}", r.style.letter, n + 1, s.site_name),
                )
            })
        })
        .collect();
    if let Some(p) = &plan {
        stops.extend(
            p.left_out
                .iter()
                .map(|l| (l.stop_id, format!("– {}", l.site_name))),
        );
    }
    Ok(DayPage {
        ui,
        station,
        date,
        plan,
        routes,
        map,
        vehicles,
        stops,
        bookings,
        done: None,
        problem: None,
    })
}

/// The station-day page.
#[get("/console/stations/{id}/days/{date}")]
pub async fn show_day(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: DayPath,
    query: web::Query<DayQuery>,
) -> Result<HttpResponse, PageError> {
    let (station_id, date) = path.into_inner();
    let ui = session.ui(&req);
    let done = match query.done.as_deref() {
        Some("planned") => Some(ui.t.done_planned),
        Some("changed") => Some(ui.t.done_changed),
        Some("published") => Some(ui.t.done_published),
        _ => None,
    };
    let mut page = load(&state, ui, station_id, date, query.version).await?;
    page.done = done;
    Ok(ok(&page))
}

#[derive(Debug, Deserialize)]
pub struct PlanForm {
    pub csrf: String,
    pub time_limit_s: Option<f64>,
}

/// Runs dispatch work that solves (seconds) off the async executor.
async fn solving<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DispatchError> + Send + 'static,
) -> Result<Result<T, DispatchError>, PageError> {
    web::block(work).await.map_err(|_| PageError::Internal)
}

/// The day page again with what refused a change (422).
async fn refused(
    state: &AppState,
    ui: Ui,
    station_id: i64,
    date: NaiveDate,
    error: DispatchError,
) -> Result<HttpResponse, PageError> {
    let problem = match &error {
        DispatchError::Infeasible {
            constraint,
            stop_id,
            message,
        } => format!(
            "{}: {message} ({}{})",
            ui.t.infeasible_heading,
            constraint,
            stop_id.map(|s| format!(", stop {s}")).unwrap_or_default()
        ),
        DispatchError::Invalid(e) => format!("{}: {}", e.field, e.message),
        DispatchError::PlanChanged { .. } | DispatchError::NoPlan => error.to_string(),
        DispatchError::NotFound { .. } => error.to_string(),
        _ => return Err(error.into()),
    };
    let mut page = load(state, ui, station_id, date, None).await?;
    page.problem = Some(problem);
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// Plans the day (again): a new version.
#[post("/console/stations/{id}/days/{date}/plan")]
pub async fn plan_day(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: DayPath,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let (station_id, date) = path.into_inner();
    let options = match SolveOptions::new(form.time_limit_s, None) {
        Ok(options) => options,
        Err(e) => return refused(&state, session.ui(&req), station_id, date, e.into()).await,
    };
    let db = state.db.clone();
    let planned =
        solving(move || planning::plan_day(&db, station_id, date, options, Utc::now())).await?;
    match planned {
        Ok(_) => Ok(see_other(&format!(
            "/console/stations/{station_id}/days/{date}?done=planned"
        ))),
        Err(e) => refused(&state, session.ui(&req), station_id, date, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    pub csrf: String,
    /// move, lock, unlock, vehicle_out or reoptimise.
    pub action: String,
    pub stop_id: Option<i32>,
    pub vehicle_id: Option<i64>,
    pub position: Option<usize>,
    pub time_limit_s: Option<f64>,
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, DispatchError> {
    value.ok_or_else(|| crate::domain::FieldError::new(field, "required", "is required").into())
}

impl ChangeForm {
    fn change(&self) -> Result<Change, DispatchError> {
        Ok(match self.action.as_str() {
            "move" => Change::Move {
                stop_id: required(self.stop_id, "stop_id")?,
                vehicle_id: required(self.vehicle_id, "vehicle_id")?,
                position: required(self.position, "position")?,
            },
            "lock" => Change::Lock {
                stop_id: required(self.stop_id, "stop_id")?,
            },
            "unlock" => Change::Unlock {
                stop_id: required(self.stop_id, "stop_id")?,
            },
            "vehicle_out" => Change::VehicleOut {
                vehicle_id: required(self.vehicle_id, "vehicle_id")?,
            },
            "reoptimise" => Change::Reoptimise {
                options: SolveOptions::new(self.time_limit_s, None)?,
            },
            _ => {
                return Err(crate::domain::FieldError::new(
                    "action",
                    "invalid_action",
                    "move, lock, unlock, vehicle_out or reoptimise",
                )
                .into());
            }
        })
    }
}

/// Changes the latest version: checked and re-timed by the planner, stored as a new version.
#[post("/console/stations/{id}/days/{date}/changes")]
pub async fn change_plan(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: DayPath,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let (station_id, date) = path.into_inner();
    let change = match form.change() {
        Ok(change) => change,
        Err(e) => return refused(&state, session.ui(&req), station_id, date, e).await,
    };
    let db = state.db.clone();
    let changed =
        solving(move || changes::apply(&db, station_id, date, change, Utc::now())).await?;
    match changed {
        Ok(_) => Ok(see_other(&format!(
            "/console/stations/{station_id}/days/{date}?done=changed"
        ))),
        Err(e) => refused(&state, session.ui(&req), station_id, date, e).await,
    }
}

#[derive(Template)]
#[template(path = "console/publish.html")]
struct PublishPage {
    ui: Ui,
    station: StationRow,
    date: NaiveDate,
    plan: PlanView,
    /// Bookings on the plan that have not been told a window yet.
    first_time: usize,
}

/// Served bookings of `view` whose donors were told no window yet.
fn untold(day: &DayData, view: &PlanView) -> usize {
    view.routes
        .iter()
        .flat_map(|r| &r.stops)
        .flat_map(|s| &s.bookings)
        .filter(|reference| {
            day.bookings
                .iter()
                .any(|b| &b.reference == *reference && b.arrival_from.is_none())
        })
        .count()
}

/// What publishing the latest version will tell, and a button to do it.
#[get("/console/stations/{id}/days/{date}/publish")]
pub async fn confirm_publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: DayPath,
) -> Result<HttpResponse, PageError> {
    let (station_id, date) = path.into_inner();
    let (station, plan, first_time) = state
        .db
        .run(move |conn| {
            let station = find_station(conn, station_id)?.ok_or(PageError::NotFound)?;
            let (day, _, view) = read_plan(conn, station_id, date, None)?;
            let first_time = untold(&day, &view);
            Ok::<_, PageError>((station, view, first_time))
        })
        .await?;
    Ok(ok(&PublishPage {
        ui: session.ui(&req),
        station,
        date,
        plan,
        first_time,
    }))
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    pub csrf: String,
    pub version: Option<i32>,
}

/// Publishes the version confirmed: every donor on it is told their window.
#[post("/console/stations/{id}/days/{date}/publish")]
pub async fn publish_plan(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: DayPath,
    form: web::Form<PublishForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let (station_id, date) = path.into_inner();
    let version = form.version;
    let published = state
        .db
        .write(move |conn| {
            write_transaction(conn, |conn| {
                publishing::publish(conn, station_id, date, version, Utc::now())
            })
            .map_err(PublishFailed)
        })
        .await;
    match published {
        Ok(_) => Ok(see_other(&format!(
            "/console/stations/{station_id}/days/{date}?done=published"
        ))),
        Err(PublishFailed(e)) => refused(&state, session.ui(&req), station_id, date, e).await,
    }
}

/// A refused publish, carried out of the writer.
struct PublishFailed(DispatchError);

impl From<crate::db::DbError> for PublishFailed {
    fn from(e: crate::db::DbError) -> Self {
        PublishFailed(DispatchError::Db(e))
    }
}
