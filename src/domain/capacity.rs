//! How many donors a site-day-window can still take before the day has a plan, counted in the
//! minutes the planner will need to serve them.
//!
//! Each site booked in a window is one stop. A stop of `n_k` donors of each kind takes
//! `setup + Σ_k ceil(n_k / beds) × minutes_k + packup` minutes on a vehicle with `beds` beds
//! (the planner's own service time), and a stop too large for one vehicle pays its set-up and
//! pack-up once per vehicle it needs. So a donor joining a stop already booked costs a round at
//! most, while a donor opening a new stop also costs its set-up and pack-up.
//!
//! Each vehicle offers, in working minutes (times `utilisation_percent`: the rest is driving):
//! - in a **window**, the window's minutes inside its shift, up to the processing limit;
//! - in the **day**, the most window minutes inside its shift that one stretch of the processing
//!   limit reaches (blood from the first stop must be back within it, and the pause between
//!   windows counts against it);
//! - and its bag stock, `donors_per_day`.
//!
//! A day fits its stops when, for every kind `j` offered, the stops with a donor of a kind that
//! only `j`'s vehicles collect (every stop, for a kind every vehicle collects) need no more
//! minutes in each window, minutes in the day, and bags than those vehicles offer; such a stop
//! counts whole, as the planner keeps it on one vehicle. Service minutes are counted with the
//! group's beds averaged over its minutes, rounded down. A stop longer than half a vehicle's
//! working stretch takes that vehicle for the day: there are no more such stops than vehicles.

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

    /// Working minutes the vehicle offers in each of the day's `windows` (a route may spend a
    /// whole window there, within the processing limit), and in the day as a whole.
    fn offer(&self, windows: &[WindowDef], policy: &CapacityPolicy, day_limit: u32) -> Offer {
        let working = |minutes: u32| {
            (u64::from(minutes) * u64::from(policy.utilisation_percent.min(100)) / 100) as u32
        };
        Offer {
            window_minutes: windows
                .iter()
                .map(|w| working(self.covered_minutes(w).min(day_limit)))
                .collect(),
            day_minutes: working(self.reachable_minutes(windows, day_limit)),
        }
    }
}

/// What one vehicle offers on one day.
#[derive(Debug, Clone, Default)]
struct Offer {
    window_minutes: Vec<u32>,
    day_minutes: u32,
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

/// The donors booked on a day: per window (in the day's order), one stop per site booked there,
/// with the site's id.
pub type DayLoad = [Vec<(i64, KindCounts)>];

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

    /// Whether the day can serve `day`'s stops.
    pub fn fits(&self, day: &DayLoad) -> bool {
        let offers: Vec<Offer> = self
            .fleet
            .iter()
            .map(|v| v.offer(self.windows, self.policy, self.day_limit_minutes))
            .collect();
        let collected_by =
            |k: DonationKind| -> Vec<bool> { self.fleet.iter().map(|v| v.collects(k)).collect() };
        let within =
            |inner: &[bool], outer: &[bool]| inner.iter().zip(outer).all(|(&i, &o)| !i || o);
        let booked = day
            .iter()
            .flatten()
            .fold(KindCounts::default(), |a, (_, s)| a.plus(s));
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
            let day_minutes: u64 = members().map(|(o, _)| u64::from(o.day_minutes)).sum();
            let bags: u64 = members().map(|(_, v)| u64::from(v.donors_per_day)).sum();
            let weighted: u64 = members()
                .map(|(o, v)| u64::from(o.day_minutes) * u64::from(v.beds))
                .sum();
            let beds = (weighted.checked_div(day_minutes).unwrap_or(0) as u32).max(1);
            let max_bags = members().map(|(_, v)| v.donors_per_day).max().unwrap_or(0);
            // A stop longer than half a vehicle's working stretch leaves no room for another
            // such stop on the same vehicle that day.
            let stretch = self
                .fleet
                .iter()
                .zip(&vehicles)
                .filter(|(_, in_group)| **in_group)
                .map(|(v, _)| v.reachable_minutes(self.windows, self.day_limit_minutes))
                .max()
                .unwrap_or(0);
            let mut long_stops = 0;
            let group_size = vehicles.iter().filter(|v| **v).count();
            let (mut day_need, mut donors) = (0, 0);
            for (index, window) in self.windows.iter().enumerate() {
                let stops = day.get(index).map(Vec::as_slice).unwrap_or_default();
                let window_minutes: u64 = members()
                    .map(|(o, _)| u64::from(o.window_minutes.get(index).copied().unwrap_or(0)))
                    .sum();
                // A stop with a donor only these vehicles serve comes to them whole: the
                // planner keeps a stop on one vehicle when some vehicle collects all its kinds.
                let mut need = 0;
                for (_, stop) in stops
                    .iter()
                    .filter(|(_, s)| kinds.iter().any(|&k| s.get(k) > 0))
                {
                    let minutes = self.stop_minutes(stop, beds, max_bags, window.minutes());
                    if minutes * 2 > u64::from(stretch) {
                        long_stops += 1;
                    }
                    need += minutes;
                    donors += u64::from(stop.total());
                }
                if need > window_minutes {
                    return false;
                }
                day_need += need;
            }
            if day_need > day_minutes || donors > bags || long_stops > group_size {
                return false;
            }
        }
        true
    }

    /// Donors of `kind` that can still join the stop of `site_id` in window `index` of `day`
    /// (a new stop if the site is not booked there yet), at most `cap`.
    pub fn room(
        &self,
        index: usize,
        site_id: i64,
        day: &DayLoad,
        kind: DonationKind,
        cap: u32,
    ) -> u32 {
        if index >= self.windows.len() {
            return 0;
        }
        let mut load: Vec<Vec<(i64, KindCounts)>> = day.to_vec();
        load.resize(self.windows.len().max(load.len()), Vec::new());
        let here = match load[index].iter().position(|(site, _)| *site == site_id) {
            Some(p) => p,
            None => {
                load[index].push((site_id, KindCounts::default()));
                load[index].len() - 1
            }
        };
        let before = load[index][here].1;
        let mut fits_with = |extra: u32| {
            load[index][here].1 = before.plus(&KindCounts::one(kind, extra));
            self.fits(&load)
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

    const WB: DonationKind = DonationKind::WholeBlood;

    #[test]
    fn a_vehicle_offers_whole_windows_and_a_day_within_the_processing_limit() {
        // Six hours from 08:00 reach 240 morning and 60 afternoon minutes (the lunch hour counts
        // against the limit); from 11:30, 30 and 270: 300 either way. At 80 %: 192 and 216
        // minutes in the windows, 240 in the day.
        let v = vehicle(4, 60, full_day());
        assert_eq!(v.reachable_minutes(&WindowDef::defaults(), 360), 300);
        assert_eq!(v.reachable_minutes(&WindowDef::defaults(), 24 * 60), 510);
        let offer = v.offer(&WindowDef::defaults(), &CapacityPolicy::default(), 360);
        assert_eq!(offer.window_minutes, [192, 216]);
        assert_eq!(offer.day_minutes, 240);
    }

    #[test]
    fn a_stop_takes_rounds_and_one_setup() {
        let fleet = [vehicle(4, 60, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        // 192 morning minutes: 35 of set-up and pack-up leave 157, ten rounds of 15 and four beds.
        assert_eq!(r.room(0, 1, &[], WB, 100), 40);
        let day = [vec![(1, wb(12))], vec![]];
        assert_eq!(r.room(0, 1, &day, WB, 100), 28);
    }

    #[test]
    fn a_new_stop_costs_its_setup_a_joining_donor_only_a_round() {
        let fleet = [vehicle(4, 60, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        let day = [vec![(1, wb(8))], vec![]]; // 35 + 2 × 15 = 65 minutes of 192
        // 127 minutes left: 35 to open a stop, six rounds: 24 donors.
        assert_eq!(r.room(0, 2, &day, WB, 100), 24);
        // The same site: 127 minutes are eight more rounds of four beds.
        assert_eq!(r.room(0, 1, &day, WB, 100), 32);
    }

    #[test]
    fn the_windows_share_the_vehicles_day() {
        let fleet = [vehicle(4, 60, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        // A morning of 35 + 9 × 15 = 170 minutes leaves 70 of the day's 240: a stop of two
        // rounds in the afternoon.
        let day = [vec![(1, wb(36))], vec![]];
        assert_eq!(r.room(1, 2, &day, WB, 100), 8);
        assert!(r.fits(&day));
        let over = [vec![(1, wb(36))], vec![(2, wb(13))]];
        assert!(!r.fits(&over));
    }

    #[test]
    fn bags_cap_the_day() {
        let fleet = [vehicle(10, 20, full_day())];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        assert_eq!(r.room(0, 1, &[], WB, 100), 20);
        let day = [vec![(1, wb(15))], vec![]];
        assert_eq!(r.room(1, 2, &day, WB, 100), 5);
    }

    #[test]
    fn only_the_covered_part_of_a_window_counts() {
        let afternoon_only = [vehicle(4, 60, (hm(13, 0), hm(18, 0)))];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&afternoon_only, &windows, &policy);
        assert_eq!(r.room(0, 1, &[], WB, 100), 0);
        assert!(r.room(1, 1, &[], WB, 100) > 0);
        let night = [vehicle(4, 60, (hm(20, 0), hm(6, 0)))];
        let r = rule(&night, &windows, &policy);
        assert_eq!(r.room(1, 1, &[], WB, 100), 0);
        assert_eq!(r.room(5, 1, &[], WB, 100), 0, "no such window");
    }

    #[test]
    fn apheresis_fits_only_on_the_vehicles_that_collect_it() {
        let mut bus = vehicle(4, 60, full_day());
        bus.kinds = vec![DonationKind::WholeBlood, DonationKind::Platelets];
        let fleet = [vehicle(4, 60, full_day()), bus];
        let (windows, policy) = (WindowDef::defaults(), CapacityPolicy::default());
        let r = rule(&fleet, &windows, &policy);
        let platelets = DonationKind::Platelets;
        // On the bus alone: 192 morning minutes, 35 of overhead, 90 per round of four beds.
        assert_eq!(r.room(0, 1, &[], platelets, 100), 4);
        assert_eq!(r.room(1, 1, &[], platelets, 100), 8);
        assert_eq!(
            r.room(0, 1, &[], DonationKind::Plasma, 100),
            0,
            "nobody collects plasma"
        );
        // A morning stop of 125 minutes on the bus leaves it 115 of its day: no platelet round
        // and its set-up; whole blood still has the other vehicle.
        let day = [vec![(1, KindCounts::one(platelets, 4))], vec![]];
        assert_eq!(r.room(1, 2, &day, platelets, 100), 0);
        assert!(r.room(1, 2, &day, WB, 100) > 0);
        // A whole-blood donor joining the apheresis stop makes it longer on the bus.
        let mixed = [
            vec![(
                1,
                KindCounts {
                    whole_blood: 4,
                    platelets: 4,
                    plasma: 0,
                },
            )],
            vec![],
        ];
        assert!(r.fits(&mixed));
        // 35 + 90 for the platelets leave 67 minutes of the bus's morning: four rounds in all.
        assert_eq!(r.room(0, 1, &mixed, WB, 100), 12);
        assert!(!r.fits(&[vec![(1, KindCounts::one(DonationKind::Plasma, 1))]]));
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
            v.kinds = match kinds {
                0 => vec![DonationKind::WholeBlood],
                1 => DonationKind::ALL.to_vec(),
                _ => vec![DonationKind::WholeBlood, DonationKind::Platelets],
            };
            v
        }
    }

    prop_compose! {
        fn arb_windows()(cuts in prop::collection::btree_set(0u32..1440, 2..5)) -> Vec<WindowDef> {
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
        /// Booking donor by donor wherever `room` says there is room never makes the day
        /// unfit, and room is exactly what fits: one more would not.
        #[test]
        fn room_is_exactly_what_fits(
            fleet in prop::collection::vec(arb_vehicle(), 1..5),
            windows in arb_windows(),
            policy in arb_policy(),
            requests in prop::collection::vec((0usize..4, 0usize..3, 0usize..4), 0..80),
        ) {
            let r = CapacityRule { fleet: &fleet, windows: &windows, policy: &policy, day_limit_minutes: 360 };
            let mut day: Vec<Vec<(i64, KindCounts)>> = vec![Vec::new(); windows.len()];
            for (site, k, w) in requests {
                let (window, kind, site) = (w % windows.len(), DonationKind::ALL[k], site as i64);
                let room = r.room(window, site, &day, kind, 500);
                let mut with = day.clone();
                match with[window].iter_mut().find(|(s, _)| *s == site) {
                    Some((_, donors)) => *donors.get_mut(kind) += room + 1,
                    None => with[window].push((site, KindCounts::one(kind, room + 1))),
                }
                prop_assert!(room == 500 || !r.fits(&with), "one more than the room fits");
                if room > 0 {
                    match day[window].iter_mut().find(|(s, _)| *s == site) {
                        Some((_, donors)) => *donors.get_mut(kind) += 1,
                        None => day[window].push((site, KindCounts::one(kind, 1))),
                    }
                    prop_assert!(r.fits(&day));
                }
            }
        }

        /// More of the same bloodmobile never means less room (beds are averaged over a mixed
        /// fleet, so a smaller vehicle may lengthen the rounds counted).
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
            let day = vec![vec![(1, wb(here))]];
            for i in 0..windows.len() {
                prop_assert!(large.room(i, 1, &day, WB, 200) >= small.room(i, 1, &day, WB, 200));
            }
        }
    }
}
