//! The registry's pages for vehicles: a station's bloodmobiles, listed, added and changed.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;

use super::registry_form::{ListQuery, RegistryForm, station};
use super::session::Session;
use crate::api::AppState;
use crate::db::DbConnection;
use crate::db::registry::{self as rows, StationRow, VehicleRow};
use crate::domain::FieldError;
use crate::domain::donation::DonationKind;
use crate::registry::{RegistryError, VehicleFields, vehicles as service};
use crate::web::form::{FieldErrors, checkbox};
use crate::web::page::{PageError, Ui, ok};

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
pub async fn list(
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
        let has = |kind: &str| checkbox(vehicle.kinds.split(',').any(|k| k == kind));
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
            active: checkbox(vehicle.active),
        }
    }
}

#[derive(Template)]
#[template(path = "console/vehicle_form.html")]
pub struct VehicleFormPage {
    ui: Ui,
    station: StationRow,
    vehicle_id: Option<i64>,
    form: VehicleForm,
    errors: FieldErrors,
}

impl RegistryForm for VehicleForm {
    const LIST: &'static str = "vehicles";
    type Fields = VehicleFields;
    type Page = VehicleFormPage;

    fn blank() -> VehicleForm {
        VehicleForm {
            beds: "4".into(),
            donors_per_day: "60".into(),
            shift_start: "07:30".into(),
            shift_end: "17:30".into(),
            kind_whole_blood: checkbox(true),
            active: checkbox(true),
            ..VehicleForm::default()
        }
    }

    fn find(conn: &mut DbConnection, id: i64) -> Result<Option<(VehicleForm, i64)>, PageError> {
        let vehicle = rows::find_vehicle(conn, id)?;
        Ok(vehicle.map(|vehicle| (VehicleForm::of(&vehicle), vehicle.station_id)))
    }

    fn csrf(&self) -> &str {
        &self.csrf
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

    fn save(
        conn: &mut DbConnection,
        id: Option<i64>,
        fields: VehicleFields,
        now: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        match id {
            Some(id) => service::update(conn, id, fields, now).map(|_| ()),
            None => service::create(conn, fields, now).map(|_| ()),
        }
    }

    fn page(
        ui: Ui,
        station: StationRow,
        id: Option<i64>,
        form: VehicleForm,
        errors: FieldErrors,
    ) -> VehicleFormPage {
        VehicleFormPage {
            ui,
            station,
            vehicle_id: id,
            form,
            errors,
        }
    }
}
