//! The invariant after a storm, read back through the API: per event, the tier counter,
//! the bookings holding tickets and what the clients were told all agree, and nothing was sold
//! beyond capacity.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What one event looks like after the run, from three independent sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCounts {
    pub event_id: Uuid,
    pub capacity: i64,
    /// The tier counter (the organizer's view of the event, read from the primary).
    pub remaining: i64,
    /// Tickets in bookings that hold them: confirmed (organizer revenue ÷ price) and held
    /// by checkouts not paid yet.
    #[serde(alias = "confirmed")]
    pub in_bookings: i64,
    /// Tickets the clients got a 201 for.
    pub booked: i64,
    /// Tickets asked for by requests whose fate is unknown (no answer, or a 5xx).
    pub unknown: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conservation {
    pub holds: bool,
    pub capacity: i64,
    pub sold: i64,
    pub remaining: i64,
    pub booked: i64,
    pub oversold: i64,
    /// One line per broken rule, naming the event.
    pub violations: Vec<String>,
}

pub fn check(events: &[EventCounts]) -> Conservation {
    let mut violations = Vec::new();
    for event in events {
        let sold = event.capacity - event.remaining;
        let id = event.event_id;
        if event.remaining < 0 || sold > event.capacity {
            violations.push(format!(
                "event {id}: oversold, remaining {}",
                event.remaining
            ));
        }
        if event.remaining > event.capacity {
            violations.push(format!(
                "event {id}: remaining {} above capacity {}",
                event.remaining, event.capacity
            ));
        }
        if sold != event.in_bookings {
            violations.push(format!(
                "event {id}: the counter says {sold} sold, bookings hold {}",
                event.in_bookings
            ));
        }
        if sold < event.booked || sold > event.booked + event.unknown {
            violations.push(format!(
                "event {id}: {sold} sold, but clients were told {} (plus {} unknown)",
                event.booked, event.unknown
            ));
        }
    }
    let total = |field: fn(&EventCounts) -> i64| events.iter().map(field).sum::<i64>();
    let capacity = total(|e| e.capacity);
    let remaining = total(|e| e.remaining);
    Conservation {
        holds: violations.is_empty(),
        capacity,
        sold: capacity - remaining,
        remaining,
        booked: total(|e| e.booked),
        oversold: events.iter().map(|e| (-e.remaining).max(0)).sum(),
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(capacity: i64, remaining: i64, in_bookings: i64, booked: i64) -> EventCounts {
        EventCounts {
            event_id: Uuid::nil(),
            capacity,
            remaining,
            in_bookings,
            booked,
            unknown: 0,
        }
    }

    #[test]
    fn agreeing_counts_hold() {
        let result = check(&[counts(100, 40, 60, 60), counts(10, 0, 10, 10)]);
        assert!(result.holds, "{result:?}");
        assert_eq!(
            (
                result.capacity,
                result.sold,
                result.remaining,
                result.booked
            ),
            (110, 70, 40, 70)
        );
        assert_eq!(result.oversold, 0);
    }

    #[test]
    fn a_negative_remaining_is_overselling() {
        let result = check(&[counts(10, -1, 11, 11)]);
        assert!(!result.holds);
        assert_eq!(result.oversold, 1);
        assert!(result.violations[0].contains("oversold"));
    }

    #[test]
    fn a_counter_that_disagrees_with_the_bookings_breaks_conservation() {
        let result = check(&[counts(10, 5, 4, 5)]);
        assert!(!result.holds);
        assert!(result.violations[0].contains("bookings hold 4"));
    }

    #[test]
    fn sales_the_clients_never_heard_of_break_it() {
        let result = check(&[counts(10, 2, 8, 7)]);
        assert!(!result.holds);
        assert!(result.violations[0].contains("clients were told 7"));
    }

    #[test]
    fn unknown_outcomes_may_account_for_extra_sales() {
        let mut event = counts(10, 2, 8, 7);
        event.unknown = 1;
        assert!(check(&[event]).holds);
        event.unknown = 0;
        event.booked = 9;
        assert!(
            !check(&[event]).holds,
            "fewer sold than the clients were told"
        );
    }
}
