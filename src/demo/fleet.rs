//! The station's six bloodmobiles: different sizes, shifts and kinds, as a real fleet grows
//! over the years.

use chrono::NaiveTime;

use super::DemoVehicle;

/// Whole blood only: what most bloodmobiles collect.
const WHOLE_BLOOD: &[&str] = &["whole_blood"];

fn at(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("valid demo shift time")
}

/// The fleet, in the order the station bought it.
pub(crate) fn vehicles() -> Vec<DemoVehicle> {
    let vehicle = |number: u32,
                   plate: &'static str,
                   beds: u16,
                   donors_per_day: u16,
                   shift: ((u32, u32), (u32, u32)),
                   kinds: &[&'static str]| DemoVehicle {
        name: format!("荆州{number}号采血车"),
        plate,
        beds,
        donors_per_day,
        shift_start: at(shift.0.0, shift.0.1),
        shift_end: at(shift.1.0, shift.1.1),
        kinds: kinds.to_vec(),
    };
    vec![
        vehicle(1, "鄂D·A1234", 4, 60, ((7, 30), (17, 30)), WHOLE_BLOOD),
        // The large apheresis bus: the only one for platelets and plasma.
        vehicle(
            2,
            "鄂D·B5820",
            6,
            80,
            ((8, 0), (18, 0)),
            &["whole_blood", "platelets", "plasma"],
        ),
        // Morning-only: back at the depot by lunch, so its blood is processed the same day.
        vehicle(3, "鄂D·C3176", 3, 40, ((7, 0), (13, 0)), WHOLE_BLOOD),
        // Afternoon-only: a small van for late village drives.
        vehicle(4, "鄂D·D0962", 2, 30, ((12, 30), (18, 30)), WHOLE_BLOOD),
        vehicle(
            5,
            "鄂D·E7413",
            5,
            70,
            ((7, 30), (17, 30)),
            &["whole_blood", "platelets"],
        ),
        vehicle(6, "鄂D·F2687", 4, 50, ((8, 0), (18, 0)), WHOLE_BLOOD),
    ]
}
