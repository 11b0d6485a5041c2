//! The booking form: the same request the API takes (`api::bookings::CreateBookingBody`), parsed
//! and checked by the same service, with every refusal shown beside its field.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::api::AppState;
use crate::api::bookings::{CreateBookingBody, DonorBody, LastDonationBody, VaccinationBody};
use crate::booking::{
    self, Alternative, BookingDetails, BookingError, Created, IdempotencyKey, WindowAvailability,
    hash_secret, new_secret,
};
use crate::db::registry::{self, SiteRow};
use crate::domain::donation::{BloodType, DonationKind, Sex};
use crate::domain::eligibility::VaccineType;
use crate::station::Station;
use crate::web::form::{FieldErrors, booking_message, field_message, form_field};
use crate::web::page::{PageError, Ui, ok, render};

/// What the donor typed, kept as text so a refused form shows it again.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingForm {
    pub site_id: String,
    pub date: String,
    pub window: String,
    pub kind: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub birth_date: String,
    pub sex: String,
    pub weight_kg: String,
    pub blood_type: String,
    pub last_date: String,
    pub last_kind: String,
    pub adverse_reaction_before: String,
    pub vaccination_date: String,
    pub vaccine: String,
    /// Makes a form sent twice (a double click, a reload) one booking.
    pub idem: String,
}

impl BookingForm {
    /// Every field with its value, to send the same form again (to another window, or to the
    /// waitlist).
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("site_id", &self.site_id),
            ("date", &self.date),
            ("window", &self.window),
            ("kind", &self.kind),
            ("name", &self.name),
            ("phone", &self.phone),
            ("email", &self.email),
            ("birth_date", &self.birth_date),
            ("sex", &self.sex),
            ("weight_kg", &self.weight_kg),
            ("blood_type", &self.blood_type),
            ("last_date", &self.last_date),
            ("last_kind", &self.last_kind),
            ("adverse_reaction_before", &self.adverse_reaction_before),
            ("vaccination_date", &self.vaccination_date),
            ("vaccine", &self.vaccine),
            ("idem", &self.idem),
        ]
    }
}

/// One kind the form offers.
pub struct KindChoice {
    pub value: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "donor/book.html")]
struct BookPage {
    ui: Ui,
    site: SiteRow,
    date: NaiveDate,
    window: WindowAvailability,
    kinds: Vec<KindChoice>,
    form: BookingForm,
    errors: FieldErrors,
    /// A refusal not about one field.
    problem: Option<String>,
    refusal: Option<Refused>,
    /// Joining the waitlist of a full window instead of booking.
    waitlist: bool,
}

impl BookPage {
    /// `(value, selected)` of each choice of a select, from what the form holds.
    fn options(values: &[&'static str], chosen: &str) -> Vec<(&'static str, bool)> {
        values.iter().map(|v| (*v, *v == chosen)).collect()
    }

    fn blood_types(&self) -> Vec<(&'static str, bool)> {
        let all: Vec<&'static str> = BloodType::ALL.iter().map(|b| b.as_str()).collect();
        Self::options(&all, &self.form.blood_type)
    }

    fn vaccines(&self) -> Vec<(&'static str, bool)> {
        let all: Vec<&'static str> = VaccineType::ALL.iter().map(|v| v.as_str()).collect();
        Self::options(&all, &self.form.vaccine)
    }

    fn last_kinds(&self) -> Vec<(&'static str, bool)> {
        let all: Vec<&'static str> = DonationKind::ALL.iter().map(|k| k.as_str()).collect();
        Self::options(&all, &self.form.last_kind)
    }
}

/// An eligibility refusal as the page shows it.
pub struct Refused {
    pub eligible_from: Option<NaiveDate>,
    pub rules: Vec<(&'static str, String, Option<NaiveDate>)>,
}

#[derive(Template)]
#[template(path = "donor/booked.html")]
struct BookedPage {
    ui: Ui,
    booking: BookingDetails,
    manage_href: String,
}

#[derive(Template)]
#[template(path = "donor/full.html")]
struct FullPage {
    ui: Ui,
    site: SiteRow,
    date: NaiveDate,
    window: String,
    alternatives: Vec<Alternative>,
    form: BookingForm,
}

#[derive(Template)]
#[template(path = "donor/waitlisted.html")]
struct WaitlistedPage {
    ui: Ui,
    site: SiteRow,
    date: NaiveDate,
    window: String,
    position: i64,
}

#[derive(Debug, Deserialize)]
pub struct SlotQuery {
    pub date: Option<NaiveDate>,
    pub window: Option<String>,
    pub waitlist: Option<String>,
}

/// The site, its station and the window asked for, as the form shows them.
struct Slot {
    site: SiteRow,
    station: Station,
    date: NaiveDate,
    window: WindowAvailability,
}

async fn slot(
    state: &AppState,
    site_id: i64,
    date: NaiveDate,
    window: String,
) -> Result<Slot, PageError> {
    state
        .db
        .run(move |conn| {
            let Some((site, station)) = registry::find_site_with_station(conn, site_id)? else {
                return Err(PageError::NotFound);
            };
            let station = Station::from_row(&station).map_err(|_| PageError::Internal)?;
            let days =
                booking::site_availability(conn, site_id, Some(date), Some(date), Utc::now())
                    .map_err(|_| PageError::NotFound)?;
            let window = days
                .into_iter()
                .flat_map(|d| d.windows)
                .find(|w| w.window == window)
                .ok_or(PageError::NotFound)?;
            if !site.active {
                return Err(PageError::NotFound);
            }
            Ok(Slot {
                site,
                station,
                date,
                window,
            })
        })
        .await
}

/// The kinds a donor may choose here: those with room (or, on the waitlist, those collected).
fn kind_choices(slot: &Slot, waitlist: bool, chosen: &str) -> Vec<KindChoice> {
    let left = &slot.window.seats_left_by_kind;
    let mut kinds: Vec<DonationKind> = DonationKind::ALL
        .into_iter()
        .filter(|k| slot.station.collects(*k, slot.date))
        .filter(|k| waitlist || left.get(*k) > 0)
        .collect();
    if kinds.is_empty() {
        kinds.push(DonationKind::WholeBlood);
    }
    let chosen = DonationKind::parse(chosen).filter(|k| kinds.contains(k));
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| KindChoice {
            value: k.as_str(),
            checked: chosen.map_or(i == 0, |c| c == k),
        })
        .collect()
}

fn page(ui: Ui, slot: Slot, form: BookingForm, waitlist: bool) -> BookPage {
    BookPage {
        kinds: kind_choices(&slot, waitlist, &form.kind),
        ui,
        site: slot.site,
        date: slot.date,
        window: slot.window,
        form,
        errors: FieldErrors::default(),
        problem: None,
        refusal: None,
        waitlist,
    }
}

/// The booking form of a site, day and window.
#[get("/sites/{id}/book")]
pub async fn book_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    query: web::Query<SlotQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let (Some(date), Some(window)) = (query.date, query.window) else {
        return Err(PageError::NotFound);
    };
    let slot = slot(&state, path.into_inner(), date, window.clone()).await?;
    let form = BookingForm {
        site_id: slot.site.id.to_string(),
        date: date.to_string(),
        window,
        idem: new_secret(),
        ..BookingForm::default()
    };
    Ok(ok(&page(
        Ui::new(&req),
        slot,
        form,
        query.waitlist.is_some(),
    )))
}

/// The form as the API's request body; fields that do not even parse are named in `errors`.
fn body(form: &BookingForm, ui: &Ui, errors: &mut FieldErrors) -> Option<CreateBookingBody> {
    let mut bad = |field: &str, message: &str| errors.push(field, message);
    let t = ui.t;
    let date = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    let site_id = form.site_id.trim().parse::<i64>().ok();
    let service_date = date(&form.date);
    let kind = DonationKind::parse(&form.kind);
    if kind.is_none() {
        bad("kind", t.err_required);
    }
    let birth_date = date(&form.birth_date);
    if form.birth_date.trim().is_empty() {
        bad("birth_date", t.err_required);
    } else if birth_date.is_none() {
        bad("birth_date", t.err_date);
    }
    let sex = match form.sex.as_str() {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => {
            bad("sex", t.err_required);
            None
        }
    };
    let weight = form.weight_kg.trim().replace(',', ".").parse::<f64>().ok();
    if form.weight_kg.trim().is_empty() {
        bad("weight_kg", t.err_required);
    } else if weight.is_none() {
        bad("weight_kg", t.err_number);
    }
    if form.name.trim().is_empty() {
        bad("name", t.err_required);
    }
    if form.phone.trim().is_empty() {
        bad("phone", t.err_required);
    }
    let last_donation = match form.last_date.trim() {
        "" => None,
        text => match date(text) {
            Some(on) => Some(LastDonationBody {
                date: on,
                kind: DonationKind::parse(&form.last_kind).unwrap_or(DonationKind::WholeBlood),
                volume_ml: None,
            }),
            None => {
                bad("last_date", t.err_date);
                None
            }
        },
    };
    let vaccination = match VaccineType::parse(&form.vaccine) {
        None => None,
        Some(vaccine) => match date(&form.vaccination_date) {
            Some(on) => Some(VaccinationBody {
                date: on,
                time: None,
                vaccine,
            }),
            None => {
                bad("vaccination_date", t.err_date);
                None
            }
        },
    };
    Some(CreateBookingBody {
        site_id: site_id?,
        date: service_date?,
        window: form.window.trim().to_string(),
        kind: kind?,
        volume_ml: None,
        language: Some(ui.lang.as_str().to_string()),
        donor: DonorBody {
            name: form.name.trim().to_string(),
            phone: form.phone.trim().to_string(),
            email: Some(form.email.trim().to_string()).filter(|e| !e.is_empty()),
            birth_date: birth_date?,
            sex: sex?,
            weight_kg: weight?,
            blood_type: Some(form.blood_type.clone()).filter(|b| !b.is_empty()),
            last_donations: None,
            last_donation,
            apheresis_12_months: None,
            adverse_reaction_before: !form.adverse_reaction_before.is_empty(),
            vaccination,
        },
    })
}

/// The form shown again with what the service said of it.
fn refused(mut page: BookPage, error: &BookingError) -> HttpResponse {
    match error {
        BookingError::Invalid(e) => {
            let message = field_message(&page.ui, e);
            page.errors.push(&form_field(&e.field), message);
        }
        BookingError::HistoryConflict { field, .. } => {
            let message = booking_message(&page.ui, error);
            page.errors.push(&form_field(field), message);
        }
        BookingError::Ineligible { refusal, language } => {
            page.refusal = Some(Refused {
                eligible_from: refusal.eligible_from,
                rules: refusal
                    .failures
                    .iter()
                    .map(|f| (f.rule, f.message(*language), f.eligible_from))
                    .collect(),
            });
        }
        other => page.problem = Some(booking_message(&page.ui, other)),
    }
    let status = match error {
        BookingError::Invalid(_) => StatusCode::BAD_REQUEST,
        BookingError::AlreadyBooked | BookingError::AlreadyWaiting => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    render(status, &page)
}

/// Books the form; shows the confirmation, the form with its errors, or the alternatives.
#[post("/sites/{id}/book")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<BookingForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let ui = Ui::new(&req);
    let (date, window) = checked_slot(&form)?;
    let slot = slot(&state, path.into_inner(), date, window.clone()).await?;
    let mut errors = FieldErrors::default();
    let body = body(&form, &ui, &mut errors);
    let mut page = page(ui, slot, form.clone(), false);
    let request = match body.map(CreateBookingBody::parse) {
        Some(Ok(request)) if errors.is_empty() => request,
        Some(Err(e)) if errors.is_empty() => return Ok(refused(page, &BookingError::Invalid(e))),
        _ => {
            page.errors = errors;
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let idempotency = (form.idem.len() >= 16 && form.idem.len() <= 128).then(|| IdempotencyKey {
        key: format!("page:{}", form.idem),
        request_hash: hash_secret(&serde_json::to_string(&form).unwrap_or_default()),
    });
    let kind = request.kind;
    let created = state
        .db
        .write(move |conn| booking::create_booking(conn, request, idempotency, Utc::now()))
        .await;
    crate::metrics::count_booking(&created);
    let details = match created {
        Ok(Created::New(details)) => *details,
        Ok(Created::Replayed { body, .. }) => {
            serde_json::from_str(&body).map_err(|_| PageError::Internal)?
        }
        Err(BookingError::Full { .. }) => {
            let site_id = page.site.id;
            let window_name = window.clone();
            let alternatives = state
                .db
                .run(move |conn| {
                    booking::alternatives(conn, site_id, date, &window_name, kind, Utc::now())
                })
                .await
                .unwrap_or_default();
            let full = FullPage {
                ui: page.ui,
                site: page.site,
                date,
                window,
                alternatives,
                form,
            };
            return Ok(render(StatusCode::CONFLICT, &full));
        }
        Err(BookingError::Db(e)) => return Err(e.into()),
        Err(e) => return Ok(refused(page, &e)),
    };
    let token = details.manage_token.clone().unwrap_or_default();
    let manage_href = format!("/manage/{}?t={token}", details.reference);
    Ok(render(
        StatusCode::CREATED,
        &BookedPage {
            ui: page.ui,
            booking: details,
            manage_href,
        },
    ))
}

/// The day and window a posted form is for.
fn checked_slot(form: &BookingForm) -> Result<(NaiveDate, String), PageError> {
    let date =
        NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d").map_err(|_| PageError::NotFound)?;
    Ok((date, form.window.trim().to_string()))
}

/// Joins the waitlist of a full window with the same form.
#[post("/sites/{id}/waitlist")]
pub async fn waitlist_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<BookingForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let ui = Ui::new(&req);
    let (date, window) = checked_slot(&form)?;
    let slot = slot(&state, path.into_inner(), date, window.clone()).await?;
    let mut errors = FieldErrors::default();
    let body = body(&form, &ui, &mut errors);
    let mut page = page(ui, slot, form, true);
    let request = match body.map(CreateBookingBody::parse) {
        Some(Ok(request)) if errors.is_empty() => request,
        Some(Err(e)) if errors.is_empty() => return Ok(refused(page, &BookingError::Invalid(e))),
        _ => {
            page.errors = errors;
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let joined = state
        .db
        .write(move |conn| booking::join_waitlist(conn, request, Utc::now()))
        .await;
    match joined {
        Ok(joined) => Ok(render(
            StatusCode::CREATED,
            &WaitlistedPage {
                ui: page.ui,
                site: page.site,
                date,
                window,
                position: joined.position,
            },
        )),
        Err(BookingError::Db(e)) => Err(e.into()),
        Err(e) => Ok(refused(page, &e)),
    }
}
