//! Property-driven fuzzing of what comes from outside: the booking JSON, the Solomon files the
//! benchmark reads and the OSRM tables a station names. Any input, valid or mangled, ends in
//! a value or an error naming what is wrong; never a panic. Each runs a few hundred cases in
//! the test suite; `PROPTEST_CASES=100000 cargo test --release --test hostile_input` runs long.

use bloodmobile::api::bookings::CreateBookingBody;
use bloodmobile::bench::solomon::SolomonInstance;
use bloodmobile::routing::TravelMatrix;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, nested a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![
            Just("2026-02-29"),
            Just("1900-01-01"),
            Just("+8613912345678"),
            Just("morning"),
            Just("whole_blood"),
            Just("platelets"),
            Just("\u{0}"),
            Just("9999-12-31T23:59:59Z"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid_booking() -> Value {
    json!({
        "site_id": 1,
        "date": "2026-12-10",
        "window": "morning",
        "kind": "whole_blood",
        "language": "en",
        "donor": {
            "name": "李四",
            "phone": "13912345678",
            "email": "li@example.org",
            "birth_date": "1985-03-15",
            "sex": "female",
            "weight_kg": 58.5,
            "blood_type": "A+",
            "last_donation": {"date": "2026-01-10", "kind": "whole_blood", "volume_ml": 400}
        }
    })
}

/// A valid body with one field (top level or the donor's) replaced, dropped or added.
fn mangled_booking() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        Just("site_id"),
        Just("date"),
        Just("window"),
        Just("kind"),
        Just("language"),
        Just("volume_ml"),
        Just("donor"),
        Just("donor.last_donation"),
        Just("donor.vaccination"),
        Just("donor.apheresis_12_months"),
        Just("donor.name"),
        Just("donor.phone"),
        Just("donor.email"),
        Just("donor.birth_date"),
        Just("donor.sex"),
        Just("donor.weight_kg"),
        Just("donor.blood_type"),
        Just("unknown"),
        Just("donor.unknown"),
    ];
    (fields, prop::option::of(any_json())).prop_map(|(field, value)| {
        let mut body = valid_booking();
        let (object, key) = match field.split_once('.') {
            Some((outer, key)) => (&mut body[outer], key),
            None => (&mut body, field),
        };
        if let Value::Object(members) = object {
            match value {
                Some(value) => members.insert(key.to_string(), value),
                None => members.remove(key),
            };
        }
        body
    })
}

fn check_booking(body: Value) -> Result<(), TestCaseError> {
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap();
    let text = body.to_string();
    let deserializer = &mut serde_json::Deserializer::from_str(&text);
    match serde_path_to_error::deserialize::<_, CreateBookingBody>(deserializer) {
        Ok(parsed) => {
            if let Err(e) = parsed.parse_at(now) {
                prop_assert!(!e.field.is_empty(), "an error names its field: {e:?}");
            }
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

fn solomon_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/R101.txt"
    ))
    .expect("the R101 fixture")
}

/// The R101 file with a few lines dropped, cut or filled with other words.
fn mangled_solomon() -> impl Strategy<Value = String> {
    let edit = (0usize..120, 0u8..4, "[-0-9A-Za-z. ]{0,24}");
    prop::collection::vec(edit, 1..6).prop_map(|edits| {
        let mut lines: Vec<String> = solomon_text().lines().map(String::from).collect();
        for (at, how, words) in edits {
            let at = at % lines.len().max(1);
            match how {
                0 => {
                    lines.remove(at);
                }
                1 => lines[at] = words,
                2 => lines[at].truncate(at % 17),
                _ => lines.insert(at, words),
            }
            if lines.is_empty() {
                break;
            }
        }
        lines.join("\n")
    })
}

fn osrm_table() -> Value {
    json!({
        "code": "Ok",
        "durations": [[0, 600.5, 900], [610, 0, 300], [905, 310.2, 0]],
        "distances": [[0, 5000, 7000], [5100, 0, 2500], [7050, 2550, 0]],
        "sources": [{"location": [112.25, 30.32]}, {"location": [112.26, 30.31]}, {"location": [112.3, 30.4]}],
        "destinations": [{"location": [112.25, 30.32]}, {"location": [112.26, 30.31]}, {"location": [112.3, 30.4]}]
    })
}

fn mangled_osrm() -> impl Strategy<Value = Value> {
    let paths = prop_oneof![
        Just(vec!["code"]),
        Just(vec!["durations"]),
        Just(vec!["distances"]),
        Just(vec!["sources"]),
        Just(vec!["destinations"]),
        Just(vec!["durations", "1"]),
        Just(vec!["durations", "0", "2"]),
        Just(vec!["distances", "2"]),
        Just(vec!["sources", "0", "location"]),
    ];
    (paths, any_json()).prop_map(|(path, value)| {
        let mut table = osrm_table();
        let mut at = &mut table;
        for key in &path[..path.len() - 1] {
            at = match key.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*key],
            };
        }
        let last = path[path.len() - 1];
        match (last.parse::<usize>(), at) {
            (Ok(i), Value::Array(items)) if i < items.len() => items[i] = value,
            (Err(_), Value::Object(members)) => {
                members.insert(last.to_string(), value);
            }
            _ => {}
        }
        table
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_json_as_a_booking_is_parsed_or_refused_by_field(body in any_json()) {
        check_booking(body)?;
    }

    #[test]
    fn a_mangled_booking_is_parsed_or_refused_by_field(body in mangled_booking()) {
        check_booking(body)?;
    }

    #[test]
    fn a_mangled_solomon_file_parses_to_a_sound_instance_or_an_error(text in mangled_solomon()) {
        if let Ok(instance) = SolomonInstance::parse(&text) {
            prop_assert!(!instance.nodes.is_empty());
            prop_assert!(instance.capacity.is_finite());
        }
    }

    #[test]
    fn any_text_as_a_solomon_file_is_an_instance_or_an_error(text in ".{0,400}") {
        let _ = SolomonInstance::parse(&text);
    }

    #[test]
    fn a_mangled_osrm_table_is_a_square_matrix_or_an_error(table in mangled_osrm()) {
        if let Ok(matrix) = TravelMatrix::from_osrm_table(&table.to_string()) {
            prop_assert_eq!(matrix.durations_s.len(), matrix.size * matrix.size);
            prop_assert_eq!(matrix.distances_m.len(), matrix.size * matrix.size);
            prop_assert!(matrix.durations_s.iter().all(|&d| d >= 0));
            prop_assert!(matrix.distances_m.iter().all(|&d| d >= 0));
        }
    }

    #[test]
    fn any_json_as_an_osrm_table_is_a_matrix_or_an_error(table in any_json()) {
        let _ = TravelMatrix::from_osrm_table(&table.to_string());
    }
}

#[test]
fn the_unmangled_inputs_are_accepted() {
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap();
    let body: CreateBookingBody = serde_json::from_value(valid_booking()).unwrap();
    body.parse_at(now).unwrap();
    SolomonInstance::parse(&solomon_text()).unwrap();
    let matrix = TravelMatrix::from_osrm_table(&osrm_table().to_string()).unwrap();
    assert_eq!(matrix.size, 3);
    assert_eq!(matrix.duration(0, 1), 601);
    // Found by the fuzzing above: a negative time would let the planner gain by driving.
    let mut negative = osrm_table();
    negative["durations"][0][1] = json!(-5);
    assert!(TravelMatrix::from_osrm_table(&negative.to_string()).is_err());
}
