//! What happened on the day, recorded by a dispatcher: a donation joins the donor's history,
//! which every later eligibility check reads, and the donor may book again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::BookingError;
use crate::db::bookings::{self, CONFIRMED};
use crate::db::schema::{bookings as booking_rows, donations};
use crate::db::{DbConnection, registry, stored_instant, write_transaction};
use crate::domain::reference::normalise_reference;
use crate::station::Station;

/// A booking's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Donated,
    Deferred,
    NoShow,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Donated => "donated",
            Outcome::Deferred => "deferred",
            Outcome::NoShow => "no_show",
        }
    }
}

/// Records (or corrects) the outcome of a booking whose day has come.
pub fn record_outcome(
    conn: &mut DbConnection,
    reference: &str,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<bookings::BookingRow, BookingError> {
    let not_found = || BookingError::NotFound {
        what: "booking",
        field: "reference",
        id: reference.to_string(),
    };
    let reference = normalise_reference(reference).ok_or_else(not_found)?;
    write_transaction(conn, |conn| {
        let booking = bookings::find_by_reference(conn, &reference)?.ok_or_else(not_found)?;
        if booking.status != CONFIRMED {
            return Err(BookingError::Cancelled);
        }
        let station_row =
            registry::find_station(conn, booking.station_id)?.ok_or_else(not_found)?;
        let station = Station::from_row(&station_row)?;
        let today = station.booking.local_today(now);
        if booking.service_date > today {
            return Err(BookingError::NotYet {
                date: booking.service_date,
            });
        }
        let at = stored_instant(now);
        diesel::delete(donations::table.filter(donations::booking_id.eq(Some(booking.id))))
            .execute(conn)?;
        if outcome == Outcome::Donated {
            diesel::insert_into(donations::table)
                .values((
                    donations::donor_id.eq(booking.donor_id),
                    donations::booking_id.eq(Some(booking.id)),
                    donations::donated_on.eq(booking.service_date),
                    donations::kind.eq(&booking.kind),
                    donations::volume_ml.eq(booking.volume_ml),
                    donations::created_at.eq(at),
                ))
                .execute(conn)?;
            crate::notices::outbox::thank_you(conn, &booking, now)?;
        }
        Ok(diesel::update(booking_rows::table.find(booking.id))
            .set((
                booking_rows::outcome.eq(Some(outcome.as_str())),
                booking_rows::outcome_at.eq(Some(at)),
                booking_rows::updated_at.eq(at),
            ))
            .returning(booking_rows::all_columns)
            .get_result(conn)?)
    })
}
