//! The notice outbox: rows written in the transaction of the change that causes them, claimed by
//! workers with a lease, marked once sent. The claim is the one backend-specific query: several
//! PostgreSQL workers share the queue with `FOR UPDATE SKIP LOCKED`; on SQLite one worker
//! claims through the writer.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::DbConnection;
use super::schema::{notices, sms_opt_outs};

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = notices)]
pub struct NoticeRow {
    pub id: i64,
    pub dedupe_key: String,
    pub out_id: String,
    pub kind: String,
    pub channel: String,
    pub booking_id: Option<i64>,
    pub recipient: String,
    pub language: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub delivery: Option<String>,
    pub delivery_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notices)]
pub struct NewNotice {
    pub dedupe_key: String,
    pub out_id: String,
    pub kind: String,
    pub channel: String,
    pub booking_id: Option<i64>,
    pub recipient: String,
    pub language: String,
    pub payload: String,
    pub status: String,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Writes a notice unless one with its dedupe key exists; true when written.
pub fn enqueue(conn: &mut DbConnection, notice: &NewNotice) -> QueryResult<bool> {
    let written = match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(notices::table)
            .values(notice)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::insert_into(notices::table)
            .values(notice)
            .on_conflict_do_nothing()
            .execute(sqlite)?,
    };
    Ok(written > 0)
}

/// Claims up to `limit` due notices (and notices whose lease ran out: their worker died) for
/// `worker` until `lease_until`, counting the attempt.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NoticeRow>> {
    const DUE: &str = "(status = 'pending' AND due_at <= $3) \
                       OR (status = 'sending' AND lease_until < $3)";
    let sql = match conn {
        DbConnection::Postgresql(_) => format!(
            "UPDATE notices SET status = 'sending', attempts = attempts + 1, \
             lease_until = $1, leased_by = $2 \
             WHERE id IN (SELECT id FROM notices WHERE {DUE} ORDER BY due_at, id LIMIT $4 \
             FOR UPDATE SKIP LOCKED) RETURNING *"
        ),
        // One writer at a time: no row locks needed.
        DbConnection::Sqlite(_) => format!(
            "UPDATE notices SET status = 'sending', attempts = attempts + 1, \
             lease_until = $1, leased_by = $2 \
             WHERE id IN (SELECT id FROM notices WHERE {DUE} ORDER BY due_at, id LIMIT $4) \
             RETURNING *"
        ),
    };
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Marks a claimed notice sent; false when `worker` no longer held it.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    now: NaiveDateTime,
    scrubbed_payload: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        notices::table
            .find(id)
            .filter(notices::status.eq(SENDING))
            .filter(notices::leased_by.eq(worker)),
    )
    .set((
        notices::status.eq(SENT),
        notices::sent_at.eq(Some(now)),
        notices::lease_until.eq(None::<NaiveDateTime>),
        notices::last_error.eq(None::<String>),
        notices::payload.eq(scrubbed_payload),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Ends a claimed attempt that did not send: back to `status` (pending with a later `due_at`,
/// failed, or skipped) with the reason.
pub fn mark_unsent(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    status: &str,
    error: &str,
    due_at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        notices::table
            .find(id)
            .filter(notices::status.eq(SENDING))
            .filter(notices::leased_by.eq(worker)),
    )
    .set((
        notices::status.eq(status),
        notices::last_error.eq(Some(error)),
        notices::due_at.eq(due_at),
        notices::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Notices by status and booking, newest first.
pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    booking_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<NoticeRow>> {
    let mut query = notices::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(notices::status.eq(status.to_string()));
    }
    if let Some(booking_id) = booking_id {
        query = query.filter(notices::booking_id.eq(booking_id));
    }
    query
        .order(notices::id.desc())
        .limit(limit)
        .select(NoticeRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<NoticeRow>> {
    notices::table
        .find(id)
        .select(NoticeRow::as_select())
        .load(conn)
        .map(super::single)
}

/// Puts a failed (or skipped) notice back in the queue, due now.
pub fn resend(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        notices::table
            .find(id)
            .filter(notices::status.eq_any([FAILED, SKIPPED])),
    )
    .set((
        notices::status.eq(PENDING),
        notices::due_at.eq(now),
        notices::attempts.eq(0),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Skips the pending notices of a booking of one kind (reminders of a booking cancelled or
/// moved).
pub fn skip_pending(
    conn: &mut DbConnection,
    booking_id: i64,
    kind: &str,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        notices::table
            .filter(notices::booking_id.eq(booking_id))
            .filter(notices::kind.eq(kind))
            .filter(notices::status.eq(PENDING)),
    )
    .set((
        notices::status.eq(SKIPPED),
        notices::last_error.eq(Some(reason)),
    ))
    .execute(conn)
}

/// Records a delivery receipt. Duplicates and late receipts change nothing once a notice is
/// known delivered. `None` for an unknown id.
pub fn record_receipt(
    conn: &mut DbConnection,
    out_id: &str,
    delivered: bool,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Option<NoticeRow>> {
    let Some(row) = notices::table
        .filter(notices::out_id.eq(out_id))
        .select(NoticeRow::as_select())
        .load(conn)
        .map(super::single)?
    else {
        return Ok(None);
    };
    if row.delivery.as_deref() != Some("delivered") {
        let delivery = if delivered { "delivered" } else { "failed" };
        diesel::update(notices::table.find(row.id))
            .set((
                notices::delivery.eq(Some(delivery)),
                notices::delivery_at.eq(Some(now)),
                notices::last_error.eq(error.map(str::to_string).or(row.last_error.clone())),
            ))
            .execute(conn)?;
    }
    find(conn, row.id)
}

/// Text messages sent to `phone` since `since`.
pub fn sms_sent_since(
    conn: &mut DbConnection,
    phone: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    notices::table
        .filter(notices::channel.eq("sms"))
        .filter(notices::recipient.eq(phone))
        .filter(notices::status.eq(SENT))
        .filter(notices::sent_at.ge(since))
        .count()
        .get_result(conn)
}

/// The queue as operators watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    pub pending: i64,
    pub sending: i64,
    pub failed: i64,
    /// The oldest notice due and not yet sent.
    pub oldest_due: Option<NaiveDateTime>,
}

pub fn queue_stats(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<QueueStats> {
    let count = |conn: &mut DbConnection, status: &str| -> QueryResult<i64> {
        notices::table
            .filter(notices::status.eq(status.to_string()))
            .count()
            .get_result(conn)
    };
    let oldest_due = notices::table
        .filter(notices::status.eq_any([PENDING, SENDING]))
        .filter(notices::due_at.le(now))
        .select(diesel::dsl::min(notices::due_at))
        .first(conn)?;
    Ok(QueueStats {
        pending: count(conn, PENDING)?,
        sending: count(conn, SENDING)?,
        failed: count(conn, FAILED)?,
        oldest_due,
    })
}

pub fn opted_out(conn: &mut DbConnection, phone: &str) -> QueryResult<bool> {
    let n: i64 = sms_opt_outs::table.find(phone).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn opt_out(conn: &mut DbConnection, phone: &str, now: NaiveDateTime) -> QueryResult<()> {
    if !opted_out(conn, phone)? {
        diesel::insert_into(sms_opt_outs::table)
            .values((
                sms_opt_outs::phone.eq(phone),
                sms_opt_outs::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn opt_in(conn: &mut DbConnection, phone: &str) -> QueryResult<bool> {
    Ok(diesel::delete(sms_opt_outs::table.find(phone)).execute(conn)? > 0)
}

pub fn opt_outs(conn: &mut DbConnection) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    sms_opt_outs::table
        .order(sms_opt_outs::created_at.desc())
        .select((sms_opt_outs::phone, sms_opt_outs::created_at))
        .load(conn)
}
