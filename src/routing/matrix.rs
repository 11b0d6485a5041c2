//! Travel times and distances between locations: great-circle estimates, or a road-network
//! matrix from an OSRM `table` response.

use serde::Deserialize;

/// Travel time given to unreachable pairs (OSRM `null`): ten days, so they are never used.
pub const UNREACHABLE_S: i64 = 10 * 24 * 3600;

/// A point on the Earth in degrees (WGS 84).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
}

/// Drive times and distances between numbered locations.
pub trait Travel {
    /// Seconds from `a` to `b`.
    fn duration(&self, a: usize, b: usize) -> i64;
    /// Metres from `a` to `b`.
    fn distance(&self, a: usize, b: usize) -> i64;
}

/// Great-circle estimates computed when asked, for a few lookups among many points (checking
/// one insertion into a stored plan) where a whole matrix would cost more than it saves.
#[derive(Clone, Debug)]
pub struct GreatCircle {
    /// The locations.
    pub points: Vec<GeoPoint>,
    /// Road distance over great-circle distance.
    pub detour_factor: f64,
    /// Average speed, km/h.
    pub speed_kmh: f64,
}

impl GreatCircle {
    fn metres(&self, a: usize, b: usize) -> f64 {
        haversine_m(self.points[a], self.points[b]) * self.detour_factor
    }

    /// The whole matrix, for the planner.
    pub fn matrix(&self) -> TravelMatrix {
        TravelMatrix::great_circle(&self.points, self.detour_factor, self.speed_kmh)
    }
}

impl Travel for GreatCircle {
    fn duration(&self, a: usize, b: usize) -> i64 {
        (self.metres(a, b) / (self.speed_kmh / 3.6)).round() as i64
    }

    fn distance(&self, a: usize, b: usize) -> i64 {
        self.metres(a, b).round() as i64
    }
}

impl Travel for TravelMatrix {
    fn duration(&self, a: usize, b: usize) -> i64 {
        TravelMatrix::duration(self, a, b)
    }

    fn distance(&self, a: usize, b: usize) -> i64 {
        TravelMatrix::distance(self, a, b)
    }
}

/// Square matrices over locations `0..size`, row-major: from row to column.
#[derive(Clone, Debug, PartialEq)]
pub struct TravelMatrix {
    /// Number of locations.
    pub size: usize,
    /// Travel time in seconds.
    pub durations_s: Vec<i64>,
    /// Travel distance in metres.
    pub distances_m: Vec<i64>,
}

/// Why an OSRM table could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// Not the JSON of a table response.
    #[error("OSRM table JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// `code` was not `Ok`.
    #[error("OSRM answered {0}")]
    NotOk(String),
    /// `durations` missing or not square.
    #[error("OSRM table is not a square matrix")]
    NotSquare,
    /// A time or distance below zero or beyond any road (more than a year, or a light-year).
    #[error("OSRM table holds {0}, which is no travel time or distance")]
    OutOfRange(f64),
}

/// Largest time (s) or distance (m) a table may hold: beyond it the table is not of roads.
const LARGEST: f64 = 1.0e9;

#[derive(Deserialize)]
struct OsrmTable {
    code: Option<String>,
    durations: Option<Vec<Vec<Option<f64>>>>,
    distances: Option<Vec<Vec<Option<f64>>>>,
}

impl TravelMatrix {
    /// Great-circle distance × `detour_factor`, driven at `speed_kmh`.
    pub fn great_circle(points: &[GeoPoint], detour_factor: f64, speed_kmh: f64) -> Self {
        let size = points.len();
        let mut durations_s = vec![0; size * size];
        let mut distances_m = vec![0; size * size];
        let metres_per_s = speed_kmh / 3.6;
        for (i, a) in points.iter().enumerate() {
            for (j, b) in points.iter().enumerate() {
                let d = haversine_m(*a, *b) * detour_factor;
                distances_m[i * size + j] = d.round() as i64;
                durations_s[i * size + j] = (d / metres_per_s).round() as i64;
            }
        }
        TravelMatrix {
            size,
            durations_s,
            distances_m,
        }
    }

    /// Parses an OSRM `table` service response (`durations` in seconds, optional
    /// `distances` in metres; `null` entries become [`UNREACHABLE_S`] / 0).
    pub fn from_osrm_table(json: &str) -> Result<Self, MatrixError> {
        let table: OsrmTable = serde_json::from_str(json)?;
        if let Some(code) = table.code.filter(|c| c != "Ok") {
            return Err(MatrixError::NotOk(code));
        }
        let durations = table.durations.ok_or(MatrixError::NotSquare)?;
        let size = durations.len();
        let flatten = |rows: &[Vec<Option<f64>>], missing: i64| -> Result<Vec<i64>, MatrixError> {
            if rows.len() != size || rows.iter().any(|r| r.len() != size) {
                return Err(MatrixError::NotSquare);
            }
            rows.iter()
                .flatten()
                .map(|v| match v {
                    None => Ok(missing),
                    Some(x) if (0.0..=LARGEST).contains(x) => Ok(x.round() as i64),
                    Some(x) => Err(MatrixError::OutOfRange(*x)),
                })
                .collect()
        };
        let durations_s = flatten(&durations, UNREACHABLE_S)?;
        let distances_m = match table.distances {
            Some(d) => flatten(&d, 0)?,
            None => vec![0; size * size],
        };
        Ok(TravelMatrix {
            size,
            durations_s,
            distances_m,
        })
    }

    /// Seconds from `a` to `b`.
    pub fn duration(&self, a: usize, b: usize) -> i64 {
        self.durations_s[a * self.size + b]
    }

    /// Metres from `a` to `b`.
    pub fn distance(&self, a: usize, b: usize) -> i64 {
        self.distances_m[a * self.size + b]
    }
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn haversine_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_m(
            GeoPoint {
                lon: 112.0,
                lat: 30.0,
            },
            GeoPoint {
                lon: 112.0,
                lat: 31.0,
            },
        );
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
    }

    #[test]
    fn great_circle_applies_detour_and_speed() {
        let pts = [
            GeoPoint {
                lon: 112.0,
                lat: 30.0,
            },
            GeoPoint {
                lon: 112.0,
                lat: 30.1,
            },
        ];
        let m = TravelMatrix::great_circle(&pts, 1.5, 36.0);
        assert_eq!(m.duration(0, 0), 0);
        let d = m.distance(0, 1) as f64;
        assert!((d - 1.5 * 11_119.5).abs() < 5.0);
        assert_eq!(m.duration(0, 1), (d / 10.0).round() as i64);
    }

    #[test]
    fn lazy_great_circle_agrees_with_the_matrix() {
        let points = vec![
            GeoPoint {
                lon: 112.0,
                lat: 30.0,
            },
            GeoPoint {
                lon: 112.3,
                lat: 30.2,
            },
            GeoPoint {
                lon: 111.9,
                lat: 30.4,
            },
        ];
        let lazy = GreatCircle {
            points: points.clone(),
            detour_factor: 1.3,
            speed_kmh: 30.0,
        };
        let full = lazy.matrix();
        for a in 0..3 {
            for b in 0..3 {
                assert_eq!(Travel::duration(&lazy, a, b), full.duration(a, b));
                assert_eq!(Travel::distance(&lazy, a, b), full.distance(a, b));
            }
        }
    }

    #[test]
    fn parses_osrm_table_with_nulls() {
        let json =
            r#"{"code":"Ok","durations":[[0,12.4],[null,0]],"distances":[[0,100.6],[90,0]]}"#;
        let m = TravelMatrix::from_osrm_table(json).unwrap();
        assert_eq!(m.size, 2);
        assert_eq!(m.duration(0, 1), 12);
        assert_eq!(m.duration(1, 0), UNREACHABLE_S);
        assert_eq!(m.distance(0, 1), 101);
        assert!(TravelMatrix::from_osrm_table(r#"{"code":"NoRoute"}"#).is_err());
        assert!(TravelMatrix::from_osrm_table(r#"{"durations":[[0,1]]}"#).is_err());
    }
}
