//! Finding one's community or village, and its coming days and windows.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::api::AppState;
use crate::booking::{self, DayAvailability};
use crate::db::registry::{self, SiteFilter, SiteRow};
use crate::web::page::{PageError, Ui, ok};

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub district: Option<String>,
}

#[derive(Template)]
#[template(path = "donor/start.html")]
struct StartPage {
    ui: Ui,
    q: String,
    district: String,
    districts: Vec<String>,
    /// None before a search.
    results: Option<Vec<SiteRow>>,
    total: i64,
}

/// Results shown at most on one page.
const RESULTS: i64 = 50;

/// The donor's start page: search by name, filter by district.
#[get("/")]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let q: String = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    let district: String = query
        .district
        .unwrap_or_default()
        .chars()
        .take(64)
        .collect();
    let searching = !q.is_empty() || !district.is_empty();
    let filter = SiteFilter {
        q: Some(q.clone()),
        district: Some(district.clone()),
        station_id: None,
        kind: None,
        include_inactive: false,
    };
    let (districts, found) = state
        .db
        .run(move |conn| {
            let districts = registry::districts(conn)?;
            let found = if searching {
                Some(registry::search_sites(conn, &filter, RESULTS, 0)?)
            } else {
                None
            };
            Ok::<_, PageError>((districts, found))
        })
        .await?;
    let total = found.as_ref().map_or(0, |(_, total)| *total);
    Ok(ok(&StartPage {
        ui: Ui::new(&req),
        q,
        district,
        districts,
        results: found.map(|(rows, _)| rows),
        total,
    }))
}

#[derive(Template)]
#[template(path = "donor/site.html")]
struct SitePage {
    ui: Ui,
    site: SiteRow,
    station: String,
    days: Vec<DayAvailability>,
}

/// A site's coming days and windows with the seats left; each open window links to its form.
#[get("/sites/{id}")]
pub async fn site(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (site, station, days) = state
        .db
        .run(move |conn| {
            let Some((site, station)) = registry::find_site_with_station(conn, id)? else {
                return Err(PageError::NotFound);
            };
            if !site.active {
                return Err(PageError::NotFound);
            }
            let days = booking::site_availability(conn, id, None, None, Utc::now())
                .map_err(|_| PageError::Unavailable)?;
            Ok((site, station.name, days))
        })
        .await?;
    // Days on which nothing can be booked are left out.
    let days = days
        .into_iter()
        .filter(|d| d.windows.iter().any(|w| w.open))
        .collect();
    Ok(ok(&SitePage {
        ui: Ui::new(&req),
        site,
        station,
        days,
    }))
}
