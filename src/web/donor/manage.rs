//! The donor's own booking, reached by the private link of the confirmation: view it (with the
//! arrival window once published), move it to another day or window, cancel it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;

use crate::api::AppState;
use crate::booking::{self, BookingDetails, BookingError, Change};
use crate::domain::donation::DonationKind;
use crate::web::form::booking_message;
use crate::web::page::{PageError, Ui, ok, render, see_other};

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub t: Option<String>,
    pub done: Option<String>,
}

/// Another day and window the booking could move to.
pub struct Choice {
    pub value: String,
    pub date: NaiveDate,
    pub window: String,
    pub seats: u32,
}

#[derive(Template)]
#[template(path = "donor/manage.html")]
struct ManagePage {
    ui: Ui,
    booking: BookingDetails,
    token: String,
    choices: Vec<Choice>,
    done: Option<&'static str>,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "donor/cancel.html")]
struct CancelPage {
    ui: Ui,
    booking: BookingDetails,
    token: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    ui: Ui,
    title: &'static str,
    text: String,
}

/// The page shown for a wrong or outdated link (no booking is told apart from another).
fn wrong_link(ui: Ui) -> HttpResponse {
    let text = ui.t.err_wrong_link.to_string();
    render(
        StatusCode::FORBIDDEN,
        &MessagePage {
            title: ui.t.error_title,
            ui,
            text,
        },
    )
}

/// How far ahead a move is offered.
const CHOICE_DAYS: u64 = 14;

async fn load(
    state: &AppState,
    reference: String,
    token: String,
) -> Result<Result<(BookingDetails, Vec<Choice>), BookingError>, PageError> {
    let result = state
        .db
        .run(move |conn| {
            let booking = booking::find_for_owner(conn, &reference, Some(&token))?;
            let kind = DonationKind::parse(&booking.kind).unwrap_or(DonationKind::WholeBlood);
            let from = Utc::now().date_naive();
            let days = booking::site_availability(
                conn,
                booking.site_id,
                None,
                Some(from + Days::new(CHOICE_DAYS)),
                Utc::now(),
            )
            .unwrap_or_default();
            let choices = days
                .into_iter()
                .flat_map(|day| {
                    day.windows
                        .into_iter()
                        .filter(|w| w.open && w.seats_left_by_kind.get(kind) > 0)
                        .map(move |w| Choice {
                            value: format!("{}|{}", day.date, w.window),
                            date: day.date,
                            seats: w.seats_left_by_kind.get(kind),
                            window: w.window,
                        })
                })
                .filter(|c| !(c.date == booking.date && c.window == booking.window))
                .collect();
            Ok::<_, BookingError>((booking, choices))
        })
        .await;
    match result {
        Err(BookingError::Db(e)) => Err(e.into()),
        other => Ok(other),
    }
}

/// The booking, for the holder of its link.
#[get("/manage/{reference}")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let ui = Ui::new(&req);
    let query = query.into_inner();
    let token = query.t.unwrap_or_default();
    let Ok((booking, choices)) = load(&state, path.into_inner(), token.clone()).await? else {
        return Ok(wrong_link(ui));
    };
    let done = match query.done.as_deref() {
        Some("rescheduled") => Some(ui.t.done_rescheduled),
        Some("cancelled") => Some(ui.t.done_cancelled),
        _ => None,
    };
    Ok(ok(&ManagePage {
        ui,
        booking,
        token,
        choices,
        done,
        problem: None,
    }))
}

/// "Cancel this booking?"
#[get("/manage/{reference}/cancel")]
pub async fn confirm_cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let ui = Ui::new(&req);
    let token = query.into_inner().t.unwrap_or_default();
    let Ok((booking, _)) = load(&state, path.into_inner(), token.clone()).await? else {
        return Ok(wrong_link(ui));
    };
    Ok(ok(&CancelPage { ui, booking, token }))
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    pub t: String,
    /// "YYYY-MM-DD|window".
    #[serde(default)]
    pub slot: String,
}

fn manage_href(reference: &str, token: &str, done: &str) -> String {
    let token = url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>();
    format!("/manage/{reference}?t={token}&done={done}")
}

/// The manage page again, with what refused the change.
async fn refused(
    state: &AppState,
    ui: Ui,
    reference: String,
    token: String,
    error: BookingError,
) -> Result<HttpResponse, PageError> {
    let problem = booking_message(&ui, &error);
    let Ok((booking, choices)) = load(state, reference, token.clone()).await? else {
        return Ok(wrong_link(ui));
    };
    let status = match error {
        BookingError::Full { .. } => StatusCode::CONFLICT,
        BookingError::MissingToken | BookingError::WrongToken => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(render(
        status,
        &ManagePage {
            ui,
            booking,
            token,
            choices,
            done: None,
            problem: Some(problem),
        },
    ))
}

/// Moves the booking to the chosen day and window.
#[post("/manage/{reference}/reschedule")]
pub async fn reschedule(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    let ui = Ui::new(&req);
    let (reference, form) = (path.into_inner(), form.into_inner());
    let chosen = form
        .slot
        .split_once('|')
        .and_then(|(date, window)| Some((date.parse::<NaiveDate>().ok()?, window.to_string())));
    let Some((date, window)) = chosen else {
        let error = BookingError::Invalid(crate::domain::FieldError::new(
            "slot",
            "required",
            "choose a day and window",
        ));
        return refused(&state, ui, reference, form.t, error).await;
    };
    let change = Change {
        site_id: None,
        date: Some(date),
        window: Some(window),
    };
    let (r, t) = (reference.clone(), form.t.clone());
    let moved = state
        .db
        .write(move |conn| booking::reschedule_booking(conn, &r, Some(&t), change, Utc::now()))
        .await;
    match moved {
        Ok(_) => Ok(see_other(&manage_href(&reference, &form.t, "rescheduled"))),
        Err(BookingError::Db(e)) => Err(e.into()),
        Err(e) => refused(&state, ui, reference, form.t, e).await,
    }
}

/// Cancels the booking.
#[post("/manage/{reference}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    let ui = Ui::new(&req);
    let (reference, form) = (path.into_inner(), form.into_inner());
    let (r, t) = (reference.clone(), form.t.clone());
    let cancelled = state
        .db
        .write(move |conn| booking::cancel_booking(conn, &r, Some(&t), Utc::now()))
        .await;
    match cancelled {
        Ok(_) => Ok(see_other(&manage_href(&reference, &form.t, "cancelled"))),
        Err(BookingError::Db(e)) => Err(e.into()),
        Err(e) => refused(&state, ui, reference, form.t, e).await,
    }
}
