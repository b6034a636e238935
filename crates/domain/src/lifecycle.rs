//! A booking's life, in one place: every status, every transition, which statuses hold
//! tickets, when tickets return, and who may do what. Persistence, the api, the sweeper
//! and (through the dto's `canCancel`) the web app ask here; none re-decides it.
//!
//! ```text
//!            payment needs no IO
//!   request ────────────────────────────▶ confirmed ──cancel──▶ cancelled
//!      │                                      ▲
//!      │ payment needs IO                     │ pay
//!      ▼                                      │
//!   pending ───────────────────────────────────┤
//!      │ decline: discarded (deleted, tickets back)
//!      │ expire (never paid within HOLD_TTL): expired (tickets back)
//!      └ cancel ──▶ cancelled (tickets back)
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::account::{Actor, Role};
use crate::booking::BookingStatus;

/// Statuses whose items count as sold: against the tier (conservation) and against the
/// buyer's per-event limit. SQL filters by these names; it never lists statuses itself.
pub const HOLDING: [BookingStatus; 2] = [BookingStatus::Pending, BookingStatus::Confirmed];

/// Statuses waiting for a payment: the ones a payment settles and the sweeper expires.
pub const AWAITING_PAYMENT: [BookingStatus; 1] = [BookingStatus::Pending];

/// Whether a booking in `status` holds its tickets.
pub fn holds_tickets(status: BookingStatus) -> bool {
    HOLDING.contains(&status)
}

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

/// What becomes of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It stays, with this status.
    Becomes(BookingStatus),
    /// It is deleted and its tickets return, as if never booked.
    Discarded,
}

impl Fate {
    /// Whether the booking's tickets go back to their tiers (it held them before).
    pub fn returns_tickets(self) -> bool {
        match self {
            Self::Becomes(status) => !holds_tickets(status),
            Self::Discarded => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booking is {0}, not pending")]
pub struct NotPending(pub BookingStatus);

/// Settles a booking in `status`: only a booking awaiting payment can be settled, once.
pub fn settle(status: BookingStatus, settlement: Settlement) -> Result<Fate, NotPending> {
    if !AWAITING_PAYMENT.contains(&status) {
        return Err(NotPending(status));
    }
    Ok(match settlement {
        Settlement::Paid => Fate::Becomes(BookingStatus::Confirmed),
        Settlement::Declined => Fate::Discarded,
        Settlement::Abandoned => Fate::Becomes(BookingStatus::Expired),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CancelRejection {
    /// Not the buyer, not the organizer of every one of its events, not an admin.
    #[error("you may not cancel this booking")]
    NotAllowed,
    #[error("the booking is already cancelled")]
    AlreadyCancelled,
    #[error("the booking expired unpaid; there is nothing to cancel")]
    Expired,
}

/// The cancel transition: a booking that holds tickets becomes cancelled, its tickets
/// back; any other status refuses.
pub fn cancel(status: BookingStatus) -> Result<Fate, CancelRejection> {
    match status {
        BookingStatus::Pending | BookingStatus::Confirmed => {
            Ok(Fate::Becomes(BookingStatus::Cancelled))
        }
        BookingStatus::Cancelled => Err(CancelRejection::AlreadyCancelled),
        BookingStatus::Expired => Err(CancelRejection::Expired),
    }
}

/// Whether a booking in `status` can be cancelled by its buyer now: what the dto's
/// `canCancel` carries to the web app.
pub fn can_cancel(status: BookingStatus) -> bool {
    cancel(status).is_ok()
}

/// Decides a cancellation by `actor` of a booking owned by `owner` whose events are run
/// by `organizers`, currently in `status`. An organizer cancels only a booking all of
/// whose events are theirs: a booking is all or nothing, so cancelling it would also
/// cancel another organizer's tickets.
pub fn check_cancel(
    actor: Actor,
    owner: Uuid,
    organizers: &[Uuid],
    status: BookingStatus,
) -> Result<Fate, CancelRejection> {
    let organizes_all = !organizers.is_empty()
        && organizers
            .iter()
            .all(|organizer| *organizer == actor.user_id);
    let allowed = actor.user_id == owner
        || actor.role == Role::Admin
        || (actor.role == Role::Organizer && organizes_all);
    if !allowed {
        return Err(CancelRejection::NotAllowed);
    }
    cancel(status)
}

/// Who sees a booking: its buyer and admins. Anyone else gets the answer a booking that
/// does not exist gets, so ids and references cannot be probed.
pub fn may_read(viewer: Actor, owner: Uuid) -> bool {
    viewer.user_id == owner || viewer.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Uuid::new_v4(),
            role,
        }
    }

    const CANCELLED: Result<Fate, CancelRejection> = Ok(Fate::Becomes(BookingStatus::Cancelled));

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
    fn tickets_return_exactly_when_a_holding_booking_stops_holding() {
        use BookingStatus::*;
        assert!(!Fate::Becomes(Confirmed).returns_tickets());
        assert!(Fate::Becomes(Expired).returns_tickets());
        assert!(Fate::Becomes(Cancelled).returns_tickets());
        assert!(Fate::Discarded.returns_tickets());
        assert_eq!(
            [Pending, Confirmed, Cancelled, Expired].map(holds_tickets),
            [true, true, false, false]
        );
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

    #[test]
    fn the_buyer_the_events_organizer_and_an_admin_may_cancel() {
        let buyer = actor(Role::Customer);
        let organizer = actor(Role::Organizer);
        let organizers = [organizer.user_id];
        for who in [buyer, organizer, actor(Role::Admin)] {
            assert_eq!(
                check_cancel(who, buyer.user_id, &organizers, BookingStatus::Confirmed),
                CANCELLED
            );
        }
    }

    #[test]
    fn strangers_and_other_organizers_may_not() {
        let owner = Uuid::new_v4();
        for who in [actor(Role::Customer), actor(Role::Organizer)] {
            assert_eq!(
                check_cancel(who, owner, &[Uuid::new_v4()], BookingStatus::Confirmed),
                Err(CancelRejection::NotAllowed)
            );
        }
    }

    #[test]
    fn an_organizer_of_only_some_of_its_events_may_not() {
        let buyer = Uuid::new_v4();
        let organizer = actor(Role::Organizer);
        let both = [organizer.user_id, Uuid::new_v4()];
        assert_eq!(
            check_cancel(organizer, buyer, &both, BookingStatus::Confirmed),
            Err(CancelRejection::NotAllowed)
        );
        assert_eq!(
            check_cancel(actor(Role::Admin), buyer, &both, BookingStatus::Confirmed),
            CANCELLED
        );
        assert_eq!(
            check_cancel(organizer, buyer, &[], BookingStatus::Confirmed),
            Err(CancelRejection::NotAllowed)
        );
    }

    #[test]
    fn a_booking_is_cancelled_once_and_never_after_expiring() {
        let buyer = actor(Role::Customer);
        assert_eq!(
            check_cancel(buyer, buyer.user_id, &[], BookingStatus::Cancelled),
            Err(CancelRejection::AlreadyCancelled)
        );
        assert_eq!(
            check_cancel(buyer, buyer.user_id, &[], BookingStatus::Expired),
            Err(CancelRejection::Expired)
        );
        assert_eq!(
            check_cancel(buyer, buyer.user_id, &[], BookingStatus::Pending),
            CANCELLED
        );
        assert_eq!(
            [
                BookingStatus::Pending,
                BookingStatus::Confirmed,
                BookingStatus::Cancelled,
                BookingStatus::Expired
            ]
            .map(can_cancel),
            [true, true, false, false]
        );
    }
}
