//! Seats left per day and window, as donors see them when choosing a slot.

use std::collections::HashMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::BookingError;
use super::create::site_context;
use crate::db::DbConnection;
use crate::db::bookings;
use crate::domain::FieldError;

/// One window of one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowAvailability {
    pub window: String,
    /// Start of the window, RFC 3339 with the station's offset.
    #[schema(value_type = String, format = DateTime)]
    pub start: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub end: DateTime<FixedOffset>,
    /// Seats a new booking can still take now (0 when the window is not open for booking).
    pub seats_left: u32,
    /// Seats the active fleet offers in this window.
    pub capacity: u32,
    /// Whether the window can be booked now (inside the horizon, before the cut-off).
    pub open: bool,
    /// Why a window is closed: "outside_horizon" or "after_cutoff".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<&'static str>,
}

/// One day at a site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayAvailability {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub windows: Vec<WindowAvailability>,
}

/// Longest range one availability request may cover.
pub const MAX_AVAILABILITY_DAYS: i64 = 62;

/// Availability of a site's station over `from..=to`; `from` defaults to the first bookable day
/// and `to` to two weeks after `from`.
pub fn site_availability(
    conn: &mut DbConnection,
    site_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Vec<DayAvailability>, BookingError> {
    let context = site_context(conn, site_id, "site_id")?;
    let station = &context.station;
    let from = from.unwrap_or_else(|| station.booking.bookable_range(now).0);
    let to = to.unwrap_or(from + Days::new(13));
    if to < from {
        return Err(FieldError::new("to", "invalid_range", "must not be before from").into());
    }
    if (to - from).num_days() > MAX_AVAILABILITY_DAYS {
        let message = format!("at most {MAX_AVAILABILITY_DAYS} days after from");
        return Err(FieldError::new("to", "invalid_range", message).into());
    }
    let seats = station.seats_per_window(&context.fleet);
    let taken: HashMap<(NaiveDate, String), i64> =
        bookings::counts_by_slot(conn, station.id, from, to)?
            .into_iter()
            .map(|(date, window, count)| ((date, window), count))
            .collect();
    let days = from.iter_days().take_while(|d| *d <= to);
    Ok(days
        .map(|date| DayAvailability {
            date,
            windows: station
                .booking
                .windows
                .iter()
                .zip(&seats)
                .map(|(window, &capacity)| {
                    let (start, end) = station.booking.window_interval(date, window);
                    let used = taken
                        .get(&(date, window.name.clone()))
                        .copied()
                        .unwrap_or(0);
                    let left = u32::try_from((i64::from(capacity) - used).max(0)).unwrap_or(0);
                    let closed = station
                        .booking
                        .check_bookable(now, date, &window.name)
                        .err();
                    WindowAvailability {
                        window: window.name.clone(),
                        start: start.fixed_offset(),
                        end: end.fixed_offset(),
                        seats_left: if closed.is_some() { 0 } else { left },
                        capacity,
                        open: closed.is_none(),
                        closed_reason: closed.map(|e| e.code()),
                    }
                })
                .collect(),
        })
        .collect())
}
