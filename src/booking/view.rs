//! How a booking is shown to its owner: instants in the station's offset (RFC 3339).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::bookings::BookingRow;
use crate::db::donors::DonorRow;
use crate::db::registry::SiteRow;
use crate::station::Station;

/// The site of a booking, enough to find the bloodmobile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SiteSummary {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub district: String,
    pub township: String,
    pub address: String,
}

/// The donor as the booking's owner sees them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DonorSummary {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
}

/// When the donor should be at the gate: from the bloodmobile's arrival (less the station's
/// lead) until it leaves, in the station's offset.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArrivalWindow {
    #[schema(value_type = String, format = DateTime)]
    pub from: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub to: DateTime<FixedOffset>,
}

/// A booking as returned by the API. `manage_token` is present only in the create response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookingDetails {
    /// Short human-friendly reference, e.g. "K7Q9-XMT4".
    pub reference: String,
    /// Secret for viewing, rescheduling and cancelling; shown once, stored only as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<String>,
    /// "confirmed" or "cancelled".
    pub status: String,
    pub station_id: i64,
    pub site_id: i64,
    pub site: SiteSummary,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub window: String,
    /// Start of the booked window, RFC 3339 with the station's offset.
    #[schema(value_type = String, format = DateTime)]
    pub window_start: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub window_end: DateTime<FixedOffset>,
    pub kind: String,
    pub volume_ml: i32,
    pub language: String,
    pub donor: DonorSummary,
    /// Path of this booking for GET, PATCH and DELETE with the manage token.
    pub manage_path: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<DateTime<FixedOffset>>,
    /// Null until a plan with this booking is published.
    pub arrival_window: Option<ArrivalWindow>,
    /// The published plan version the arrival window comes from.
    pub plan_version: Option<i32>,
    /// donated, deferred or no_show, once recorded.
    pub outcome: Option<String>,
}

/// A stored UTC instant in the station's zone.
pub fn local_instant(tz: Tz, at: NaiveDateTime) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&at).with_timezone(&tz).fixed_offset()
}

impl BookingDetails {
    pub fn build(
        station: &Station,
        booking: &BookingRow,
        site: &SiteRow,
        donor: &DonorRow,
        manage_token: Option<String>,
    ) -> BookingDetails {
        let tz = station.tz;
        let (window_start, window_end) = match station.booking.window(&booking.time_window) {
            Some(window) => {
                let (start, end) = station
                    .booking
                    .window_interval(booking.service_date, window);
                (start.fixed_offset(), end.fixed_offset())
            }
            // A window since removed from the station's configuration: show the day.
            None => {
                let midnight = booking.service_date.and_hms_opt(0, 0, 0).expect("midnight");
                let start = local_instant(tz, midnight);
                (start, start)
            }
        };
        BookingDetails {
            reference: booking.reference.clone(),
            manage_token,
            status: booking.status.clone(),
            station_id: booking.station_id,
            site_id: booking.site_id,
            site: SiteSummary {
                id: site.id,
                name: site.name.clone(),
                kind: site.kind.clone(),
                district: site.district.clone(),
                township: site.township.clone(),
                address: site.address.clone(),
            },
            date: booking.service_date,
            window: booking.time_window.clone(),
            window_start,
            window_end,
            kind: booking.kind.clone(),
            volume_ml: booking.volume_ml,
            language: booking.language.clone(),
            donor: DonorSummary {
                name: donor.name.clone(),
                phone: donor.phone.clone(),
                email: donor.email.clone(),
            },
            manage_path: format!("/api/v1/bookings/{}", booking.reference),
            created_at: local_instant(tz, booking.created_at),
            updated_at: local_instant(tz, booking.updated_at),
            cancelled_at: booking.cancelled_at.map(|at| local_instant(tz, at)),
            arrival_window: booking
                .arrival_from
                .zip(booking.arrival_to)
                .filter(|_| booking.status == crate::db::bookings::CONFIRMED)
                .map(|(from, to)| ArrivalWindow {
                    from: local_instant(tz, from),
                    to: local_instant(tz, to),
                }),
            plan_version: booking.plan_version,
            outcome: booking.outcome.clone(),
        }
    }
}
