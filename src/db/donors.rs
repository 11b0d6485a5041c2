//! Donors, known by their mobile phone number.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::donors;

/// Inserted whole, or set whole (its id aside) over the stored row: `None` is written as NULL,
/// so that each statement is prepared once.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable, AsChangeset)]
#[diesel(
    table_name = donors,
    treat_none_as_default_value = false,
    treat_none_as_null = true
)]
pub struct DonorRow {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub email: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub weight_kg: f64,
    pub blood_type: Option<String>,
    pub vaccination_date: Option<NaiveDate>,
    pub vaccine_type: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Apheresis donations in the 12 months up to `apheresis_12m_as_of`, as the donor counted
    /// them.
    pub apheresis_12m_count: Option<i32>,
    pub apheresis_12m_volume_ml: Option<i32>,
    pub apheresis_12m_as_of: Option<NaiveDate>,
    /// Once declared, kept: an adverse reaction at a donation does not go away.
    pub adverse_reaction_before: bool,
    pub vaccination_time: Option<NaiveTime>,
}

/// What a booking tells us about its donor; the latest booking's answers are kept.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = donors, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct DonorValues {
    pub phone: String,
    pub name: String,
    pub email: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub weight_kg: f64,
    pub blood_type: Option<String>,
    pub vaccination_date: Option<NaiveDate>,
    pub vaccine_type: Option<String>,
    pub updated_at: NaiveDateTime,
    pub apheresis_12m_count: Option<i32>,
    pub apheresis_12m_volume_ml: Option<i32>,
    pub apheresis_12m_as_of: Option<NaiveDate>,
    pub adverse_reaction_before: bool,
    pub vaccination_time: Option<NaiveTime>,
}

impl DonorValues {
    /// The donor as stored with these answers: `id`, and `created_at` when first stored.
    pub fn stored_as(self, id: i64, created_at: NaiveDateTime) -> DonorRow {
        DonorRow {
            id,
            phone: self.phone,
            name: self.name,
            email: self.email,
            birth_date: self.birth_date,
            sex: self.sex,
            weight_kg: self.weight_kg,
            blood_type: self.blood_type,
            vaccination_date: self.vaccination_date,
            vaccine_type: self.vaccine_type,
            created_at,
            updated_at: self.updated_at,
            apheresis_12m_count: self.apheresis_12m_count,
            apheresis_12m_volume_ml: self.apheresis_12m_volume_ml,
            apheresis_12m_as_of: self.apheresis_12m_as_of,
            adverse_reaction_before: self.adverse_reaction_before,
            vaccination_time: self.vaccination_time,
        }
    }
}

pub fn find_by_phone(conn: &mut DbConnection, phone: &str) -> QueryResult<Option<DonorRow>> {
    super::on_backend!(conn, |c| donors::table
        .filter(donors::phone.eq(phone))
        .select(DonorRow::as_select())
        .load(c))
    .map(super::single)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<DonorRow> {
    donors::table
        .find(id)
        .select(DonorRow::as_select())
        .get_result(conn)
}
