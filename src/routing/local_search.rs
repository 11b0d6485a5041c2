//! Local search (placeholder, filled below).

use crate::routing::instance::Instance;
use crate::routing::solution::Solution;

/// Local search over granular neighbourhoods.
#[derive(Debug)]
pub struct LocalSearch {}

impl LocalSearch {
    /// Buffers sized for `inst`.
    pub fn new(_inst: &Instance) -> Self {
        LocalSearch {}
    }

    /// Improves `sol` until no move improves it.
    pub fn improve(&mut self, _inst: &Instance, _sol: &mut Solution) {}
}
