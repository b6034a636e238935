//! A booking's life, in one place: every status, every transition, which statuses hold
//! tickets, when tickets return, and who may do what. Persistence, the api, the sweeper
//! and (through the dto's `canCancel`) the web app ask here; none re-decides it.
//!
//! ```text
//!            instant checkout, payment needs no IO
//!   request ────────────────────────────────────────▶ confirmed ──cancel──▶ cancelled
//!      │                                                 ▲
//!      │ checkout "hold", or payment needs IO            │ paid before expiresAt
//!      ▼                                                 │
//!   pending (until expiresAt) ───────────────────────────┤
//!      │ declined: discarded (deleted, tickets back)
//!      │ expiresAt passed (sweeper, pay or any read): expired (tickets back)
//!      └ cancel ──▶ cancelled (tickets back)
//!
//!   tickets back to a tier people wait for ──▶ pending, origin waitingList (an offer,
//!   until now + offerMinutes): from here on exactly like a hold (`waiting_list`)
//! ```
//!
//! "Tickets back" always means: to the first in the tier's waiting line as an offer, if
//! anyone waits (`waiting_list::allot`), else to public sale.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::account::{Actor, Role};
use crate::booking::BookingStatus;

/// Statuses whose items count as sold or held: against the tier (conservation) and
/// against the buyer's per-event limit. SQL filters by these names; it never lists
/// statuses itself.
pub const HOLDING: [BookingStatus; 2] = [BookingStatus::Pending, BookingStatus::Confirmed];

/// Statuses waiting for a payment: the ones a payment settles and the sweeper expires.
pub const AWAITING_PAYMENT: [BookingStatus; 1] = [BookingStatus::Pending];

/// Whether a booking in `status` holds its tickets.
pub fn holds_tickets(status: BookingStatus) -> bool {
    HOLDING.contains(&status)
}

/// How long tickets stay held for a payment the server makes itself and that never
/// answers (the process died while paying).
pub const HOLD_TTL: TimeDelta = TimeDelta::minutes(10);

/// How a buyer checks out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Checkout {
    /// Booked and paid in one request (load tests, free tiers, the API's default).
    #[default]
    Instant,
    /// The tickets are held for the buyer, who pays with `/pay` before the hold expires.
    Hold,
}

/// How a new booking is written: its status and, while pending, until when it holds its
/// tickets. An instant checkout is confirmed in its own transaction when paying needs no
/// IO (no lock is ever held across IO), pending for [`HOLD_TTL`] while the server pays
/// otherwise; a hold lasts the events' hold length (`hold_minutes`, the shortest of them
/// when a cart spans several).
pub fn written_as(
    checkout: Checkout,
    payment_needs_io: bool,
    hold_minutes: u32,
    now: DateTime<Utc>,
) -> (BookingStatus, Option<DateTime<Utc>>) {
    match checkout {
        Checkout::Hold => (
            BookingStatus::Pending,
            Some(now + TimeDelta::minutes(i64::from(hold_minutes))),
        ),
        Checkout::Instant if payment_needs_io => (BookingStatus::Pending, Some(now + HOLD_TTL)),
        Checkout::Instant => (BookingStatus::Confirmed, None),
    }
}

/// A booking's status as of `now`: a pending booking past its expiry is expired, whether
/// or not the sweeper has written so yet, so every read agrees with the sweeper.
pub fn status_at(
    stored: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BookingStatus {
    match expires_at {
        Some(expires_at) if stored == BookingStatus::Pending && expires_at <= now => {
            BookingStatus::Expired
        }
        _ => stored,
    }
}

/// How a pending booking ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Paid,
    Declined,
    /// Nobody paid before it expired.
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

/// Settles a booking stored as `status`, pending until `expires_at`, at `now`: only a
/// booking awaiting payment is settled, once. A hold expires at its instant whatever
/// arrives after it: a payment answered later does not confirm it (so an expired hold
/// and a paid one can never both take the last tickets), and the sweeper leaves a hold
/// alone until then.
pub fn settle(
    status: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    settlement: Settlement,
) -> Result<Fate, NotPending> {
    if !AWAITING_PAYMENT.contains(&status) {
        return Err(NotPending(status));
    }
    let expired = status_at(status, expires_at, now) == BookingStatus::Expired;
    Ok(match settlement {
        _ if expired => Fate::Becomes(BookingStatus::Expired),
        Settlement::Paid => Fate::Becomes(BookingStatus::Confirmed),
        Settlement::Declined => Fate::Discarded,
        Settlement::Abandoned => return Err(NotPending(status)),
    })
}

/// What paying a booking means, decided before the card is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayStep {
    /// A live hold: charge the card, then settle.
    Charge,
    /// Already confirmed: answer with it and charge nothing, so a retried payment never
    /// pays twice.
    AlreadyPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayRejection {
    /// Only the buyer pays for a booking; to anyone else it does not exist.
    #[error("no such booking of yours")]
    NotYours,
    #[error("the hold expired; its tickets were released")]
    Expired,
    #[error("the booking is cancelled")]
    Cancelled,
}

/// Whether `actor` may pay for a booking of `owner`'s in `status` (as of now).
pub fn check_pay(
    actor: Actor,
    owner: Uuid,
    status: BookingStatus,
) -> Result<PayStep, PayRejection> {
    if actor.user_id != owner {
        return Err(PayRejection::NotYours);
    }
    match status {
        BookingStatus::Pending => Ok(PayStep::Charge),
        BookingStatus::Confirmed => Ok(PayStep::AlreadyPaid),
        BookingStatus::Expired => Err(PayRejection::Expired),
        BookingStatus::Cancelled => Err(PayRejection::Cancelled),
    }
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
    fn an_instant_booking_is_confirmed_at_once_unless_paying_takes_io() {
        let now = Utc::now();
        assert_eq!(
            written_as(Checkout::Instant, false, 15, now),
            (BookingStatus::Confirmed, None)
        );
        assert_eq!(
            written_as(Checkout::Instant, true, 15, now),
            (BookingStatus::Pending, Some(now + HOLD_TTL))
        );
    }

    #[test]
    fn a_hold_is_pending_for_the_events_hold_length() {
        let now = Utc::now();
        for payment_needs_io in [false, true] {
            assert_eq!(
                written_as(Checkout::Hold, payment_needs_io, 15, now),
                (BookingStatus::Pending, Some(now + TimeDelta::minutes(15)))
            );
        }
    }

    #[test]
    fn a_pending_booking_reads_as_expired_from_its_expiry_on() {
        use BookingStatus::*;
        let now = Utc::now();
        let second = TimeDelta::seconds(1);
        assert_eq!(status_at(Pending, Some(now + second), now), Pending);
        assert_eq!(status_at(Pending, Some(now), now), Expired);
        assert_eq!(status_at(Pending, Some(now - second), now), Expired);
        // Only a pending booking lapses; the expiry a confirmed one kept means nothing.
        assert_eq!(status_at(Confirmed, Some(now - second), now), Confirmed);
        assert_eq!(status_at(Cancelled, None, now), Cancelled);
    }

    #[test]
    fn only_a_pending_booking_is_settled() {
        use BookingStatus::*;
        let now = Utc::now();
        let live = Some(now + TimeDelta::minutes(1));
        assert_eq!(
            settle(Pending, live, now, Settlement::Paid),
            Ok(Fate::Becomes(Confirmed))
        );
        assert_eq!(
            settle(Pending, live, now, Settlement::Declined),
            Ok(Fate::Discarded)
        );
        for status in [Confirmed, Cancelled, Expired] {
            assert_eq!(
                settle(status, live, now, Settlement::Paid),
                Err(NotPending(status))
            );
        }
    }

    #[test]
    fn an_expired_hold_is_never_confirmed_and_a_live_one_never_swept() {
        use BookingStatus::*;
        let now = Utc::now();
        let lapsed = Some(now);
        for settlement in [
            Settlement::Paid,
            Settlement::Declined,
            Settlement::Abandoned,
        ] {
            assert_eq!(
                settle(Pending, lapsed, now, settlement),
                Ok(Fate::Becomes(Expired))
            );
        }
        assert_eq!(
            settle(
                Pending,
                Some(now + TimeDelta::milliseconds(1)),
                now,
                Settlement::Abandoned
            ),
            Err(NotPending(Pending))
        );
    }

    #[test]
    fn only_the_buyer_pays_and_only_for_a_live_hold() {
        let buyer = actor(Role::Customer);
        let pay = |who: Actor, status| check_pay(who, buyer.user_id, status);
        assert_eq!(pay(buyer, BookingStatus::Pending), Ok(PayStep::Charge));
        assert_eq!(
            pay(buyer, BookingStatus::Confirmed),
            Ok(PayStep::AlreadyPaid)
        );
        assert_eq!(
            pay(buyer, BookingStatus::Expired),
            Err(PayRejection::Expired)
        );
        assert_eq!(
            pay(buyer, BookingStatus::Cancelled),
            Err(PayRejection::Cancelled)
        );
        for stranger in [actor(Role::Customer), actor(Role::Admin)] {
            assert_eq!(
                pay(stranger, BookingStatus::Pending),
                Err(PayRejection::NotYours)
            );
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
