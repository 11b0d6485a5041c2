//! The notices that failed, for dispatchers to send again (with the same Message-ID or
//! correlation id), and the queue's depth.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use super::CsrfOnly;
use super::session::Session;
use crate::api::AppState;
use crate::db::notices::{self, FAILED, NoticeRow, QueueStats};
use crate::db::{bookings, stored_instant};
use crate::domain::donor::mask_phone;
use crate::web::page::{PageError, Ui, ok, see_other};

/// A failed notice as the page lists it (the recipient masked).
pub struct FailedNotice {
    pub row: NoticeRow,
    pub booking: Option<String>,
    pub recipient: String,
}

#[derive(Template)]
#[template(path = "console/notices.html")]
struct NoticesPage {
    ui: Ui,
    items: Vec<FailedNotice>,
    queue: QueueStats,
    oldest_due: Option<DateTime<FixedOffset>>,
    resent: bool,
}

#[derive(Debug, Deserialize)]
pub struct NoticesQuery {
    pub done: Option<String>,
}

/// The failed notices, newest first.
#[get("/console/notices")]
pub async fn failed(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    query: web::Query<NoticesQuery>,
) -> Result<HttpResponse, PageError> {
    let (items, queue) = state
        .db
        .run(|conn| {
            let rows = notices::list(conn, Some(FAILED), None, 200)?;
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let booking = match row.booking_id {
                    Some(id) => bookings::find(conn, id)?.map(|b| b.reference),
                    None => None,
                };
                let recipient = if row.channel == "sms" {
                    mask_phone(&row.recipient)
                } else {
                    row.recipient.clone()
                };
                items.push(FailedNotice {
                    row,
                    booking,
                    recipient,
                });
            }
            let queue = notices::queue_stats(conn, stored_instant(Utc::now()))?;
            Ok::<_, PageError>((items, queue))
        })
        .await?;
    Ok(ok(&NoticesPage {
        ui: session.ui(&req),
        oldest_due: queue.oldest_due.map(|at| at.and_utc().fixed_offset()),
        items,
        queue,
        resent: query.done.is_some(),
    }))
}

/// Puts a failed notice back in the queue.
#[post("/console/notices/{id}/resend")]
pub async fn resend(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    session.check(&form.csrf)?;
    let id = path.into_inner();
    state
        .db
        .write(move |conn| {
            notices::resend(conn, id, stored_instant(Utc::now())).map_err(PageError::from)
        })
        .await?;
    Ok(see_other("/console/notices?done=resent"))
}
