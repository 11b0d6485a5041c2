//! Forms: what a page shows next to each field when the service refused it, in the page's
//! language, from the same errors the API returns.

use super::page::Ui;
use crate::booking::BookingError;
use crate::domain::FieldError;

/// Messages per form field, in the order they are shown.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(field, message)` pairs, for the summary at the top of a form.
    pub fn items(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message.into()));
        }
    }
}

/// A checkbox as a form holds it: "yes" ticked, empty not (a browser sends nothing for an
/// unticked box).
pub fn checkbox(ticked: bool) -> String {
    if ticked { "yes".into() } else { String::new() }
}

/// The form field an API field path stands for: "donor.phone" is `phone`,
/// "donor.last_donations[0].date" is `last_date`.
pub fn form_field(path: &str) -> String {
    let path = path.strip_prefix("donor.").unwrap_or(path);
    if path.starts_with("last_donation") {
        return if path.ends_with(".kind") {
            "last_kind".into()
        } else {
            "last_date".into()
        };
    }
    match path {
        "vaccination.date" | "vaccination.time" => "vaccination_date".into(),
        "vaccination" | "vaccination.vaccine" => "vaccine".into(),
        "volume_ml" => "kind".into(),
        "birth_date" | "name" | "phone" | "email" | "sex" | "weight_kg" | "blood_type" => {
            path.into()
        }
        other => other.replace('.', "_"),
    }
}

/// A field error in the page's words (the API's own are in English).
pub fn field_message(ui: &Ui, error: &FieldError) -> String {
    let t = ui.t;
    let field = form_field(&error.field);
    match (error.code, field.as_str()) {
        ("required", _) => t.err_required.into(),
        ("invalid_phone", _) => t.err_phone.into(),
        ("invalid_email", _) => t.err_email.into(),
        ("donated_under_18", _) => t.err_under_18.into(),
        ("invalid_volume", _) => t.err_volume.into(),
        (_, "weight_kg") => t.err_weight.into(),
        (_, "name") => t.err_name.into(),
        ("invalid_date", _) => t.err_date.into(),
        _ => ui.lang.pick(
            format!("{}（{}）", t.err_check_field, error.message),
            error.message.clone(),
        ),
    }
}

/// What a refused booking or change says when it is not about one field.
pub fn booking_message(ui: &Ui, error: &BookingError) -> String {
    let t = ui.t;
    match error {
        BookingError::Calendar(e) => match e.code() {
            "after_cutoff" => t.err_after_cutoff.into(),
            "outside_horizon" => t.err_outside_horizon.into(),
            "too_late_to_change" => t.err_too_late.into(),
            _ => t.err_check_field.into(),
        },
        BookingError::KindNotOffered { .. } => t.err_kind_not_offered.into(),
        BookingError::AlreadyBooked => t.err_already_booked.into(),
        BookingError::AlreadyWaiting => t.err_already_waiting.into(),
        BookingError::SeatsAvailable => t.err_seats_available.into(),
        BookingError::IdempotencyKeyReused => t.err_form_reused.into(),
        BookingError::Cancelled => t.err_cancelled.into(),
        BookingError::MissingToken | BookingError::WrongToken | BookingError::NotFound { .. } => {
            t.err_wrong_link.into()
        }
        BookingError::Full { .. } => t.full_heading.into(),
        BookingError::Ineligible { refusal, language } => refusal.message(*language),
        BookingError::HistoryConflict {
            conflict, language, ..
        } => conflict.message(*language),
        BookingError::Invalid(e) => field_message(ui, e),
        BookingError::NotYet { .. } | BookingError::Internal(_) | BookingError::Db(_) => {
            t.unavailable_text.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_name_the_form_fields() {
        assert_eq!(form_field("donor.phone"), "phone");
        assert_eq!(form_field("donor.last_donations[0].date"), "last_date");
        assert_eq!(form_field("donor.last_donation.kind"), "last_kind");
        assert_eq!(form_field("donor.vaccination.date"), "vaccination_date");
        assert_eq!(form_field("window"), "window");
    }

    #[test]
    fn a_field_keeps_its_first_message() {
        let mut errors = FieldErrors::default();
        errors.push("phone", "a");
        errors.push("phone", "b");
        assert_eq!(errors.get("phone"), Some("a"));
        assert_eq!(errors.items().len(), 1);
    }
}
