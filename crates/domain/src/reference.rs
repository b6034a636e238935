//! Human booking references such as `BK-7F3K9Q`: short enough to read over the phone,
//! drawn from Crockford's base32 alphabet so no two characters look alike.

use std::fmt;

/// Crockford base32: digits and capitals without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "BK-";
pub const REFERENCE_CHARS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BookingReference(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a booking reference (BK- and six letters or digits)")]
pub struct InvalidReference(pub String);

impl BookingReference {
    /// Builds a reference from random bytes (the caller owns randomness; this crate has no IO).
    /// 256 is a multiple of 32, so every character is equally likely.
    pub fn from_random(bytes: [u8; REFERENCE_CHARS]) -> Self {
        let code: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET.get(usize::from(b % 32)).copied().unwrap_or(b'0')))
            .collect();
        Self(format!("{PREFIX}{code}"))
    }

    /// Reads a reference as a person might type it: any case, with the look-alikes
    /// O, I and L read as 0, 1 and 1.
    pub fn parse(raw: &str) -> Result<Self, InvalidReference> {
        let invalid = || InvalidReference(raw.to_owned());
        let upper = raw.trim().to_ascii_uppercase();
        let code = upper.strip_prefix(PREFIX).ok_or_else(invalid)?;
        if code.chars().count() != REFERENCE_CHARS {
            return Err(invalid());
        }
        let normalised: String = code
            .chars()
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        if !normalised.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(invalid());
        }
        Ok(Self(format!("{PREFIX}{normalised}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn references_read_back_in_any_case_and_with_look_alikes() {
        assert_eq!(
            BookingReference::parse(" bk-7f3k9q ").map(|r| r.to_string()),
            Ok("BK-7F3K9Q".into())
        );
        assert_eq!(
            BookingReference::parse("BK-O1LI00").map(|r| r.to_string()),
            Ok("BK-011100".into())
        );
    }

    #[test]
    fn malformed_references_are_refused() {
        for raw in [
            "",
            "BK-",
            "BK-12345",
            "BK-1234567",
            "XX-123456",
            "BK-12345U",
            "6f1c2a4e-1111",
        ] {
            assert!(BookingReference::parse(raw).is_err(), "{raw}");
        }
    }

    proptest! {
        #[test]
        fn generated_references_parse_to_themselves(bytes in any::<[u8; 6]>()) {
            let reference = BookingReference::from_random(bytes);
            prop_assert_eq!(reference.as_str().len(), 9);
            prop_assert_eq!(BookingReference::parse(reference.as_str()), Ok(reference.clone()));
        }
    }
}
