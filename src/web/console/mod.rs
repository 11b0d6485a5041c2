//! The dispatcher console: sign in with a dispatcher account (the API's, `accounts`), then plan,
//! change, publish and print a station's day, keep the registry, resend failed notices. Every
//! form carries the session's CSRF token.

pub mod day;
pub mod map;
pub mod notices;
pub mod registry_form;
pub mod run_sheet;
pub mod session;
pub mod sites;
pub mod vehicles;

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::api::AppState;
use crate::db::registry::{StationRow, list_stations};
use crate::web::page::{PageError, Ui, ok, see_other};
use session::Session;

/// Mounts `/console`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(open_day)
        .service(session::sign_in_form)
        .service(session::sign_in_submit)
        .service(session::sign_out)
        .service(day::show_day)
        .service(day::plan_day)
        .service(day::change_plan)
        .service(day::confirm_publish)
        .service(day::publish_plan)
        .service(run_sheet::show)
        .service(sites::list)
        .configure(registry_form::mount::<sites::SiteForm>)
        .service(vehicles::list)
        .configure(registry_form::mount::<vehicles::VehicleForm>)
        .service(notices::failed)
        .service(notices::resend);
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    ui: Ui,
    stations: Vec<StationRow>,
    today: NaiveDate,
}

/// The stations and a day to open.
#[get("/console")]
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let stations = state
        .db
        .run(|conn| list_stations(conn).map_err(PageError::from))
        .await?;
    let today = stations
        .first()
        .and_then(|s| s.time_zone.parse::<chrono_tz::Tz>().ok())
        .map_or_else(
            || Utc::now().date_naive(),
            |tz| Utc::now().with_timezone(&tz).date_naive(),
        );
    Ok(ok(&HomePage {
        ui: session.ui(&req),
        stations,
        today,
    }))
}

#[derive(Debug, Deserialize)]
pub struct DayChoice {
    pub station: i64,
    pub date: NaiveDate,
}

/// The day chosen on the home page.
#[get("/console/day")]
pub async fn open_day(_: Session, query: web::Query<DayChoice>) -> HttpResponse {
    see_other(&format!(
        "/console/stations/{}/days/{}",
        query.station, query.date
    ))
}

/// Posted forms of the console carry this.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}
