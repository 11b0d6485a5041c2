//! The donor's pages: find a community or village, book it, manage the booking.

pub mod book;
pub mod find;
pub mod manage;
