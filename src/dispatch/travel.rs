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
