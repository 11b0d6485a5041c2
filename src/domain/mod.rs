//! Pure domain rules of bloodmobile: no HTTP, no SQL, no clock.
//!
//! Input is parsed once into the types here (`PhoneNumber`, `DonorName`, `BloodType`, ...), so the
//! rest of the service never handles an unchecked string. Every number a station may tune lives in
//! a configuration value (`VolumeRules`, `RuleBook`, `PlasmaPolicy`, `BookingPolicy`,
//! `CapacityPolicy`) whose constructor carries the defaults; the logic itself holds no such
//! constants (national limits are data in `eligibility::rules`, each with its source).

#![warn(missing_docs)]

pub mod calendar;
pub mod capacity;
pub mod dispatch;
pub mod donation;
pub mod donor;
pub mod eligibility;
pub mod language;
pub mod notice;
pub mod reference;

use serde::Serialize;
use utoipa::ToSchema;

/// A client input that failed validation, naming the field (JSON path like "donor.phone").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// JSON path of the offending field, e.g. "donor.phone".
    pub field: String,
    /// Stable, machine-readable error code, e.g. "invalid_phone".
    pub code: &'static str,
    /// Human-readable explanation in English.
    pub message: String,
}

impl FieldError {
    /// Builds a field error from its three parts.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// The variant of `T` whose serde name is `word`: the name the API document gives it, so that
/// an enum's words are written once, in its `rename_all`.
pub fn variant_named<T: serde::de::DeserializeOwned>(word: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    let word: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        word.into_deserializer();
    T::deserialize(word).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_is_found_by_its_serde_name_only() {
        use super::donation::DonationKind;
        assert_eq!(variant_named("whole_blood"), Some(DonationKind::WholeBlood));
        assert_eq!(variant_named::<DonationKind>("WholeBlood"), None);
        assert_eq!(variant_named::<DonationKind>(""), None);
    }

    #[test]
    fn field_error_displays_field_and_message() {
        let e = FieldError::new("donor.phone", "invalid_phone", "not a phone number");
        assert_eq!(e.to_string(), "donor.phone: not a phone number");
        assert_eq!(e.code, "invalid_phone");
    }

    #[test]
    fn field_error_serialises_all_parts() {
        let e = FieldError::new("volume_ml", "invalid_volume", "m");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"field": "volume_ml", "code": "invalid_volume", "message": "m"})
        );
    }
}
