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

/// A notice to write. `None` is written as NULL (not DEFAULT), so that SQLite can take several
/// in one statement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notices, treat_none_as_default_value = false)]
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

/// Writes notices; one already written under the same dedupe key is kept as it is. Returns how
/// many were new. Up to four go in one statement (an event on each channel, with its reminder).
pub fn enqueue(conn: &mut DbConnection, rows: &[NewNotice]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(4) {
        let sized = "a chunk has its length";
        written += match chunk.len() {
            1 => enqueue_array::<1>(conn, chunk.try_into().expect(sized))?,
            2 => enqueue_array::<2>(conn, chunk.try_into().expect(sized))?,
            3 => enqueue_array::<3>(conn, chunk.try_into().expect(sized))?,
            _ => enqueue_array::<4>(conn, chunk.try_into().expect(sized))?,
        };
    }
    Ok(written)
}

/// An array (not a `Vec`): a statement for a fixed number of rows is prepared once per
/// connection and reused.
fn enqueue_array<const N: usize>(
    conn: &mut DbConnection,
    rows: &[NewNotice; N],
) -> QueryResult<usize> {
    match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(notices::table)
            .values(rows)
            .on_conflict(notices::dedupe_key)
            .do_nothing()
            .execute(pg),
        DbConnection::Sqlite(sqlite) => diesel::insert_into(notices::table)
            .values(rows)
            .on_conflict(notices::dedupe_key)
            .do_nothing()
            .execute(sqlite),
    }
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

/// What became of a claimed notice, as [`record`] stores it. Every outcome drops the manage
/// token from the payload: a notice done with needs it no more.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent,
    /// Back in the queue, due at `due`; `counts` is false when it was only held back (quiet
    /// hours, a phone's daily cap), which uses up no attempt.
    Pending {
        error: String,
        due: NaiveDateTime,
        counts: bool,
    },
    Failed {
        error: String,
    },
    Skipped {
        why: String,
    },
}

/// The payload without its `token` member, in the backend's JSON functions.
fn payload_without_token(conn: &DbConnection) -> diesel::expression::SqlLiteral<Text> {
    diesel::dsl::sql(match conn {
        DbConnection::Postgresql(_) => "(payload::jsonb - 'token')::text",
        DbConnection::Sqlite(_) => "json_remove(payload, '$.token')",
    })
}

/// Records the outcomes of notices `worker` claimed; returns how many it no longer held (their
/// lease ran out and another worker took them over), which are left alone. The sent ones are
/// marked in one statement.
pub fn record(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    outcomes: &[(i64, Outcome)],
) -> QueryResult<usize> {
    let held = || {
        notices::table
            .filter(notices::status.eq(SENDING))
            .filter(notices::leased_by.eq(worker))
    };
    let no_lease = notices::lease_until.eq(None::<NaiveDateTime>);
    let sent: Vec<i64> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::Sent)
        .map(|(id, _)| *id)
        .collect();
    let mut recorded = 0;
    if !sent.is_empty() {
        let payload = payload_without_token(conn);
        recorded += diesel::update(held().filter(notices::id.eq_any(&sent)))
            .set((
                notices::status.eq(SENT),
                notices::sent_at.eq(Some(now)),
                no_lease,
                notices::last_error.eq(None::<String>),
                notices::payload.eq(payload),
            ))
            .execute(conn)?;
    }
    for (id, outcome) in outcomes {
        let payload = payload_without_token(conn);
        let one = held().filter(notices::id.eq(*id));
        recorded += match outcome {
            Outcome::Sent => 0,
            Outcome::Pending { error, due, counts } => diesel::update(one)
                .set((
                    notices::status.eq(PENDING),
                    notices::last_error.eq(Some(error)),
                    notices::due_at.eq(due),
                    no_lease,
                    notices::attempts.eq(notices::attempts - i32::from(!*counts)),
                ))
                .execute(conn)?,
            Outcome::Failed { error } => diesel::update(one)
                .set((
                    notices::status.eq(FAILED),
                    notices::last_error.eq(Some(error)),
                    no_lease,
                    notices::payload.eq(payload),
                ))
                .execute(conn)?,
            Outcome::Skipped { why } => diesel::update(one)
                .set((
                    notices::status.eq(SKIPPED),
                    notices::last_error.eq(Some(why)),
                    no_lease,
                    notices::payload.eq(payload),
                ))
                .execute(conn)?,
        };
    }
    Ok(outcomes.len() - recorded)
}

/// Extends the lease of every notice `worker` is still sending.
pub fn renew_leases(
    conn: &mut DbConnection,
    worker: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notices::table
            .filter(notices::status.eq(SENDING))
            .filter(notices::leased_by.eq(worker)),
    )
    .set(notices::lease_until.eq(Some(until)))
    .execute(conn)
}

/// Skips every pending notice (the demo's invented donors are never written to).
pub fn skip_all_pending(conn: &mut DbConnection, why: &str) -> QueryResult<usize> {
    diesel::update(notices::table.filter(notices::status.eq(PENDING)))
        .set((
            notices::status.eq(SKIPPED),
            notices::last_error.eq(Some(why)),
        ))
        .execute(conn)
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

/// When each of `phones` was sent a text message since `since`.
pub fn sms_sent_since(
    conn: &mut DbConnection,
    phones: &[&str],
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    notices::table
        .filter(notices::recipient.eq_any(phones))
        .filter(notices::sent_at.ge(since))
        .filter(notices::channel.eq("sms"))
        .filter(notices::status.eq(SENT))
        .select((notices::recipient, notices::sent_at.assume_not_null()))
        .load(conn)
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
    Ok(!opted_out_among(conn, &[phone])?.is_empty())
}

/// Which of `phones` opted out.
pub fn opted_out_among(conn: &mut DbConnection, phones: &[&str]) -> QueryResult<Vec<String>> {
    sms_opt_outs::table
        .filter(sms_opt_outs::phone.eq_any(phones))
        .select(sms_opt_outs::phone)
        .load(conn)
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
