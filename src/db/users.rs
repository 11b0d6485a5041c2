//! Dispatcher accounts and their bearer tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{api_tokens, sign_in_failures, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert_user(
    conn: &mut DbConnection,
    username: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::password_hash.eq(password_hash),
            users::active.eq(true),
            users::created_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)
}

pub fn set_password(
    conn: &mut DbConnection,
    username: &str,
    password_hash: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::username.eq(username)))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
}

pub fn find_user(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .load(conn)
        .map(super::single)
}

pub fn count_users(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn insert_token(
    conn: &mut DbConnection,
    user_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The active user holding an unexpired, unrevoked token with this hash.
pub fn user_for_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserRow>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(now))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .load(conn)
        .map(super::single)
}

pub fn revoke_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
}

/// An account's failed sign-ins: how many, and when the last was.
pub fn sign_in_failures(
    conn: &mut DbConnection,
    account: &str,
) -> QueryResult<Option<(i32, NaiveDateTime)>> {
    sign_in_failures::table
        .find(account)
        .select((sign_in_failures::failures, sign_in_failures::last_failure))
        .load(conn)
        .map(super::single)
}

/// Stores an account's failed sign-ins.
pub fn set_sign_in_failures(
    conn: &mut DbConnection,
    account: &str,
    failures: i32,
    last_failure: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(sign_in_failures::table.find(account))
        .set((
            sign_in_failures::failures.eq(failures),
            sign_in_failures::last_failure.eq(last_failure),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sign_in_failures::table)
            .values((
                sign_in_failures::account.eq(account),
                sign_in_failures::failures.eq(failures),
                sign_in_failures::last_failure.eq(last_failure),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets the failed sign-ins of every account whose last failure was before `before`.
pub fn forget_sign_in_failures(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::last_failure.lt(before)))
        .execute(conn)
        .map(|_| ())
}

/// Forgets an account's failed sign-ins.
pub fn clear_sign_in_failures(conn: &mut DbConnection, account: &str) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.find(account))
        .execute(conn)
        .map(|_| ())
}
