//! What is donated: donation kinds, the donor's sex and blood type, and the allowed volumes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;

/// A kind of donation a bloodmobile can collect.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DonationKind {
    /// Whole blood (全血), collected in 200 ml units.
    WholeBlood,
    /// Apheresis platelets (单采血小板), counted in therapeutic doses.
    Platelets,
    /// Apheresis plasma (e.g. convalescent plasma, as in 2020).
    Plasma,
}

impl DonationKind {
    /// Every kind, in a stable order.
    pub const ALL: [DonationKind; 3] = [Self::WholeBlood, Self::Platelets, Self::Plasma];

    /// The wire name: "whole_blood", "platelets" or "plasma".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WholeBlood => "whole_blood",
            Self::Platelets => "platelets",
            Self::Plasma => "plasma",
        }
    }

    /// Parses a wire name (exact, lower case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the kind is collected by apheresis (a machine returns the rest to the donor).
    pub fn is_apheresis(self) -> bool {
        matches!(self, Self::Platelets | Self::Plasma)
    }

    /// A plain English label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::WholeBlood => "whole blood",
            Self::Platelets => "platelets",
            Self::Plasma => "plasma",
        }
    }
}

impl std::fmt::Display for DonationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A number per donation kind: donors booked, minutes per donor, seats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct KindCounts {
    /// Whole blood.
    pub whole_blood: u32,
    /// Apheresis platelets.
    pub platelets: u32,
    /// Apheresis plasma.
    pub plasma: u32,
}

impl KindCounts {
    /// One of `kind`, none of the others.
    pub fn one(kind: DonationKind, count: u32) -> Self {
        let mut counts = Self::default();
        *counts.get_mut(kind) = count;
        counts
    }

    /// The value for `kind`.
    pub fn get(&self, kind: DonationKind) -> u32 {
        match kind {
            DonationKind::WholeBlood => self.whole_blood,
            DonationKind::Platelets => self.platelets,
            DonationKind::Plasma => self.plasma,
        }
    }

    /// The value for `kind`, to change.
    pub fn get_mut(&mut self, kind: DonationKind) -> &mut u32 {
        match kind {
            DonationKind::WholeBlood => &mut self.whole_blood,
            DonationKind::Platelets => &mut self.platelets,
            DonationKind::Plasma => &mut self.plasma,
        }
    }

    /// Sum over the kinds.
    pub fn total(&self) -> u32 {
        self.whole_blood + self.platelets + self.plasma
    }

    /// Kinds with a non-zero value, in [`DonationKind::ALL`] order.
    pub fn kinds(&self) -> impl Iterator<Item = DonationKind> + '_ {
        DonationKind::ALL.into_iter().filter(|&k| self.get(k) > 0)
    }

    /// Kind by kind sum.
    pub fn plus(&self, other: &KindCounts) -> KindCounts {
        KindCounts {
            whole_blood: self.whole_blood + other.whole_blood,
            platelets: self.platelets + other.platelets,
            plasma: self.plasma + other.plasma,
        }
    }

    /// Kind by kind difference, never below zero.
    pub fn minus(&self, other: &KindCounts) -> KindCounts {
        KindCounts {
            whole_blood: self.whole_blood.saturating_sub(other.whole_blood),
            platelets: self.platelets.saturating_sub(other.platelets),
            plasma: self.plasma.saturating_sub(other.plasma),
        }
    }
}

/// The donor's sex, which sets the minimum weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl Sex {
    /// The wire name: "male" or "female".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    /// Parses a wire name (exact, lower case).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Male, Self::Female]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An ABO blood group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AboGroup {
    /// Group A.
    A,
    /// Group B.
    B,
    /// Group AB.
    AB,
    /// Group O.
    O,
}

/// ABO group and Rh(D) factor, written "A+", "A-", "B+", "B-", "AB+", "AB-", "O+" or "O-".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum BloodType {
    /// A, Rh positive.
    #[serde(rename = "A+")]
    APos,
    /// A, Rh negative.
    #[serde(rename = "A-")]
    ANeg,
    /// B, Rh positive.
    #[serde(rename = "B+")]
    BPos,
    /// B, Rh negative.
    #[serde(rename = "B-")]
    BNeg,
    /// AB, Rh positive.
    #[serde(rename = "AB+")]
    AbPos,
    /// AB, Rh negative.
    #[serde(rename = "AB-")]
    AbNeg,
    /// O, Rh positive.
    #[serde(rename = "O+")]
    OPos,
    /// O, Rh negative.
    #[serde(rename = "O-")]
    ONeg,
}

impl BloodType {
    /// Every blood type, in a stable order.
    pub const ALL: [BloodType; 8] = [
        Self::APos,
        Self::ANeg,
        Self::BPos,
        Self::BNeg,
        Self::AbPos,
        Self::AbNeg,
        Self::OPos,
        Self::ONeg,
    ];

    /// The written form, e.g. "AB-".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::APos => "A+",
            Self::ANeg => "A-",
            Self::BPos => "B+",
            Self::BNeg => "B-",
            Self::AbPos => "AB+",
            Self::AbNeg => "AB-",
            Self::OPos => "O+",
            Self::ONeg => "O-",
        }
    }

    /// Parses "A+", "ab-", " O+ " (trimmed, case-insensitive); error field "donor.blood_type".
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let wanted = s.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| {
                FieldError::new(
                    "donor.blood_type",
                    "invalid_blood_type",
                    format!(
                        "blood type must be one of A+, A-, B+, B-, AB+, AB-, O+, O-; got {s:?}"
                    ),
                )
            })
    }

    /// The ABO group.
    pub fn abo(self) -> AboGroup {
        match self {
            Self::APos | Self::ANeg => AboGroup::A,
            Self::BPos | Self::BNeg => AboGroup::B,
            Self::AbPos | Self::AbNeg => AboGroup::AB,
            Self::OPos | Self::ONeg => AboGroup::O,
        }
    }

    /// Whether the Rh(D) factor is positive.
    pub fn rh_positive(self) -> bool {
        matches!(self, Self::APos | Self::BPos | Self::AbPos | Self::OPos)
    }
}

impl std::fmt::Display for BloodType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The volumes a donor may choose for one kind, and the one offered by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VolumeOptions {
    /// Allowed volumes in ml, ascending.
    pub allowed_ml: Vec<u32>,
    /// Volume pre-selected for the donor; also assumed for a past donation of unknown volume.
    pub default_ml: u32,
}

/// Allowed donation volumes per kind (station configuration).
///
/// Defaults:
/// - whole blood 200, 300 or 400 ml (1 U = 200 ml), default 400 ml, the usual urban choice;
/// - apheresis platelets 1 or 2 therapeutic doses, counted as 250 ml per dose (the usual bag of
///   about 2.5 × 10¹¹ platelets in ~250 ml of plasma), i.e. 250 or 500 ml, default 250 ml;
/// - apheresis plasma 200 to 600 ml in 50 ml steps, default 400 ml: the defaults of a station's
///   plasma policy (`eligibility::PlasmaPolicy`), which sets its own once plasma is turned on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VolumeRules {
    /// Whole blood volumes.
    pub whole_blood: VolumeOptions,
    /// Apheresis platelet volumes.
    pub platelets: VolumeOptions,
    /// Apheresis plasma volumes.
    pub plasma: VolumeOptions,
}

impl Default for VolumeRules {
    fn default() -> Self {
        Self {
            whole_blood: VolumeOptions {
                allowed_ml: vec![200, 300, 400],
                default_ml: 400,
            },
            platelets: VolumeOptions {
                allowed_ml: vec![250, 500],
                default_ml: 250,
            },
            plasma: VolumeOptions {
                allowed_ml: (200..=600).step_by(50).collect(),
                default_ml: 400,
            },
        }
    }
}

impl VolumeRules {
    /// The options for one kind.
    pub fn options(&self, kind: DonationKind) -> &VolumeOptions {
        match kind {
            DonationKind::WholeBlood => &self.whole_blood,
            DonationKind::Platelets => &self.platelets,
            DonationKind::Plasma => &self.plasma,
        }
    }

    /// Accepts `volume_ml` only if it is one of the kind's allowed volumes (field "volume_ml").
    pub fn check(&self, kind: DonationKind, volume_ml: u32) -> Result<(), FieldError> {
        let allowed = &self.options(kind).allowed_ml;
        if allowed.contains(&volume_ml) {
            return Ok(());
        }
        let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
        Err(FieldError::new(
            "volume_ml",
            "invalid_volume",
            format!(
                "{volume_ml} ml is not an allowed volume for {}; choose one of {} ml",
                kind.label(),
                list.join(", ")
            ),
        ))
    }

    /// The volume offered by default for a kind.
    pub fn default_volume(&self, kind: DonationKind) -> u32 {
        self.options(kind).default_ml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_wire_names_and_serde() {
        for kind in DonationKind::ALL {
            assert_eq!(DonationKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<DonationKind>(&json).unwrap(), kind);
        }
        assert_eq!(DonationKind::parse("Whole_Blood"), None);
        assert!(DonationKind::Plasma.is_apheresis());
        assert!(!DonationKind::WholeBlood.is_apheresis());
    }

    #[test]
    fn sex_round_trips() {
        for s in [Sex::Male, Sex::Female] {
            assert_eq!(Sex::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Sex::parse("other"), None);
    }

    #[test]
    fn blood_types_parse_and_serialise() {
        for t in BloodType::ALL {
            assert_eq!(BloodType::parse(t.as_str()), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<BloodType>(&json).unwrap(), t);
        }
        assert_eq!(BloodType::parse(" ab- "), Ok(BloodType::AbNeg));
        assert_eq!(BloodType::AbNeg.abo(), AboGroup::AB);
        assert!(!BloodType::AbNeg.rh_positive());
        assert!(BloodType::OPos.rh_positive());
    }

    #[test]
    fn bad_blood_types_name_the_field() {
        for bad in ["", "C+", "A", "0+", "AB", "A++"] {
            let e = BloodType::parse(bad).unwrap_err();
            assert_eq!(e.field, "donor.blood_type");
            assert_eq!(e.code, "invalid_blood_type");
        }
    }

    #[test]
    fn default_volumes() {
        let rules = VolumeRules::default();
        for v in [200, 300, 400] {
            assert!(rules.check(DonationKind::WholeBlood, v).is_ok());
        }
        for v in [0, 100, 250, 450, 500] {
            let e = rules.check(DonationKind::WholeBlood, v).unwrap_err();
            assert_eq!((e.field.as_str(), e.code), ("volume_ml", "invalid_volume"));
        }
        assert!(rules.check(DonationKind::Platelets, 500).is_ok());
        assert!(rules.check(DonationKind::Platelets, 400).is_err());
        assert!(rules.check(DonationKind::Plasma, 550).is_ok());
        assert!(rules.check(DonationKind::Plasma, 525).is_err());
        assert!(rules.check(DonationKind::Plasma, 650).is_err());
        for kind in DonationKind::ALL {
            let d = rules.default_volume(kind);
            assert!(
                rules.check(kind, d).is_ok(),
                "default of {kind} must be allowed"
            );
        }
    }

    #[test]
    fn volume_error_lists_the_choices() {
        let e = VolumeRules::default()
            .check(DonationKind::WholeBlood, 250)
            .unwrap_err();
        assert!(e.message.contains("200, 300, 400"), "{}", e.message);
    }
}
