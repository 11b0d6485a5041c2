//! How many donors a site-day-window can still take before the day has a plan, counted in the
//! minutes the planner will need to serve them.
//!
//! Each site booked in a window is one stop. A stop of `n_k` donors of each kind takes
//! `setup + Σ_k ceil(n_k / beds) × minutes_k + packup` minutes on a vehicle with `beds` beds
//! (the planner's own service time), and a stop too large for one vehicle pays its set-up and
//! pack-up once per vehicle it needs. So a donor joining a stop already booked costs a round at
//! most, while a donor opening a new stop also costs its set-up and pack-up.
//!
//! The fleet offers, per vehicle and window `i`:
//! - **minutes**: the vehicle's working day is the most window minutes inside its shift that one
//!   stretch of the processing limit reaches (blood from the first stop must be back within it,
//!   and the pause between windows counts), times `utilisation_percent` (the rest is driving);
//!   it is shared across the windows in proportion to the minutes of each window inside the
//!   shift (largest remainder, so the shares add up exactly);
//! - **bags**: its bag stock `donors_per_day`, shared the same way.
//!
//! A window fits its stops when, for every kind `j` offered, the stops with a donor of a kind
//! that only `j`'s vehicles collect (every stop, for a kind every vehicle collects) need no more
//! minutes and bags than those vehicles offer there; such a stop counts whole, as the planner
//! keeps it on one vehicle. Service minutes are counted with the group's beds averaged over its
//! minutes, rounded down.

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::calendar::WindowDef;
use crate::domain::donation::{DonationKind, KindCounts};

/// One active bloodmobile, as capacity planning sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FleetVehicle {
    /// Donors served at once.
    pub beds: u32,
    /// Bag stock: donors served per day at most.
    pub donors_per_day: u32,
    /// Local time the shift starts.
    #[schema(value_type = String, example = "07:30:00")]
    pub shift_start: NaiveTime,
    /// Local time the shift ends (same day; a shift ending before it starts covers nothing).
    #[schema(value_type = String, example = "18:00:00")]
    pub shift_end: NaiveTime,
    /// Kinds of donation it collects.
    pub kinds: Vec<DonationKind>,
}

impl FleetVehicle {
    /// Whether the vehicle collects `kind`.
    pub fn collects(&self, kind: DonationKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Minutes of `window` inside the shift.
    fn covered_minutes(&self, window: &WindowDef) -> u32 {
        let start = self.shift_start.max(window.start);
        let end = self.shift_end.min(window.end);
        u32::try_from((end - start).num_minutes()).unwrap_or(0)
    }

    /// The most window minutes one route can serve: those inside the shift that one stretch of
    /// `day_limit` minutes reaches (a route's blood is back within the processing limit, and
    /// the pause between windows counts against it).
    fn reachable_minutes(&self, windows: &[WindowDef], day_limit: u32) -> u32 {
        let spans: Vec<(i64, i64)> = windows
            .iter()
            .map(|w| {
                let start = self.shift_start.max(w.start);
                let end = self.shift_end.min(w.end);
                let minutes = |t: NaiveTime| i64::from(t.hour() * 60 + t.minute());
                (minutes(start), minutes(end).max(minutes(start)))
            })
            .collect();
        spans
            .iter()
            .map(|&(from, _)| {
                let to = from + i64::from(day_limit);
                spans
                    .iter()
                    .map(|&(a, b)| (b.min(to) - a.max(from)).max(0))
                    .sum::<i64>()
            })
            .max()
            .unwrap_or(0) as u32
    }

    /// Working minutes and bags the vehicle offers in each of the day's `windows`.
    fn offer(&self, windows: &[WindowDef], policy: &CapacityPolicy, day_limit: u32) -> Vec<Offer> {
        let covered: Vec<u32> = windows.iter().map(|w| self.covered_minutes(w)).collect();
        let day = self.reachable_minutes(windows, day_limit);
        let working = u64::from(day) * u64::from(policy.utilisation_percent.min(100)) / 100;
        let minutes = apportion(working as u32, &covered);
        let bags = apportion(self.donors_per_day, &covered);
        minutes
            .into_iter()
            .zip(bags)
            .map(|(minutes, bags)| Offer { minutes, bags })
            .collect()
    }
}

/// What one vehicle offers in one window.
#[derive(Debug, Clone, Copy, Default)]
struct Offer {
    minutes: u32,
    bags: u32,
}

/// Splits `total` in proportion to `weights` by largest remainder (ties to the earlier index);
/// all zero weights give all zero shares.
fn apportion(total: u32, weights: &[u32]) -> Vec<u32> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(u64, u64)> = weights
        .iter()
        .map(|&w| {
            let scaled = u64::from(total) * u64::from(w);
            (scaled / sum, scaled % sum)
        })
        .collect();
    let mut shares: Vec<u32> = exact.iter().map(|&(q, _)| q as u32).collect();
    let left = total - shares.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

/// How capacity is derived from the fleet (station configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CapacityPolicy {
    /// Minutes a bed is taken per donor, by kind (whole blood 15, platelets 90, plasma 45).
    pub minutes_per_donor: KindCounts,
    /// Minutes to set up at a stop before the first donor (20).
    pub setup_minutes: u32,
    /// Minutes to pack up after the last donor (15).
    pub packup_minutes: u32,
    /// Share of a vehicle's working day offered for service, in percent; the rest is driving
    /// between stops (80).
    pub utilisation_percent: u32,
}

impl Default for CapacityPolicy {
    fn default() -> Self {
        Self {
            minutes_per_donor: KindCounts {
                whole_blood: 15,
                platelets: 90,
                plasma: 45,
            },
            setup_minutes: 20,
            packup_minutes: 15,
            utilisation_percent: 80,
        }
    }
}

/// The donors already booked in one window: this site's, and each other site's.
#[derive(Debug, Clone, Copy)]
pub struct WindowLoad<'a> {
    /// Donors at the site asked about.
    pub here: KindCounts,
    /// Donors at every other site booked in the window (one stop each).
    pub others: &'a [KindCounts],
}

/// The capacity rule of one station-day.
#[derive(Debug, Clone, Copy)]
pub struct CapacityRule<'a> {
    /// The active fleet.
    pub fleet: &'a [FleetVehicle],
    /// The day's windows, in order.
    pub windows: &'a [WindowDef],
    /// The station's service minutes and utilisation.
    pub policy: &'a CapacityPolicy,
    /// Longest working day of a vehicle: the processing limit, in minutes.
    pub day_limit_minutes: u32,
}

/// Whether any vehicle of the fleet collects `kind`.
pub fn kind_offered(fleet: &[FleetVehicle], kind: DonationKind) -> bool {
    fleet.iter().any(|v| v.collects(kind))
}

impl CapacityRule<'_> {
    /// Minutes a stop of `donors` takes with `beds` beds, `max_bags` the largest bag stock a
    /// vehicle brings and `window` the window's length: its rounds, and a set-up and pack-up
    /// for each vehicle it needs.
    fn stop_minutes(&self, donors: &KindCounts, beds: u32, max_bags: u32, window: u32) -> u64 {
        let total = donors.total();
        if total == 0 {
            return 0;
        }
        let p = self.policy;
        let rounds: u64 = donors
            .kinds()
            .map(|k| {
                u64::from(donors.get(k).div_ceil(beds)) * u64::from(p.minutes_per_donor.get(k))
            })
            .sum();
        let overhead = u64::from(p.setup_minutes + p.packup_minutes);
        let work = u64::from(window).saturating_sub(overhead).max(1);
        let parts = u64::from(total.div_ceil(max_bags.max(1)))
            .max(rounds.div_ceil(work))
            .max(1);
        rounds + parts * overhead
    }

    /// Whether window `index` can serve `stops` (one per site booked there).
    pub fn fits(&self, index: usize, stops: &[KindCounts]) -> bool {
        let Some(window) = self.windows.get(index) else {
            return false;
        };
        let offers: Vec<Offer> = self
            .fleet
            .iter()
            .map(|v| {
                v.offer(self.windows, self.policy, self.day_limit_minutes)
                    .get(index)
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        let collected_by =
            |k: DonationKind| -> Vec<bool> { self.fleet.iter().map(|v| v.collects(k)).collect() };
        let within =
            |inner: &[bool], outer: &[bool]| inner.iter().zip(outer).all(|(&i, &o)| !i || o);
        let booked = stops.iter().fold(KindCounts::default(), |a, s| a.plus(s));
        if booked.kinds().any(|k| !kind_offered(self.fleet, k)) {
            return false;
        }
        for group in DonationKind::ALL {
            let vehicles = collected_by(group);
            if !vehicles.contains(&true) {
                continue;
            }
            // The kinds only this group's vehicles collect.
            let kinds: Vec<DonationKind> = DonationKind::ALL
                .into_iter()
                .filter(|&k| kind_offered(self.fleet, k) && within(&collected_by(k), &vehicles))
                .collect();
            let members = || {
                offers
                    .iter()
                    .zip(self.fleet)
                    .zip(&vehicles)
                    .filter(|(_, in_group)| **in_group)
                    .map(|(pair, _)| pair)
            };
            let minutes: u64 = members().map(|(o, _)| u64::from(o.minutes)).sum();
            let bags: u64 = members().map(|(o, _)| u64::from(o.bags)).sum();
            let weighted: u64 = members()
                .map(|(o, v)| u64::from(o.minutes) * u64::from(v.beds))
                .sum();
            let beds = (weighted.checked_div(minutes).unwrap_or(0) as u32).max(1);
            let max_bags = members().map(|(_, v)| v.donors_per_day).max().unwrap_or(0);
            let mut need = 0;
            let mut donors = 0;
            // A stop with a donor only these vehicles serve comes to them whole: the planner
            // keeps a stop on one vehicle when some vehicle collects all its kinds.
            for stop in stops.iter().filter(|s| kinds.iter().any(|&k| s.get(k) > 0)) {
                need += self.stop_minutes(stop, beds, max_bags, window.minutes());
                donors += u64::from(stop.total());
            }
            if need > minutes || donors > bags {
                return false;
            }
        }
        true
    }

    /// Donors of `kind` that can still join the site of `load` in window `index`, at most `cap`.
    pub fn room(&self, index: usize, load: &WindowLoad<'_>, kind: DonationKind, cap: u32) -> u32 {
        let mut stops: Vec<KindCounts> = load.others.to_vec();
        stops.push(load.here);
        let last = stops.len() - 1;
        let mut fits_with = |extra: u32| {
            stops[last] = load.here.plus(&KindCounts::one(kind, extra));
            self.fits(index, &stops)
        };
        // Fitting only gets harder with more donors: the largest count that fits, by bisection.
        let (mut lo, mut hi) = (0, cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits_with(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn vehicle(beds: u32, donors_per_day: u32, shift: (NaiveTime, NaiveTime)) -> FleetVehicle {
        FleetVehicle {
            beds,
            donors_per_day,
            shift_start: shift.0,
            shift_end: shift.1,
            kinds: vec![DonationKind::WholeBlood],
        }
    }

    fn full_day() -> (NaiveTime, NaiveTime) {
        (hm(7, 30), hm(18, 0))
    }

    fn wb(n: u32) -> KindCounts {
        KindCounts::one(DonationKind::WholeBlood, n)
    }

    fn rule<'a>(
        fleet: &'a [FleetVehicle],
        windows: &'a [WindowDef],
        policy: &'a CapacityPolicy,
    ) -> CapacityRule<'a> {
        CapacityRule {
            fleet,
            windows,
            policy,
            day_limit_minutes: 360,
        }
    }

    #[test]
    fn a_vehicle_works_at_most_the_processing_limit_shared_by_window() {
        // Six hours from 08:00 reach 240 morning and 60 afternoon minutes (the lunch hour
        // counts against the limit); from 11:30, 30 and 270: 300 either way. 80 % of it is 240
        // working minutes, shared 240:270 → 113 in the morning, 127 in the afternoon.
        let v = vehicle(4, 60, full_day());
        assert_eq!(v.reachable_minutes(&WindowDef::defaults(), 360), 300);
        assert_eq!(v.reachable_minutes(&WindowDef::defaults(), 24 * 60), 510);
        let offers = v.offer(&WindowDef::defaults(), &CapacityPolicy::default(), 360);
        assert_eq!((offers[0].minutes, offers[1].minutes), (113, 127));
        assert_eq!((offers[0].bags, offers[1].bags), (28, 32));
    }

    #[test]
    fn one_stop_takes_rounds_and_one_setup() {
        let fleet = [vehicle(4, 60, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        // 113 morning minutes: 35 of set-up and pack-up leave 78, five rounds of 15: 20 donors
        // (the morning's bags are 28, so rounds decide).
        let empty = WindowLoad {
            here: KindCounts::default(),
            others: &[],
        };
        assert_eq!(r.room(0, &empty, DonationKind::WholeBlood, 100), 20);
        let half = WindowLoad {
            here: wb(12),
            others: &[],
        };
        assert_eq!(r.room(0, &half, DonationKind::WholeBlood, 100), 8);
    }

    #[test]
    fn a_new_stop_costs_its_setup_a_joining_donor_only_a_round() {
        let fleet = [vehicle(4, 60, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        let others = [wb(8)]; // 35 + 2 × 15 = 65 minutes of 113
        let new_site = WindowLoad {
            here: KindCounts::default(),
            others: &others,
        };
        // 48 minutes left: 35 to open the stop, no full round: nobody.
        assert_eq!(r.room(0, &new_site, DonationKind::WholeBlood, 100), 0);
        let joining = WindowLoad {
            here: wb(8),
            others: &[],
        };
        // The same site: 48 minutes are three more rounds of four beds.
        assert_eq!(r.room(0, &joining, DonationKind::WholeBlood, 100), 12);
    }

    #[test]
    fn bags_cap_the_window() {
        let fleet = [vehicle(10, 20, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        let empty = WindowLoad {
            here: KindCounts::default(),
            others: &[],
        };
        // 20 bags split 240:270 → 9 and 11.
        assert_eq!(r.room(0, &empty, DonationKind::WholeBlood, 100), 9);
        assert_eq!(r.room(1, &empty, DonationKind::WholeBlood, 100), 11);
    }

    #[test]
    fn only_the_covered_part_of_a_window_counts() {
        let afternoon_only = [vehicle(4, 60, (hm(13, 0), hm(18, 0)))];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&afternoon_only, &windows, &policy);
        let empty = WindowLoad {
            here: KindCounts::default(),
            others: &[],
        };
        assert_eq!(r.room(0, &empty, DonationKind::WholeBlood, 100), 0);
        assert!(r.room(1, &empty, DonationKind::WholeBlood, 100) > 0);
        let night = [vehicle(4, 60, (hm(20, 0), hm(6, 0)))];
        let r = rule(&night, &windows, &policy);
        assert_eq!(r.room(1, &empty, DonationKind::WholeBlood, 100), 0);
    }

    #[test]
    fn apheresis_fits_only_on_the_vehicles_that_collect_it() {
        let mut bus = vehicle(4, 60, full_day());
        bus.kinds = vec![DonationKind::WholeBlood, DonationKind::Platelets];
        let fleet = [vehicle(4, 60, full_day()), bus];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        let empty = WindowLoad {
            here: KindCounts::default(),
            others: &[],
        };
        // On the bus alone: 113 minutes, 35 of overhead, 90 per round of four: no round.
        assert_eq!(
            r.room(1, &empty, DonationKind::Platelets, 100),
            4,
            "afternoon: one round"
        );
        assert_eq!(r.room(0, &empty, DonationKind::Platelets, 100), 0);
        assert_eq!(
            r.room(1, &empty, DonationKind::Plasma, 100),
            0,
            "nobody collects plasma"
        );
        let others = [KindCounts::one(DonationKind::Platelets, 4)];
        let busy = WindowLoad {
            here: KindCounts::default(),
            others: &others,
        };
        assert_eq!(r.room(1, &busy, DonationKind::Platelets, 100), 0);
        assert!(
            r.room(1, &busy, DonationKind::WholeBlood, 100) > 0,
            "whole blood has the other vehicle"
        );
        assert!(!r.fits(0, &[KindCounts::one(DonationKind::Plasma, 1)]));
    }

    #[test]
    fn apportion_sums_exactly() {
        assert_eq!(apportion(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(apportion(10, &[0, 0]), [0, 0]);
        assert_eq!(apportion(7, &[0, 5]), [0, 7]);
    }

    prop_compose! {
        fn arb_vehicle()(
            beds in 1u32..12,
            donors_per_day in 0u32..300,
            start in 0u32..1440,
            len in 0u32..1440,
            kinds in 0usize..3,
        ) -> FleetVehicle {
            let end = (start + len).min(1439);
            let mut v = vehicle(beds, donors_per_day, (hm(start / 60, start % 60), hm(end / 60, end % 60)));
            v.kinds = match kinds { 0 => vec![DonationKind::WholeBlood], 1 => DonationKind::ALL.to_vec(), _ => vec![DonationKind::WholeBlood, DonationKind::Platelets] };
            v
        }
    }

    prop_compose! {
        fn arb_windows()(cuts in prop::collection::btree_set(0u32..1440, 2..6)) -> Vec<WindowDef> {
            let cuts: Vec<u32> = cuts.into_iter().collect();
            cuts.windows(2)
                .enumerate()
                .map(|(i, w)| WindowDef::new(format!("w{i}"), hm(w[0] / 60, w[0] % 60), hm(w[1] / 60, w[1] % 60)))
                .collect()
        }
    }

    prop_compose! {
        fn arb_policy()(
            minutes in 1u32..60,
            setup_minutes in 0u32..60,
            packup_minutes in 0u32..60,
            utilisation_percent in 0u32..=100,
        ) -> CapacityPolicy {
            CapacityPolicy {
                minutes_per_donor: KindCounts { whole_blood: minutes, platelets: minutes * 6, plasma: minutes * 3 },
                setup_minutes, packup_minutes, utilisation_percent,
            }
        }
    }

    proptest! {
        /// Booking donor by donor wherever `room` says there is room never makes the window
        /// unfit, and room is exactly what fits: one more would not.
        #[test]
        fn room_is_exactly_what_fits(
            fleet in prop::collection::vec(arb_vehicle(), 1..5),
            windows in arb_windows(),
            policy in arb_policy(),
            requests in prop::collection::vec((0usize..4, 0usize..3), 0..80),
        ) {
            let r = CapacityRule { fleet: &fleet, windows: &windows, policy: &policy, day_limit_minutes: 360 };
            let mut stops = vec![KindCounts::default(); 4];
            for (site, k) in requests {
                let kind = DonationKind::ALL[k];
                let others: Vec<KindCounts> = stops.iter().enumerate().filter(|(i, _)| *i != site).map(|(_, s)| *s).collect();
                let load = WindowLoad { here: stops[site], others: &others };
                let room = r.room(0, &load, kind, 500);
                let mut with = stops.clone();
                *with[site].get_mut(kind) += room + 1;
                prop_assert!(room == 500 || !r.fits(0, &with), "one more than the room fits");
                if room > 0 {
                    *stops[site].get_mut(kind) += 1;
                    prop_assert!(r.fits(0, &stops));
                }
            }
        }

        /// More of the same bloodmobile never means less room (beds are averaged over a
        /// mixed fleet, so a smaller vehicle may lengthen the rounds counted).
        #[test]
        fn more_of_the_same_vehicle_never_means_less_room(
            v in arb_vehicle(),
            count in 1usize..4,
            windows in arb_windows(),
            policy in arb_policy(),
            here in 0u32..30,
        ) {
            let fleet = vec![v.clone(); count];
            let bigger = vec![v; count + 1];
            let small = CapacityRule { fleet: &fleet, windows: &windows, policy: &policy, day_limit_minutes: 360 };
            let large = CapacityRule { fleet: &bigger, windows: &windows, policy: &policy, day_limit_minutes: 360 };
            let load = WindowLoad { here: wb(here), others: &[] };
            for i in 0..windows.len() {
                prop_assert!(
                    large.room(i, &load, DonationKind::WholeBlood, 200)
                        >= small.room(i, &load, DonationKind::WholeBlood, 200)
                );
            }
        }
    }
}
