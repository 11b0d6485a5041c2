//! Ruin: SISR adjacent string removal (Christiaens & Vanden Berghe 2020). Strings of
//! consecutive visits are cut from a few routes that lie close to a random seed client, so
//! the recreate step can rebuild that neighbourhood differently.

use crate::routing::instance::Instance;
use crate::routing::rng::Rng;
use crate::routing::solution::{Journal, NO_ROUTE, Solution};

/// Ruin parameters.
#[derive(Clone, Copy, Debug)]
pub struct RuinParams {
    /// Average number of clients removed per ruin (SISR's c̄).
    pub avg_removed: f64,
    /// Longest string cut from one route (SISR's L^max).
    pub max_string: f64,
    /// Probability of the split-string variant (keeps a middle part of the string).
    pub split_rate: f64,
}

impl Default for RuinParams {
    fn default() -> Self {
        RuinParams {
            avg_removed: 10.0,
            max_string: 10.0,
            split_rate: 0.5,
        }
    }
}

/// Reusable buffers, so a ruin allocates nothing once warmed up.
#[derive(Default, Debug)]
pub struct RuinScratch {
    ruined: Vec<bool>,
    touched: Vec<usize>,
    removed_flag: Vec<bool>,
}

/// Removes strings of clients from `sol`, appending them to `removed`. Routes keep their
/// indices (they may become empty) and their caches are updated; `journal` records them
/// first.
pub fn ruin(
    inst: &Instance,
    sol: &mut Solution,
    rng: &mut Rng,
    params: &RuinParams,
    scratch: &mut RuinScratch,
    journal: &mut Journal,
    removed: &mut Vec<u32>,
) {
    let served = inst.n_clients - sol.unassigned.len();
    if served == 0 || sol.routes.is_empty() {
        return;
    }
    if scratch.ruined.len() < sol.routes.len() {
        scratch.ruined.resize(sol.routes.len(), false);
    }
    scratch.removed_flag.resize(inst.n_clients, false);
    scratch.touched.clear();

    let avg_len = served as f64 / sol.routes.iter().filter(|r| !r.is_empty()).count().max(1) as f64;
    let l_max = params.max_string.min(avg_len).max(1.0);
    let k_max = (4.0 * params.avg_removed / (1.0 + l_max) - 1.0).max(1.0);
    let strings = 1 + (rng.unit() * k_max) as usize;

    let seed = loop {
        let c = rng.below(inst.n_clients) as u32;
        if sol.route_of[c as usize] != NO_ROUTE {
            break c;
        }
    };
    let mut done = 0;
    for &c in std::iter::once(&seed).chain(inst.neighbours[seed as usize].iter()) {
        let ri = sol.route_of[c as usize];
        if ri == NO_ROUTE || scratch.ruined[ri as usize] || scratch.removed_flag[c as usize] {
            continue;
        }
        let ri = ri as usize;
        scratch.ruined[ri] = true;
        scratch.touched.push(ri);
        let route = &sol.routes[ri];
        let len = route.len();
        let pos = route
            .clients()
            .iter()
            .position(|&x| x == c)
            .expect("client on its route");
        let cap = l_max.min(len as f64) as usize;
        let l = 1 + rng.below(cap.max(1));
        let clients = route.clients();
        if rng.chance(params.split_rate) && l < len {
            // Split string: a string of l + m visits, of which m consecutive ones stay.
            let mut m = 1;
            while m + l < len && rng.chance(0.5) {
                m += 1;
            }
            let total = l + m;
            let (start, keep) = string_start(rng, pos, total, len, m);
            for (k, &x) in clients[start..start + total].iter().enumerate() {
                if k < keep || k >= keep + m {
                    scratch.removed_flag[x as usize] = true;
                    removed.push(x);
                }
            }
        } else {
            let (start, _) = string_start(rng, pos, l, len, 0);
            for &x in &clients[start..start + l] {
                scratch.removed_flag[x as usize] = true;
                removed.push(x);
            }
        }
        done += 1;
        if done >= strings {
            break;
        }
    }
    for &ri in &scratch.touched {
        journal.touch(sol, ri);
        let route = &mut sol.routes[ri];
        let flags = &scratch.removed_flag;
        let cut = |x: &u32| (*x as usize) < inst.n_clients && flags[*x as usize];
        let first = route.nodes.iter().position(cut).expect("a client was cut");
        let last = route.nodes.iter().rposition(cut).expect("a client was cut");
        let tail = route.nodes.len() - (last + 1);
        route.nodes.retain(|x| !cut(x));
        route.refresh(inst, first, tail);
    }
    for &ri in &scratch.touched {
        scratch.ruined[ri] = false;
    }
    for &x in removed.iter() {
        scratch.removed_flag[x as usize] = false;
        sol.route_of[x as usize] = NO_ROUTE;
    }
}

/// A random start for a string of `total` visits that contains index `pos` of a route of
/// `len` clients, and a random offset inside it for a kept run of `m` visits.
fn string_start(rng: &mut Rng, pos: usize, total: usize, len: usize, m: usize) -> (usize, usize) {
    let lo = (pos + 1).saturating_sub(total);
    let hi = pos.min(len - total);
    let start = lo + rng.below(hi - lo + 1);
    (start, rng.below(total - m + 1))
}
