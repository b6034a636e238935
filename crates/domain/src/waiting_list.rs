//! The waiting list of a sold-out tier: who may join it, who gets the tickets that come
//! back, and when a place is lost.
//!
//! Tickets that come back to a tier with people waiting never reach public sale: they go,
//! in the same transaction, to the first in line as an offer (a pending booking valid
//! `offer_minutes`). When the first in line wants more than came back, they are offered
//! what there is and keep their place at the head of the line for the rest. Waiting for
//! the full quantity would leave returned tickets unsold while people wait (and one
//! request for four could hold up everyone behind it); passing over the first in line for
//! someone who wants fewer would break the order people joined in. So no ticket that
//! someone is waiting for is ever idle, and nobody is skipped.
//!
//! A place counts against the event's per-person limit like a ticket held (the tally of
//! `ticket_holdings` includes it): an offer then never takes a buyer over the limit, so
//! making one needs no check and no lock of the buyer.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::booking::{BookingOrigin, BookingStatus};
use crate::event::EventStatus;

/// What decides whether a buyer may join a tier's waiting list, read under their lock and
/// the tier's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinFacts {
    pub event_status: EventStatus,
    pub starts_at: DateTime<Utc>,
    /// The tier's tickets on public sale.
    pub remaining: u32,
    pub max_tickets_per_user: u32,
    /// Tickets of the event the buyer holds or waits for already.
    pub held: u32,
    /// Whether the buyer is in this tier's line already.
    pub already_waiting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRejection {
    #[error("the event is not on sale")]
    NotOnSale,
    #[error("{remaining} tickets of this tier are on sale: book them instead")]
    NotSoldOut { remaining: u32 },
    #[error("you are on this waiting list already")]
    AlreadyWaiting,
    #[error(
        "at most {limit} tickets per person for this event: you hold or wait for {held} and asked for {requested}"
    )]
    OverLimit {
        limit: u32,
        held: u32,
        requested: u32,
    },
}

/// Whether a buyer may wait for `quantity` tickets of a tier: only while its event is on
/// sale and the tier is sold out, once per tier, within the per-person limit.
pub fn check_join(
    facts: &JoinFacts,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<(), JoinRejection> {
    if !facts.event_status.is_on_sale(facts.starts_at, now) {
        return Err(JoinRejection::NotOnSale);
    }
    if facts.remaining > 0 {
        return Err(JoinRejection::NotSoldOut {
            remaining: facts.remaining,
        });
    }
    if facts.already_waiting {
        return Err(JoinRejection::AlreadyWaiting);
    }
    if facts.held.saturating_add(quantity) > facts.max_tickets_per_user {
        return Err(JoinRejection::OverLimit {
            limit: facts.max_tickets_per_user,
            held: facts.held,
            requested: quantity,
        });
    }
    Ok(())
}

/// One place in a line, first to last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiter {
    pub user_id: Uuid,
    pub wants: u32,
}

/// What one waiter gets of the tickets that came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allotment {
    pub user_id: Uuid,
    /// Tickets offered now.
    pub offered: u32,
    /// Tickets they still wait for, at the same place; 0 leaves the line.
    pub still_wants: u32,
}

/// Shares `returned` tickets among `line`, in order: each waiter in turn is offered what
/// they want or what is left, whichever is less. Waiters the tickets do not reach are not
/// in the answer.
pub fn allot(returned: u32, line: &[Waiter]) -> Vec<Allotment> {
    let mut left = returned;
    let mut allotments = Vec::new();
    for waiter in line {
        if left == 0 {
            break;
        }
        let offered = waiter.wants.min(left);
        left -= offered;
        allotments.push(Allotment {
            user_id: waiter.user_id,
            offered,
            still_wants: waiter.wants - offered,
        });
    }
    allotments
}

/// Until when an offer made at `now` holds its tickets: the event's offer length, but
/// never past the event's start, when sales end.
pub fn offer_expires_at(
    now: DateTime<Utc>,
    offer_minutes: u32,
    starts_at: DateTime<Utc>,
) -> DateTime<Utc> {
    (now + TimeDelta::minutes(i64::from(offer_minutes))).min(starts_at)
}

/// Whether a booking ending now costs its buyer their place in its tiers' lines: an offer
/// let go unpaid (expired, declined, cancelled while pending) passes the turn to the next
/// in line, so the same tickets are not offered back to the one who let them go. A paid
/// offer cancelled later, or any direct booking, leaves the lines alone.
pub fn forfeits_place(origin: BookingOrigin, status_before: BookingStatus) -> bool {
    origin == BookingOrigin::WaitingList && status_before == BookingStatus::Pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> JoinFacts {
        JoinFacts {
            event_status: EventStatus::Published,
            starts_at: Utc::now() + TimeDelta::days(1),
            remaining: 0,
            max_tickets_per_user: 4,
            held: 1,
            already_waiting: false,
        }
    }

    fn waiter(n: u8, wants: u32) -> Waiter {
        Waiter {
            user_id: Uuid::from_bytes([n; 16]),
            wants,
        }
    }

    fn given(allotments: &[Allotment]) -> Vec<(u8, u32, u32)> {
        allotments
            .iter()
            .map(|a| (a.user_id.as_bytes()[0], a.offered, a.still_wants))
            .collect()
    }

    #[test]
    fn a_buyer_joins_a_sold_out_tier_within_the_limit() {
        let now = Utc::now();
        assert_eq!(check_join(&facts(), 3, now), Ok(()));
        assert_eq!(
            check_join(&facts(), 4, now),
            Err(JoinRejection::OverLimit {
                limit: 4,
                held: 1,
                requested: 4
            })
        );
    }

    #[test]
    fn joining_is_refused_while_tickets_are_on_sale_or_sales_are_closed() {
        let now = Utc::now();
        let on_sale = JoinFacts {
            remaining: 2,
            ..facts()
        };
        assert_eq!(
            check_join(&on_sale, 1, now),
            Err(JoinRejection::NotSoldOut { remaining: 2 })
        );
        let begun = JoinFacts {
            starts_at: now,
            ..facts()
        };
        assert_eq!(check_join(&begun, 1, now), Err(JoinRejection::NotOnSale));
        let cancelled = JoinFacts {
            event_status: EventStatus::Cancelled,
            ..facts()
        };
        assert_eq!(
            check_join(&cancelled, 1, now),
            Err(JoinRejection::NotOnSale)
        );
    }

    #[test]
    fn a_buyer_has_one_place_per_tier() {
        let again = JoinFacts {
            already_waiting: true,
            ..facts()
        };
        assert_eq!(
            check_join(&again, 1, Utc::now()),
            Err(JoinRejection::AlreadyWaiting)
        );
    }

    #[test]
    fn returned_tickets_go_down_the_line_in_order() {
        let line = [waiter(1, 2), waiter(2, 1), waiter(3, 3)];
        assert_eq!(given(&allot(3, &line)), [(1, 2, 0), (2, 1, 0)]);
        assert_eq!(given(&allot(10, &line)), [(1, 2, 0), (2, 1, 0), (3, 3, 0)]);
        assert_eq!(given(&allot(0, &line)), []);
        assert_eq!(given(&allot(5, &[])), []);
    }

    #[test]
    fn the_first_in_line_gets_what_there_is_and_keeps_their_place_for_the_rest() {
        let line = [waiter(1, 3), waiter(2, 1)];
        assert_eq!(given(&allot(1, &line)), [(1, 1, 2)]);
        assert_eq!(given(&allot(4, &line)), [(1, 3, 0), (2, 1, 0)]);
    }

    #[test]
    fn no_more_is_offered_than_came_back() {
        let line: Vec<Waiter> = (1..=50).map(|n| waiter(n, u32::from(n % 3) + 1)).collect();
        for returned in 0..120 {
            let offered: u32 = allot(returned, &line).iter().map(|a| a.offered).sum();
            let wanted: u32 = line.iter().map(|w| w.wants).sum();
            assert_eq!(offered, returned.min(wanted));
        }
    }

    #[test]
    fn an_offer_lasts_its_minutes_but_ends_when_the_event_starts() {
        let now = Utc::now();
        let later = now + TimeDelta::days(1);
        assert_eq!(
            offer_expires_at(now, 30, later),
            now + TimeDelta::minutes(30)
        );
        let soon = now + TimeDelta::minutes(5);
        assert_eq!(offer_expires_at(now, 30, soon), soon);
    }

    #[test]
    fn only_an_offer_let_go_unpaid_costs_the_place() {
        use BookingOrigin::{Direct, WaitingList};
        assert!(forfeits_place(WaitingList, BookingStatus::Pending));
        assert!(!forfeits_place(WaitingList, BookingStatus::Confirmed));
        assert!(!forfeits_place(Direct, BookingStatus::Pending));
        assert!(!forfeits_place(Direct, BookingStatus::Confirmed));
    }
}
