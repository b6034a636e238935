//! Who may cancel a booking, and when a cancellation is possible.

use uuid::Uuid;

use crate::account::Role;
use crate::booking::BookingStatus;

/// The person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
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

/// Decides a cancellation of a booking owned by `owner` whose events are run by
/// `organizers`, currently in `status`. An organizer cancels only a booking all of whose
/// events are theirs: a booking is all or nothing, so cancelling it would also cancel
/// another organizer's tickets.
pub fn check_cancel(
    actor: Actor,
    owner: Uuid,
    organizers: &[Uuid],
    status: BookingStatus,
) -> Result<(), CancelRejection> {
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
    match status {
        BookingStatus::Pending | BookingStatus::Confirmed => Ok(()),
        BookingStatus::Cancelled => Err(CancelRejection::AlreadyCancelled),
        BookingStatus::Expired => Err(CancelRejection::Expired),
    }
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

    #[test]
    fn the_buyer_the_events_organizer_and_an_admin_may_cancel() {
        let buyer = actor(Role::Customer);
        let organizer = actor(Role::Organizer);
        let organizers = [organizer.user_id];
        for who in [buyer, organizer, actor(Role::Admin)] {
            assert_eq!(
                check_cancel(who, buyer.user_id, &organizers, BookingStatus::Confirmed),
                Ok(())
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
            Ok(())
        );
        assert_eq!(
            check_cancel(organizer, buyer, &[], BookingStatus::Confirmed),
            Err(CancelRejection::NotAllowed)
        );
    }

    #[test]
    fn a_booking_is_cancelled_once() {
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
            Ok(())
        );
    }
}
