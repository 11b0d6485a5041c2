//! Storage: one diesel schema served by SQLite (embedded default) or PostgreSQL, picked from the
//! database URL. Queries live next to the rows they read and write, one file per table group.
//!
//! Rows to insert write `None` as NULL (`treat_none_as_default_value = false`): with `DEFAULT`
//! in its text an insert is built anew and prepared again at every call, which cost a booking a
//! third of its time on the SQLite writer and a round trip more on PostgreSQL.

pub mod connection;
pub mod schema;

/// Runs a query on the backend's own connection (`$c` is a `PgConnection` or a
/// `SqliteConnection`), for the statements a booking runs. Through the multi-connection a
/// statement's SQL text is built anew at every execution, even when it is prepared already, and
/// every value read is converted twice; on the backend's own connection a prepared statement is
/// found by its type and only its parameters are bound.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $query,
            $crate::db::DbConnection::Sqlite($c) => $query,
        }
    };
}
pub(crate) use on_backend;

pub mod bookings;
pub mod donations;
pub mod donors;
pub mod idempotency;
pub mod new_booking;
pub mod notices;
pub mod plans;
pub mod registry;
pub mod users;
mod writer;

pub use connection::{
    Backend, Db, DbConnection, DbError, lock, lock_key, write_transaction, write_transaction_locked,
};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// An instant as stored: UTC, truncated to microseconds so both backends read back the same value.
pub fn stored_instant(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(6)
}

/// Whether housekeeping that `last` guards (deleting expired rows) is due: once a minute in a
/// process, not at every request that could do it (a statement each).
pub(crate) fn once_a_minute(last: &std::sync::atomic::AtomicI64, now: DateTime<Utc>) -> bool {
    let minute = now.timestamp() / 60;
    last.swap(minute, std::sync::atomic::Ordering::Relaxed) != minute
}

/// The one row a unique key selects, if any. Lookups load rather than call `.first()`: its bound
/// `LIMIT ?` makes SQLite compile the statement again at every execution (a bound LIMIT can
/// change the plan), which cost a fifth of a booking's time.
pub(crate) fn single<T>(mut rows: Vec<T>) -> Option<T> {
    debug_assert!(rows.len() <= 1, "a unique key selected several rows");
    rows.pop()
}

/// The first of rows loaded in order, for the same reason as `single`, where a few rows match
/// (a day's plan versions, newest first).
pub(crate) fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}
