//! The registry's pages: a station's communities and villages and its bloodmobiles, listed,
//! added and changed through the same service as the API (`registry::sites`,
//! `registry::vehicles`), with its field errors beside the fields.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{NaiveTime, Utc};
use serde::Deserialize;

use super::session::Session;
use crate::api::AppState;
use crate::db::registry::{self as rows, SiteFilter, SiteRow, StationRow, VehicleRow};
use crate::domain::FieldError;
use crate::domain::donation::DonationKind;
use crate::registry::{
    RegistryError, SiteFields, VehicleFields, sites as site_service, vehicles as vehicle_service,
};
use crate::web::form::FieldErrors;
use crate::web::page::{PageError, Ui, ok, render, see_other};

fn station(conn: &mut crate::db::DbConnection, id: i64) -> Result<StationRow, PageError> {
    rows::find_station(conn, id)?.ok_or(PageError::NotFound)
}

/// A registry error as the form shows it: a field's message, or a page error.
fn form_error(error: RegistryError) -> Result<FieldError, PageError> {
    match error {
        RegistryError::Invalid(e) => Ok(e),
        RegistryError::NotFound { .. } => Err(PageError::NotFound),
        RegistryError::Db(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "console/sites.html")]
struct SitesPage {
    ui: Ui,
    station: StationRow,
    sites: Vec<SiteRow>,
    q: String,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub done: Option<String>,
}

/// A station's sites.
#[get("/console/stations/{id}/sites")]
pub async fn sites(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let q: String = query
        .q
        .clone()
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let filter = SiteFilter {
        q: Some(q.clone()),
        district: None,
        station_id: Some(id),
        kind: None,
        include_inactive: true,
    };
    let (station, sites) = state
        .db
        .run(move |conn| {
            let station = station(conn, id)?;
            let (sites, _) = rows::search_sites(conn, &filter, 500, 0)?;
            Ok::<_, PageError>((station, sites))
        })
        .await?;
    Ok(ok(&SitesPage {
        ui: session.ui(&req),
        station,
        sites,
        q,
        saved: query.done.is_some(),
    }))
}

/// A site as the form holds it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SiteForm {
    pub csrf: String,
    pub kind: String,
    pub district: String,
    pub township: String,
    pub name: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub active: String,
}

impl SiteForm {
    fn of(site: &SiteRow) -> SiteForm {
        SiteForm {
            csrf: String::new(),
            kind: site.kind.clone(),
            district: site.district.clone(),
            township: site.township.clone(),
            name: site.name.clone(),
            address: site.address.clone(),
            lat: site.lat.to_string(),
            lon: site.lon.to_string(),
            contact_name: site.contact_name.clone().unwrap_or_default(),
            contact_phone: site.contact_phone.clone().unwrap_or_default(),
            active: if site.active {
                "yes".into()
            } else {
                String::new()
            },
        }
    }

    /// The fields the service checks; a number that does not parse is named here.
    fn fields(&self, station_id: i64) -> Result<SiteFields, FieldError> {
        let number = |text: &str, field: &str| {
            text.trim()
                .parse::<f64>()
                .map_err(|_| FieldError::new(field, "invalid_number", "a number, e.g. 30.33"))
        };
        let text = |t: &str| Some(t.trim().to_string());
        Ok(SiteFields {
            station_id: Some(station_id),
            kind: text(&self.kind),
            district: text(&self.district),
            township: text(&self.township),
            name: text(&self.name),
            address: text(&self.address),
            lat: Some(number(&self.lat, "lat")?),
            lon: Some(number(&self.lon, "lon")?),
            contact_name: text(&self.contact_name),
            contact_phone: text(&self.contact_phone),
            active: Some(!self.active.is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "console/site_form.html")]
struct SiteFormPage {
    ui: Ui,
    station: StationRow,
    /// The site changed (none: a new one).
    site_id: Option<i64>,
    form: SiteForm,
    errors: FieldErrors,
}

/// The form for a new site.
#[get("/console/stations/{id}/sites/new")]
pub async fn new_site(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let station = state.db.run(move |conn| station(conn, id)).await?;
    let form = SiteForm {
        kind: "community".into(),
        active: "yes".into(),
        ..SiteForm::default()
    };
    Ok(ok(&SiteFormPage {
        ui: session.ui(&req),
        station,
        site_id: None,
        form,
        errors: FieldErrors::default(),
    }))
}

/// Saves a site through the registry service; the form again with its errors if refused.
async fn save_site(
    state: &AppState,
    ui: Ui,
    station_id: i64,
    site_id: Option<i64>,
    form: SiteForm,
) -> Result<HttpResponse, PageError> {
    let saved: Result<(), FieldError> = match form.fields(station_id) {
        Err(e) => Err(e),
        Ok(fields) => {
            let outcome = state
                .db
                .write(move |conn| {
                    let now = Utc::now();
                    let saved = match site_id {
                        Some(id) => site_service::update(conn, id, fields, now),
                        None => site_service::create(conn, fields, now),
                    };
                    Ok::<_, PageError>(saved.map(|_| ()))
                })
                .await?;
            match outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(form_error(e)?),
            }
        }
    };
    match saved {
        Ok(()) => Ok(see_other(&format!(
            "/console/stations/{station_id}/sites?done=saved"
        ))),
        Err(e) => {
            let station = state.db.run(move |conn| station(conn, station_id)).await?;
            let mut errors = FieldErrors::default();
            errors.push(&e.field, e.message.clone());
            Ok(render(
                StatusCode::BAD_REQUEST,
                &SiteFormPage {
                    ui,
                    station,
                    site_id,
                    form,
                    errors,
                },
            ))
        }
    }
}

#[post("/console/stations/{id}/sites")]
pub async fn create_site(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<SiteForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    save_site(
        &state,
        session.ui(&req),
        path.into_inner(),
        None,
        form.into_inner(),
    )
    .await
}

/// The form of an existing site.
#[get("/console/sites/{id}")]
pub async fn edit_site(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (site, station) = state
        .db
        .run(move |conn| {
            let site = rows::find_site(conn, id)?.ok_or(PageError::NotFound)?;
            let station = station(conn, site.station_id)?;
            Ok::<_, PageError>((site, station))
        })
        .await?;
    Ok(ok(&SiteFormPage {
        ui: session.ui(&req),
        station,
        site_id: Some(id),
        form: SiteForm::of(&site),
        errors: FieldErrors::default(),
    }))
}

#[post("/console/sites/{id}")]
pub async fn update_site(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<SiteForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let id = path.into_inner();
    let site = state
        .db
        .run(move |conn| rows::find_site(conn, id)?.ok_or(PageError::NotFound))
        .await?;
    save_site(
        &state,
        session.ui(&req),
        site.station_id,
        Some(id),
        form.into_inner(),
    )
    .await
}

#[derive(Template)]
#[template(path = "console/vehicles.html")]
struct VehiclesPage {
    ui: Ui,
    station: StationRow,
    vehicles: Vec<VehicleRow>,
    saved: bool,
}

/// A station's bloodmobiles.
#[get("/console/stations/{id}/vehicles")]
pub async fn vehicles(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (station, vehicles) = state
        .db
        .run(move |conn| {
            let station = station(conn, id)?;
            let vehicles = rows::list_vehicles(conn, Some(id))?;
            Ok::<_, PageError>((station, vehicles))
        })
        .await?;
    Ok(ok(&VehiclesPage {
        ui: session.ui(&req),
        station,
        vehicles,
        saved: query.done.is_some(),
    }))
}

/// A vehicle as the form holds it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VehicleForm {
    pub csrf: String,
    pub name: String,
    pub plate: String,
    pub beds: String,
    pub donors_per_day: String,
    pub shift_start: String,
    pub shift_end: String,
    pub kind_whole_blood: String,
    pub kind_platelets: String,
    pub kind_plasma: String,
    pub active: String,
}

impl VehicleForm {
    fn of(vehicle: &VehicleRow) -> VehicleForm {
        let has = |kind: &str| {
            if vehicle.kinds.split(',').any(|k| k == kind) {
                "yes".to_string()
            } else {
                String::new()
            }
        };
        VehicleForm {
            csrf: String::new(),
            name: vehicle.name.clone(),
            plate: vehicle.plate.clone().unwrap_or_default(),
            beds: vehicle.beds.to_string(),
            donors_per_day: vehicle.donors_per_day.to_string(),
            shift_start: vehicle.shift_start.format("%H:%M").to_string(),
            shift_end: vehicle.shift_end.format("%H:%M").to_string(),
            kind_whole_blood: has("whole_blood"),
            kind_platelets: has("platelets"),
            kind_plasma: has("plasma"),
            active: if vehicle.active {
                "yes".into()
            } else {
                String::new()
            },
        }
    }

    fn fields(&self, station_id: i64) -> Result<VehicleFields, FieldError> {
        let whole = |text: &str, field: &str| {
            text.trim()
                .parse::<i32>()
                .map_err(|_| FieldError::new(field, "invalid_number", "a whole number"))
        };
        let time = |text: &str, field: &str| {
            NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .map_err(|_| FieldError::new(field, "invalid_time", "a time such as 07:30"))
        };
        let kinds: Vec<DonationKind> = [
            (&self.kind_whole_blood, DonationKind::WholeBlood),
            (&self.kind_platelets, DonationKind::Platelets),
            (&self.kind_plasma, DonationKind::Plasma),
        ]
        .into_iter()
        .filter(|(on, _)| !on.is_empty())
        .map(|(_, kind)| kind)
        .collect();
        Ok(VehicleFields {
            station_id: Some(station_id),
            name: Some(self.name.trim().to_string()),
            plate: Some(self.plate.trim().to_string()),
            beds: Some(whole(&self.beds, "beds")?),
            donors_per_day: Some(whole(&self.donors_per_day, "donors_per_day")?),
            shift_start: Some(time(&self.shift_start, "shift_start")?),
            shift_end: Some(time(&self.shift_end, "shift_end")?),
            kinds: Some(kinds),
            active: Some(!self.active.is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "console/vehicle_form.html")]
struct VehicleFormPage {
    ui: Ui,
    station: StationRow,
    vehicle_id: Option<i64>,
    form: VehicleForm,
    errors: FieldErrors,
}

/// The form for a new vehicle.
#[get("/console/stations/{id}/vehicles/new")]
pub async fn new_vehicle(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let station = state.db.run(move |conn| station(conn, id)).await?;
    let form = VehicleForm {
        beds: "4".into(),
        donors_per_day: "60".into(),
        shift_start: "07:30".into(),
        shift_end: "17:30".into(),
        kind_whole_blood: "yes".into(),
        active: "yes".into(),
        ..VehicleForm::default()
    };
    Ok(ok(&VehicleFormPage {
        ui: session.ui(&req),
        station,
        vehicle_id: None,
        form,
        errors: FieldErrors::default(),
    }))
}

async fn save_vehicle(
    state: &AppState,
    ui: Ui,
    station_id: i64,
    vehicle_id: Option<i64>,
    form: VehicleForm,
) -> Result<HttpResponse, PageError> {
    let saved: Result<(), FieldError> = match form.fields(station_id) {
        Err(e) => Err(e),
        Ok(fields) => {
            let outcome = state
                .db
                .write(move |conn| {
                    let now = Utc::now();
                    let saved = match vehicle_id {
                        Some(id) => vehicle_service::update(conn, id, fields, now),
                        None => vehicle_service::create(conn, fields, now),
                    };
                    Ok::<_, PageError>(saved.map(|_| ()))
                })
                .await?;
            match outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(form_error(e)?),
            }
        }
    };
    match saved {
        Ok(()) => Ok(see_other(&format!(
            "/console/stations/{station_id}/vehicles?done=saved"
        ))),
        Err(e) => {
            let station = state.db.run(move |conn| station(conn, station_id)).await?;
            let mut errors = FieldErrors::default();
            errors.push(&e.field, e.message.clone());
            Ok(render(
                StatusCode::BAD_REQUEST,
                &VehicleFormPage {
                    ui,
                    station,
                    vehicle_id,
                    form,
                    errors,
                },
            ))
        }
    }
}

#[post("/console/stations/{id}/vehicles")]
pub async fn create_vehicle(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<VehicleForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    save_vehicle(
        &state,
        session.ui(&req),
        path.into_inner(),
        None,
        form.into_inner(),
    )
    .await
}

/// The form of an existing vehicle.
#[get("/console/vehicles/{id}")]
pub async fn edit_vehicle(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (vehicle, station) = state
        .db
        .run(move |conn| {
            let vehicle = rows::find_vehicle(conn, id)?.ok_or(PageError::NotFound)?;
            let station = station(conn, vehicle.station_id)?;
            Ok::<_, PageError>((vehicle, station))
        })
        .await?;
    Ok(ok(&VehicleFormPage {
        ui: session.ui(&req),
        station,
        vehicle_id: Some(id),
        form: VehicleForm::of(&vehicle),
        errors: FieldErrors::default(),
    }))
}

#[post("/console/vehicles/{id}")]
pub async fn update_vehicle(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<VehicleForm>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let id = path.into_inner();
    let vehicle = state
        .db
        .run(move |conn| rows::find_vehicle(conn, id)?.ok_or(PageError::NotFound))
        .await?;
    save_vehicle(
        &state,
        session.ui(&req),
        vehicle.station_id,
        Some(id),
        form.into_inner(),
    )
    .await
}
