//! Saved responses of create requests that carried an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub struct SavedResponse {
    pub idempotency_key: String,
    pub request_hash: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

/// The response saved under `key` at `since` or later.
pub fn find(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<SavedResponse>> {
    super::on_backend!(conn, |c| idempotency_keys::table
        .find(key)
        .filter(idempotency_keys::created_at.ge(since))
        .select(SavedResponse::as_select())
        .load(c))
    .map(super::single)
}

pub fn save(conn: &mut DbConnection, saved: &SavedResponse) -> QueryResult<usize> {
    super::on_backend!(conn, |c| diesel::insert_into(idempotency_keys::table)
        .values(saved)
        .execute(c))
}

/// Forgets saved responses older than `before`: a client retries within hours, not days.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    super::on_backend!(conn, |c| diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))
    )
    .execute(c))
}
