//! A booking's life, in one place.
//!
//! ```text
//!            payment needs no IO
//!   request ────────────────────────────▶ confirmed ──cancel──▶ cancelled
//!      │                                      ▲
//!      │ payment needs IO                     │ paid
//!      ▼                                      │
//!   pending ───────────────────────────────────┤
//!      │ declined: discarded (deleted, tickets back)
//!      │ never paid within HOLD_TTL: expired (tickets back)
//!      └ cancel ──▶ cancelled
//! ```
//!
//! Who may cancel is `cancellation::check_cancel`; who may read is [`may_read`].

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::account::Role;
use crate::booking::BookingStatus;
use crate::cancellation::Actor;

/// How long tickets stay held for a payment that never answers (the process died while
/// paying); the sweeper expires older pending bookings and returns their tickets.
pub const HOLD_TTL: TimeDelta = TimeDelta::minutes(10);

/// Pending bookings created before this instant are abandoned.
pub fn abandoned_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - HOLD_TTL
}

/// What a new booking is written as: confirmed in its own transaction when paying needs
/// no IO (no lock is ever held across IO), pending until paid otherwise.
pub fn initial_status(payment_needs_io: bool) -> BookingStatus {
    if payment_needs_io {
        BookingStatus::Pending
    } else {
        BookingStatus::Confirmed
    }
}

/// How a pending booking ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Paid,
    Declined,
    /// Nobody answered within [`HOLD_TTL`].
    Abandoned,
}

/// What becomes of a pending booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It stays, with this status.
    Becomes(BookingStatus),
    /// It is deleted and its tickets return, as if never booked.
    Discarded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booking is {0}, not pending")]
pub struct NotPending(pub BookingStatus);

/// Settles a booking in `status`: only a pending booking can be settled, once.
pub fn settle(status: BookingStatus, settlement: Settlement) -> Result<Fate, NotPending> {
    if status != BookingStatus::Pending {
        return Err(NotPending(status));
    }
    Ok(match settlement {
        Settlement::Paid => Fate::Becomes(BookingStatus::Confirmed),
        Settlement::Declined => Fate::Discarded,
        Settlement::Abandoned => Fate::Becomes(BookingStatus::Expired),
    })
}

/// Who sees a booking: its buyer and admins. Anyone else gets the answer a booking that
/// does not exist gets, so ids and references cannot be probed.
pub fn may_read(viewer: Actor, owner: Uuid) -> bool {
    viewer.user_id == owner || viewer.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_booking_is_confirmed_at_once_unless_paying_takes_io() {
        assert_eq!(initial_status(false), BookingStatus::Confirmed);
        assert_eq!(initial_status(true), BookingStatus::Pending);
    }

    #[test]
    fn only_a_pending_booking_is_settled() {
        use BookingStatus::*;
        assert_eq!(
            settle(Pending, Settlement::Paid),
            Ok(Fate::Becomes(Confirmed))
        );
        assert_eq!(settle(Pending, Settlement::Declined), Ok(Fate::Discarded));
        assert_eq!(
            settle(Pending, Settlement::Abandoned),
            Ok(Fate::Becomes(Expired))
        );
        for status in [Confirmed, Cancelled, Expired] {
            assert_eq!(settle(status, Settlement::Paid), Err(NotPending(status)));
        }
    }

    #[test]
    fn a_hold_is_abandoned_after_ten_minutes() {
        let now = Utc::now();
        assert_eq!(abandoned_before(now), now - TimeDelta::minutes(10));
    }

    #[test]
    fn a_booking_is_read_by_its_buyer_and_admins_only() {
        let buyer = Uuid::new_v4();
        let as_role = |user_id, role| Actor { user_id, role };
        assert!(may_read(as_role(buyer, Role::Customer), buyer));
        assert!(may_read(as_role(Uuid::new_v4(), Role::Admin), buyer));
        assert!(!may_read(as_role(Uuid::new_v4(), Role::Organizer), buyer));
        assert!(!may_read(as_role(Uuid::new_v4(), Role::Customer), buyer));
    }
}
