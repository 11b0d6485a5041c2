//! Seats left per day and window, as donors see them when choosing a slot.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::BookingError;
use super::create::site_context;
use super::seats::{Wanted, seats_left};
use crate::db::DbConnection;
use crate::db::{bookings, plans};
use crate::domain::FieldError;
use crate::domain::donation::{DonationKind, KindCounts};

/// One window of one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowAvailability {
    pub window: String,
    /// Start of the window, RFC 3339 with the station's offset.
    #[schema(value_type = String, format = DateTime)]
    pub start: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub end: DateTime<FixedOffset>,
    /// Whole-blood seats a new booking can still take now (0 when the window is not open).
    pub seats_left: u32,
    /// Donors of each kind the window can still take now (apheresis takes longer, and only
    /// some bloodmobiles collect it).
    pub seats_left_by_kind: KindCounts,
    /// Whole-blood donors one site could book in this window were it empty.
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

/// Seats counted at most per window.
const CAP: u32 = 999;

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
    let booked = bookings::booked_by_day(conn, station.id, from, to)?;
    let planned = plans::latest_per_day(conn, station.id, from, to)?;
    let none = bookings::BookedDay::default();
    let site_id = context.site.id;
    let days = from.iter_days().take_while(|d| *d <= to);
    let mut result: Vec<DayAvailability> = days
        .map(|date| DayAvailability {
            date,
            windows: station
                .booking
                .windows
                .iter()
                .enumerate()
                .map(|(index, window)| {
                    let (start, end) = station.booking.window_interval(date, window);
                    let fleet = &context.fleet;
                    let capacity =
                        station.room(fleet, index, site_id, &none, DonationKind::WholeBlood, CAP);
                    let day = booked.get(&date).unwrap_or(&none);
                    let closed = station
                        .booking
                        .check_bookable(now, date, &window.name)
                        .err();
                    let mut left = KindCounts::default();
                    if closed.is_none() {
                        for kind in DonationKind::ALL
                            .into_iter()
                            .filter(|k| station.collects(*k, date))
                        {
                            *left.get_mut(kind) = if context.reaches(date, index, kind) {
                                station.room(fleet, index, site_id, day, kind, CAP)
                            } else {
                                0
                            };
                        }
                    }
                    WindowAvailability {
                        window: window.name.clone(),
                        start: start.fixed_offset(),
                        end: end.fixed_offset(),
                        seats_left: left.whole_blood,
                        seats_left_by_kind: left,
                        capacity,
                        open: closed.is_none(),
                        closed_reason: closed.map(|e| e.code()),
                    }
                })
                .collect(),
        })
        .collect();
    // A planned day offers what its routes can still take.
    for day in &mut result {
        let Some(plan) = planned.get(&day.date) else {
            continue;
        };
        for (index, window) in day.windows.iter_mut().enumerate() {
            if !window.open {
                continue;
            }
            for kind in DonationKind::ALL {
                let cap = window.capacity.max(1);
                *window.seats_left_by_kind.get_mut(kind) = seats_left(
                    conn,
                    &context,
                    Some(plan),
                    Wanted {
                        date: day.date,
                        window_index: index,
                        kind,
                    },
                    cap,
                    now,
                )?;
            }
            window.seats_left = window.seats_left_by_kind.whole_blood;
        }
    }
    Ok(result)
}
