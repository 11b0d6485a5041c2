//! Best-known solutions: `bks.csv` (DIMACS-convention distances) and `bks_details.csv`
//! (the same routes re-measured in double precision, with a feasibility flag).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::bench::solomon::Convention;

/// The `convention` value of the DIMACS rows.
const DIMACS: &str = "dimacs2021_distance_only_trunc1";

/// Reference distances by upper-case instance name.
#[derive(Clone, Debug, Default)]
pub struct BestKnown {
    by_instance: HashMap<String, f64>,
}

impl BestKnown {
    /// The reference distance of `instance`, if any.
    pub fn get(&self, instance: &str) -> Option<f64> {
        self.by_instance
            .get(&instance.to_ascii_uppercase())
            .copied()
    }

    /// Loads the references for `convention` from `bks_csv` (and, for exact distances, the
    /// `bks_details.csv` beside it).
    pub fn load(bks_csv: &Path, convention: Convention) -> anyhow::Result<Self> {
        let (path, column) = match convention {
            Convention::Dimacs => (bks_csv.to_path_buf(), "bks_distance"),
            Convention::Exact => (
                bks_csv.with_file_name("bks_details.csv"),
                "recheck_exact_double_distance",
            ),
        };
        let mut by_instance = HashMap::new();
        for row in read_csv(&path)? {
            let field = |k: &str| row.get(k).map(String::as_str);
            // Exact references only where the DIMACS routes stay feasible in doubles.
            let usable = field("convention") == Some(DIMACS)
                && (convention == Convention::Dimacs
                    || field("recheck_exact_double_feasible") == Some("True"));
            if let (true, Some(name), Some(d)) = (usable, field("instance"), number(&row, column)) {
                by_instance.insert(name.to_ascii_uppercase(), d);
            }
        }
        Ok(BestKnown { by_instance })
    }
}

/// `bks.csv` in `dir` or its parent, if there is one.
pub fn default_path(dir: &Path) -> Option<PathBuf> {
    let dir = if dir.is_file() { dir.parent()? } else { dir };
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join("bks.csv"))
        .find(|p| p.is_file())
}

fn number(row: &HashMap<String, String>, key: &str) -> Option<f64> {
    row.get(key)?.trim().parse().ok()
}

/// A simple CSV reader (no quoted commas in these files' numeric columns; the free-text
/// last column may contain commas and is joined back).
fn read_csv(path: &Path) -> anyhow::Result<Vec<HashMap<String, String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut fields: Vec<&str> = l.splitn(header.len(), ',').collect();
            fields.resize(header.len(), "");
            header
                .iter()
                .cloned()
                .zip(fields.into_iter().map(|f| f.trim().to_string()))
                .collect()
        })
        .collect())
}
