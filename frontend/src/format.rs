//! How money, dates and availability read on screen. Pure functions, so the rules are
//! plain to see and the same on every page.

use chrono::{DateTime, FixedOffset, Offset as _, Utc};

/// `12345` USD cents → `$123.45`. Integer arithmetic only: cents never pass through a float.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let amount = amount(cents.abs());
    match currency.to_ascii_uppercase().as_str() {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

/// `1500` → `1,500`: a count as people read it.
pub fn count(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(value.unsigned_abs()))
}

/// `123456789` → `1,234,567.89`: an amount without its currency or sign.
pub fn amount(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    format!("{}.{:02}", group_thousands(abs / 100), abs % 100)
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

/// What a person typed as a price ("12", "12.5", "12.50", "1,250.00") in cents, or `None`
/// for anything else. Parsed as text, digit by digit: never through a float.
pub fn parse_money(text: &str) -> Option<i64> {
    let text = text.trim();
    let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    // Commas only as thousands separators: "12,50" is someone's 12.50, never 1,250.
    let mut groups = units.split(',');
    let first = groups.next().unwrap_or_default();
    let mut digits = first.to_owned();
    for group in groups {
        if group.len() != 3 || first.is_empty() || first.len() > 3 {
            return None;
        }
        digits.push_str(group);
    }
    if digits.is_empty() && fraction.is_empty()
        || !all_digits(&digits)
        || !all_digits(fraction)
        || fraction.len() > 2
        || digits.len() > 12
    {
        return None;
    }
    let units: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// `1250` → `12.50`: how a price in cents is put back into a form field.
pub fn money_input(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// The value of an `<input type="datetime-local">` (`2026-03-15T10:00`) for `instant` at
/// the given offset east of UTC.
pub fn datetime_local(instant: DateTime<Utc>, offset_seconds_east: i32) -> String {
    let offset = FixedOffset::east_opt(offset_seconds_east).unwrap_or(Utc.fix());
    instant
        .with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
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

/// "8:31 PM" at the given offset east of UTC.
pub fn clock_at(instant: DateTime<Utc>, offset_seconds_east: i32) -> String {
    let offset = FixedOffset::east_opt(offset_seconds_east).unwrap_or(Utc.fix());
    instant
        .with_timezone(&offset)
        .format("%-I:%M %p")
        .to_string()
}

/// What a waiting-list offer holds: "2 tickets held for you until 8:31 PM".
pub fn offer_sentence(tickets: i64, until: &str) -> String {
    match tickets {
        1 => format!("1 ticket held for you until {until}"),
        n => format!("{n} tickets held for you until {until}"),
    }
}

/// An iCalendar file (RFC 5545) of one event, for "Add to calendar". Its end is not
/// known, so it has none: calendars show it at its start.
pub fn ics(
    uid: &str,
    title: &str,
    venue: &str,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let stamp = |at: DateTime<Utc>| at.format("%Y%m%dT%H%M%SZ").to_string();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Booking//Tickets//EN".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{uid}"),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(starts_at)),
        format!("SUMMARY:{}", ics_text(title)),
        format!("LOCATION:{}", ics_text(venue)),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines
        .iter()
        .map(|line| fold(line))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

/// Text as iCalendar escapes it.
fn ics_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Lines longer than 75 octets continue on the next, after a space; never inside a
/// character.
fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 74 * 3);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            folded.push_str("\r\n ");
            width = 1;
        }
        folded.push(c);
        width += c.len_utf8();
    }
    folded
}

/// Time left on a hold, as a clock reads: `599` seconds → `9:59`; never negative.
pub fn countdown(seconds_left: i64) -> String {
    let seconds = seconds_left.max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// Time to a start, as a clock reads: `3_725` seconds → `1:02:05`, `65` → `1:05`.
pub fn long_countdown(seconds_left: i64) -> String {
    let seconds = seconds_left.max(0);
    if seconds < 3_600 {
        return countdown(seconds);
    }
    format!(
        "{}:{:02}:{:02}",
        seconds / 3_600,
        seconds % 3_600 / 60,
        seconds % 60
    )
}

/// What a screen reader hears about a hold, once a minute: the minutes left, rounded up
/// so that "1 minute" lasts until the very end.
pub fn hold_left_sentence(seconds_left: i64) -> String {
    match (seconds_left.max(0) + 59) / 60 {
        0 => "Your hold has run out.".to_owned(),
        1 => "Your tickets are held for less than a minute more.".to_owned(),
        minutes => format!("Your tickets are held for {minutes} more minutes."),
    }
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
    #[test]
    fn an_event_becomes_an_icalendar_file() {
        use chrono::TimeZone;
        let starts = Utc.with_ymd_and_hms(2027, 3, 15, 18, 30, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
        let file = ics(
            "e1@booking",
            "Jazz; Blues, Soul",
            "Harbour Hall",
            starts,
            now,
        );
        assert!(file.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(file.contains("\r\nDTSTART:20270315T183000Z\r\n"));
        assert!(file.contains("\r\nSUMMARY:Jazz\\; Blues\\, Soul\r\n"));
        assert!(file.ends_with("END:VCALENDAR\r\n"));
        let long = ics("u", &"é".repeat(60), "x", starts, now);
        assert!(long.split("\r\n").all(|line| line.len() <= 75), "{long}");
    }

    #[test]
    fn an_offer_says_how_many_tickets_until_when_in_local_time() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 19, 31, 0).unwrap();
        assert_eq!(clock_at(at, 3_600), "8:31 PM");
        assert_eq!(clock_at(at, -8 * 3_600), "11:31 AM");
        assert_eq!(
            offer_sentence(2, "8:31 PM"),
            "2 tickets held for you until 8:31 PM"
        );
        assert_eq!(
            offer_sentence(1, "8:31 PM"),
            "1 ticket held for you until 8:31 PM"
        );
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(312), "312");
        assert_eq!(count(1_500), "1,500");
        assert_eq!(count(-2_000_000), "-2,000,000");
    }

    #[test]
    fn a_countdown_reads_minutes_and_padded_seconds() {
        assert_eq!(countdown(599), "9:59");
        assert_eq!(countdown(60), "1:00");
        assert_eq!(countdown(5), "0:05");
        assert_eq!(countdown(-3), "0:00");
        assert_eq!(long_countdown(3_725), "1:02:05");
        assert_eq!(long_countdown(65), "1:05");
    }

    #[test]
    fn the_hold_is_announced_in_whole_minutes_rounded_up() {
        assert_eq!(
            hold_left_sentence(599),
            "Your tickets are held for 10 more minutes."
        );
        assert_eq!(
            hold_left_sentence(61),
            "Your tickets are held for 2 more minutes."
        );
        assert_eq!(
            hold_left_sentence(60),
            "Your tickets are held for less than a minute more."
        );
        assert_eq!(hold_left_sentence(0), "Your hold has run out.");
    }

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
    fn typed_prices_become_cents_without_floats() {
        assert_eq!(parse_money("12"), Some(1_200));
        assert_eq!(parse_money(" 12.5 "), Some(1_250));
        assert_eq!(parse_money("12.05"), Some(1_205));
        assert_eq!(parse_money("0.99"), Some(99));
        assert_eq!(parse_money(".5"), Some(50));
        assert_eq!(parse_money("1,250.00"), Some(125_000));
        assert_eq!(parse_money("0"), Some(0));
        for bad in [
            "",
            ".",
            "12.345",
            "-5",
            "1e3",
            "12,50.",
            "abc",
            "1.2.3",
            "9999999999999",
        ] {
            assert_eq!(parse_money(bad), None, "{bad:?}");
        }
        assert_eq!(money_input(1_250), "12.50");
        assert_eq!(money_input(5), "0.05");
        assert_eq!(parse_money(&money_input(123_456)), Some(123_456));
    }

    #[test]
    fn a_date_field_shows_local_time() {
        let instant = DateTime::parse_from_rfc3339("2026-03-15T15:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(datetime_local(instant, -5 * 3600), "2026-03-15T10:00");
        assert_eq!(datetime_local(instant, 0), "2026-03-15T15:00");
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
