//! A bloodmobile's run sheet for its crew, to print: its stops in order with times and the site
//! contact, each stop's donors (phones masked but for the last four digits) and blood types.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::map::{self, Style};
use super::session::Session;
use crate::api::AppState;
use crate::dispatch::view::{RouteView, StopView, read_plan};
use crate::domain::donor::mask_phone;
use crate::web::page::{PageError, Ui, ok};

/// One donor as the crew sees them.
pub struct SheetDonor {
    pub reference: String,
    pub name: String,
    pub phone: String,
    pub kind: String,
    pub blood_type: String,
}

/// One stop of the sheet.
pub struct SheetStop {
    pub number: String,
    pub stop: StopView,
    pub address: String,
    pub contact: String,
    pub donors: Vec<SheetDonor>,
}

#[derive(Template)]
#[template(path = "console/run_sheet.html")]
struct RunSheet {
    ui: Ui,
    station: String,
    station_id: i64,
    date: NaiveDate,
    version: i32,
    status: String,
    style: Style,
    route: RouteView,
    stops: Vec<SheetStop>,
    /// Blood types of the whole route.
    blood_types: Vec<(String, usize)>,
}

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    pub version: Option<i32>,
}

/// The run sheet of one vehicle on a day.
#[get("/console/stations/{id}/days/{date}/vehicles/{vehicle_id}/run-sheet")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<(i64, NaiveDate, i64)>,
    query: web::Query<SheetQuery>,
) -> Result<HttpResponse, PageError> {
    let (station_id, date, vehicle_id) = path.into_inner();
    let version = query.version;
    let (day, view) = state
        .db
        .run(move |conn| {
            read_plan(conn, station_id, date, version)
                .map(|(day, _, view)| (day, view))
                .map_err(PageError::from)
        })
        .await?;
    let (index, route) = view
        .routes
        .iter()
        .enumerate()
        .find(|(_, r)| r.vehicle_id == vehicle_id)
        .ok_or(PageError::NotFound)?;
    let style = map::style(index);
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let stops = route
        .stops
        .iter()
        .enumerate()
        .map(|(n, stop)| {
            let site = day.sites.get(&stop.site_id);
            let contact = site
                .map(|s| {
                    [s.contact_name.clone(), s.contact_phone.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let donors = stop
                .bookings
                .iter()
                .filter_map(|reference| day.bookings.iter().find(|b| &b.reference == reference))
                .map(|b| {
                    let blood_type = b.blood_type.clone().unwrap_or_else(|| "unknown".into());
                    *totals.entry(blood_type.clone()).or_default() += 1;
                    SheetDonor {
                        reference: b.reference.clone(),
                        name: b.name.clone(),
                        phone: mask_phone(&b.phone),
                        kind: b.kind.as_str().to_string(),
                        blood_type,
                    }
                })
                .collect();
            SheetStop {
                number: format!("{}{}", style.letter, n + 1),
                stop: stop.clone(),
                address: site.map(|s| s.address.clone()).unwrap_or_default(),
                contact,
                donors,
            }
        })
        .collect();
    Ok(ok(&RunSheet {
        ui: session.ui(&req),
        station: day.station.name.clone(),
        station_id,
        date,
        version: view.version,
        status: view.status.clone(),
        route: route.clone(),
        style,
        stops,
        blood_types: totals.into_iter().collect(),
    }))
}
