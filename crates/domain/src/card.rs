//! A payment card as a buyer types it: checked here once, by the server and by the web
//! app's form alike, before any gateway sees it. Only well-formed cards reach a gateway;
//! whether one is approved is the gateway's answer, not a rule.

use chrono::{DateTime, Datelike, Utc};

use crate::validation::ValidationErrors;

/// The card networks' test-mode numbers the simulated gateway answers to: the first is
/// approved, the second declined, as in every card sandbox.
pub const APPROVING_TEST_CARD: &str = "4242424242424242";
pub const DECLINING_TEST_CARD: &str = "4000000000000002";

/// A card's fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCard {
    pub number: String,
    pub expiry: String,
    pub cvc: String,
}

/// A well-formed card that has not expired. Its number never reaches a log: `Debug`
/// shows the last four digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    number: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Card(…{})", self.last4())
    }
}

impl Card {
    /// Checks every field at once, reporting each under `card.<field>`. Spaces and dashes
    /// people type between digit groups are ignored.
    pub fn parse(raw: &RawCard, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let number: String = raw
            .number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            errors.push("card.number", "must be 12 to 19 digits");
        } else if !luhn_valid(&number) {
            errors.push("card.number", "fails the check digit: check the number");
        }
        match parse_expiry(&raw.expiry) {
            None => errors.push("card.expiry", "must be MM/YY"),
            Some((year, month)) if (year, month) < (now.year(), now.month()) => {
                errors.push("card.expiry", "is in the past: this card has expired");
            }
            Some(_) => {}
        }
        let cvc = raw.cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            errors.push("card.cvc", "must be 3 or 4 digits");
        }
        if errors.is_empty() {
            Ok(Self { number })
        } else {
            Err(errors)
        }
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }
}

/// The Luhn check digit test every card number passes: it catches a mistyped digit and
/// most swapped neighbours.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `MM/YY` (or `MM/YYYY`, `MM / YY`) as (year, month).
fn parse_expiry(raw: &str) -> Option<(i32, u32)> {
    let (month, year) = raw.split_once('/')?;
    let month: u32 = month.trim().parse().ok()?;
    let year = year.trim();
    let year: i32 = match year.len() {
        2 => 2000 + year.parse::<i32>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    (1..=12).contains(&month).then_some((year, month))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn card(number: &str, expiry: &str, cvc: &str) -> RawCard {
        RawCard {
            number: number.into(),
            expiry: expiry.into(),
            cvc: cvc.into(),
        }
    }

    fn december_2026() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    fn fields(errors: ValidationErrors) -> Vec<String> {
        errors.into_fields().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_test_cards_are_well_formed() {
        for number in [
            APPROVING_TEST_CARD,
            DECLINING_TEST_CARD,
            "4242 4242-4242 4242",
        ] {
            let parsed = Card::parse(&card(number, "12/34", "123"), december_2026()).unwrap();
            assert_eq!(parsed.number().len(), 16);
        }
    }

    #[test]
    fn a_mistyped_digit_fails_the_check_digit() {
        let errors = Card::parse(&card("4242424242424241", "12/34", "123"), december_2026());
        assert_eq!(fields(errors.unwrap_err()), ["card.number"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = Card::parse(&card("42", "13/30", "12"), december_2026()).unwrap_err();
        assert_eq!(fields(errors), ["card.number", "card.expiry", "card.cvc"]);
        for expiry in ["", "1230", "12/3", "ab/cd", "00/30"] {
            let errors = Card::parse(&card(APPROVING_TEST_CARD, expiry, "123"), december_2026());
            assert_eq!(fields(errors.unwrap_err()), ["card.expiry"], "{expiry}");
        }
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        let now = december_2026();
        assert!(Card::parse(&card(APPROVING_TEST_CARD, "12/26", "123"), now).is_ok());
        assert!(Card::parse(&card(APPROVING_TEST_CARD, "01/2027", "1234"), now).is_ok());
        let expired = Card::parse(&card(APPROVING_TEST_CARD, "11/26", "123"), now);
        assert_eq!(fields(expired.unwrap_err()), ["card.expiry"]);
    }

    #[test]
    fn debug_output_hides_the_number() {
        let parsed = Card::parse(&card(APPROVING_TEST_CARD, "12/34", "123"), december_2026());
        assert_eq!(format!("{:?}", parsed.unwrap()), "Card(…4242)");
    }
}
