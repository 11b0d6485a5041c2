//! Short booking references a donor can read out on the phone: "K7Q9-XMT4".
//!
//! Eight symbols of Crockford base32 (digits and letters without I, L, O, U) carry 40 bits,
//! written as two groups of four. Reading them back forgives case, a missing dash and the usual
//! confusions (O for 0, I or L for 1).

use rand::Rng;

/// The Crockford base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a reference.
const SYMBOLS: usize = 8;
/// Symbols before the dash.
const GROUP: usize = 4;
/// Bits per symbol.
const BITS: usize = 5;

/// The reference for the low 40 bits of `random`, e.g. "K7Q9-XMT4".
pub fn booking_reference(random: u64) -> String {
    let mut out = String::with_capacity(SYMBOLS + 1);
    for i in 0..SYMBOLS {
        if i == GROUP {
            out.push('-');
        }
        let shift = BITS * (SYMBOLS - 1 - i);
        out.push(char::from(ALPHABET[((random >> shift) & 0x1f) as usize]));
    }
    out
}

/// A fresh reference from `rng`. References are short, so the caller must still check that a
/// new one is not already taken.
pub fn random_reference<R: Rng + ?Sized>(rng: &mut R) -> String {
    booking_reference(rng.r#gen())
}

/// The canonical form ("K7Q9-XMT4") of a reference as typed: case-insensitive, dashes and spaces
/// ignored, O read as 0 and I or L as 1. `None` unless exactly eight valid symbols remain.
pub fn normalise_reference(input: &str) -> Option<String> {
    let mut symbols = Vec::with_capacity(SYMBOLS);
    for c in input.chars() {
        let symbol = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        symbols.push(symbol);
    }
    if symbols.len() != SYMBOLS {
        return None;
    }
    let (head, tail) = symbols.split_at(GROUP);
    Some(format!(
        "{}-{}",
        String::from_iter(head),
        String::from_iter(tail)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_40_bits_as_two_groups() {
        assert_eq!(booking_reference(0), "0000-0000");
        assert_eq!(booking_reference((1 << 40) - 1), "ZZZZ-ZZZZ");
        assert_eq!(
            booking_reference(1 << 40),
            "0000-0000",
            "only the low 40 bits count"
        );
        assert_eq!(booking_reference(32), "0000-0010");
    }

    #[test]
    fn normalises_what_people_type() {
        assert_eq!(
            normalise_reference("k7q9-xmt4").as_deref(),
            Some("K7Q9-XMT4")
        );
        assert_eq!(
            normalise_reference("K7Q9XMT4").as_deref(),
            Some("K7Q9-XMT4")
        );
        assert_eq!(
            normalise_reference(" k7q9 xmt4 ").as_deref(),
            Some("K7Q9-XMT4")
        );
        assert_eq!(
            normalise_reference("OIL0-oil0").as_deref(),
            Some("0110-0110")
        );
        for bad in [
            "",
            "K7Q9-XMT",
            "K7Q9-XMT45",
            "K7Q9-XMU4",
            "K7Q9_XMT4",
            "K7Q9-XMT４",
            "' OR 1=1",
        ] {
            assert_eq!(normalise_reference(bad), None, "{bad}");
        }
    }

    #[test]
    fn random_references_are_well_formed() {
        let mut rng = rand::thread_rng();
        let r = random_reference(&mut rng);
        assert_eq!(normalise_reference(&r), Some(r));
    }

    proptest! {
        #[test]
        fn references_are_canonical(random in any::<u64>()) {
            let r = booking_reference(random);
            prop_assert_eq!(r.len(), 9);
            prop_assert!(!r.contains(['I', 'L', 'O', 'U']));
            prop_assert_eq!(normalise_reference(&r), Some(r.clone()));
            prop_assert_eq!(normalise_reference(&r.replace('-', "").to_lowercase()), Some(r));
        }

        #[test]
        fn distinct_40_bit_values_give_distinct_references(a in 0u64..1 << 40, b in 0u64..1 << 40) {
            prop_assert_eq!(a == b, booking_reference(a) == booking_reference(b));
        }
    }
}
