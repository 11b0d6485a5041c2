//! Bookings: one donor, one site, one date and window.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use std::collections::HashMap;

use super::DbConnection;
use super::schema::bookings;
use crate::domain::donation::{DonationKind, KindCounts};

pub const CONFIRMED: &str = "confirmed";
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = bookings, treat_none_as_default_value = false)]
pub struct BookingRow {
    pub id: i64,
    pub reference: String,
    pub manage_token_hash: String,
    pub donor_id: i64,
    pub station_id: i64,
    pub site_id: i64,
    pub service_date: NaiveDate,
    pub time_window: String,
    pub kind: String,
    pub volume_ml: i32,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
    pub arrival_from: Option<NaiveDateTime>,
    pub arrival_to: Option<NaiveDateTime>,
    pub plan_version: Option<i32>,
    pub outcome: Option<String>,
    pub outcome_at: Option<NaiveDateTime>,
    pub invite_sequence: i32,
}

/// A booking to make; `stored_as` gives its row.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub reference: String,
    pub manage_token_hash: String,
    pub donor_id: i64,
    pub station_id: i64,
    pub site_id: i64,
    pub service_date: NaiveDate,
    pub time_window: String,
    pub kind: String,
    pub volume_ml: i32,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewBooking {
    /// The booking as stored under `id`: not cancelled, on no plan yet, no window told.
    pub fn stored_as(self, id: i64) -> BookingRow {
        BookingRow {
            id,
            reference: self.reference,
            manage_token_hash: self.manage_token_hash,
            donor_id: self.donor_id,
            station_id: self.station_id,
            site_id: self.site_id,
            service_date: self.service_date,
            time_window: self.time_window,
            kind: self.kind,
            volume_ml: self.volume_ml,
            language: self.language,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            cancelled_at: None,
            arrival_from: None,
            arrival_to: None,
            plan_version: None,
            outcome: None,
            outcome_at: None,
            invite_sequence: 0,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<BookingRow>> {
    bookings::table
        .find(id)
        .select(BookingRow::as_select())
        .load(conn)
        .map(super::single)
}

/// Bookings with their donors, sites and stations (what notices about them say): one query
/// per table, each by primary key, so the cost follows the batch, not the tables' size.
pub fn find_many_with_context(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<
    Vec<(
        BookingRow,
        super::donors::DonorRow,
        super::registry::SiteRow,
        super::registry::StationRow,
    )>,
> {
    use super::donors::DonorRow;
    use super::registry::{SiteRow, StationRow};
    use super::schema::{donors, sites, stations};
    let found: Vec<BookingRow> = bookings::table
        .filter(bookings::id.eq_any(ids))
        .select(BookingRow::as_select())
        .load(conn)?;
    let ids_of = |f: fn(&BookingRow) -> i64| {
        let mut ids: Vec<i64> = found.iter().map(f).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let donors: HashMap<i64, DonorRow> = donors::table
        .filter(donors::id.eq_any(ids_of(|b| b.donor_id)))
        .select(DonorRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|d: DonorRow| (d.id, d))
        .collect();
    let sites: HashMap<i64, SiteRow> = sites::table
        .filter(sites::id.eq_any(ids_of(|b| b.site_id)))
        .select(SiteRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|s: SiteRow| (s.id, s))
        .collect();
    let stations: HashMap<i64, StationRow> = stations::table
        .filter(stations::id.eq_any(ids_of(|b| b.station_id)))
        .select(StationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|s: StationRow| (s.id, s))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|b| {
            let donor = donors.get(&b.donor_id)?.clone();
            let site = sites.get(&b.site_id)?.clone();
            let station = stations.get(&b.station_id)?.clone();
            Some((b, donor, site, station))
        })
        .collect())
}

/// The kind of a booking, by id.
pub fn find_kind(conn: &mut DbConnection, id: i64) -> QueryResult<Option<DonationKind>> {
    let kind: Option<String> = bookings::table
        .find(id)
        .select(bookings::kind)
        .first(conn)
        .optional()?;
    Ok(kind.and_then(|k| DonationKind::parse(&k)))
}

pub fn find_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> QueryResult<Option<BookingRow>> {
    super::on_backend!(conn, |c| bookings::table
        .filter(bookings::reference.eq(reference))
        .select(BookingRow::as_select())
        .load(c))
    .map(super::single)
}

/// Confirmed bookings of a station per day, window, site and kind, over a date range: the stops
/// already booked. Read from the counts the triggers keep, a few rows per day whatever the
/// number of bookings.
pub fn booked_by_day(
    conn: &mut DbConnection,
    station_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<HashMap<NaiveDate, BookedDay>> {
    use super::schema::booking_counts as counts;
    let rows: Vec<(NaiveDate, String, i64, String, i32)> =
        super::on_backend!(conn, |c| counts::table
            .filter(counts::station_id.eq(station_id))
            .filter(counts::service_date.between(from, to))
            .filter(counts::confirmed.gt(0))
            .select((
                counts::service_date,
                counts::time_window,
                counts::site_id,
                counts::kind,
                counts::confirmed,
            ))
            .load(c))?;
    let mut days: HashMap<NaiveDate, BookedDay> = HashMap::new();
    for (date, window, site, kind, count) in rows {
        add_count(days.entry(date).or_default(), window, site, &kind, count);
    }
    Ok(days)
}

/// One day's confirmed bookings: per window name, each site's donors by kind.
pub type BookedDay = HashMap<String, Vec<(i64, KindCounts)>>;

/// Adds a count row (window, site, kind, confirmed) to its day.
pub(super) fn add_count(day: &mut BookedDay, window: String, site: i64, kind: &str, count: i32) {
    let Some(kind) = DonationKind::parse(kind) else {
        return;
    };
    let stops = day.entry(window).or_default();
    let count = u32::try_from(count).unwrap_or(0);
    match stops.iter_mut().find(|(s, _)| *s == site) {
        Some((_, donors)) => *donors.get_mut(kind) += count,
        None => stops.push((site, KindCounts::one(kind, count))),
    }
}

/// Where a booking moves to.
pub struct Slot<'a> {
    pub station_id: i64,
    pub site_id: i64,
    pub date: NaiveDate,
    pub window: &'a str,
}

pub fn move_to(
    conn: &mut DbConnection,
    id: i64,
    to: &Slot,
    now: NaiveDateTime,
) -> QueryResult<BookingRow> {
    let Slot {
        station_id,
        site_id,
        date,
        window,
    } = *to;
    // The window told for the old slot no longer holds: the new day's plan, if published,
    // tells a new one when the booking is placed on it.
    diesel::update(bookings::table.find(id))
        .set((
            bookings::station_id.eq(station_id),
            bookings::site_id.eq(site_id),
            bookings::service_date.eq(date),
            bookings::time_window.eq(window),
            bookings::updated_at.eq(now),
            bookings::arrival_from.eq(None::<NaiveDateTime>),
            bookings::arrival_to.eq(None::<NaiveDateTime>),
            bookings::plan_version.eq(None::<i32>),
        ))
        .returning(bookings::all_columns)
        .get_result(conn)
}

pub fn cancel(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<BookingRow> {
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq(CANCELLED),
            bookings::updated_at.eq(now),
            bookings::cancelled_at.eq(Some(now)),
        ))
        .returning(bookings::all_columns)
        .get_result(conn)
}
