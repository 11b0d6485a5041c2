//! When a window is full: the nearest choices that still have room — the same site in another
//! window that day, nearby sites in the same window, the same site on the days around it.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::BookingError;
use super::create::site_context;
use super::seats::{Wanted, seats_left};
use crate::db::registry::{self, SiteFilter};
use crate::db::{DbConnection, plans};
use crate::domain::donation::DonationKind;
use crate::routing::GeoPoint;
use crate::routing::matrix::haversine_m;

/// A choice with room.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Alternative {
    pub site_id: i64,
    pub site_name: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub window: String,
    pub seats_left: u32,
    /// Distance from the site asked for, in km.
    pub distance_km: f64,
}

/// How many choices are offered.
const OFFERED: usize = 6;
/// Nearby sites considered, and how near they must be.
const NEARBY_SITES: usize = 5;
const NEARBY_KM: f64 = 15.0;
/// Days before and after the one asked for.
const DAYS_AROUND: u64 = 7;
/// Seats counted at most per choice.
const CAP: u32 = 99;

/// Up to six choices with room for a donor of `kind` who asked for `site_id` on `date` in
/// `window`, nearest first.
pub fn alternatives(
    conn: &mut DbConnection,
    site_id: i64,
    date: NaiveDate,
    window: &str,
    kind: DonationKind,
    now: DateTime<Utc>,
) -> Result<Vec<Alternative>, BookingError> {
    let home = site_context(conn, site_id, "site_id")?;
    let station = home.station.clone();
    let here = GeoPoint {
        lon: home.site.lon,
        lat: home.site.lat,
    };
    let windows: Vec<String> = station
        .booking
        .windows
        .iter()
        .map(|w| w.name.clone())
        .collect();
    let mut candidates: Vec<(i64, NaiveDate, String)> = Vec::new();
    for w in windows.iter().filter(|w| *w != window) {
        candidates.push((site_id, date, w.clone()));
    }
    let (nearby, _) = registry::search_sites(
        conn,
        &SiteFilter {
            station_id: Some(station.id),
            ..SiteFilter::default()
        },
        2000,
        0,
    )?;
    let mut nearby: Vec<(f64, i64)> = nearby
        .iter()
        .filter(|s| s.id != site_id)
        .map(|s| {
            (
                haversine_m(
                    here,
                    GeoPoint {
                        lon: s.lon,
                        lat: s.lat,
                    },
                ) / 1000.0,
                s.id,
            )
        })
        .filter(|(km, _)| *km <= NEARBY_KM)
        .collect();
    nearby.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, other) in nearby.iter().take(NEARBY_SITES) {
        candidates.push((*other, date, window.to_string()));
    }
    for step in 1..=DAYS_AROUND {
        for day in [
            date.checked_sub_days(Days::new(step)),
            date.checked_add_days(Days::new(step)),
        ]
        .into_iter()
        .flatten()
        {
            candidates.push((site_id, day, window.to_string()));
            for w in windows.iter().filter(|w| *w != window) {
                candidates.push((site_id, day, w.clone()));
            }
        }
    }
    let mut found = Vec::new();
    for (candidate, day, w) in candidates {
        if found.len() >= OFFERED {
            break;
        }
        let context = if candidate == site_id {
            home.clone()
        } else {
            site_context(conn, candidate, "site_id")?
        };
        let Some(index) = context.station.window_index(&w) else {
            continue;
        };
        if context
            .station
            .booking
            .check_bookable(now, day, &w)
            .is_err()
        {
            continue;
        }
        let plan = plans::latest(conn, context.station.id, day)?;
        let wanted = Wanted {
            date: day,
            window_index: index,
            kind,
        };
        let seats = seats_left(conn, &context, plan.as_ref(), wanted, CAP, now)?;
        if seats > 0 {
            let km = haversine_m(
                here,
                GeoPoint {
                    lon: context.site.lon,
                    lat: context.site.lat,
                },
            ) / 1000.0;
            found.push(Alternative {
                site_id: candidate,
                site_name: context.site.name.clone(),
                date: day,
                window: w,
                seats_left: seats,
                distance_km: (km * 10.0).round() / 10.0,
            });
        }
    }
    Ok(found)
}
