//! Sites: the communities (社区) and villages (村) a bloodmobile visits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RegistryError;
use super::fields::{check_coordinates, check_text, ensure_station, optional_text};
use crate::db::registry::{self, SiteRow, SiteValues};
use crate::db::{DbConnection, stored_instant};
use crate::domain::donor::PhoneNumber;
use crate::domain::{FieldError, variant_named};

/// A site as a dispatcher enters it. On a change every field is optional.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFields {
    pub station_id: Option<i64>,
    // Read as text, so that another word gets a field-level error.
    #[schema(value_type = Option<SiteKind>)]
    pub kind: Option<String>,
    pub district: Option<String>,
    pub township: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub active: Option<bool>,
}

/// A community (社区) or a village (村): the words a site's `kind` may be, for the check and
/// the API document alike.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Community,
    Village,
}

/// `kind` must name a [`SiteKind`].
pub fn check_kind(kind: &str) -> Result<(), FieldError> {
    if variant_named::<SiteKind>(kind).is_some() {
        Ok(())
    } else {
        Err(FieldError::new(
            "kind",
            "invalid_kind",
            "community or village",
        ))
    }
}

impl SiteFields {
    /// Applies the given fields over `base` (none for a new site) and checks the result.
    pub fn merge(
        self,
        base: Option<&SiteRow>,
        now: DateTime<Utc>,
    ) -> Result<SiteValues, FieldError> {
        let required = |value: Option<String>, old: Option<&String>, field: &str| {
            value
                .or_else(|| old.cloned())
                .map(|v| v.trim().to_string())
                .ok_or_else(|| FieldError::new(field, "required", "is required"))
        };
        let number = |value: Option<f64>, old: Option<f64>, field: &str| {
            value
                .or(old)
                .ok_or_else(|| FieldError::new(field, "required", "is required"))
        };
        let kind = required(self.kind, base.map(|b| &b.kind), "kind")?;
        check_kind(&kind)?;
        let values = SiteValues {
            station_id: self
                .station_id
                .or(base.map(|b| b.station_id))
                .ok_or_else(|| FieldError::new("station_id", "required", "is required"))?,
            kind,
            district: required(self.district, base.map(|b| &b.district), "district")?,
            township: required(self.township, base.map(|b| &b.township), "township")?,
            name: required(self.name, base.map(|b| &b.name), "name")?,
            address: required(self.address, base.map(|b| &b.address), "address")?,
            lat: number(self.lat, base.map(|b| b.lat), "lat")?,
            lon: number(self.lon, base.map(|b| b.lon), "lon")?,
            contact_name: optional_text(
                self.contact_name,
                base.and_then(|b| b.contact_name.clone()),
            ),
            contact_phone: optional_text(
                self.contact_phone,
                base.and_then(|b| b.contact_phone.clone()),
            ),
            active: self.active.or(base.map(|b| b.active)).unwrap_or(true),
            updated_at: stored_instant(now),
        };
        check_text("district", &values.district, 1, 64)?;
        check_text("township", &values.township, 1, 64)?;
        check_text("name", &values.name, 1, 100)?;
        check_text("address", &values.address, 1, 200)?;
        check_coordinates("", values.lat, values.lon)?;
        if let Some(name) = &values.contact_name {
            check_text("contact_name", name, 1, 64)?;
        }
        let contact_phone = match &values.contact_phone {
            Some(phone) => Some(
                PhoneNumber::parse(phone, "contact_phone")?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        Ok(SiteValues {
            contact_phone,
            ..values
        })
    }
}

/// Adds a site to a station.
pub fn create(
    conn: &mut DbConnection,
    fields: SiteFields,
    now: DateTime<Utc>,
) -> Result<SiteRow, RegistryError> {
    let values = fields.merge(None, now)?;
    ensure_station(conn, values.station_id)?;
    Ok(registry::insert_site(conn, &values)?)
}

/// Changes a site; absent fields stay as they are.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    fields: SiteFields,
    now: DateTime<Utc>,
) -> Result<SiteRow, RegistryError> {
    let not_found = || RegistryError::NotFound {
        what: "site",
        field: "id",
        id,
    };
    let current = registry::find_site(conn, id)?.ok_or_else(not_found)?;
    let values = fields.merge(Some(&current), now)?;
    ensure_station(conn, values.station_id)?;
    registry::update_site(conn, id, &values)?.ok_or_else(not_found)
}
