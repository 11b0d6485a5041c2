//! The station's twenty bloodmobiles: different sizes, shifts and kinds, as a real fleet grows
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
        // Bought in the 2020 lockdown, when community and village drives became the main
        // source: the standard four- to six-bed coaches.
        vehicle(7, "鄂D·G4418", 5, 60, ((7, 30), (17, 30)), WHOLE_BLOOD),
        vehicle(8, "鄂D·H6032", 5, 60, ((7, 30), (17, 30)), WHOLE_BLOOD),
        vehicle(9, "鄂D·J1957", 4, 50, ((8, 0), (18, 0)), WHOLE_BLOOD),
        vehicle(10, "鄂D·K8820", 4, 50, ((8, 0), (18, 0)), WHOLE_BLOOD),
        vehicle(11, "鄂D·L3365", 3, 40, ((7, 0), (13, 0)), WHOLE_BLOOD),
        vehicle(12, "鄂D·M5091", 3, 40, ((12, 0), (18, 30)), WHOLE_BLOOD),
        vehicle(13, "鄂D·N2748", 5, 60, ((7, 0), (17, 0)), WHOLE_BLOOD),
        vehicle(14, "鄂D·P9163", 5, 60, ((7, 0), (17, 0)), WHOLE_BLOOD),
        vehicle(15, "鄂D·Q0571", 4, 50, ((7, 30), (17, 30)), WHOLE_BLOOD),
        vehicle(16, "鄂D·R6384", 4, 50, ((7, 30), (17, 30)), WHOLE_BLOOD),
        // The second apheresis coach, for the city's platelet donors.
        vehicle(
            17,
            "鄂D·S2219",
            6,
            70,
            ((7, 0), (17, 0)),
            &["whole_blood", "platelets"],
        ),
        vehicle(18, "鄂D·T7706", 6, 70, ((7, 0), (17, 0)), WHOLE_BLOOD),
        // Lent for weekend drives by the Jingmen station, as neighbouring stations do.
        vehicle(19, "鄂H·U3350", 5, 60, ((7, 30), (17, 30)), WHOLE_BLOOD),
        vehicle(20, "鄂H·V8124", 4, 50, ((8, 0), (18, 0)), WHOLE_BLOOD),
    ]
}
