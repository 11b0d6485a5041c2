//! Time-window segments (Vidal et al. 2013): a summary of a run of consecutive visits that
//! lets the feasibility of any concatenation be decided in O(1). This is what makes every
//! move in the local search and every insertion position constant-time to check.
//!
//! A segment knows the shortest time it takes (`duration`, waiting included), the time warp
//! it cannot avoid (`time_warp`, > 0 means infeasible), and the interval `[earliest,
//! latest]` of start times that achieve that duration without extra waiting.

/// Summary of a sequence of visits (see the module docs). Times are integer units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First node of the sequence (index into the travel matrix).
    pub first: u32,
    /// Last node of the sequence.
    pub last: u32,
    /// Minimum duration from the start of the first service to the end of the last one.
    pub duration: i64,
    /// Unavoidable lateness; the sequence is feasible iff this is zero.
    pub time_warp: i64,
    /// Earliest start of the first service that needs no waiting later on.
    pub earliest: i64,
    /// Latest start of the first service that causes no time warp.
    pub latest: i64,
}

impl Segment {
    /// One visit at `node` with service `service` that must start within `[ready, due]`.
    #[inline]
    pub fn visit(node: u32, service: i64, ready: i64, due: i64) -> Self {
        Segment {
            first: node,
            last: node,
            duration: service,
            time_warp: 0,
            earliest: ready,
            latest: due,
        }
    }

    /// `self` followed by `next`, with `travel` from `self.last` to `next.first`.
    #[inline]
    pub fn then(&self, next: &Segment, travel: i64) -> Segment {
        let delta = self.duration - self.time_warp + travel;
        let wait = (next.earliest - delta - self.latest).max(0);
        let warp = (self.earliest + delta - next.latest).max(0);
        Segment {
            first: self.first,
            last: next.last,
            duration: self.duration + next.duration + travel + wait,
            time_warp: self.time_warp + next.time_warp + warp,
            earliest: (next.earliest - delta).max(self.earliest) - wait,
            latest: (next.latest - delta).min(self.latest) + warp,
        }
    }

    /// True when the sequence can be served without lateness.
    #[inline]
    pub fn feasible(&self) -> bool {
        self.time_warp == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force schedule: start as early as possible, report lateness.
    fn simulate(visits: &[(i64, i64, i64)], travel: i64, start: i64) -> (i64, i64) {
        let mut t = start;
        let mut late = 0;
        for (k, &(s, r, d)) in visits.iter().enumerate() {
            if k > 0 {
                t += travel;
            }
            t = t.max(r);
            if t > d {
                late += t - d;
                t = d;
            }
            t += s;
        }
        (t, late)
    }

    #[test]
    fn waiting_is_counted_in_duration() {
        let a = Segment::visit(0, 10, 0, 100);
        let b = Segment::visit(1, 5, 50, 60);
        let ab = a.then(&b, 10);
        assert!(ab.feasible());
        // Start at 30 → arrive at 50 exactly: no waiting.
        assert_eq!(ab.duration, 25);
        assert_eq!(ab.earliest, 30);
        assert_eq!(ab.latest, 40);
    }

    #[test]
    fn lateness_is_time_warp() {
        let a = Segment::visit(0, 10, 50, 100);
        let b = Segment::visit(1, 5, 0, 40);
        let ab = a.then(&b, 10);
        assert_eq!(ab.time_warp, 30);
        assert!(!ab.feasible());
    }

    #[test]
    fn concatenation_is_associative_and_matches_simulation() {
        let mut rng = crate::routing::rng::Rng::new(3);
        for _ in 0..500 {
            let n = 1 + rng.below(6);
            let visits: Vec<(i64, i64, i64)> = (0..n)
                .map(|_| {
                    let r = rng.below(200) as i64;
                    (rng.below(20) as i64, r, r + rng.below(80) as i64)
                })
                .collect();
            let travel = rng.below(15) as i64;
            let segs: Vec<Segment> = visits
                .iter()
                .enumerate()
                .map(|(i, &(s, r, d))| Segment::visit(i as u32, s, r, d))
                .collect();
            let left = segs[1..].iter().fold(segs[0], |acc, s| acc.then(s, travel));
            let mut right = segs[n - 1];
            for s in segs[..n - 1].iter().rev() {
                right = s.then(&right, travel);
            }
            assert_eq!(left, right);
            // Feasible iff a start time within [earliest, latest] has no lateness.
            let (_, late) = simulate(&visits, travel, left.earliest.min(left.latest));
            assert_eq!(left.feasible(), late == 0, "{visits:?}");
            if left.feasible() {
                let (end, _) = simulate(&visits, travel, left.earliest);
                assert_eq!(end - left.earliest, left.duration);
            }
        }
    }
}
