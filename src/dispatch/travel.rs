//! Drive times for a station's day: great-circle estimates from the station's settings, or an
//! OSRM `table` response named in them (read once per file change and kept in memory).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Deserialize;

use crate::routing::GeoPoint;
use crate::routing::matrix::{GreatCircle, Travel, TravelMatrix, haversine_m};
use crate::station::Station;

/// A waypoint OSRM snapped to the road further than this from a location is not that location.
const SNAP_METRES: f64 = 1_000.0;

/// An OSRM table and the points its rows stand for.
struct Table {
    matrix: TravelMatrix,
    points: Vec<GeoPoint>,
}

#[derive(Deserialize)]
struct Waypoints {
    sources: Option<Vec<Waypoint>>,
}

#[derive(Deserialize)]
struct Waypoint {
    location: [f64; 2],
}

type Cache = Mutex<HashMap<PathBuf, (Option<SystemTime>, Arc<Table>)>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Why the station's road matrix cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("travel matrix file {path}: {reason}")]
pub struct MatrixFileError {
    pub path: String,
    pub reason: String,
}

fn load_table(path: &str) -> Result<Arc<Table>, MatrixFileError> {
    let error = |reason: String| MatrixFileError {
        path: path.to_string(),
        reason,
    };
    let key = PathBuf::from(path);
    let modified = std::fs::metadata(&key).and_then(|m| m.modified()).ok();
    if let Some((seen, table)) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && *seen == modified
    {
        return Ok(table.clone());
    }
    let text = std::fs::read_to_string(&key).map_err(|e| error(e.to_string()))?;
    let matrix = TravelMatrix::from_osrm_table(&text).map_err(|e| error(e.to_string()))?;
    let waypoints: Waypoints = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
    let points: Vec<GeoPoint> = waypoints
        .sources
        .ok_or_else(|| error("no sources: the table must list its waypoints".into()))?
        .iter()
        .map(|w| GeoPoint {
            lon: w.location[0],
            lat: w.location[1],
        })
        .collect();
    if points.len() != matrix.size {
        return Err(error("sources and durations differ in size".into()));
    }
    let table = Arc::new(Table { matrix, points });
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, (modified, table.clone()));
    Ok(table)
}

/// Road times where the table has both ends, estimates elsewhere.
struct RoadTravel {
    table: Arc<Table>,
    row: Vec<Option<usize>>,
    estimate: GreatCircle,
}

impl Travel for RoadTravel {
    fn duration(&self, a: usize, b: usize) -> i64 {
        match (self.row[a], self.row[b]) {
            (Some(i), Some(j)) => self.table.matrix.duration(i, j),
            _ => self.estimate.duration(a, b),
        }
    }

    fn distance(&self, a: usize, b: usize) -> i64 {
        match (self.row[a], self.row[b]) {
            (Some(i), Some(j)) if self.table.matrix.distance(i, j) > 0 || i == j => {
                self.table.matrix.distance(i, j)
            }
            _ => self.estimate.distance(a, b),
        }
    }
}

/// Drive times among `points` for `station`: computed on demand, for a few lookups.
pub fn travel_for(
    station: &Station,
    points: Vec<GeoPoint>,
) -> Result<Box<dyn Travel + Send + Sync>, MatrixFileError> {
    let estimate = GreatCircle {
        points,
        detour_factor: station.travel.detour_factor,
        speed_kmh: station.travel.average_speed_kmh,
    };
    let Some(path) = &station.travel_matrix_file else {
        return Ok(Box::new(estimate));
    };
    let table = load_table(path)?;
    let row = estimate
        .points
        .iter()
        .map(|p| {
            table
                .points
                .iter()
                .enumerate()
                .map(|(i, q)| (i, haversine_m(*p, *q)))
                .filter(|(_, d)| *d <= SNAP_METRES)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        })
        .collect();
    Ok(Box::new(RoadTravel {
        table,
        row,
        estimate,
    }))
}

/// The whole matrix among `points`, for the planner.
pub fn matrix_for(
    station: &Station,
    points: Vec<GeoPoint>,
) -> Result<TravelMatrix, MatrixFileError> {
    let size = points.len();
    if station.travel_matrix_file.is_none() {
        return Ok(TravelMatrix::great_circle(
            &points,
            station.travel.detour_factor,
            station.travel.average_speed_kmh,
        ));
    }
    let travel = travel_for(station, points)?;
    let mut durations_s = vec![0; size * size];
    let mut distances_m = vec![0; size * size];
    for a in 0..size {
        for b in 0..size {
            durations_s[a * size + b] = travel.duration(a, b);
            distances_m[a * size + b] = travel.distance(a, b);
        }
    }
    Ok(TravelMatrix {
        size,
        durations_s,
        distances_m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An OSRM `table` answer for the depot and one site, written to a file of its own.
    fn table_file(name: &str, body: &str) -> String {
        let path = std::env::temp_dir().join(format!(
            "bloodmobile-osrm-{}-{name}.json",
            std::process::id()
        ));
        std::fs::write(&path, body).unwrap();
        path.to_string_lossy().into_owned()
    }

    const DEPOT: GeoPoint = GeoPoint {
        lon: 112.25,
        lat: 30.32,
    };
    const SITE: GeoPoint = GeoPoint {
        lon: 112.27,
        lat: 30.33,
    };
    /// Far from every waypoint of the table.
    const ELSEWHERE: GeoPoint = GeoPoint {
        lon: 112.40,
        lat: 30.40,
    };

    #[test]
    fn road_times_come_from_the_table_and_estimates_fill_the_rest() {
        // Waypoints snapped a few metres off the given points, as OSRM does.
        let path = table_file(
            "ok",
            r#"{"code": "Ok",
                "sources": [{"location": [112.2501, 30.3201]}, {"location": [112.2699, 30.3300]}],
                "durations": [[0, 611.6], [580.2, 0]],
                "distances": [[0, 4021.3], [3990, 0]]}"#,
        );
        let mut station = crate::station::sample_station();
        let estimate = matrix_for(&station, vec![DEPOT, SITE, ELSEWHERE]).unwrap();
        station.travel_matrix_file = Some(path.clone());
        let road = matrix_for(&station, vec![DEPOT, SITE, ELSEWHERE]).unwrap();
        assert_eq!((road.duration(0, 1), road.duration(1, 0)), (612, 580));
        assert_eq!((road.distance(0, 1), road.distance(1, 0)), (4021, 3990));
        assert_ne!(road.duration(0, 1), estimate.duration(0, 1));
        // A point the table does not know is estimated, as without a table.
        assert_eq!(road.duration(0, 2), estimate.duration(0, 2));
        assert_eq!(road.distance(2, 1), estimate.distance(2, 1));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn an_unusable_table_is_an_error_naming_the_file() {
        let mut station = crate::station::sample_station();
        for (name, body) in [
            (
                "no-sources",
                r#"{"code": "Ok", "durations": [[0, 1], [1, 0]]}"#,
            ),
            ("not-ok", r#"{"code": "NoTable"}"#),
            ("not-json", "durations"),
        ] {
            let path = table_file(name, body);
            station.travel_matrix_file = Some(path.clone());
            let error = matrix_for(&station, vec![DEPOT, SITE]).expect_err(name);
            assert_eq!(error.path, path, "{name}");
            std::fs::remove_file(path).unwrap();
        }
        station.travel_matrix_file = Some("/nonexistent/osrm.json".into());
        assert!(matrix_for(&station, vec![DEPOT]).is_err());
    }
}
