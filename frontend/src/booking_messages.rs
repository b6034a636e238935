//! What the answer to a booking attempt means to the buyer, in words. One place, so the
//! card's Book button and the cart's checkout say the same thing.

use booking_dto::{Booking, ErrorCode};
use uuid::Uuid;

use crate::api::ApiError;

/// What was asked for, to name the event a refusal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub event_id: Uuid,
    pub event_title: String,
    pub tier_id: Uuid,
    pub max_per_person: i64,
}

pub fn booked(booking: &Booking) -> String {
    format!("Booked! Your reference is {}.", booking.reference)
}

pub fn refused(error: &ApiError, asked: &[Asked]) -> String {
    let (tier_id, event_id) = error.about();
    let about = asked
        .iter()
        .find(|item| tier_id == Some(item.tier_id) || event_id == Some(item.event_id));
    let about = about.or(if asked.len() == 1 {
        asked.first()
    } else {
        None
    });
    let title = about.map_or_else(
        || "these events".to_owned(),
        |item| item.event_title.clone(),
    );
    match error.code() {
        Some(ErrorCode::InsufficientTickets) => {
            format!("Sorry, tickets for {title} are no longer available.")
        }
        Some(ErrorCode::TicketLimitExceeded) => match about {
            // With a limit of one, the refusal means the buyer already holds a ticket.
            Some(item) if item.max_per_person == 1 => {
                format!("You already have a ticket for {title}: one per person.")
            }
            Some(item) => format!(
                "You can book at most {} tickets for {title}.",
                item.max_per_person
            ),
            None => "That is more tickets than one person may book.".to_owned(),
        },
        Some(ErrorCode::EventNotBookable | ErrorCode::EventNotFound) => {
            format!("{title} is no longer on sale.")
        }
        _ => error.message(),
    }
}

#[cfg(test)]
mod tests {
    use booking_dto::Problem;

    use super::*;

    fn conflict(code: ErrorCode, tier_id: Option<Uuid>, event_id: Option<Uuid>) -> ApiError {
        ApiError::Problem {
            problem: Problem {
                type_uri: "about:blank".into(),
                title: "Conflict".into(),
                status: 409,
                detail: "refused".into(),
                code,
                tier_id,
                event_id,
                checked_in_at: None,
                errors: vec![],
            },
            retry_after: None,
        }
    }

    fn asked(id: u128, title: &str, max_per_person: i64) -> Asked {
        Asked {
            event_id: Uuid::from_u128(id),
            event_title: title.into(),
            tier_id: Uuid::from_u128(1_000 + id),
            max_per_person,
        }
    }

    #[test]
    fn a_refusal_names_the_event_it_is_about() {
        let cart = [asked(1, "Jazz Night", 4), asked(2, "Limited Concert", 1)];
        let sold_out = conflict(ErrorCode::InsufficientTickets, Some(cart[1].tier_id), None);
        assert_eq!(
            refused(&sold_out, &cart),
            "Sorry, tickets for Limited Concert are no longer available."
        );
        let limit = conflict(ErrorCode::TicketLimitExceeded, None, Some(cart[0].event_id));
        assert_eq!(
            refused(&limit, &cart),
            "You can book at most 4 tickets for Jazz Night."
        );
        let already = conflict(ErrorCode::TicketLimitExceeded, None, Some(cart[1].event_id));
        assert_eq!(
            refused(&already, &cart),
            "You already have a ticket for Limited Concert: one per person."
        );
    }

    #[test]
    fn busy_answers_say_when_to_try_again() {
        let busy = ApiError::Problem {
            problem: Problem {
                type_uri: "about:blank".into(),
                title: "Service Unavailable".into(),
                status: 503,
                detail: "busy".into(),
                code: ErrorCode::Unavailable,
                tier_id: None,
                event_id: None,
                checked_in_at: None,
                errors: vec![],
            },
            retry_after: Some(3),
        };
        assert_eq!(
            refused(&busy, &[]),
            "The service is busy. Please try again in 3 seconds."
        );
        assert_eq!(
            refused(&ApiError::Network, &[]),
            "Network problem: check your connection and try again."
        );
    }
}
