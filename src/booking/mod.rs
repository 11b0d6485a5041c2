//! The booking service: the rules of the domain applied to stored bookings, one transaction per
//! change. Handlers call these functions; these call `domain` for every rule and `db` for rows.

mod alternatives;
mod availability;
mod create;
mod error;
mod manage;
mod outcome;
mod seats;
mod secrets;
mod view;
mod waitlist;

pub use alternatives::{Alternative, alternatives};
pub use availability::{DayAvailability, WindowAvailability, site_availability};
pub use create::{BookingRequest, Created, DonorAnswers, IdempotencyKey, create_booking};
pub use error::BookingError;
pub use manage::{
    Change, cancel_booking, cancel_by_station, find_for_dispatcher, find_for_owner,
    reschedule_booking,
};
pub use outcome::{Outcome, record_outcome};
pub use secrets::{hash_secret, new_secret, same_secret};
pub use view::{ArrivalWindow, BookingDetails, SiteSummary};
pub use waitlist::{Waitlisted, join_waitlist};
