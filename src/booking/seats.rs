//! Seats left in a site-day-window: before a day has a plan, the station's seat rule; once it
//! has one, how many more donors its routes can take there (the same check a booking passes).

use chrono::{DateTime, NaiveDate, Utc};

use super::BookingError;
use super::create::SiteContext;
use crate::db::plans::PlanRow;
use crate::db::{DbConnection, bookings};
use crate::dispatch::placement;
use crate::domain::donation::DonationKind;

/// A slot of a site and the kind of donor asking for it.
pub(super) struct Wanted {
    pub date: NaiveDate,
    pub window_index: usize,
    pub kind: DonationKind,
}

/// Donors of the wanted kind the slot can still take now, at most `cap` (0 when it is closed).
pub(super) fn seats_left(
    conn: &mut DbConnection,
    context: &SiteContext,
    plan: Option<&PlanRow>,
    wanted: Wanted,
    cap: u32,
    now: DateTime<Utc>,
) -> Result<u32, BookingError> {
    let Wanted {
        date,
        window_index,
        kind,
    } = wanted;
    let station = &context.station;
    let window = &station.booking.windows[window_index].name;
    if station.booking.check_bookable(now, date, window).is_err()
        || !crate::domain::capacity::kind_offered(&context.fleet, kind)
        || !station.collects(kind, date)
    {
        return Ok(0);
    }
    Ok(match plan {
        Some(plan) => placement::room_for(conn, station, plan, context.site.id, window, kind, cap)?,
        None if !context.reaches(date, window_index, kind) => 0,
        None => {
            let booked = bookings::booked_by_day(conn, station.id, date, date)?
                .remove(&date)
                .unwrap_or_default();
            station.room(
                &context.fleet,
                window_index,
                context.site.id,
                &booked,
                kind,
                cap,
            )
        }
    })
}
