//! A donor's donations: those the station recorded (`donations`, written when a dispatcher
//! records a donated outcome) and those the donor declared at booking (`declared_donations`,
//! the latest statement of each kind).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{declared_donations, donations};

/// A donation as the station recorded it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = donations)]
pub struct RecordedRow {
    pub donated_on: NaiveDate,
    pub kind: String,
    pub volume_ml: i32,
}

/// A donation as the donor declared it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = declared_donations)]
pub struct DeclaredRow {
    pub kind: String,
    pub donated_on: NaiveDate,
    pub volume_ml: Option<i32>,
    pub declared_on: NaiveDate,
}

/// The donations the station recorded for a donor, oldest first.
pub fn recorded(conn: &mut DbConnection, donor_id: i64) -> QueryResult<Vec<RecordedRow>> {
    super::on_backend!(conn, |c| donations::table
        .filter(donations::donor_id.eq(donor_id))
        .order((donations::donated_on, donations::id))
        .select(RecordedRow::as_select())
        .load(c))
}

/// The donations a donor declared, one per kind.
pub fn declared(conn: &mut DbConnection, donor_id: i64) -> QueryResult<Vec<DeclaredRow>> {
    super::on_backend!(conn, |c| declared_donations::table
        .filter(declared_donations::donor_id.eq(donor_id))
        .order(declared_donations::kind)
        .select(DeclaredRow::as_select())
        .load(c))
}

/// A declared donation to keep.
#[derive(Debug, Clone)]
pub struct NewDeclared {
    pub kind: String,
    pub donated_on: NaiveDate,
    pub volume_ml: Option<i32>,
}

/// Keeps `fresh` as the donor's latest statement of each kind it mentions (the earlier one of
/// that kind goes); kinds not mentioned keep theirs. One row at a time: the multi-backend
/// connection has no upsert or multi-row insert.
pub fn declare(
    conn: &mut DbConnection,
    donor_id: i64,
    fresh: &[NewDeclared],
    on: NaiveDate,
    at: NaiveDateTime,
) -> QueryResult<()> {
    for d in fresh {
        diesel::delete(
            declared_donations::table
                .filter(declared_donations::donor_id.eq(donor_id))
                .filter(declared_donations::kind.eq(&d.kind)),
        )
        .execute(conn)?;
        diesel::insert_into(declared_donations::table)
            .values((
                declared_donations::donor_id.eq(donor_id),
                declared_donations::kind.eq(&d.kind),
                declared_donations::donated_on.eq(d.donated_on),
                declared_donations::volume_ml.eq(d.volume_ml),
                declared_donations::declared_on.eq(on),
                declared_donations::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}
