//! Who donates: newtypes for the donor's phone, name and email that parse once.
//!
//! Each `parse` takes the JSON path of the field being parsed, so the same type serves
//! "donor.phone" in a booking and any other path elsewhere.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;

/// A phone number in E.164 form ("+8613800138000").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[schema(value_type = String, example = "+8613800138000")]
pub struct PhoneNumber(String);

/// A phone number shown to people who need only to recognise it: every digit but the last four
/// hidden ("+86*******5678"); a leading "+86" is kept.
pub fn mask_phone(phone: &str) -> String {
    let (prefix, rest) = match phone.strip_prefix(CN_COUNTRY_CODE) {
        Some(rest) => (CN_COUNTRY_CODE, rest),
        None => ("", phone),
    };
    let count = rest.chars().count();
    let masked: String = rest
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < count { '*' } else { c })
        .collect();
    format!("{prefix}{masked}")
}

/// Text fit for a log: every run of seven or more digits (a phone number) masked but for its
/// last four, and every e-mail address but for the first letter of its local part
/// ("li@example.org" → "l***@example.org").
pub fn mask_contacts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&mask_word(word));
    }
    out
}

fn mask_word(word: &str) -> String {
    if let Some((local, domain)) = word.split_once('@')
        && !domain.is_empty()
        && let Some(first) = local.chars().find(|c| c.is_alphanumeric())
    {
        let lead: String = local.chars().take_while(|c| !c.is_alphanumeric()).collect();
        return format!("{lead}{first}***@{}", mask_digits(domain));
    }
    mask_digits(word)
}

fn mask_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 7 {
            out.push_str(&"*".repeat(digits.len() - 4));
            out.push_str(&digits[digits.len() - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// E.164 allows at most 15 digits after the "+"; fewer than 7 is no real subscriber number.
const E164_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;
/// A Chinese mobile number is 11 digits: "1", then 3 to 9, then 9 more digits.
const CN_MOBILE_DIGITS: usize = 11;
const CN_COUNTRY_CODE: &str = "+86";

impl PhoneNumber {
    /// Accepts E.164 ("+4915112345678") or a Chinese 11-digit mobile number ("138 0013 8000"),
    /// which becomes "+86…". Spaces and dashes are ignored, and full-width digits, plus and space
    /// (as typed with a Chinese input method) count as their ASCII forms. Anything else is an
    /// error with code "invalid_phone".
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .chars()
            .map(to_ascii_form)
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let invalid = || {
            FieldError::new(
                field,
                "invalid_phone",
                format!(
                    "{input:?} is not a phone number: use international form (+8613800138000) \
                     or an 11-digit Chinese mobile number (13800138000)"
                ),
            )
        };
        if let Some(digits) = compact.strip_prefix('+') {
            let ok = E164_DIGITS.contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0');
            return if ok {
                Ok(Self(compact))
            } else {
                Err(invalid())
            };
        }
        if is_chinese_mobile(&compact) {
            return Ok(Self(format!("{CN_COUNTRY_CODE}{compact}")));
        }
        Err(invalid())
    }

    /// The number in E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_chinese_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == CN_MOBILE_DIGITS
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

/// Maps full-width digits, plus, hyphen and the ideographic space to ASCII.
fn to_ascii_form(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '＋' => '+',
        '－' => '-',
        '\u{3000}' => ' ',
        _ => c,
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A donor's name: trimmed, 1 to [`DonorName::MAX_CHARS`] Unicode characters, no control
/// characters. CJK, Latin and emoji are kept exactly; text that looks like SQL is just text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[schema(value_type = String, example = "张三")]
pub struct DonorName(String);

impl DonorName {
    /// Longest name accepted, counted in Unicode scalar values (an emoji ZWJ sequence counts
    /// each of its parts).
    pub const MAX_CHARS: usize = 50;

    /// Parses a name; codes "name_required", "name_too_long", "name_invalid_characters".
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(FieldError::new(
                field,
                "name_required",
                "the name must not be empty",
            ));
        }
        let chars = name.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "name_too_long",
                format!(
                    "the name has {chars} characters; at most {} are allowed",
                    Self::MAX_CHARS
                ),
            ));
        }
        // Line and paragraph separators break run sheets and SMS just like control characters.
        if name
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
        {
            return Err(FieldError::new(
                field,
                "name_invalid_characters",
                "the name must not contain control characters or line breaks",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DonorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DonorName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An email address that passed a syntactic check; the domain part is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[schema(value_type = String, example = "zhang@example.com")]
pub struct Email(String);

impl Email {
    /// Longest address accepted (RFC 5321 path limit).
    pub const MAX_CHARS: usize = 254;
    /// Longest local part accepted (RFC 5321).
    pub const MAX_LOCAL_CHARS: usize = 64;

    /// Checks the shape only (delivery proves the rest): trimmed, at most 254 characters, exactly
    /// one "@", a non-empty local part of at most 64 characters, a domain of non-empty
    /// dot-separated labels with at least one dot, no whitespace or control characters. Error
    /// code "invalid_email".
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let invalid = |why: &str| {
            FieldError::new(
                field,
                "invalid_email",
                format!("{input:?} is not an email address: {why}"),
            )
        };
        if s.chars().count() > Self::MAX_CHARS {
            return Err(invalid("it is longer than 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains spaces or control characters"));
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            _ => return Err(invalid("it needs exactly one @")),
        };
        if local.is_empty() || local.chars().count() > Self::MAX_LOCAL_CHARS {
            return Err(invalid("the part before @ must have 1 to 64 characters"));
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && !label.contains(['(', ')', '<', '>', '[', ']', ',', ';', ':', '\\', '"'])
        });
        if !domain.contains('.') || !labels_ok {
            return Err(invalid(
                "the part after @ must be a domain such as example.com",
            ));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// Parses an optional field: absent, empty or blank means no email.
    pub fn parse_optional(input: Option<&str>, field: &str) -> Result<Option<Self>, FieldError> {
        match input.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Self::parse(s, field).map(Some),
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_in_log_text_are_masked() {
        assert_eq!(
            mask_contacts("550 <li.si@example.org> unknown, call +8613912345678 or 1234"),
            "550 <l***@example.org> unknown, call +*********5678 or 1234"
        );
        assert_eq!(
            mask_contacts("/api/v1/stations/12/days/2026-12-10"),
            "/api/v1/stations/12/days/2026-12-10"
        );
        assert_eq!(mask_contacts("@ alone"), "@ alone");
    }

    #[test]
    fn masked_phones_keep_only_the_last_four_digits() {
        assert_eq!(mask_phone("+8613912345678"), "+86*******5678");
        assert_eq!(mask_phone("+4915112345678"), "**********5678");
        assert_eq!(mask_phone("123"), "123");
    }
    use proptest::prelude::*;

    fn phone(s: &str) -> Result<String, FieldError> {
        PhoneNumber::parse(s, "donor.phone").map(|p| p.as_str().to_owned())
    }

    #[test]
    fn accepts_e164_and_chinese_mobiles() {
        assert_eq!(phone("+8613800138000").unwrap(), "+8613800138000");
        assert_eq!(phone("+4915112345678").unwrap(), "+4915112345678");
        assert_eq!(phone("13800138000").unwrap(), "+8613800138000");
        assert_eq!(phone("138 0013 8000").unwrap(), "+8613800138000");
        assert_eq!(phone("138-0013-8000").unwrap(), "+8613800138000");
        assert_eq!(phone(" +49 151 1234-5678 ").unwrap(), "+4915112345678");
        assert_eq!(phone("１３８００１３８０００").unwrap(), "+8613800138000");
        assert_eq!(
            phone("＋86 138\u{3000}0013 8000").unwrap(),
            "+8613800138000"
        );
        assert_eq!(phone("19912345678").unwrap(), "+8619912345678");
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "+",
            "12800138000",       // second digit 2
            "1380013800",        // 10 digits
            "138001380001",      // 12 digits
            "23800138000",       // not starting with 1
            "+0123456789",       // country code cannot start with 0
            "+1234567890123456", // 16 digits
            "+123456",           // too short
            "+86 138 abc",
            "(+86)13800138000",
            "8613800138000",
            "13800138000; DROP TABLE bookings",
            "+86138001380００x",
        ] {
            let e = phone(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("donor.phone", "invalid_phone"),
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_error_keeps_the_given_field() {
        let e = PhoneNumber::parse("x", "organiser.phone").unwrap_err();
        assert_eq!(e.field, "organiser.phone");
    }

    #[test]
    fn names_are_trimmed_and_kept_exactly() {
        for (input, expected) in [
            ("  张三  ", "张三"),
            ("Zoë O'Brien", "Zoë O'Brien"),
            ("李🩸", "李🩸"),
            (
                "Robert'); DROP TABLE donors;--",
                "Robert'); DROP TABLE donors;--",
            ),
            ("👩‍👩‍👧", "👩‍👩‍👧"),
        ] {
            assert_eq!(
                DonorName::parse(input, "donor.name").unwrap().as_str(),
                expected
            );
        }
    }

    #[test]
    fn name_length_counts_characters_not_bytes() {
        let fifty = "血".repeat(50);
        assert!(DonorName::parse(&fifty, "donor.name").is_ok());
        let e = DonorName::parse(&"血".repeat(51), "donor.name").unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("donor.name", "name_too_long"));
    }

    #[test]
    fn bad_names() {
        for (bad, code) in [
            ("", "name_required"),
            ("   ", "name_required"),
            ("a\u{0}b", "name_invalid_characters"),
            ("a\nb", "name_invalid_characters"),
            ("a\u{7f}b", "name_invalid_characters"),
            ("a\u{2028}b", "name_invalid_characters"),
        ] {
            assert_eq!(
                DonorName::parse(bad, "donor.name").unwrap_err().code,
                code,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn emails() {
        let ok = |s: &str| Email::parse(s, "donor.email").map(|e| e.as_str().to_owned());
        assert_eq!(ok("zhang@example.com").unwrap(), "zhang@example.com");
        assert_eq!(
            ok(" Zhang.San@Example.COM ").unwrap(),
            "Zhang.San@example.com"
        );
        assert_eq!(
            ok("a+tag@mail.example.cn").unwrap(),
            "a+tag@mail.example.cn"
        );
        assert_eq!(ok("用户@例子.中国").unwrap(), "用户@例子.中国");
        for bad in [
            "",
            "zhang",
            "@example.com",
            "zhang@",
            "zhang@example",
            "zhang@@example.com",
            "a@b@example.com",
            "zhang san@example.com",
            "zhang@example..com",
            "zhang@.example.com",
            "zhang@example.com.",
            "zhang@-example.com",
            "zhang@exa;mple.com",
        ] {
            let e = Email::parse(bad, "donor.email").unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("donor.email", "invalid_email"),
                "{bad}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(ok(&long_local).is_err());
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert_eq!(long.len(), 255);
        assert!(ok(&long).is_err());
        assert!(ok(&long[1..]).is_ok());
    }

    #[test]
    fn optional_email() {
        assert_eq!(Email::parse_optional(None, "donor.email"), Ok(None));
        assert_eq!(Email::parse_optional(Some("  "), "donor.email"), Ok(None));
        assert!(
            Email::parse_optional(Some("a@b.cn"), "donor.email")
                .unwrap()
                .is_some()
        );
        assert!(Email::parse_optional(Some("nope"), "donor.email").is_err());
    }

    proptest! {
        #[test]
        fn every_chinese_mobile_normalises_to_e164(second in 3u8..=9, rest in "[0-9]{9}") {
            let local = format!("1{second}{rest}");
            let p = PhoneNumber::parse(&local, "donor.phone").unwrap();
            prop_assert_eq!(p.as_str(), format!("+86{local}"));
            // Parsing the normalised form again is a fixed point.
            let again = PhoneNumber::parse(p.as_str(), "donor.phone").unwrap();
            prop_assert_eq!(again, p);
        }

        #[test]
        fn parsed_names_are_fixed_points(s in "\\PC{0,60}") {
            if let Ok(name) = DonorName::parse(&s, "donor.name") {
                prop_assert_eq!(DonorName::parse(name.as_str(), "donor.name").unwrap(), name.clone());
                prop_assert!(name.as_str().chars().count() <= DonorName::MAX_CHARS);
            }
        }
    }
}
