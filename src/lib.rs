//! bloodmobile: door-to-door blood collection for a city blood station.
//!
//! Donors book a community or village on a day and half-day window; the planner turns a day's
//! bookings into bloodmobile routes; dispatchers adjust and publish them.

pub mod accounts;
pub mod api;
pub mod bench;
pub mod booking;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod metrics;
pub mod notices;
pub mod registry;
pub mod routing;
pub mod startup;
pub mod station;
pub mod web;
