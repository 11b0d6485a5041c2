use chrono::NaiveDate;

use crate::db::DbError;
use crate::dispatch::DispatchError;
use crate::domain::FieldError;
use crate::domain::calendar::CalendarError;
use crate::domain::donation::DonationKind;
use crate::domain::eligibility::{HistoryConflict, Refusal};
use crate::domain::language::Language;

/// Why a booking could not be made or changed. Each maps to one HTTP status in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("{what} {id} does not exist")]
    NotFound {
        what: &'static str,
        field: &'static str,
        id: String,
    },
    #[error("no manage token was given")]
    MissingToken,
    #[error("the manage token does not match this booking")]
    WrongToken,
    /// The rules refuse the donation; messages follow the booking's language.
    #[error("{}", refusal.message(Language::En))]
    Ineligible {
        refusal: Refusal,
        language: Language,
    },
    /// What the donor declares contradicts the station's own records (`field` names it).
    #[error("{}", conflict.message(Language::En))]
    HistoryConflict {
        conflict: HistoryConflict,
        field: String,
        language: Language,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error("no active bloodmobile of this station collects {kind}")]
    KindNotOffered { kind: &'static str },
    #[error("{window} on {date} is full")]
    Full {
        site_id: i64,
        date: NaiveDate,
        window: String,
        kind: DonationKind,
    },
    #[error("this phone number already has an active booking")]
    AlreadyBooked,
    #[error("this window still has room: book it instead of waiting")]
    SeatsAvailable,
    #[error("this phone number is already on a waitlist for that day")]
    AlreadyWaiting,
    #[error("the day of this booking ({date}) has not come yet")]
    NotYet { date: NaiveDate },
    #[error("the booking is cancelled")]
    Cancelled,
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("stored data is inconsistent: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::station::CorruptStation> for BookingError {
    fn from(e: crate::station::CorruptStation) -> Self {
        BookingError::Internal(e.to_string())
    }
}

impl From<DispatchError> for BookingError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::Db(e) => BookingError::Db(e),
            DispatchError::Invalid(e) => BookingError::Invalid(e),
            other => BookingError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for BookingError {
    fn from(e: diesel::result::Error) -> Self {
        BookingError::Db(DbError::Query(e))
    }
}
