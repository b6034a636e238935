//! Where every booking is decided. Requests are decided together, as one transaction
//! writes them (a lone request is a batch of one): in arrival order, each by
//! [`booking::plan`], each seeing what the ones before it took. Idempotency keys are
//! settled here too, before anything is planned. A request that fails fails alone.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::booking::{self, BookingPlan, BookingRejection, LockedTier, TierLine, UnresolvedItem};
use crate::waiting_room;

/// One request of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchEntry<'a> {
    pub user_id: Uuid,
    /// The request as tier lines, or why one of its `eventId` items names no single tier.
    pub lines: Result<&'a [TierLine], UnresolvedItem>,
    /// The `Idempotency-Key` and a fingerprint of the request it came with.
    pub idempotency: Option<(&'a str, &'a [u8])>,
    /// The event a valid queue pass of this buyer's admits them to, if they sent one.
    pub admitted_to: Option<Uuid>,
}

/// A booking made before this batch under some buyer's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierKey {
    pub booking_id: Uuid,
    pub request_hash: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchDecision {
    /// Granted: write this booking.
    Book(BookingPlan),
    /// A retry of a booking made before the batch: answer with that booking.
    ReplayEarlier(Uuid),
    /// A retry of the booking entry `n` of this batch makes: answer with that one.
    ReplayInBatch(usize),
    /// The key was used for a different request.
    KeyReused,
    /// An `eventId` item named no single tier.
    Unresolved(UnresolvedItem),
    Rejected(BookingRejection),
}

/// What a batch knows under its locks: the tiers, each buyer's holdings per event and the
/// keys they used before.
#[derive(Debug, Clone, Default)]
pub struct BatchFacts {
    pub tiers: Vec<LockedTier>,
    /// Tickets held (confirmed or pending) per (buyer, event).
    pub held: HashMap<(Uuid, Uuid), u32>,
    /// Earlier bookings per (buyer, idempotency key).
    pub earlier: HashMap<(Uuid, String), EarlierKey>,
}

/// Decides `entries` in order. A granted request's tickets are gone for the ones after it,
/// and count against its buyer's limit for the ones after it, exactly as if each had
/// committed on its own before the next arrived.
pub fn decide(
    entries: &[BatchEntry<'_>],
    facts: BatchFacts,
    now: DateTime<Utc>,
) -> Vec<BatchDecision> {
    let BatchFacts {
        mut tiers,
        mut held,
        earlier,
    } = facts;
    // Keys granted earlier in this batch: (buyer, key) -> (entry, fingerprint).
    let mut granted_keys: HashMap<(Uuid, &str), (usize, &[u8])> = HashMap::new();
    let mut decisions = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        if let Some((key, hash)) = entry.idempotency {
            if let Some(earlier) = earlier.get(&(entry.user_id, key.to_owned())) {
                decisions.push(if earlier.request_hash.as_deref() == Some(hash) {
                    BatchDecision::ReplayEarlier(earlier.booking_id)
                } else {
                    BatchDecision::KeyReused
                });
                continue;
            }
            // A key whose first request was refused wrote nothing, so it is free again.
            if let Some(&(first, first_hash)) = granted_keys.get(&(entry.user_id, key)) {
                decisions.push(if first_hash == hash {
                    BatchDecision::ReplayInBatch(first)
                } else {
                    BatchDecision::KeyReused
                });
                continue;
            }
        }
        let lines = match entry.lines {
            Ok(lines) => lines,
            Err(unresolved) => {
                decisions.push(BatchDecision::Unresolved(unresolved));
                continue;
            }
        };
        let user_id = entry.user_id;
        let decision =
            waiting_room::check_gate(lines, &tiers, entry.admitted_to, now).and_then(|()| {
                booking::plan(
                    lines,
                    &tiers,
                    |event_id| held.get(&(user_id, event_id)).copied().unwrap_or(0),
                    now,
                )
            });
        match decision {
            Ok(plan) => {
                for item in &plan.items {
                    if let Some(tier) = tiers.iter_mut().find(|t| t.tier_id == item.tier_id) {
                        tier.remaining = tier.remaining.saturating_sub(item.quantity);
                    }
                    let count = held.entry((user_id, item.event_id)).or_insert(0);
                    *count = count.saturating_add(item.quantity);
                }
                if let Some((key, hash)) = entry.idempotency {
                    granted_keys.insert((user_id, key), (index, hash));
                }
                decisions.push(BatchDecision::Book(plan));
            }
            Err(rejection) => decisions.push(BatchDecision::Rejected(rejection)),
        }
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(remaining: u32, limit: u32) -> LockedTier {
        booking::test_tier(remaining, limit, 1_000)
    }

    fn facts(tier: &LockedTier) -> BatchFacts {
        BatchFacts {
            tiers: vec![tier.clone()],
            ..BatchFacts::default()
        }
    }

    fn entry(user_id: Uuid, lines: &[TierLine]) -> BatchEntry<'_> {
        BatchEntry {
            user_id,
            lines: Ok(lines),
            idempotency: None,
            admitted_to: None,
        }
    }

    /// `facts` where `buyer` booked `booking_id` before under key `k1` with body `a`.
    fn with_earlier_key(mut facts: BatchFacts, buyer: Uuid, booking_id: Uuid) -> BatchFacts {
        facts.earlier.insert(
            (buyer, "k1".to_owned()),
            EarlierKey {
                booking_id,
                request_hash: Some(b"a".to_vec()),
            },
        );
        facts
    }

    fn granted(decisions: &[BatchDecision]) -> usize {
        decisions
            .iter()
            .filter(|d| matches!(d, BatchDecision::Book(_)))
            .count()
    }

    #[test]
    fn the_first_arrivals_get_the_last_tickets() {
        let hot = tier(3, 4);
        let two = [TierLine {
            tier_id: hot.tier_id,
            quantity: 2,
        }];
        let one = [TierLine {
            tier_id: hot.tier_id,
            quantity: 1,
        }];
        let buyers: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        let entries = [
            entry(buyers[0], &two),
            entry(buyers[1], &two),
            entry(buyers[2], &one),
            entry(buyers[3], &one),
        ];
        let decisions = decide(&entries, facts(&hot), Utc::now());
        assert!(matches!(decisions[0], BatchDecision::Book(_)));
        assert!(matches!(
            decisions[1],
            BatchDecision::Rejected(BookingRejection::InsufficientTickets { remaining: 1, .. })
        ));
        assert!(matches!(decisions[2], BatchDecision::Book(_)));
        assert!(matches!(
            decisions[3],
            BatchDecision::Rejected(BookingRejection::InsufficientTickets { remaining: 0, .. })
        ));
    }

    #[test]
    fn one_buyers_two_requests_in_a_batch_share_the_limit() {
        let hot = tier(100, 3);
        let two = [TierLine {
            tier_id: hot.tier_id,
            quantity: 2,
        }];
        let buyer = Uuid::new_v4();
        let decisions = decide(
            &[entry(buyer, &two), entry(buyer, &two)],
            facts(&hot),
            Utc::now(),
        );
        assert!(matches!(decisions[0], BatchDecision::Book(_)));
        assert!(matches!(
            decisions[1],
            BatchDecision::Rejected(BookingRejection::TicketLimitExceeded { held: 2, .. })
        ));
    }

    #[test]
    fn a_key_repeated_in_a_batch_books_once() {
        let hot = tier(100, 4);
        let one = [TierLine {
            tier_id: hot.tier_id,
            quantity: 1,
        }];
        let buyer = Uuid::new_v4();
        let keyed = |hash: &'static [u8]| BatchEntry {
            idempotency: Some(("k1", hash)),
            ..entry(buyer, &one)
        };
        let decisions = decide(
            &[keyed(b"a"), keyed(b"a"), keyed(b"b")],
            facts(&hot),
            Utc::now(),
        );
        assert!(matches!(decisions[0], BatchDecision::Book(_)));
        assert_eq!(decisions[1], BatchDecision::ReplayInBatch(0));
        assert_eq!(decisions[2], BatchDecision::KeyReused);
        assert_eq!(granted(&decisions), 1);
    }

    #[test]
    fn a_key_refused_in_a_batch_may_be_tried_again_in_it() {
        let closed = LockedTier {
            remaining: 0,
            ..tier(0, 4)
        };
        let one = [TierLine {
            tier_id: closed.tier_id,
            quantity: 1,
        }];
        let buyer = Uuid::new_v4();
        let keyed = BatchEntry {
            idempotency: Some(("k1", b"a".as_slice())),
            ..entry(buyer, &one)
        };
        let decisions = decide(&[keyed, keyed], facts(&closed), Utc::now());
        assert!(
            decisions
                .iter()
                .all(|d| matches!(d, BatchDecision::Rejected(_)))
        );
    }

    #[test]
    fn a_replay_is_answered_even_when_its_event_no_longer_resolves() {
        let hot = tier(100, 4);
        let buyer = Uuid::new_v4();
        let earlier = Uuid::new_v4();
        let facts = with_earlier_key(facts(&hot), buyer, earlier);
        let event = Uuid::new_v4();
        let unresolved = BatchEntry {
            user_id: buyer,
            lines: Err(UnresolvedItem::EventNeedsTier(event)),
            idempotency: Some(("k1", b"a".as_slice())),
            admitted_to: None,
        };
        let fresh = BatchEntry {
            idempotency: None,
            ..unresolved
        };
        assert_eq!(
            decide(&[unresolved, fresh], facts, Utc::now()),
            [
                BatchDecision::ReplayEarlier(earlier),
                BatchDecision::Unresolved(UnresolvedItem::EventNeedsTier(event))
            ]
        );
    }

    #[test]
    fn a_key_used_before_the_batch_replays_or_is_refused() {
        let hot = tier(100, 4);
        let one = [TierLine {
            tier_id: hot.tier_id,
            quantity: 1,
        }];
        let buyer = Uuid::new_v4();
        let earlier = Uuid::new_v4();
        let facts = with_earlier_key(facts(&hot), buyer, earlier);
        let keyed = |hash: &'static [u8]| BatchEntry {
            idempotency: Some(("k1", hash)),
            ..entry(buyer, &one)
        };
        let decisions = decide(&[keyed(b"a"), keyed(b"b")], facts, Utc::now());
        assert_eq!(
            decisions,
            [
                BatchDecision::ReplayEarlier(earlier),
                BatchDecision::KeyReused
            ]
        );
    }
}
