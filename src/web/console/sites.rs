//! The registry's pages for sites: a station's communities and villages, listed, added and
//! changed.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::registry_form::{ListQuery, RegistryForm, station};
use super::session::Session;
use crate::api::AppState;
use crate::db::DbConnection;
use crate::db::registry::{self as rows, SiteFilter, SiteRow, StationRow};
use crate::domain::FieldError;
use crate::registry::{RegistryError, SiteFields, sites as service};
use crate::web::form::{FieldErrors, checkbox};
use crate::web::page::{PageError, Ui, ok};

#[derive(Template)]
#[template(path = "console/sites.html")]
struct SitesPage {
    ui: Ui,
    station: StationRow,
    sites: Vec<SiteRow>,
    q: String,
    saved: bool,
}

/// A station's sites.
#[get("/console/stations/{id}/sites")]
pub async fn list(
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
            active: checkbox(site.active),
        }
    }
}

#[derive(Template)]
#[template(path = "console/site_form.html")]
pub struct SiteFormPage {
    ui: Ui,
    station: StationRow,
    /// The site changed (none: a new one).
    site_id: Option<i64>,
    form: SiteForm,
    errors: FieldErrors,
}

impl RegistryForm for SiteForm {
    const LIST: &'static str = "sites";
    type Fields = SiteFields;
    type Page = SiteFormPage;

    fn blank() -> SiteForm {
        SiteForm {
            kind: "community".into(),
            active: checkbox(true),
            ..SiteForm::default()
        }
    }

    fn find(conn: &mut DbConnection, id: i64) -> Result<Option<(SiteForm, i64)>, PageError> {
        let site = rows::find_site(conn, id)?;
        Ok(site.map(|site| (SiteForm::of(&site), site.station_id)))
    }

    fn csrf(&self) -> &str {
        &self.csrf
    }

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

    fn save(
        conn: &mut DbConnection,
        id: Option<i64>,
        fields: SiteFields,
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
        form: SiteForm,
        errors: FieldErrors,
    ) -> SiteFormPage {
        SiteFormPage {
            ui,
            station,
            site_id: id,
            form,
            errors,
        }
    }
}
