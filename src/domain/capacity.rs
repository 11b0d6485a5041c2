//! Bookable seats per station, day and window, derived from the active fleet.
//!
//! Seats are counted in whole-blood seats: a donor of another kind takes as many seats as their
//! bed minutes need (`ceil(minutes_kind / minutes_whole_blood)`: 6 for platelets at 90 and 15
//! minutes). Formula, per vehicle and per window `i` of the day:
//! - `covered_i`: minutes of window `i` inside the vehicle's shift;
//! - `throughput_i = floor(beds × floor((covered_i − setup − packup) / minutes_whole_blood)
//!   × utilisation_percent / 100)`: seats it can serve there, less the share of time kept for
//!   driving between stops;
//! - the day's bag stock `donors_per_day` is shared across the windows in proportion to
//!   `covered_i` (largest remainder, so the shares add up exactly), each window taking
//!   `min(throughput_i, share_i)`; stock a window cannot use for lack of throughput then goes to
//!   the other windows in order, as far as their throughput allows.
//!
//! So a vehicle never offers more seats in a window than it can serve there, and never more in a
//! day than its bag stock. A station's seats are the sum over its vehicles. A donor of a kind
//! only some vehicles collect must also fit in those vehicles' seats ([`seats_left`]).

use chrono::NaiveTime;
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

    /// Donors the vehicle can serve in `covered` minutes of a window.
    fn throughput(&self, covered: u32, policy: &CapacityPolicy) -> u32 {
        let working =
            covered.saturating_sub(policy.setup_minutes.saturating_add(policy.packup_minutes));
        let rounds = working
            .checked_div(policy.minutes_per_donor.whole_blood)
            .unwrap_or(0);
        let full = u64::from(self.beds) * u64::from(rounds);
        u32::try_from(full * u64::from(policy.utilisation_percent.min(100)) / 100)
            .unwrap_or(u32::MAX)
    }

    /// Seats the vehicle offers in each of the day's `windows`.
    pub fn day_seats(&self, windows: &[WindowDef], policy: &CapacityPolicy) -> Vec<u32> {
        let covered: Vec<u32> = windows.iter().map(|w| self.covered_minutes(w)).collect();
        let throughput: Vec<u32> = covered
            .iter()
            .map(|&c| self.throughput(c, policy))
            .collect();
        let shares = apportion(self.donors_per_day, &covered);
        let mut seats: Vec<u32> = throughput
            .iter()
            .zip(&shares)
            .map(|(&t, &s)| t.min(s))
            .collect();
        let mut unused = self.donors_per_day - seats.iter().sum::<u32>();
        for (seat, &limit) in seats.iter_mut().zip(&throughput) {
            let extra = unused.min(limit - *seat);
            *seat += extra;
            unused -= extra;
        }
        seats
    }
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
    /// Share of the throughput offered for booking, in percent, leaving time for driving (80).
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

impl CapacityPolicy {
    /// Whole-blood seats one donor of `kind` takes (at least one).
    pub fn seats_per_donor(&self, kind: DonationKind) -> u32 {
        self.minutes_per_donor
            .get(kind)
            .div_ceil(self.minutes_per_donor.whole_blood.max(1))
            .max(1)
    }

    /// Whole-blood seats taken by `booked` donors.
    pub fn seats_taken(&self, booked: &KindCounts) -> u32 {
        booked
            .kinds()
            .map(|k| booked.get(k) * self.seats_per_donor(k))
            .sum()
    }
}

/// Seats for `windows[window_index]` of a day from the whole `fleet` (0 for an index out of
/// range). The day's windows are needed to share each vehicle's bag stock among them.
pub fn window_seats(
    fleet: &[FleetVehicle],
    windows: &[WindowDef],
    window_index: usize,
    policy: &CapacityPolicy,
) -> u32 {
    fleet
        .iter()
        .map(|v| {
            v.day_seats(windows, policy)
                .get(window_index)
                .copied()
                .unwrap_or(0)
        })
        .sum()
}

/// Seats for each of the day's `windows` from the whole `fleet`.
pub fn day_seats(
    fleet: &[FleetVehicle],
    windows: &[WindowDef],
    policy: &CapacityPolicy,
) -> Vec<u32> {
    let mut total = vec![0; windows.len()];
    for vehicle in fleet {
        for (sum, seats) in total.iter_mut().zip(vehicle.day_seats(windows, policy)) {
            *sum += seats;
        }
    }
    total
}

/// Whether any vehicle of the fleet collects `kind`.
pub fn kind_offered(fleet: &[FleetVehicle], kind: DonationKind) -> bool {
    fleet.iter().any(|v| v.collects(kind))
}

/// Donors of `kind` that window `window_index` can still take, with `booked` donors (by kind)
/// already in it.
///
/// Each kind is served only by the vehicles collecting it, so for every kind `j` the seats
/// taken by the kinds that only `j`'s vehicles collect must fit in those vehicles' seats. The
/// new donor must fit every such group it belongs to; with one whole-blood fleet this is simply
/// seats less the seats taken.
pub fn seats_left(
    fleet: &[FleetVehicle],
    windows: &[WindowDef],
    window_index: usize,
    policy: &CapacityPolicy,
    booked: &KindCounts,
    kind: DonationKind,
) -> u32 {
    if !kind_offered(fleet, kind) {
        return 0;
    }
    let per_vehicle: Vec<u32> = fleet
        .iter()
        .map(|v| {
            v.day_seats(windows, policy)
                .get(window_index)
                .copied()
                .unwrap_or(0)
        })
        .collect();
    let collected_by =
        |k: DonationKind| -> Vec<bool> { fleet.iter().map(|v| v.collects(k)).collect() };
    let within = |inner: &[bool], outer: &[bool]| inner.iter().zip(outer).all(|(&i, &o)| !i || o);
    let mine = collected_by(kind);
    let mut left = u32::MAX;
    for group in DonationKind::ALL {
        let vehicles = collected_by(group);
        if !within(&mine, &vehicles) {
            continue;
        }
        let seats: u32 = per_vehicle
            .iter()
            .zip(&vehicles)
            .filter(|(_, in_group)| **in_group)
            .map(|(s, _)| *s)
            .sum();
        let taken: u32 = DonationKind::ALL
            .into_iter()
            .filter(|&k| kind_offered(fleet, k) && within(&collected_by(k), &vehicles))
            .map(|k| booked.get(k) * policy.seats_per_donor(k))
            .sum();
        left = left.min(seats.saturating_sub(taken) / policy.seats_per_donor(kind));
    }
    left
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

    #[test]
    fn bag_stock_is_shared_by_covered_minutes() {
        // Throughput: morning 4 × floor(205/15) × 80% = 41; afternoon 4 × floor(235/15) × 80% = 48.
        // Stock 60 split 240:270 → 28.2 / 31.8 → 28 / 32 by largest remainder.
        let seats = vehicle(4, 60, full_day())
            .day_seats(&WindowDef::defaults(), &CapacityPolicy::default());
        assert_eq!(seats, [28, 32]);
    }

    #[test]
    fn throughput_caps_a_large_bag_stock() {
        let seats = vehicle(4, 200, full_day())
            .day_seats(&WindowDef::defaults(), &CapacityPolicy::default());
        assert_eq!(seats, [41, 48]);
    }

    #[test]
    fn only_the_covered_part_of_a_window_counts() {
        let afternoon_only = vehicle(4, 60, (hm(13, 0), hm(18, 0)));
        assert_eq!(
            afternoon_only.day_seats(&WindowDef::defaults(), &CapacityPolicy::default()),
            [0, 48]
        );
        // 30 minutes of morning leave no time after setting up and packing up; the stock meant
        // for it goes to the afternoon as far as throughput allows (45 + 3).
        let late = vehicle(4, 50, (hm(11, 30), hm(17, 30)));
        assert_eq!(
            late.day_seats(&WindowDef::defaults(), &CapacityPolicy::default()),
            [0, 48]
        );
        let night_shift = vehicle(4, 50, (hm(20, 0), hm(6, 0)));
        assert_eq!(
            night_shift.day_seats(&WindowDef::defaults(), &CapacityPolicy::default()),
            [0, 0]
        );
    }

    #[test]
    fn fleet_seats_add_up_per_window() {
        let fleet = [vehicle(4, 60, full_day()), vehicle(4, 200, full_day())];
        let windows = WindowDef::defaults();
        let policy = CapacityPolicy::default();
        assert_eq!(window_seats(&fleet, &windows, 0, &policy), 28 + 41);
        assert_eq!(window_seats(&fleet, &windows, 1, &policy), 32 + 48);
        assert_eq!(window_seats(&fleet, &windows, 2, &policy), 0);
        assert_eq!(day_seats(&fleet, &windows, &policy), [69, 80]);
        assert_eq!(window_seats(&[], &windows, 0, &policy), 0);
    }

    #[test]
    fn policy_numbers_drive_the_result() {
        let policy = CapacityPolicy {
            minutes_per_donor: KindCounts::one(DonationKind::WholeBlood, 60),
            setup_minutes: 0,
            packup_minutes: 0,
            utilisation_percent: 100,
        };
        let seats = vehicle(2, 100, full_day()).day_seats(&WindowDef::defaults(), &policy);
        assert_eq!(seats, [8, 8]); // 2 beds × 4 hours; 2 × floor(4.5)
        let zero = CapacityPolicy {
            minutes_per_donor: KindCounts::default(),
            ..policy
        };
        assert_eq!(
            vehicle(2, 100, full_day()).day_seats(&WindowDef::defaults(), &zero),
            [0, 0]
        );
    }

    #[test]
    fn kinds() {
        let mut apheresis = vehicle(2, 10, full_day());
        apheresis.kinds = vec![DonationKind::Platelets, DonationKind::Plasma];
        let fleet = [vehicle(4, 60, full_day()), apheresis];
        assert!(DonationKind::ALL.iter().all(|&k| kind_offered(&fleet, k)));
        assert!(!kind_offered(&fleet[..1], DonationKind::Plasma));
        assert!(!kind_offered(&[], DonationKind::WholeBlood));
    }

    #[test]
    fn apheresis_donors_take_more_seats_and_only_on_their_vehicles() {
        let policy = CapacityPolicy::default();
        assert_eq!(policy.seats_per_donor(DonationKind::WholeBlood), 1);
        assert_eq!(policy.seats_per_donor(DonationKind::Platelets), 6);
        assert_eq!(policy.seats_per_donor(DonationKind::Plasma), 3);
        let mut apheresis = vehicle(4, 200, full_day());
        apheresis.kinds = vec![DonationKind::WholeBlood, DonationKind::Platelets];
        // Morning seats: 41 on each vehicle.
        let fleet = [vehicle(4, 200, full_day()), apheresis];
        let windows = WindowDef::defaults();
        let none = KindCounts::default();
        let left =
            |booked: &KindCounts, kind| seats_left(&fleet, &windows, 0, &policy, booked, kind);
        assert_eq!(left(&none, DonationKind::WholeBlood), 82);
        assert_eq!(left(&none, DonationKind::Platelets), 41 / 6);
        assert_eq!(
            left(&none, DonationKind::Plasma),
            0,
            "nobody collects plasma"
        );
        // Whole blood may use the apheresis bus, so it eats into the platelets' room only when
        // the rest of the fleet is full.
        let booked = KindCounts::one(DonationKind::WholeBlood, 41);
        assert_eq!(left(&booked, DonationKind::Platelets), 41 / 6);
        let booked = KindCounts::one(DonationKind::WholeBlood, 60);
        assert_eq!(left(&booked, DonationKind::Platelets), 22 / 6);
        let booked = KindCounts::one(DonationKind::Platelets, 6);
        assert_eq!(left(&booked, DonationKind::Platelets), 0);
        assert_eq!(left(&booked, DonationKind::WholeBlood), 82 - 36);
    }

    #[test]
    fn apportion_sums_exactly() {
        assert_eq!(apportion(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(apportion(10, &[0, 0]), [0, 0]);
        assert_eq!(apportion(7, &[0, 5]), [0, 7]);
    }

    prop_compose! {
        fn arb_vehicle()(
            beds in 0u32..12,
            donors_per_day in 0u32..300,
            start in 0u32..1440,
            len in 0u32..1440,
        ) -> FleetVehicle {
            let end = (start + len).min(1439);
            vehicle(beds, donors_per_day, (hm(start / 60, start % 60), hm(end / 60, end % 60)))
        }
    }

    prop_compose! {
        fn arb_windows()(cuts in prop::collection::btree_set(0u32..1440, 2..8)) -> Vec<WindowDef> {
            let cuts: Vec<u32> = cuts.into_iter().collect();
            cuts.windows(2)
                .enumerate()
                .map(|(i, w)| WindowDef::new(format!("w{i}"), hm(w[0] / 60, w[0] % 60), hm(w[1] / 60, w[1] % 60)))
                .collect()
        }
    }

    prop_compose! {
        fn arb_policy()(
            minutes_per_donor in 1u32..90,
            setup_minutes in 0u32..60,
            packup_minutes in 0u32..60,
            utilisation_percent in 0u32..=100,
        ) -> CapacityPolicy {
            CapacityPolicy {
                minutes_per_donor: KindCounts { whole_blood: minutes_per_donor, platelets: minutes_per_donor * 6, plasma: minutes_per_donor * 3 },
                setup_minutes, packup_minutes, utilisation_percent,
            }
        }
    }

    proptest! {
        #[test]
        fn a_day_never_exceeds_the_bag_stock(
            fleet in prop::collection::vec(arb_vehicle(), 0..6),
            windows in arb_windows(),
            policy in arb_policy(),
        ) {
            let total: u32 = day_seats(&fleet, &windows, &policy).iter().sum();
            prop_assert!(total <= fleet.iter().map(|v| v.donors_per_day).sum());
            for v in &fleet {
                for (w, seats) in windows.iter().zip(v.day_seats(&windows, &policy)) {
                    prop_assert!(seats <= v.throughput(v.covered_minutes(w), &policy));
                }
            }
        }

        #[test]
        fn more_vehicles_never_mean_fewer_seats(
            fleet in prop::collection::vec(arb_vehicle(), 0..6),
            extra in arb_vehicle(),
            windows in arb_windows(),
            policy in arb_policy(),
        ) {
            let mut bigger = fleet.clone();
            bigger.push(extra);
            for i in 0..windows.len() {
                prop_assert!(window_seats(&bigger, &windows, i, &policy) >= window_seats(&fleet, &windows, i, &policy));
            }
        }

        #[test]
        fn a_donor_offered_a_seat_never_overfills_a_window(
            fleet in prop::collection::vec(arb_vehicle(), 1..5),
            windows in arb_windows(),
            policy in arb_policy(),
            kinds in prop::collection::vec(0usize..3, 0..60),
        ) {
            let mut fleet = fleet;
            for (i, v) in fleet.iter_mut().enumerate() {
                v.kinds = match i % 3 { 0 => vec![DonationKind::WholeBlood], 1 => DonationKind::ALL.to_vec(), _ => vec![DonationKind::WholeBlood, DonationKind::Platelets] };
            }
            let mut booked = KindCounts::default();
            for k in kinds {
                let kind = DonationKind::ALL[k];
                if seats_left(&fleet, &windows, 0, &policy, &booked, kind) > 0 {
                    *booked.get_mut(kind) += 1;
                }
            }
            prop_assert!(policy.seats_taken(&booked) <= window_seats(&fleet, &windows, 0, &policy));
            prop_assert_eq!(
                seats_left(&fleet, &windows, 0, &policy, &KindCounts::default(), DonationKind::WholeBlood),
                window_seats(&fleet, &windows, 0, &policy)
            );
        }

        #[test]
        fn stock_is_used_up_when_throughput_allows(
            v in arb_vehicle(), windows in arb_windows(), policy in arb_policy(),
        ) {
            let seats = v.day_seats(&windows, &policy);
            let throughput: u32 = windows.iter().map(|w| v.throughput(v.covered_minutes(w), &policy)).sum();
            prop_assert_eq!(seats.iter().sum::<u32>(), v.donors_per_day.min(throughput));
        }
    }
}
