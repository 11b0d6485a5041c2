//! The booking service: the rules of the domain applied to stored bookings, one transaction per
//! change. Handlers call these functions; these call `domain` for every rule and `db` for rows.

mod availability;
mod create;
mod error;
mod manage;
mod secrets;
mod view;

pub use availability::{DayAvailability, WindowAvailability, site_availability};
pub use create::{BookingRequest, Created, DonorAnswers, IdempotencyKey, create_booking};
pub use error::BookingError;
pub use manage::{Change, cancel_booking, find_for_owner, reschedule_booking};
pub use secrets::{hash_secret, new_secret};
pub use view::{BookingDetails, SiteSummary};
