//! A plan as a text table, for the command line.

use std::fmt::Write;

use super::planning::Timings;
use super::view::PlanView;

/// Pads `text` to `width` terminal columns (CJK characters take two).
fn pad(text: &str, width: usize) -> String {
    let columns: usize = text
        .chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

fn hours(minutes: i64) -> String {
    format!("{}h{:02}", minutes / 60, minutes % 60)
}

/// Per vehicle: departure, return, stops, donors, driving, distance and processing time against
/// the limit; then what was left out and the totals.
pub fn plan_table(view: &PlanView, timings: Option<Timings>) -> String {
    let mut out = String::new();
    let t = &view.totals;
    let timed = timings.map_or(String::new(), |timings| {
        format!(
            "; load {:.2} s, solve {:.2} s, store {:.2} s",
            timings.load.as_secs_f64(),
            timings.solve.as_secs_f64(),
            timings.store.as_secs_f64(),
        )
    });
    let _ = writeln!(
        out,
        "plan version {} ({}) of station {} on {}: {} bookings, {} served, {} left out; \
         {} stops on {} vehicles, {} km{timed}",
        view.version,
        view.status,
        view.station_id,
        view.date,
        t.bookings,
        t.served,
        t.left_out,
        t.stops,
        t.vehicles_used,
        t.distance_km,
    );
    let _ = writeln!(
        out,
        "{}depart  return  stops  donors  drive   km      processing",
        pad("vehicle", 22)
    );
    for route in &view.routes {
        let _ = writeln!(
            out,
            "{}{}   {}   {:<6} {:<7} {:<7} {:<7.1} {} / {}",
            pad(&format!("{} #{}", route.vehicle_name, route.vehicle_id), 22),
            route.depart.format("%H:%M"),
            route.return_at.format("%H:%M"),
            route.stops.len(),
            route.donors.total(),
            hours(route.drive_minutes),
            route.distance_km,
            hours(route.processing_minutes),
            hours(i64::from(route.processing_limit_minutes)),
        );
        for (p, stop) in route.stops.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {:>2}. {}{}-{}  {} donors{}{}",
                p + 1,
                pad(&format!("{} ({})", stop.site_name, stop.window), 32),
                stop.start.format("%H:%M"),
                stop.end.format("%H:%M"),
                stop.donors.total(),
                if stop.locked { ", locked" } else { "" },
                if stop.below_minimum {
                    ", below the minimum turnout"
                } else {
                    ""
                },
            );
        }
    }
    for left in &view.left_out {
        let _ = writeln!(
            out,
            "left out: {} ({}), {} donors: {} ({})",
            left.site_name,
            left.window,
            left.donors.total(),
            left.reason,
            left.message
        );
    }
    out
}
