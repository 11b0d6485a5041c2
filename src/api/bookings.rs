//! Public booking endpoints: create, then view, reschedule or cancel with the manage token.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Dispatcher;
use super::auth::bearer_token;
use super::error::{ApiError, ErrorBody};
use super::json::ValidJson;
use crate::booking::{
    self, Alternative, BookingDetails, BookingError, BookingRequest, Change, Created, DonorAnswers,
    IdempotencyKey, Outcome, Waitlisted, hash_secret,
};
use crate::domain::FieldError;
use crate::domain::calendar::check_window_name;
use crate::domain::donation::{BloodType, DonationKind, Sex};
use crate::domain::donor::{DonorName, Email, PhoneNumber};
use crate::domain::eligibility::{
    ApheresisCount, PastDonation, Vaccination, VaccineType, check_declaration,
};
use crate::domain::language::Language;

/// Languages notices and refusals can be written in.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// One earlier donation the donor declares.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LastDonationBody {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub kind: DonationKind,
    /// Whole blood at most 400 ml; without it, the largest volume of the kind is assumed.
    pub volume_ml: Option<u32>,
}

/// Apheresis donations (platelets and plasma) in the 12 months up to today.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApheresisBody {
    pub count: u32,
    /// Their total volume in ml.
    pub volume_ml: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VaccinationBody {
    /// Day of the last COVID-19 vaccine dose.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Local time of the dose ("10:30"); a wait in hours runs from it, or from the end of the
    /// day when it is not given.
    #[schema(value_type = Option<String>, example = "10:30")]
    pub time: Option<String>,
    pub vaccine: VaccineType,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonorBody {
    #[schema(example = "张三")]
    pub name: String,
    /// E.164 ("+8613800138000") or a Chinese 11-digit mobile ("13800138000").
    #[schema(example = "+8613800138000")]
    pub phone: String,
    pub email: Option<String>,
    #[schema(value_type = String, format = Date, example = "1990-05-01")]
    pub birth_date: NaiveDate,
    pub sex: Sex,
    #[schema(example = 65)]
    pub weight_kg: f64,
    /// ABO and Rh, e.g. "B+".
    pub blood_type: Option<String>,
    /// The last donation of each kind (at most one per kind), on or after the 18th birthday.
    pub last_donations: Option<Vec<LastDonationBody>>,
    /// The same as a one-item `last_donations` (kept for earlier clients).
    pub last_donation: Option<LastDonationBody>,
    /// Count and volume of apheresis donations in the 12 months up to today.
    pub apheresis_12_months: Option<ApheresisBody>,
    /// An adverse reaction at an earlier donation (fainting, ...): the age limit stays 55.
    #[serde(default)]
    pub adverse_reaction_before: bool,
    pub vaccination: Option<VaccinationBody>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBookingBody {
    pub site_id: i64,
    #[schema(value_type = String, format = Date, example = "2026-12-01")]
    pub date: NaiveDate,
    /// A window of the site's station, "morning" or "afternoon" by default.
    #[schema(example = "morning")]
    pub window: String,
    pub kind: DonationKind,
    /// Defaults to the station's usual volume of the kind (400 ml of whole blood).
    pub volume_ml: Option<u32>,
    /// "zh-CN" (default) or "en": notices and refusals are written in it.
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    pub donor: DonorBody,
}

fn check_range(field: &str, value: f64, min: f64, max: f64) -> Result<(), FieldError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ))
    }
}

fn check_past(field: &str, date: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
    if date > today || date < earliest {
        return Err(FieldError::new(
            field,
            "invalid_date",
            format!("must be between {earliest} and today"),
        ));
    }
    Ok(())
}

/// A local time written "10:30" or "10:30:00".
fn parse_time(field: &str, text: &str) -> Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| FieldError::new(field, "invalid_time", "a local time such as 10:30"))
}

impl CreateBookingBody {
    /// Parses every field into domain types; the first invalid field is the error.
    pub fn parse(self) -> Result<BookingRequest, FieldError> {
        self.parse_at(Utc::now())
    }

    /// [`parse`](Self::parse) at `now`. The station (and so its local date) is not known yet:
    /// a date is "in the future" only if it is after today everywhere on Earth (UTC+14); the
    /// booking service checks declared dates against the station's own local date.
    pub fn parse_at(self, now: chrono::DateTime<Utc>) -> Result<BookingRequest, FieldError> {
        let today = (now + chrono::Duration::hours(14)).date_naive();
        let donor = self.donor;
        check_past("donor.birth_date", donor.birth_date, today)?;
        check_range("donor.weight_kg", donor.weight_kg, 20.0, 300.0)?;
        check_window_name(&self.window)?;
        let language = match self.language.as_deref() {
            None => Language::default(),
            Some(tag) => Language::parse(tag).ok_or_else(|| {
                FieldError::new("language", "unsupported_language", "one of zh-CN, en")
            })?,
        };
        let legacy_last_donation = donor.last_donation.is_some();
        let given = match (donor.last_donations, donor.last_donation) {
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "donor.last_donation",
                    "conflicting_fields",
                    "give last_donations only; last_donation is its one-item form",
                ));
            }
            (Some(list), None) => list,
            (None, one) => one.into_iter().collect(),
        };
        let item = |i: usize| DonorAnswers::declared_item(legacy_last_donation, i);
        let mut last_donations = Vec::with_capacity(given.len());
        for (i, last) in given.into_iter().enumerate() {
            check_past(&format!("{}.date", item(i)), last.date, today)?;
            if let Some(ml) = last.volume_ml {
                check_range(
                    &format!("{}.volume_ml", item(i)),
                    f64::from(ml),
                    1.0,
                    2000.0,
                )?;
            }
            last_donations.push(PastDonation {
                date: last.date,
                kind: last.kind,
                volume_ml: last.volume_ml,
            });
        }
        let apheresis_12_months = donor.apheresis_12_months.map(|a| ApheresisCount {
            count: a.count,
            volume_ml: a.volume_ml,
        });
        check_declaration(
            &last_donations,
            apheresis_12_months,
            donor.birth_date,
            today,
            item,
        )?;
        let vaccination = match donor.vaccination {
            Some(v) => {
                check_past("donor.vaccination.date", v.date, today)?;
                let time = v
                    .time
                    .as_deref()
                    .map(|t| parse_time("donor.vaccination.time", t))
                    .transpose()?;
                Some(Vaccination {
                    date: v.date,
                    time,
                    vaccine: v.vaccine,
                })
            }
            None => None,
        };
        Ok(BookingRequest {
            site_id: self.site_id,
            date: self.date,
            window: self.window,
            kind: self.kind,
            volume_ml: self.volume_ml,
            language,
            donor: DonorAnswers {
                name: DonorName::parse(&donor.name, "donor.name")?,
                phone: PhoneNumber::parse(&donor.phone, "donor.phone")?,
                email: Email::parse_optional(donor.email.as_deref(), "donor.email")?,
                birth_date: donor.birth_date,
                sex: donor.sex,
                weight_kg: donor.weight_kg,
                blood_type: donor
                    .blood_type
                    .as_deref()
                    .map(BloodType::parse)
                    .transpose()?,
                last_donations,
                legacy_last_donation,
                apheresis_12_months,
                adverse_reaction_before: donor.adverse_reaction_before,
                vaccination,
            },
        })
    }
}

const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

fn idempotency_key(req: &HttpRequest, raw_body: &[u8]) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                IDEMPOTENCY_HEADER,
                "1-128 printable ASCII characters",
            )
        })?;
    Ok(Some(IdempotencyKey {
        key: key.to_string(),
        request_hash: hash_secret(&String::from_utf8_lossy(raw_body)),
    }))
}

/// Books a seat for a donor. The response carries the manage token, shown only here.
#[cfg(test)]
mod tests {
    use super::*;

    fn body(last_donation: &str) -> CreateBookingBody {
        serde_json::from_value(serde_json::json!({
            "site_id": 1, "date": "2026-12-20", "window": "morning", "kind": "whole_blood",
            "donor": {"name": "张三", "phone": "13800138000", "birth_date": "1990-05-01",
                      "sex": "male", "weight_kg": 65,
                      "last_donation": {"date": last_donation, "kind": "whole_blood"}}
        }))
        .unwrap()
    }

    #[test]
    fn a_donation_made_today_in_shanghai_is_not_in_the_future_at_utc_midnight() {
        // 01:00 on 4 December in Shanghai is still 3 December in UTC.
        let now = "2026-12-03T17:00:00Z".parse().unwrap();
        assert!(body("2026-12-04").parse_at(now).is_ok());
        let e = body("2026-12-06").parse_at(now).unwrap_err();
        assert_eq!(e.field, "donor.last_donation.date");
    }

    fn key_of(value: &str) -> Result<Option<IdempotencyKey>, ApiError> {
        let req = actix_web::test::TestRequest::default()
            .insert_header((IDEMPOTENCY_HEADER, value))
            .to_http_request();
        idempotency_key(&req, b"{}")
    }

    /// The header's pattern as the OpenAPI document gives it, without its anchors.
    fn documented_pattern() -> String {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(crate::api::openapi::ApiDoc::openapi()).unwrap();
        let parameters = doc["paths"]["/api/v1/bookings"]["post"]["parameters"]
            .as_array()
            .unwrap();
        let header = parameters
            .iter()
            .find(|p| p["name"] == IDEMPOTENCY_HEADER)
            .unwrap();
        let pattern = header["schema"]["pattern"].as_str().unwrap();
        pattern
            .strip_prefix('^')
            .unwrap()
            .strip_suffix('$')
            .unwrap()
            .to_string()
    }

    #[test]
    fn idempotency_keys_the_document_forbids_are_refused() {
        let too_long = "k".repeat(129);
        for value in ["", "   ", "two words", "键", too_long.as_str()] {
            assert!(key_of(value).is_err(), "{value:?} was accepted");
        }
        assert_eq!(key_of(" abc-123 ").unwrap().unwrap().key, "abc-123");
    }

    proptest::proptest! {
        #[test]
        fn idempotency_keys_the_document_allows_are_accepted(
            value in proptest::string::string_regex(&documented_pattern()).unwrap()
        ) {
            let key = key_of(&value).unwrap().unwrap();
            proptest::prop_assert_eq!(key.key, value.trim());
        }
    }
}

#[utoipa::path(
    operation_id = "create_booking",
    tag = "bookings",
    request_body = CreateBookingBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "A retried request with the same key returns the first result: 1 to 128 \
                       printable ASCII characters",
        pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$")),
    responses(
        (status = 201, body = BookingDetails),
        (status = 400, description = "malformed input", body = ErrorBody),
        (status = 404, description = "unknown site", body = ErrorBody),
        (status = 409, description = "full, or the phone already has an active booking", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "ineligible, outside the horizon, after the cut-off", body = ErrorBody),
    )
)]
#[post("/bookings")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<CreateBookingBody>,
) -> Result<HttpResponse, ApiError> {
    let idempotency = idempotency_key(&req, &body.raw)?;
    let request = body.value.parse()?;
    let created = state
        .db
        .write(move |conn| booking::create_booking(conn, request, idempotency, Utc::now()))
        .await;
    crate::metrics::count_booking(&created);
    let created = match created {
        Err(full @ BookingError::Full { .. }) => return Err(with_alternatives(&state, full).await),
        other => other?,
    };
    Ok(match created {
        Created::New(details) => HttpResponse::Created().json(details),
        Created::Replayed { status, body } => {
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED))
                .content_type(ContentType::json())
                .insert_header(("Idempotent-Replayed", "true"))
                .body(body)
        }
    })
}

/// The booking, for the holder of its manage token.
#[utoipa::path(
    operation_id = "get_booking",
    tag = "bookings",
    params(("reference" = String, Path, description = "Booking reference, e.g. K7Q9-XMT4")),
    security(("manage_token" = [])),
    responses(
        (status = 200, body = BookingDetails),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/bookings/{reference}")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req);
    let reference = path.into_inner();
    let details = state
        .db
        .run(move |conn| booking::find_for_owner(conn, &reference, token.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(details))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    pub site_id: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    pub window: Option<String>,
}

/// Moves the booking to another site, date or window.
#[utoipa::path(
    operation_id = "reschedule_booking",
    tag = "bookings",
    params(("reference" = String, Path)),
    request_body = RescheduleBody,
    security(("manage_token" = [])),
    responses(
        (status = 200, body = BookingDetails),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[patch("/bookings/{reference}")]
pub async fn reschedule(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: ValidJson<RescheduleBody>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req);
    let reference = path.into_inner();
    let body = body.value;
    if body.site_id.is_none() && body.date.is_none() && body.window.is_none() {
        return Err(ApiError::bad_request(
            "empty_change",
            "body",
            "give site_id, date or window",
        ));
    }
    if let Some(window) = &body.window {
        check_window_name(window)?;
    }
    let change = Change {
        site_id: body.site_id,
        date: body.date,
        window: body.window,
    };
    let details = state
        .db
        .write(move |conn| {
            booking::reschedule_booking(conn, &reference, token.as_deref(), change, Utc::now())
        })
        .await;
    let details = match details {
        Err(full @ BookingError::Full { .. }) => return Err(with_alternatives(&state, full).await),
        other => other?,
    };
    Ok(HttpResponse::Ok().json(details))
}

/// Cancels the booking and frees its seat.
#[utoipa::path(
    operation_id = "cancel_booking",
    tag = "bookings",
    params(("reference" = String, Path)),
    security(("manage_token" = [])),
    responses(
        (status = 200, body = BookingDetails),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[delete("/bookings/{reference}")]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req);
    let reference = path.into_inner();
    let details = state
        .db
        .write(move |conn| booking::cancel_booking(conn, &reference, token.as_deref(), Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(details))
}

/// A full window's 409, with the nearest choices that still have room (found in a read, after
/// the refused write).
async fn with_alternatives(state: &AppState, full: BookingError) -> ApiError {
    let BookingError::Full {
        site_id,
        date,
        ref window,
        kind,
    } = full
    else {
        return full.into();
    };
    let window_name = window.clone();
    let found = state
        .db
        .run(move |conn| booking::alternatives(conn, site_id, date, &window_name, kind, Utc::now()))
        .await;
    let alternatives: Vec<Alternative> = found.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "alternatives");
        Vec::new()
    });
    ApiError::from(full).beside(
        "alternatives",
        serde_json::to_value(alternatives).expect("alternatives serialise"),
    )
}

/// Joins the waitlist of a full site-day-window. When a booking there is cancelled, the first
/// waiting donor of that site and day who is still eligible gets the seat.
#[utoipa::path(
    operation_id = "join_waitlist",
    tag = "bookings",
    request_body = CreateBookingBody,
    responses(
        (status = 201, body = Waitlisted),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the window has room, or the donor is booked or waiting already", body = ErrorBody),
        (status = 422, description = "ineligible, outside the horizon, after the cut-off", body = ErrorBody),
    )
)]
#[post("/waitlist")]
pub async fn waitlist(
    state: web::Data<AppState>,
    body: ValidJson<CreateBookingBody>,
) -> Result<HttpResponse, ApiError> {
    let request = body.value.parse()?;
    let joined = state
        .db
        .write(move |conn| booking::join_waitlist(conn, request, Utc::now()))
        .await?;
    Ok(HttpResponse::Created().json(joined))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub outcome: Outcome,
}

/// Records what happened on the day (dispatcher): a donation counts as the donor's last
/// donation for eligibility, and frees the donor to book again.
#[utoipa::path(
    operation_id = "record_outcome",
    tag = "bookings",
    params(("reference" = String, Path)),
    request_body = OutcomeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = BookingDetails),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "cancelled", body = ErrorBody),
        (status = 422, description = "the day has not come", body = ErrorBody),
    )
)]
#[post("/bookings/{reference}/outcome")]
pub async fn outcome(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<String>,
    body: ValidJson<OutcomeBody>,
) -> Result<HttpResponse, ApiError> {
    let reference = path.into_inner();
    let outcome = body.value.outcome;
    let details = state
        .db
        .write(move |conn| {
            booking::record_outcome(conn, &reference, outcome, Utc::now())?;
            booking::find_for_dispatcher(conn, &reference)
        })
        .await?;
    Ok(HttpResponse::Ok().json(details))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationCancelBody {
    /// What the donor is told, e.g. "the bloodmobile broke down".
    pub reason: String,
}

/// The station cancels a booking (dispatcher); the donor is told the reason.
#[utoipa::path(
    operation_id = "cancel_booking_by_station",
    tag = "bookings",
    params(("reference" = String, Path)),
    request_body = StationCancelBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = BookingDetails),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already cancelled", body = ErrorBody),
    )
)]
#[post("/bookings/{reference}/cancel")]
pub async fn cancel_by_station(
    state: web::Data<AppState>,
    _: Dispatcher,
    path: web::Path<String>,
    body: ValidJson<StationCancelBody>,
) -> Result<HttpResponse, ApiError> {
    let reference = path.into_inner();
    let reason = body.value.reason.trim().to_string();
    let length = reason.chars().count();
    if !(1..=200).contains(&length) || reason.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_reason",
            "reason",
            "1-200 characters, no control characters",
        ));
    }
    let details = state
        .db
        .write(move |conn| booking::cancel_by_station(conn, &reference, &reason, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(details))
}
