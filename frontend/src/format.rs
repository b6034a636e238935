//! How money, dates and availability read on screen. Pure functions, so the rules are
//! plain to see and the same on every page.

use chrono::{DateTime, FixedOffset, Offset as _, Utc};

/// `12345` USD cents → `$123.45`. Integer arithmetic only: cents never pass through a float.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (units, rest) = (abs / 100, abs % 100);
    let units = group_thousands(units);
    match currency.to_ascii_uppercase().as_str() {
        "USD" => format!("{sign}${units}.{rest:02}"),
        "EUR" => format!("{sign}€{units}.{rest:02}"),
        "GBP" => format!("{sign}£{units}.{rest:02}"),
        other => format!("{sign}{units}.{rest:02} {other}"),
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// "March 15, 2026 at 10:00 AM" at the given offset east of UTC (the browser's own time
/// zone for that instant, so daylight saving is right for the event's date).
pub fn when_at(instant: DateTime<Utc>, offset_seconds_east: i32) -> String {
    let offset = FixedOffset::east_opt(offset_seconds_east).unwrap_or(Utc.fix());
    instant
        .with_timezone(&offset)
        .format("%B %-d, %Y at %-I:%M %p")
        .to_string()
}

/// How full an event or tier is, for the colour of its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// More than half left: green.
    Plenty,
    /// 10 % to 50 % left: yellow.
    Limited,
    /// Under 10 % left: red.
    Few,
    /// Nothing left: grey.
    SoldOut,
}

impl Availability {
    pub fn of(remaining: i64, capacity: i64) -> Self {
        if remaining <= 0 || capacity <= 0 {
            return Self::SoldOut;
        }
        // remaining / capacity compared in integers: > 1/2 and >= 1/10.
        if remaining * 2 > capacity {
            Self::Plenty
        } else if remaining * 10 >= capacity {
            Self::Limited
        } else {
            Self::Few
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Self::Plenty => "badge badge-green",
            Self::Limited => "badge badge-yellow",
            Self::Few => "badge badge-red",
            Self::SoldOut => "badge badge-grey",
        }
    }

    pub fn label(self, remaining: i64) -> String {
        match self {
            Self::SoldOut => "Sold out".to_owned(),
            _ => format!("{remaining} left"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_from_integer_cents() {
        assert_eq!(money(10_000, "USD"), "$100.00");
        assert_eq!(money(5, "usd"), "$0.05");
        assert_eq!(money(123_456_789, "EUR"), "€1,234,567.89");
        assert_eq!(money(1_050, "CHF"), "10.50 CHF");
        assert_eq!(money(-250, "GBP"), "-£2.50");
    }

    #[test]
    fn dates_read_like_a_sentence_in_local_time() {
        let instant = DateTime::parse_from_rfc3339("2026-03-15T15:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(when_at(instant, -5 * 3600), "March 15, 2026 at 10:00 AM");
        assert_eq!(when_at(instant, 3600), "March 15, 2026 at 4:00 PM");
    }

    #[test]
    fn badges_follow_the_thresholds() {
        assert_eq!(Availability::of(51, 100), Availability::Plenty);
        assert_eq!(Availability::of(50, 100), Availability::Limited);
        assert_eq!(Availability::of(10, 100), Availability::Limited);
        assert_eq!(Availability::of(9, 100), Availability::Few);
        assert_eq!(Availability::of(0, 100), Availability::SoldOut);
        assert_eq!(Availability::of(1, 2), Availability::Limited);
        assert_eq!(Availability::of(2, 2), Availability::Plenty);
    }
}
