//! Demo data: a Jingzhou-like region (station, districts, communities and villages, fleet and a
//! week of bookings) for `bloodmobile serve --demo`.
//!
//! Pure and deterministic: [`jingzhou`] does no I/O and returns the same region for the same
//! seed and dates. The loader pushes every booking through the real booking rules, so the data
//! is drawn to pass them (ages, weights, intervals since the last donation, capacity).

mod bookings;
mod fleet;
pub mod load;
mod people;
mod places;
mod rng;
#[cfg(test)]
mod tests;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use self::people::PhoneBook;
use self::rng::DemoRng;

/// The whole demo region, ready to load into an empty database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoRegion {
    /// The blood station that owns everything below.
    pub station: DemoStation,
    /// The 8 districts and counties, with their seats.
    pub districts: Vec<DemoDistrict>,
    /// Communities and villages a bloodmobile can visit.
    pub sites: Vec<DemoSite>,
    /// The station's bloodmobiles.
    pub vehicles: Vec<DemoVehicle>,
    /// Donor bookings over the requested days; `site_index` points into `sites`.
    pub bookings: Vec<DemoBooking>,
}

/// The blood station and its depot, where every route starts and ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoStation {
    /// Display name: 荆州市中心血站.
    pub name: &'static str,
    /// IANA time zone of the station's service days and windows.
    pub time_zone: &'static str,
    /// Name of the depot the bloodmobiles leave from.
    pub depot_name: &'static str,
    /// Postal address of the depot.
    pub depot_address: &'static str,
    /// Depot latitude, WGS 84 degrees.
    pub depot_lat: f64,
    /// Depot longitude, WGS 84 degrees.
    pub depot_lon: f64,
}

/// A district (区) or county-level division (县/市) of Jingzhou.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoDistrict {
    /// Name, e.g. 沙市区 or 公安县.
    pub name: &'static str,
    /// Latitude of its seat of government, WGS 84 degrees.
    pub lat: f64,
    /// Longitude of its seat of government, WGS 84 degrees.
    pub lon: f64,
}

/// Whether a site is an urban community or a rural village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    /// An urban residential community (社区), run by a residents' committee.
    Community,
    /// A village (村), run by a villagers' committee.
    Village,
}

impl SiteKind {
    /// The API's spelling: `"community"` or `"village"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Community => "community",
            SiteKind::Village => "village",
        }
    }
}

/// A community or village that donors book and a bloodmobile visits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoSite {
    /// Community or village.
    pub kind: SiteKind,
    /// District or county name, one of [`DemoRegion::districts`].
    pub district: &'static str,
    /// Sub-district (街道), town (镇) or township (乡).
    pub township: &'static str,
    /// Name, unique within its township, e.g. 便河社区 or 三湾村.
    pub name: String,
    /// Postal address of the residents' or villagers' committee.
    pub address: String,
    /// Latitude, WGS 84 degrees.
    pub lat: f64,
    /// Longitude, WGS 84 degrees.
    pub lon: f64,
    /// The organiser at the committee.
    pub contact_name: String,
    /// The organiser's 11-digit Chinese mobile number (unique in the region).
    pub contact_phone: String,
}

/// A bloodmobile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoVehicle {
    /// Friendly name, e.g. 荆州1号采血车.
    pub name: String,
    /// Licence plate, e.g. 鄂D·A1234 (鄂D is Jingzhou).
    pub plate: &'static str,
    /// Donors it can bleed at once.
    pub beds: u16,
    /// Bag stock: donors it can take in one day.
    pub donors_per_day: u16,
    /// Local time the crew starts (leaves the depot).
    pub shift_start: NaiveTime,
    /// Local time the crew must be back at the depot.
    pub shift_end: NaiveTime,
    /// Donation kinds it collects: `whole_blood`, `platelets`, `plasma`.
    pub kinds: Vec<&'static str>,
}

/// One donor's booking, in the shape of `POST /api/v1/bookings`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoBooking {
    /// Index into [`DemoRegion::sites`].
    pub site_index: usize,
    /// Local service day.
    pub date: NaiveDate,
    /// Half-day window: `morning` or `afternoon`.
    pub window: &'static str,
    /// Donation kind: `whole_blood`, `platelets` or `plasma`.
    pub kind: &'static str,
    /// Planned volume: 200/300/400 for whole blood, 250 for platelets, 400 for plasma.
    pub volume_ml: u16,
    /// Language of the donor's notices: `zh-CN`, a few `en`.
    pub language: &'static str,
    /// Who is booking.
    pub donor: DemoDonor,
}

/// The donor of a booking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoDonor {
    /// Full name as written: Chinese for most, Latin for `en` donors.
    pub name: String,
    /// 11-digit Chinese mobile number, unique in the region.
    pub phone: String,
    /// E-mail at a reserved example domain, for some donors.
    pub email: Option<String>,
    /// Date of birth: aged 19–54 on the first demo day.
    pub birth_date: NaiveDate,
    /// `male` or `female`.
    pub sex: &'static str,
    /// Body weight in kilograms (men 55–90, women 47–75).
    pub weight_kg: u16,
    /// ABO/Rh group such as `A+` or `O-`, if known.
    pub blood_type: Option<&'static str>,
    /// The previous donation, if any; always far enough back to allow this booking.
    pub last_donation: Option<DemoLastDonation>,
}

/// A donor's previous donation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoLastDonation {
    /// Day of the donation.
    pub date: NaiveDate,
    /// Kind donated: `whole_blood`, `platelets` or `plasma`.
    pub kind: &'static str,
}

/// The Jingzhou demo region with bookings on `days` days from `first_day`, entirely determined
/// by `seed`.
pub fn jingzhou(seed: u64, first_day: NaiveDate, days: u32) -> DemoRegion {
    // Separate streams, so changing how bookings are drawn leaves the sites where they were.
    let mut site_rng = DemoRng::new(seed ^ 0x5173_5173_0000_0001);
    let mut booking_rng = DemoRng::new(seed ^ 0xB00C_0000_0000_0002);
    let mut phones = PhoneBook::default();

    let sites = places::sites(&mut site_rng, &mut phones);
    let vehicles = fleet::vehicles();
    let bookings = bookings::bookings(
        &mut booking_rng,
        &mut phones,
        &bookings::BookingInputs {
            sites: &sites,
            vehicles: &vehicles,
            first_day,
            days,
        },
    );
    DemoRegion {
        station: DemoStation {
            name: "荆州市中心血站",
            time_zone: "Asia/Shanghai",
            depot_name: "荆州市中心血站采血车基地",
            depot_address: "荆州市沙市区北京中路",
            depot_lat: 30.32,
            depot_lon: 112.25,
        },
        districts: places::districts(),
        sites,
        vehicles,
        bookings,
    }
}
