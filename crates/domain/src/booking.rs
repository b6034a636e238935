//! Booking rules: what a request may ask for, and — given the locked tier rows and what
//! the user already holds — whether it can be granted. The persistence layer gathers the
//! facts under row locks; this module decides.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::event::EventStatus;
use crate::text_enum::text_enum;
use crate::validation::ValidationErrors;

text_enum! {
    pub enum BookingStatus / UnknownBookingStatus ("booking status") {
        /// Tickets are held while the payment is under way.
        Pending => "pending",
        Confirmed => "confirmed",
        Cancelled => "cancelled",
        /// A pending booking whose payment never completed; its tickets went back.
        Expired => "expired",
    }
}

text_enum! {
    /// How a booking came about.
    pub enum BookingOrigin / UnknownBookingOrigin ("booking origin") {
        /// The buyer booked it.
        Direct => "direct",
        /// Tickets that came back were offered to the buyer, first in a waiting list.
        WaitingList => "waitingList",
    }
}

/// A booking is a shopping cart, not a bulk import.
pub const MAX_ITEMS_PER_BOOKING: usize = 20;

/// What one requested item points at: a tier, or an event that has exactly one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemTarget {
    Tier(Uuid),
    Event(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedItem {
    pub target: ItemTarget,
    pub quantity: u32,
}

/// One item as it arrives on the wire, before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawItem {
    pub tier_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub quantity: i64,
}

/// A syntactically valid booking request: 1 to 20 items, each naming one target once,
/// each for at least one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    items: Vec<RequestedItem>,
}

impl BookingRequest {
    pub fn parse(raw: &[RawItem]) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if raw.is_empty() {
            errors.push("items", "must contain at least one item");
        }
        if raw.len() > MAX_ITEMS_PER_BOOKING {
            errors.push(
                "items",
                format!("must contain at most {MAX_ITEMS_PER_BOOKING} items"),
            );
        }
        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(raw.len());
        for (index, item) in raw.iter().enumerate() {
            let target = match (item.tier_id, item.event_id) {
                (Some(tier), None) => Some(ItemTarget::Tier(tier)),
                (None, Some(event)) => Some(ItemTarget::Event(event)),
                (Some(_), Some(_)) => {
                    errors.push(
                        format!("items[{index}]"),
                        "give tierId or eventId, not both",
                    );
                    None
                }
                (None, None) => {
                    errors.push(format!("items[{index}].tierId"), "is required (or eventId)");
                    None
                }
            };
            if let Some(target) = target
                && !seen.insert(target)
            {
                let field = match target {
                    ItemTarget::Tier(_) => "tierId",
                    ItemTarget::Event(_) => "eventId",
                };
                errors.push(format!("items[{index}].{field}"), "appears more than once");
            }
            let quantity = match u32::try_from(item.quantity) {
                Ok(quantity) if quantity >= 1 => Some(quantity),
                Ok(_) => {
                    errors.push(format!("items[{index}].quantity"), "must be at least 1");
                    None
                }
                Err(_) if item.quantity > 0 => {
                    errors.push(
                        format!("items[{index}].quantity"),
                        format!("must be at most {}", u32::MAX),
                    );
                    None
                }
                Err(_) => {
                    errors.push(format!("items[{index}].quantity"), "must be at least 1");
                    None
                }
            };
            if let (Some(target), Some(quantity)) = (target, quantity) {
                items.push(RequestedItem { target, quantity });
            }
        }
        if errors.is_empty() {
            Ok(Self { items })
        } else {
            Err(errors)
        }
    }

    pub fn items(&self) -> &[RequestedItem] {
        &self.items
    }
}

/// A requested quantity of one tier, after `eventId` items were resolved to their tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLine {
    pub tier_id: Uuid,
    pub quantity: u32,
}

/// Why an `eventId` item names no single tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnresolvedItem {
    #[error("event {0} does not exist")]
    EventNotFound(Uuid),
    #[error("event {0} has several ticket tiers; name one with tierId")]
    EventNeedsTier(Uuid),
}

impl BookingRequest {
    /// The request as tier lines: an `eventId` item becomes its event's only tier, given
    /// `tiers` as (tier, event) pairs of the tiers the request names. A tier id nobody knows
    /// stays as it is: [`plan`] rejects it as unknown.
    pub fn lines(&self, tiers: &[(Uuid, Uuid)]) -> Result<Vec<TierLine>, UnresolvedItem> {
        self.items
            .iter()
            .map(|item| {
                let tier_id = match item.target {
                    ItemTarget::Tier(tier_id) => tier_id,
                    ItemTarget::Event(event_id) => {
                        let mut of_event = tiers.iter().filter(|(_, event)| *event == event_id);
                        match (of_event.next(), of_event.next()) {
                            (Some(&(tier_id, _)), None) => tier_id,
                            (None, _) => return Err(UnresolvedItem::EventNotFound(event_id)),
                            (Some(_), Some(_)) => {
                                return Err(UnresolvedItem::EventNeedsTier(event_id));
                            }
                        }
                    }
                };
                Ok(TierLine {
                    tier_id,
                    quantity: item.quantity,
                })
            })
            .collect()
    }
}

/// A tier row and its event as read under the row lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedTier {
    pub tier_id: Uuid,
    pub event_id: Uuid,
    pub event_status: EventStatus,
    pub starts_at: DateTime<Utc>,
    pub max_tickets_per_user: u32,
    /// How long the event holds tickets for a buyer checking out with a hold.
    pub hold_minutes: u32,
    /// No booking before this instant, when set.
    pub sales_start_at: Option<DateTime<Utc>>,
    /// Whether the event's waiting room is on: booking it needs a queue pass.
    pub waiting_room: bool,
    pub remaining: u32,
    pub price_cents: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub tier_id: Uuid,
    pub event_id: Uuid,
    pub quantity: u32,
    pub unit_price_cents: i64,
}

/// A granted booking: what to decrement and record, prices as of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingPlan {
    pub items: Vec<PlannedItem>,
    pub total_cents: i64,
    pub currency: String,
    /// The shortest hold length of its events: a hold ends for the whole booking at once.
    pub hold_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingRejection {
    #[error("ticket tier {0} does not exist")]
    UnknownTier(Uuid),
    #[error("ticket tier {0} is requested more than once")]
    DuplicateTier(Uuid),
    #[error("event {0} is not on sale")]
    EventNotBookable(Uuid),
    #[error("sales of event {event_id} start at {sales_start_at}")]
    SalesNotStarted {
        event_id: Uuid,
        sales_start_at: DateTime<Utc>,
    },
    /// The event's waiting room is on: only a buyer it admitted may book, with their pass.
    #[error("event {0} admits buyers through its waiting room: book with your queue pass")]
    QueuePassRequired(Uuid),
    #[error(
        "at most {limit} tickets per person for event {event_id}: you hold {held} and asked for {requested}"
    )]
    TicketLimitExceeded {
        event_id: Uuid,
        limit: u32,
        held: u32,
        requested: u32,
    },
    #[error("only {remaining} tickets left in tier {tier_id}, {requested} requested")]
    InsufficientTickets {
        tier_id: Uuid,
        remaining: u32,
        requested: u32,
    },
    #[error("all items of one booking must be priced in one currency")]
    MixedCurrencies,
    #[error("the total is too large")]
    TotalOverflow,
}

/// Decides a booking. `tiers` are the locked rows; `held(event)` is how many confirmed
/// (or pending) tickets the user already has for that event. Checks run in the order a
/// buyer can act on: is it for sale, is it within my limit, are there enough left.
pub fn plan(
    lines: &[TierLine],
    tiers: &[LockedTier],
    held: impl Fn(Uuid) -> u32,
    now: DateTime<Utc>,
) -> Result<BookingPlan, BookingRejection> {
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(lines.len());
    // Per event: (limit, requested in this booking).
    let mut per_event: BTreeMap<Uuid, (u32, u32)> = BTreeMap::new();
    for line in lines {
        if !seen.insert(line.tier_id) {
            return Err(BookingRejection::DuplicateTier(line.tier_id));
        }
        let tier = tiers
            .iter()
            .find(|tier| tier.tier_id == line.tier_id)
            .ok_or(BookingRejection::UnknownTier(line.tier_id))?;
        if !tier.event_status.is_on_sale(tier.starts_at, now) {
            return Err(BookingRejection::EventNotBookable(tier.event_id));
        }
        let entry = per_event
            .entry(tier.event_id)
            .or_insert((tier.max_tickets_per_user, 0));
        entry.1 = entry.1.saturating_add(line.quantity);
        items.push((tier, line.quantity));
    }
    for (&event_id, &(limit, requested)) in &per_event {
        let held = held(event_id);
        if held.saturating_add(requested) > limit {
            return Err(BookingRejection::TicketLimitExceeded {
                event_id,
                limit,
                held,
                requested,
            });
        }
    }
    for &(tier, quantity) in &items {
        if quantity > tier.remaining {
            return Err(BookingRejection::InsufficientTickets {
                tier_id: tier.tier_id,
                remaining: tier.remaining,
                requested: quantity,
            });
        }
    }
    let currency = match items.first() {
        Some((tier, _)) => tier.currency.clone(),
        None => return Err(BookingRejection::TotalOverflow),
    };
    if items.iter().any(|(tier, _)| tier.currency != currency) {
        return Err(BookingRejection::MixedCurrencies);
    }
    let hold_minutes = items
        .iter()
        .map(|(tier, _)| tier.hold_minutes)
        .min()
        .unwrap_or_default();
    let mut total_cents: i64 = 0;
    let mut planned = Vec::with_capacity(items.len());
    for (tier, quantity) in items {
        total_cents = tier
            .price_cents
            .checked_mul(i64::from(quantity))
            .and_then(|line_total| total_cents.checked_add(line_total))
            .ok_or(BookingRejection::TotalOverflow)?;
        planned.push(PlannedItem {
            tier_id: tier.tier_id,
            event_id: tier.event_id,
            quantity,
            unit_price_cents: tier.price_cents,
        });
    }
    Ok(BookingPlan {
        items: planned,
        total_cents,
        currency,
        hold_minutes,
    })
}

/// A published tier of an event that starts tomorrow, for tests.
#[cfg(test)]
pub(crate) fn test_tier(remaining: u32, limit: u32, price_cents: i64) -> LockedTier {
    use chrono::TimeDelta;
    LockedTier {
        tier_id: Uuid::new_v4(),
        event_id: Uuid::new_v4(),
        event_status: EventStatus::Published,
        starts_at: Utc::now() + TimeDelta::days(1),
        max_tickets_per_user: limit,
        hold_minutes: 10,
        sales_start_at: None,
        waiting_room: false,
        remaining,
        price_cents,
        currency: "USD".into(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use proptest::prelude::*;

    use super::*;

    fn raw(tier: Option<Uuid>, event: Option<Uuid>, quantity: i64) -> RawItem {
        RawItem {
            tier_id: tier,
            event_id: event,
            quantity,
        }
    }

    fn fields(errors: ValidationErrors) -> Vec<String> {
        errors.into_fields().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_event_item_becomes_the_events_only_tier() {
        let (single, multi, tier) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let tiers = [
            (tier, single),
            (Uuid::new_v4(), multi),
            (Uuid::new_v4(), multi),
        ];
        let request = |event| BookingRequest::parse(&[raw(None, Some(event), 2)]).unwrap();
        assert_eq!(
            request(single).lines(&tiers),
            Ok(vec![TierLine {
                tier_id: tier,
                quantity: 2
            }])
        );
        assert_eq!(
            request(multi).lines(&tiers),
            Err(UnresolvedItem::EventNeedsTier(multi))
        );
        let unknown = Uuid::new_v4();
        assert_eq!(
            request(unknown).lines(&tiers),
            Err(UnresolvedItem::EventNotFound(unknown))
        );
        let by_tier = BookingRequest::parse(&[raw(Some(unknown), None, 1)]).unwrap();
        assert_eq!(by_tier.lines(&[]).unwrap()[0].tier_id, unknown);
    }

    #[test]
    fn a_request_needs_items() {
        assert_eq!(fields(BookingRequest::parse(&[]).unwrap_err()), ["items"]);
    }

    #[test]
    fn a_request_has_at_most_twenty_items() {
        let many: Vec<RawItem> = (0..21)
            .map(|_| raw(Some(Uuid::new_v4()), None, 1))
            .collect();
        assert_eq!(fields(BookingRequest::parse(&many).unwrap_err()), ["items"]);
        assert!(BookingRequest::parse(&many[..20]).is_ok());
    }

    #[test]
    fn quantities_below_one_are_refused() {
        let tier = Some(Uuid::new_v4());
        for quantity in [0, -1, i64::from(u32::MAX) + 1] {
            let errors = BookingRequest::parse(&[raw(tier, None, quantity)]).unwrap_err();
            assert_eq!(fields(errors), ["items[0].quantity"], "{quantity}");
        }
    }

    #[test]
    fn a_tier_or_event_twice_is_refused() {
        let (tier, event) = (Some(Uuid::new_v4()), Some(Uuid::new_v4()));
        let errors = BookingRequest::parse(&[raw(tier, None, 1), raw(tier, None, 2)]).unwrap_err();
        assert_eq!(fields(errors), ["items[1].tierId"]);
        let errors =
            BookingRequest::parse(&[raw(None, event, 1), raw(None, event, 1)]).unwrap_err();
        assert_eq!(fields(errors), ["items[1].eventId"]);
    }

    #[test]
    fn an_item_names_exactly_one_target() {
        let event = Uuid::new_v4();
        let id = Some(event);
        assert_eq!(
            fields(BookingRequest::parse(&[raw(None, None, 1)]).unwrap_err()),
            ["items[0].tierId"]
        );
        assert_eq!(
            fields(BookingRequest::parse(&[raw(id, id, 1)]).unwrap_err()),
            ["items[0]"]
        );
        let parsed = BookingRequest::parse(&[raw(None, id, 2)]).unwrap();
        assert_eq!(parsed.items()[0].target, ItemTarget::Event(event));
    }

    fn line(tier: &LockedTier, quantity: u32) -> TierLine {
        TierLine {
            tier_id: tier.tier_id,
            quantity,
        }
    }

    #[test]
    fn a_valid_booking_is_priced_at_current_prices() {
        let (vip, ga) = (test_tier(10, 4, 10_000), test_tier(100, 4, 1_000));
        let plan = plan(
            &[line(&vip, 2), line(&ga, 3)],
            &[vip.clone(), ga.clone()],
            |_| 0,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(plan.total_cents, 23_000);
        assert_eq!(plan.currency, "USD");
        assert_eq!(plan.items[0].unit_price_cents, 10_000);
        assert_eq!(plan.items[1].quantity, 3);
    }

    #[test]
    fn more_than_remaining_is_insufficient() {
        let t = test_tier(2, 4, 100);
        assert_eq!(
            plan(&[line(&t, 3)], std::slice::from_ref(&t), |_| 0, Utc::now()),
            Err(BookingRejection::InsufficientTickets {
                tier_id: t.tier_id,
                remaining: 2,
                requested: 3
            })
        );
    }

    #[test]
    fn the_limit_counts_tickets_already_held() {
        let t = test_tier(100, 2, 100);
        assert!(plan(&[line(&t, 1)], std::slice::from_ref(&t), |_| 1, Utc::now()).is_ok());
        assert!(matches!(
            plan(&[line(&t, 1)], std::slice::from_ref(&t), |_| 2, Utc::now()),
            Err(BookingRejection::TicketLimitExceeded {
                limit: 2,
                held: 2,
                requested: 1,
                ..
            })
        ));
    }

    #[test]
    fn the_limit_adds_up_every_tier_of_one_event() {
        let a = test_tier(100, 3, 100);
        let b = LockedTier {
            tier_id: Uuid::new_v4(),
            ..a.clone()
        };
        assert!(matches!(
            plan(
                &[line(&a, 2), line(&b, 2)],
                &[a.clone(), b.clone()],
                |_| 0,
                Utc::now()
            ),
            Err(BookingRejection::TicketLimitExceeded { requested: 4, .. })
        ));
    }

    #[test]
    fn a_single_item_over_the_limit_is_refused() {
        let t = test_tier(100, 4, 100);
        assert!(matches!(
            plan(&[line(&t, 5)], std::slice::from_ref(&t), |_| 0, Utc::now()),
            Err(BookingRejection::TicketLimitExceeded { .. })
        ));
    }

    #[test]
    fn only_published_future_events_are_bookable() {
        let now = Utc::now();
        for (status, starts_at) in [
            (EventStatus::Draft, now + TimeDelta::days(1)),
            (EventStatus::Cancelled, now + TimeDelta::days(1)),
            (EventStatus::Published, now),
            (EventStatus::Published, now - TimeDelta::days(1)),
        ] {
            let t = LockedTier {
                event_status: status,
                starts_at,
                ..test_tier(10, 4, 100)
            };
            assert_eq!(
                plan(&[line(&t, 1)], std::slice::from_ref(&t), |_| 0, now),
                Err(BookingRejection::EventNotBookable(t.event_id)),
                "{status:?} at {starts_at}"
            );
        }
    }

    #[test]
    fn unknown_duplicate_and_mixed_currency_lines_are_refused() {
        let t = test_tier(10, 4, 100);
        let ghost = Uuid::new_v4();
        assert_eq!(
            plan(
                &[TierLine {
                    tier_id: ghost,
                    quantity: 1
                }],
                std::slice::from_ref(&t),
                |_| 0,
                Utc::now()
            ),
            Err(BookingRejection::UnknownTier(ghost))
        );
        assert_eq!(
            plan(
                &[line(&t, 1), line(&t, 1)],
                std::slice::from_ref(&t),
                |_| 0,
                Utc::now()
            ),
            Err(BookingRejection::DuplicateTier(t.tier_id))
        );
        let euro = LockedTier {
            currency: "EUR".into(),
            ..test_tier(10, 4, 100)
        };
        assert_eq!(
            plan(
                &[line(&t, 1), line(&euro, 1)],
                &[t.clone(), euro.clone()],
                |_| 0,
                Utc::now()
            ),
            Err(BookingRejection::MixedCurrencies)
        );
    }

    #[test]
    fn a_cart_across_events_is_held_as_long_as_its_shortest_hold() {
        let long = LockedTier {
            hold_minutes: 30,
            ..test_tier(10, 4, 100)
        };
        let short = LockedTier {
            hold_minutes: 5,
            ..test_tier(10, 4, 100)
        };
        let planned = plan(
            &[line(&long, 1), line(&short, 1)],
            &[long.clone(), short.clone()],
            |_| 0,
            Utc::now(),
        );
        assert_eq!(planned.map(|plan| plan.hold_minutes), Ok(5));
    }

    #[test]
    fn an_absurd_total_is_refused_not_wrapped() {
        let t = test_tier(10, 10, i64::MAX / 2);
        assert_eq!(
            plan(&[line(&t, 3)], std::slice::from_ref(&t), |_| 0, Utc::now()),
            Err(BookingRejection::TotalOverflow)
        );
    }

    proptest! {
        #[test]
        fn a_granted_plan_never_oversells_or_exceeds_the_limit(
            remaining in 0_u32..10, limit in 1_u32..6, held in 0_u32..6, quantity in 1_u32..12, price in 0_i64..100_000
        ) {
            let t = test_tier(remaining, limit, price);
            if let Ok(plan) = plan(&[line(&t, quantity)], std::slice::from_ref(&t), |_| held, Utc::now()) {
                prop_assert!(quantity <= remaining);
                prop_assert!(held + quantity <= limit);
                prop_assert_eq!(plan.total_cents, price * i64::from(quantity));
            }
        }
    }
}
