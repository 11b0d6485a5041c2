//! End-to-end tests of the HTTP API: the real app on a random port, over SQLite always and over
//! PostgreSQL when it is reachable (a failure instead of a skip with `CI=true`).

mod helpers;

mod auth;
mod bad_input;
mod bookings;
mod browser;
mod concurrency;
mod console;
mod console_registry;
mod dispatch;
mod edge;
mod eligibility;
mod mail_servers;
mod notice_faults;
mod notices;
mod openapi;
mod pages;
mod plan_checker;
mod pool;
mod registry;
mod time_zones;
