//! A new booking's statements, folded: what it reads under its day's lock in one statement, and
//! its donor, itself and its notices written in one statement on PostgreSQL (each a round trip
//! saved) and in three on SQLite (in process: statements are cheap there, rows are not).
//!
//! Ids are taken before the rows are built, so the rows (and the notices that name the
//! booking) are whole before anything is written: from the sequences on PostgreSQL, the next
//! rowids on SQLite (its one writer holds the database's write lock, so no one else takes them).

use chrono::NaiveDate;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Time, Timestamp,
};

use super::DbConnection;
use super::bookings::{BookedDay, BookingRow};
use super::donors::DonorRow;
use super::notices::NewNotice;
use super::schema::{booking_counts, bookings, donors, plans, registry_version};

/// What a booking reads under its day's lock.
#[derive(Debug)]
pub struct Reads {
    /// The registry's version (see `registry::version`).
    pub registry_version: i64,
    /// The donor with the booking's phone, if any.
    pub donor: Option<DonorRow>,
    /// The newest plan version of the station-day, if it has a plan.
    pub plan_version: Option<i32>,
    /// The station-day's confirmed bookings, per window, site and kind.
    pub booked: BookedDay,
    /// The ids the new booking and, if new, its donor take.
    pub booking_id: i64,
    pub new_donor_id: i64,
}

/// The registry's version, the donor, the newest plan version, the day's counts as JSON and
/// the booking's and donor's ids.
type ReadRow<Id> = (i64, Option<DonorRow>, Option<i32>, Option<String>, Id, Id);

diesel::define_sql_function! {
    /// PostgreSQL's next value of a sequence.
    fn nextval(sequence: Text) -> BigInt;
}

// A day's counts as one JSON array of `[window, site, kind, confirmed]`, so that they come in
// the same statement as the rest (each backend names the functions its own way).
diesel::define_sql_function! {
    /// PostgreSQL: a JSON array of its arguments.
    fn json_build_array(window: Text, site: BigInt, kind: Text, confirmed: Integer) -> Text;
}
diesel::define_sql_function! {
    /// PostgreSQL: the rows' values as one JSON array (NULL for no rows).
    #[aggregate]
    fn json_agg(row: Text) -> Nullable<Text>;
}
diesel::define_sql_function! {
    /// SQLite: a JSON array of its arguments.
    fn json_array(window: Text, site: BigInt, kind: Text, confirmed: Integer) -> Text;
}
diesel::define_sql_function! {
    /// SQLite: the rows' values as one JSON array (`[]` for no rows).
    #[aggregate]
    fn json_group_array(row: Text) -> Nullable<Text>;
}

/// The counts `read` got as JSON, as the seat rule takes them.
fn booked_day(json: Option<&str>) -> QueryResult<BookedDay> {
    let rows: Vec<(String, i64, String, i32)> = match json {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
        None => Vec::new(),
    };
    let mut day = BookedDay::new();
    for (window, site, kind, count) in rows {
        super::bookings::add_count(&mut day, window, site, &kind, count);
    }
    Ok(day)
}

/// The registry's version, the donor with `phone`, the station-day's newest plan version and
/// confirmed bookings, and the new rows' ids, in one statement.
pub fn read(
    conn: &mut DbConnection,
    phone: &str,
    station_id: i64,
    date: NaiveDate,
) -> QueryResult<Reads> {
    let newest_plan = || {
        plans::table
            .filter(plans::station_id.eq(station_id))
            .filter(plans::service_date.eq(date))
            .select(max(plans::version))
            .single_value()
    };
    let counts = || {
        booking_counts::table
            .filter(booking_counts::station_id.eq(station_id))
            .filter(booking_counts::service_date.eq(date))
            .filter(booking_counts::confirmed.gt(0))
    };
    let (window, site, kind, confirmed) = (
        booking_counts::time_window,
        booking_counts::site_id,
        booking_counts::kind,
        booking_counts::confirmed,
    );
    // The one row of `registry_version` drives the query, so it answers with no donor too; the
    // counts and the ids as each backend gives them.
    macro_rules! read_with {
        ($conn:expr, $counts:expr, $booking_id:expr, $donor_id:expr) => {
            registry_version::table
                .left_join(donors::table.on(donors::phone.eq(phone)))
                .select((
                    registry_version::version,
                    Option::<DonorRow>::as_select(),
                    newest_plan(),
                    counts().select($counts).single_value(),
                    $booking_id,
                    $donor_id,
                ))
                .load($conn)
        };
    }
    let rows: Vec<ReadRow<i64>> = match conn {
        DbConnection::Postgresql(pg) => read_with!(
            pg,
            json_agg(json_build_array(window, site, kind, confirmed)),
            nextval("bookings_id_seq"),
            nextval("donors_id_seq")
        )?,
        DbConnection::Sqlite(sqlite) => {
            // The donors table once more, for its largest id beside the donor joined.
            let every_donor = diesel::alias!(donors as every_donor);
            let rows: Vec<ReadRow<Option<i64>>> = read_with!(
                sqlite,
                json_group_array(json_array(window, site, kind, confirmed)),
                bookings::table.select(max(bookings::id)).single_value(),
                every_donor
                    .select(max(every_donor.field(donors::id)))
                    .single_value()
            )?;
            rows.into_iter()
                .map(|(version, donor, plan, counts, booking, donor_id)| {
                    let next = |id: Option<i64>| id.unwrap_or(0) + 1;
                    (version, donor, plan, counts, next(booking), next(donor_id))
                })
                .collect()
        }
    };
    let (registry_version, donor, plan_version, counts, booking_id, new_donor_id) = rows
        .into_iter()
        .next()
        .ok_or(diesel::result::Error::NotFound)?;
    Ok(Reads {
        registry_version,
        donor,
        plan_version,
        booked: booked_day(counts.as_deref())?,
        booking_id,
        new_donor_id,
    })
}

/// A new booking's rows, ids and all.
pub struct Rows<'a> {
    /// The donor as it is to be stored: new, or the stored one with this booking's answers.
    pub donor: &'a DonorRow,
    pub donor_is_new: bool,
    pub booking: &'a BookingRow,
    pub notices: &'a [NewNotice],
}

/// Writes a new booking's rows: the donor inserted or refreshed, the booking, its notices (one
/// already written under the same dedupe key is kept as it is).
pub fn write(conn: &mut DbConnection, rows: &Rows) -> QueryResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => return write_postgres(pg, rows),
        DbConnection::Sqlite(sqlite) => {
            // An insert or an update, not an upsert: diesel prepares an upsert again at every
            // execution.
            if rows.donor_is_new {
                diesel::insert_into(donors::table)
                    .values(rows.donor)
                    .execute(sqlite)?;
            } else {
                diesel::update(donors::table.find(rows.donor.id))
                    .set(rows.donor)
                    .execute(sqlite)?;
            }
            diesel::insert_into(bookings::table)
                .values(rows.booking)
                .execute(sqlite)?;
        }
    }
    super::notices::enqueue(conn, rows.notices).map(|_| ())
}

/// The donor (inserted, or updated when its id is taken), the booking and the notices in one
/// statement. Its parts cannot see each other's rows, but the foreign keys are checked at its
/// end, when all are written. A type of its own, so that diesel prepares it once per connection
/// (a text query is parsed and planned again at every execution).
struct WritePostgres<'a> {
    donor: &'a DonorRow,
    booking: &'a BookingRow,
    notices: NoticeColumns,
}

/// The notices to write, column by column (one array each).
struct NoticeColumns {
    dedupe_key: Vec<String>,
    out_id: Vec<String>,
    kind: Vec<String>,
    channel: Vec<String>,
    booking_id: Vec<Option<i64>>,
    recipient: Vec<String>,
    language: Vec<String>,
    payload: Vec<String>,
    status: Vec<String>,
    due_at: Vec<chrono::NaiveDateTime>,
    created_at: Vec<chrono::NaiveDateTime>,
}

impl NoticeColumns {
    fn of(notices: &[NewNotice]) -> NoticeColumns {
        let text = |f: fn(&NewNotice) -> &String| notices.iter().map(|n| f(n).clone()).collect();
        NoticeColumns {
            dedupe_key: text(|n| &n.dedupe_key),
            out_id: text(|n| &n.out_id),
            kind: text(|n| &n.kind),
            channel: text(|n| &n.channel),
            booking_id: notices.iter().map(|n| n.booking_id).collect(),
            recipient: text(|n| &n.recipient),
            language: text(|n| &n.language),
            payload: text(|n| &n.payload),
            status: text(|n| &n.status),
            due_at: notices.iter().map(|n| n.due_at).collect(),
            created_at: notices.iter().map(|n| n.created_at).collect(),
        }
    }
}

impl diesel::query_builder::QueryId for WritePostgres<'_> {
    type QueryId = WritePostgres<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

/// Binds each value, comma-separated.
macro_rules! bind_all {
    ($out:ident, $($ty:ty => $value:expr),+ $(,)?) => {{
        let mut first = true;
        $(
            if !std::mem::take(&mut first) {
                $out.push_sql(", ");
            }
            $out.push_bind_param::<$ty, _>($value)?;
        )+
    }};
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for WritePostgres<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        let (d, b, n) = (self.donor, self.booking, &self.notices);
        out.push_sql(
            "WITH donor AS (INSERT INTO donors (id, phone, name, email, birth_date, sex, \
             weight_kg, blood_type, vaccination_date, vaccine_type, created_at, updated_at, \
             apheresis_12m_count, apheresis_12m_volume_ml, apheresis_12m_as_of, \
             adverse_reaction_before, vaccination_time) VALUES (",
        );
        bind_all!(out,
            BigInt => &d.id, Text => &d.phone, Text => &d.name, Nullable<Text> => &d.email,
            Date => &d.birth_date, Text => &d.sex, Double => &d.weight_kg,
            Nullable<Text> => &d.blood_type, Nullable<Date> => &d.vaccination_date,
            Nullable<Text> => &d.vaccine_type, Timestamp => &d.created_at,
            Timestamp => &d.updated_at, Nullable<Integer> => &d.apheresis_12m_count,
            Nullable<Integer> => &d.apheresis_12m_volume_ml,
            Nullable<Date> => &d.apheresis_12m_as_of, Bool => &d.adverse_reaction_before,
            Nullable<Time> => &d.vaccination_time,
        );
        out.push_sql(
            ") ON CONFLICT (id) DO UPDATE SET phone = EXCLUDED.phone, name = EXCLUDED.name, \
             email = EXCLUDED.email, birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex, \
             weight_kg = EXCLUDED.weight_kg, blood_type = EXCLUDED.blood_type, \
             vaccination_date = EXCLUDED.vaccination_date, \
             vaccine_type = EXCLUDED.vaccine_type, updated_at = EXCLUDED.updated_at, \
             apheresis_12m_count = EXCLUDED.apheresis_12m_count, \
             apheresis_12m_volume_ml = EXCLUDED.apheresis_12m_volume_ml, \
             apheresis_12m_as_of = EXCLUDED.apheresis_12m_as_of, \
             adverse_reaction_before = EXCLUDED.adverse_reaction_before, \
             vaccination_time = EXCLUDED.vaccination_time), \
             booking AS (INSERT INTO bookings (id, reference, manage_token_hash, donor_id, \
             station_id, site_id, service_date, time_window, kind, volume_ml, language, status, \
             created_at, updated_at, cancelled_at, arrival_from, arrival_to, plan_version, \
             outcome, outcome_at, invite_sequence) VALUES (",
        );
        bind_all!(out,
            BigInt => &b.id, Text => &b.reference, Text => &b.manage_token_hash,
            BigInt => &b.donor_id, BigInt => &b.station_id, BigInt => &b.site_id,
            Date => &b.service_date, Text => &b.time_window, Text => &b.kind,
            Integer => &b.volume_ml, Text => &b.language, Text => &b.status,
            Timestamp => &b.created_at, Timestamp => &b.updated_at,
            Nullable<Timestamp> => &b.cancelled_at, Nullable<Timestamp> => &b.arrival_from,
            Nullable<Timestamp> => &b.arrival_to, Nullable<Integer> => &b.plan_version,
            Nullable<Text> => &b.outcome, Nullable<Timestamp> => &b.outcome_at,
            Integer => &b.invite_sequence,
        );
        out.push_sql(
            ")) INSERT INTO notices (dedupe_key, out_id, kind, channel, booking_id, recipient, \
             language, payload, status, due_at, created_at) SELECT * FROM unnest(",
        );
        bind_all!(out,
            Array<Text> => &n.dedupe_key, Array<Text> => &n.out_id, Array<Text> => &n.kind,
            Array<Text> => &n.channel, Array<Nullable<BigInt>> => &n.booking_id,
            Array<Text> => &n.recipient, Array<Text> => &n.language,
            Array<Text> => &n.payload, Array<Text> => &n.status,
            Array<Timestamp> => &n.due_at, Array<Timestamp> => &n.created_at,
        );
        out.push_sql(") ON CONFLICT (dedupe_key) DO NOTHING");
        Ok(())
    }
}

impl diesel::RunQueryDsl<diesel::PgConnection> for WritePostgres<'_> {}

fn write_postgres(pg: &mut diesel::PgConnection, rows: &Rows) -> QueryResult<()> {
    WritePostgres {
        donor: rows.donor,
        booking: rows.booking,
        notices: NoticeColumns::of(rows.notices),
    }
    .execute(pg)
    .map(|_| ())
}
