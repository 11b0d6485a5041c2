//! The registry's forms, one set of pages for each kind of record (sites, vehicles): a new
//! record's form, an existing one's, and their saving through the same service as the API
//! (`registry::sites`, `registry::vehicles`), the form shown again with the refused field's
//! message beside it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::Session;
use crate::api::AppState;
use crate::db::DbConnection;
use crate::db::registry::{StationRow, find_station};
use crate::domain::FieldError;
use crate::registry::RegistryError;
use crate::web::form::FieldErrors;
use crate::web::page::{PageError, Ui, ok, render, see_other};

/// The station `id`, or the page's 404.
pub fn station(conn: &mut DbConnection, id: i64) -> Result<StationRow, PageError> {
    find_station(conn, id)?.ok_or(PageError::NotFound)
}

/// A list page's query: a search, and whether it follows a save.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub done: Option<String>,
}

/// A form of the registry as the page holds it (every field as typed).
pub trait RegistryForm: DeserializeOwned + Sized + Send + 'static {
    /// The station's list a saved form returns to (`/console/stations/{id}/{LIST}`).
    const LIST: &'static str;
    /// The fields the service checks.
    type Fields: Send + 'static;
    /// The form's page.
    type Page: Template;

    /// A new record's form, with the values offered.
    fn blank() -> Self;
    /// Record `id`'s form and its station's id, if it exists.
    fn find(conn: &mut DbConnection, id: i64) -> Result<Option<(Self, i64)>, PageError>;
    /// The session's token the form came with.
    fn csrf(&self) -> &str;
    /// The fields for the service; a value that does not parse is named here.
    fn fields(&self, station_id: i64) -> Result<Self::Fields, FieldError>;
    /// Creates the record (`id` none) or changes record `id`.
    fn save(
        conn: &mut DbConnection,
        id: Option<i64>,
        fields: Self::Fields,
        now: DateTime<Utc>,
    ) -> Result<(), RegistryError>;
    /// The form's page, for record `id` (none: a new one).
    fn page(
        ui: Ui,
        station: StationRow,
        id: Option<i64>,
        form: Self,
        errors: FieldErrors,
    ) -> Self::Page;
}

/// Saves `form` for station `station_id` and returns to its list; the form again with the
/// refused field's message if the service refuses it.
async fn save<F: RegistryForm>(
    state: &AppState,
    ui: Ui,
    station_id: i64,
    id: Option<i64>,
    form: F,
) -> Result<HttpResponse, PageError> {
    let refused = match form.fields(station_id) {
        Err(e) => e,
        Ok(fields) => {
            let saved = state
                .db
                .write(move |conn| Ok::<_, PageError>(F::save(conn, id, fields, Utc::now())))
                .await?;
            match saved {
                Ok(()) => {
                    return Ok(see_other(&format!(
                        "/console/stations/{station_id}/{}?done=saved",
                        F::LIST
                    )));
                }
                Err(RegistryError::Invalid(e)) => e,
                Err(RegistryError::NotFound { .. }) => return Err(PageError::NotFound),
                Err(RegistryError::Db(e)) => return Err(e.into()),
            }
        }
    };
    let station = state.db.run(move |conn| station(conn, station_id)).await?;
    let mut errors = FieldErrors::default();
    errors.push(&refused.field, refused.message.clone());
    Ok(render(
        StatusCode::BAD_REQUEST,
        &F::page(ui, station, id, form, errors),
    ))
}

/// The form for a new record of station `{id}`.
pub async fn new_form<F: RegistryForm>(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let station = state.db.run(move |conn| station(conn, id)).await?;
    let errors = FieldErrors::default();
    Ok(ok(&F::page(
        session.ui(&req),
        station,
        None,
        F::blank(),
        errors,
    )))
}

/// Adds a record to station `{id}`.
pub async fn create<F: RegistryForm>(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<F>,
) -> Result<HttpResponse, PageError> {
    session.check(form.csrf())?;
    let ui = session.ui(&req);
    save(&state, ui, path.into_inner(), None, form.into_inner()).await
}

/// The form of record `{id}`.
pub async fn edit<F: RegistryForm>(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (form, station) = state
        .db
        .run(move |conn| {
            let (form, station_id) = F::find(conn, id)?.ok_or(PageError::NotFound)?;
            Ok::<_, PageError>((form, station(conn, station_id)?))
        })
        .await?;
    let errors = FieldErrors::default();
    Ok(ok(&F::page(
        session.ui(&req),
        station,
        Some(id),
        form,
        errors,
    )))
}

/// Changes record `{id}`.
pub async fn update<F: RegistryForm>(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<F>,
) -> Result<HttpResponse, PageError> {
    session.check(form.csrf())?;
    let id = path.into_inner();
    let (_, station_id) = state
        .db
        .run(move |conn| F::find(conn, id)?.ok_or(PageError::NotFound))
        .await?;
    let ui = session.ui(&req);
    save(&state, ui, station_id, Some(id), form.into_inner()).await
}

/// Mounts form `F`'s pages: its new record's form at `/console/stations/{id}/{LIST}/new`, the
/// records added by posting to the list, each record's form at `/console/{LIST}/{id}`.
pub fn mount<F: RegistryForm>(cfg: &mut web::ServiceConfig) {
    let list = format!("/console/stations/{{id}}/{}", F::LIST);
    let record = format!("/console/{}/{{id}}", F::LIST);
    cfg.route(&format!("{list}/new"), web::get().to(new_form::<F>))
        .route(&list, web::post().to(create::<F>))
        .route(&record, web::get().to(edit::<F>))
        .route(&record, web::post().to(update::<F>));
}
