//! What organizers may create and change: event and tier fields, lifecycle moves, and
//! capacity changes that never drop below what is sold.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::Actor;
use crate::account::Role;
use crate::event::EventStatus;
use crate::validation::ValidationErrors;
use crate::waiting_room;

pub const DEFAULT_MAX_TICKETS_PER_USER: i32 = 4;
const MAX_TICKETS_PER_USER_LIMIT: i64 = 100;
/// How long a checkout holds tickets unless the organizer says otherwise, and the range
/// they may choose from: long enough to type a card, short enough not to starve a sale.
pub const DEFAULT_HOLD_MINUTES: i32 = 10;
const HOLD_MINUTES: std::ops::RangeInclusive<i64> = 1..=60;
/// How long a waiting-list offer waits for its buyer to pay, by default and at most.
pub const DEFAULT_OFFER_MINUTES: i32 = 30;
const OFFER_MINUTES: std::ops::RangeInclusive<i64> = 1..=1_440;
const MAX_TIERS: usize = 20;
const MAX_CAPACITY: i64 = 1_000_000;
/// One million in major units: a price above it is a typo.
pub const MAX_PRICE_CENTS: i64 = 100_000_000;

/// Why a tier's name is refused when another tier of the event has it (any case).
pub const TIER_NAME_TAKEN: &str = "is already used by another tier of this event";

/// Organizers manage their own events; admins manage every event.
pub fn may_manage(actor: Actor, organizer_id: Uuid) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Organizer && actor.user_id == organizer_id)
}

/// Who sees an event: everyone once it is out of draft; a draft only those who manage it.
pub fn may_see(viewer: Option<Actor>, organizer_id: Uuid, status: EventStatus) -> bool {
    status != EventStatus::Draft || viewer.is_some_and(|actor| may_manage(actor, organizer_id))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTier {
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub capacity: i32,
}

impl NewTier {
    /// A tier added to an existing event (field names without a prefix).
    pub fn parse(raw: &RawTier) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let tier = Self::collect(&mut errors, "", raw);
        if errors.is_empty() {
            Ok(tier)
        } else {
            Err(errors)
        }
    }

    /// Checks `raw`, reporting problems under `prefix` + the field's name.
    fn collect(errors: &mut ValidationErrors, prefix: &str, raw: &RawTier) -> Self {
        let name = text(errors, &format!("{prefix}name"), &raw.name, 100, true);
        if !(0..=MAX_PRICE_CENTS).contains(&raw.price_cents) {
            errors.push(
                format!("{prefix}priceCents"),
                format!("must be between 0 and {MAX_PRICE_CENTS}"),
            );
        }
        let currency = raw.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(
                format!("{prefix}currency"),
                "must be a three-letter ISO 4217 code",
            );
        }
        let capacity = match i32::try_from(raw.capacity) {
            Ok(capacity) if i64::from(capacity) <= MAX_CAPACITY && capacity >= 0 => capacity,
            _ => {
                errors.push(
                    format!("{prefix}capacity"),
                    format!("must be between 0 and {MAX_CAPACITY}"),
                );
                0
            }
        };
        Self {
            name,
            price_cents: raw.price_cents,
            currency,
            capacity,
        }
    }
}

/// One of an event's tiers as far as adding or removing one is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingTier {
    pub name: String,
    pub currency: String,
}

/// Whether `tier` may join an event that has `existing` tiers: a new name, the event's
/// currency, and no more than the most tiers an event may have.
pub fn check_add_tier(existing: &[ExistingTier], tier: &NewTier) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if existing.len() >= MAX_TIERS {
        errors.push("tiers", format!("an event has at most {MAX_TIERS} tiers"));
    }
    let lower = tier.name.to_lowercase();
    if existing
        .iter()
        .any(|other| other.name.to_lowercase() == lower)
    {
        errors.push("name", TIER_NAME_TAKEN);
    }
    if let Some(other) = existing
        .iter()
        .find(|other| other.currency != tier.currency)
    {
        errors.push(
            "currency",
            format!(
                "must be {}, the currency of the event's other tiers",
                other.currency
            ),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RemoveTierRejection {
    #[error("this tier has bookings; lower its capacity to stop its sales instead")]
    HasBookings,
    #[error("an event keeps at least one tier")]
    LastTier,
}

/// Whether a tier may go: only one that was never booked, and never the event's last.
pub fn check_remove_tier(
    ever_booked: bool,
    tiers_of_event: usize,
) -> Result<(), RemoveTierRejection> {
    if ever_booked {
        return Err(RemoveTierRejection::HasBookings);
    }
    if tiers_of_event <= 1 {
        return Err(RemoveTierRejection::LastTier);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub max_tickets_per_user: i32,
    pub hold_minutes: i32,
    pub offer_minutes: i32,
    pub sales_start_at: Option<DateTime<Utc>>,
    pub waiting_room: Option<WaitingRoomSettings>,
    pub tiers: Vec<NewTier>,
}

/// A waiting room as the organizer set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingRoomSettings {
    pub admit_per_minute: i32,
    /// Minutes before the sale start from which buyers may take a place.
    pub opens_minutes: i32,
}

/// A waiting room as it arrives; absent numbers take their defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawWaitingRoom {
    pub admit_per_minute: Option<i64>,
    pub opens_minutes: Option<i64>,
}

/// The on-sale settings an event would have, checked together: the sale starts before
/// the event, and a waiting room needs a sale start (it opens ahead of it).
pub fn check_on_sale(
    starts_at: DateTime<Utc>,
    sales_start_at: Option<DateTime<Utc>>,
    waiting_room: bool,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if sales_start_at.is_some_and(|sales_start_at| sales_start_at >= starts_at) {
        errors.push("salesStartAt", "must be before the event starts");
    }
    if waiting_room && sales_start_at.is_none() {
        errors.push("waitingRoom", "needs a sale start (salesStartAt)");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A tier as it arrives on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTier {
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub capacity: i64,
}

/// Event fields as they arrive; `None` keeps the current value (for edits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEventFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub max_tickets_per_user: Option<i64>,
    pub hold_minutes: Option<i64>,
    pub offer_minutes: Option<i64>,
    /// `Some(None)`: no sale start (sales open at publishing).
    pub sales_start_at: Option<Option<DateTime<Utc>>>,
    /// `Some(None)`: no waiting room.
    pub waiting_room: Option<Option<RawWaitingRoom>>,
}

/// Checked edits of an event; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub max_tickets_per_user: Option<i32>,
    pub hold_minutes: Option<i32>,
    pub offer_minutes: Option<i32>,
    /// `Some(None)` removes the sale start.
    pub sales_start_at: Option<Option<DateTime<Utc>>>,
    /// `Some(None)` turns the waiting room off.
    pub waiting_room: Option<Option<WaitingRoomSettings>>,
}

fn text(
    errors: &mut ValidationErrors,
    field: &str,
    raw: &str,
    max: usize,
    required: bool,
) -> String {
    let value = raw.trim().to_owned();
    if required && value.is_empty() {
        errors.push(field, "is required");
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(field, "must not contain control characters");
    } else if value.chars().count() > max {
        errors.push(field, format!("must be at most {max} characters"));
    }
    value
}

impl EventChanges {
    pub fn parse(raw: &RawEventFields, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = Self::collect(&mut errors, raw, now);
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }

    fn collect(errors: &mut ValidationErrors, raw: &RawEventFields, now: DateTime<Utc>) -> Self {
        if raw.starts_at.is_some_and(|starts_at| starts_at <= now) {
            errors.push("startsAt", "must be in the future");
        }
        let max_tickets_per_user = in_range(
            errors,
            "maxTicketsPerUser",
            raw.max_tickets_per_user,
            1..=MAX_TICKETS_PER_USER_LIMIT,
        );
        let hold_minutes = in_range(errors, "holdMinutes", raw.hold_minutes, HOLD_MINUTES);
        let offer_minutes = in_range(errors, "offerMinutes", raw.offer_minutes, OFFER_MINUTES);
        let waiting_room = raw.waiting_room.map(|room| {
            room.map(|room| WaitingRoomSettings {
                admit_per_minute: in_range(
                    errors,
                    "waitingRoom.admitPerMinute",
                    room.admit_per_minute,
                    waiting_room::ADMIT_PER_MINUTE,
                )
                .unwrap_or(waiting_room::DEFAULT_ADMIT_PER_MINUTE),
                opens_minutes: in_range(
                    errors,
                    "waitingRoom.opensMinutes",
                    room.opens_minutes,
                    waiting_room::OPENS_MINUTES,
                )
                .unwrap_or(waiting_room::DEFAULT_OPENS_MINUTES),
            })
        });
        Self {
            title: raw
                .title
                .as_deref()
                .map(|t| text(errors, "title", t, 200, true)),
            description: raw
                .description
                .as_deref()
                .map(|d| text(errors, "description", d, 5_000, false)),
            venue: raw
                .venue
                .as_deref()
                .map(|v| text(errors, "venue", v, 200, true)),
            starts_at: raw.starts_at,
            max_tickets_per_user,
            hold_minutes,
            offer_minutes,
            sales_start_at: raw.sales_start_at,
            waiting_room,
        }
    }
}

/// `value` when it lies in `range`; otherwise the field's error, and nothing.
fn in_range(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i32> {
    let value = value?;
    match i32::try_from(value) {
        Ok(valid) if range.contains(&value) => Some(valid),
        _ => {
            errors.push(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            );
            None
        }
    }
}

impl NewEvent {
    pub fn parse(
        raw: &RawEventFields,
        tiers: &[RawTier],
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let fields = EventChanges::collect(&mut errors, raw, now);
        if raw.title.is_none() {
            errors.push("title", "is required");
        }
        if raw.venue.is_none() {
            errors.push("venue", "is required");
        }
        match raw.starts_at {
            None => errors.push("startsAt", "is required"),
            Some(starts_at) => {
                let room = matches!(raw.waiting_room, Some(Some(_)));
                if let Err(on_sale) = check_on_sale(starts_at, raw.sales_start_at.flatten(), room) {
                    for error in on_sale.into_fields() {
                        errors.push(error.field, error.message);
                    }
                }
            }
        }
        if tiers.is_empty() || tiers.len() > MAX_TIERS {
            errors.push("tiers", format!("must have 1 to {MAX_TIERS} tiers"));
        }
        let mut names = std::collections::HashSet::new();
        let mut parsed = Vec::with_capacity(tiers.len());
        for (index, tier) in tiers.iter().enumerate() {
            let prefix = format!("tiers[{index}].");
            let tier = NewTier::collect(&mut errors, &prefix, tier);
            if !tier.name.is_empty() && !names.insert(tier.name.to_lowercase()) {
                errors.push(format!("{prefix}name"), "appears more than once");
            }
            parsed.push(tier);
        }
        if parsed
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if a.currency != b.currency))
        {
            errors.push("tiers", "all tiers of an event must use one currency");
        }
        match (fields, errors.is_empty()) {
            (
                EventChanges {
                    title: Some(title),
                    description,
                    venue: Some(venue),
                    starts_at: Some(starts_at),
                    max_tickets_per_user,
                    hold_minutes,
                    offer_minutes,
                    sales_start_at,
                    waiting_room,
                },
                true,
            ) => Ok(Self {
                title,
                description: description.unwrap_or_default(),
                venue,
                starts_at,
                max_tickets_per_user: max_tickets_per_user.unwrap_or(DEFAULT_MAX_TICKETS_PER_USER),
                hold_minutes: hold_minutes.unwrap_or(DEFAULT_HOLD_MINUTES),
                offer_minutes: offer_minutes.unwrap_or(DEFAULT_OFFER_MINUTES),
                sales_start_at: sales_start_at.flatten(),
                waiting_room: waiting_room.flatten(),
                tiers: parsed,
            }),
            _ => Err(errors),
        }
    }
}

/// Checked edits of one tier; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierChanges {
    pub name: Option<String>,
    pub price_cents: Option<i64>,
    pub capacity: Option<i32>,
}

impl TierChanges {
    pub fn parse(
        name: Option<&str>,
        price_cents: Option<i64>,
        capacity: Option<i64>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = name.map(|name| text(&mut errors, "name", name, 100, true));
        if price_cents.is_some_and(|price| !(0..=MAX_PRICE_CENTS).contains(&price)) {
            errors.push(
                "priceCents",
                format!("must be between 0 and {MAX_PRICE_CENTS}"),
            );
        }
        let capacity = capacity.and_then(|capacity| match i32::try_from(capacity) {
            Ok(capacity) if (0..=MAX_CAPACITY).contains(&i64::from(capacity)) => Some(capacity),
            _ => {
                errors.push("capacity", format!("must be between 0 and {MAX_CAPACITY}"));
                None
            }
        });
        if errors.is_empty() {
            Ok(Self {
                name,
                price_cents,
                capacity,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleRejection {
    #[error("only a draft can be published")]
    NotADraft,
    #[error("the event is already cancelled")]
    AlreadyCancelled,
    #[error("only a draft without bookings can be deleted")]
    NotDeletable,
}

pub fn check_publish(status: EventStatus) -> Result<(), LifecycleRejection> {
    match status {
        EventStatus::Draft => Ok(()),
        EventStatus::Published | EventStatus::Cancelled => Err(LifecycleRejection::NotADraft),
    }
}

pub fn check_cancel_event(status: EventStatus) -> Result<(), LifecycleRejection> {
    match status {
        EventStatus::Draft | EventStatus::Published => Ok(()),
        EventStatus::Cancelled => Err(LifecycleRejection::AlreadyCancelled),
    }
}

pub fn check_edit(status: EventStatus) -> Result<(), LifecycleRejection> {
    match status {
        EventStatus::Draft | EventStatus::Published => Ok(()),
        EventStatus::Cancelled => Err(LifecycleRejection::AlreadyCancelled),
    }
}

pub fn check_delete(status: EventStatus, ever_booked: bool) -> Result<(), LifecycleRejection> {
    if status == EventStatus::Draft && !ever_booked {
        Ok(())
    } else {
        Err(LifecycleRejection::NotDeletable)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{sold} {noun} already sold; the capacity cannot go below that",
    noun = if *sold == 1 { "ticket is" } else { "tickets are" }
)]
pub struct CapacityBelowSold {
    pub sold: i32,
}

/// The new `remaining` after changing a tier's capacity from `capacity` (with
/// `remaining` left) to `new_capacity`: what is sold stays sold.
pub fn resize(capacity: i32, remaining: i32, new_capacity: i32) -> Result<i32, CapacityBelowSold> {
    let sold = capacity - remaining;
    if new_capacity < sold {
        Err(CapacityBelowSold { sold })
    } else {
        Ok(new_capacity - sold)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn raw_event(now: DateTime<Utc>) -> RawEventFields {
        RawEventFields {
            title: Some(" Jazz Night ".into()),
            description: None,
            venue: Some("Harbour Hall".into()),
            starts_at: Some(now + TimeDelta::days(3)),
            ..RawEventFields::default()
        }
    }

    fn raw_tier(name: &str) -> RawTier {
        RawTier {
            name: name.into(),
            price_cents: 2_500,
            currency: "usd".into(),
            capacity: 100,
        }
    }

    fn fields(errors: ValidationErrors) -> Vec<String> {
        errors.into_fields().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_event_is_trimmed_defaulted_and_upper_cases_currency() {
        let now = Utc::now();
        let event = NewEvent::parse(&raw_event(now), &[raw_tier("GA")], now).unwrap();
        assert_eq!(event.title, "Jazz Night");
        assert_eq!(event.max_tickets_per_user, 4);
        assert_eq!((event.hold_minutes, event.offer_minutes), (10, 30));
        assert_eq!(event.tiers[0].currency, "USD");
    }

    #[test]
    fn hold_and_offer_lengths_stay_in_their_ranges() {
        let now = Utc::now();
        let with = |hold, offer| RawEventFields {
            hold_minutes: Some(hold),
            offer_minutes: Some(offer),
            ..RawEventFields::default()
        };
        let changes = EventChanges::parse(&with(1, 1_440), now).unwrap();
        assert_eq!(
            (changes.hold_minutes, changes.offer_minutes),
            (Some(1), Some(1_440))
        );
        assert_eq!(
            EventChanges::parse(&with(60, 1), now)
                .map(|changes| changes.hold_minutes)
                .unwrap(),
            Some(60)
        );
        for (hold, offer) in [(0, 0), (61, 1_441), (i64::MAX, -1)] {
            assert_eq!(
                fields(EventChanges::parse(&with(hold, offer), now).unwrap_err()),
                ["holdMinutes", "offerMinutes"]
            );
        }
    }

    #[test]
    fn a_sale_start_comes_before_the_event_and_a_waiting_room_needs_one() {
        let now = Utc::now();
        let starts_at = now + TimeDelta::days(3);
        let room = Some(Some(RawWaitingRoom::default()));
        let event = NewEvent::parse(
            &RawEventFields {
                sales_start_at: Some(Some(now + TimeDelta::days(1))),
                waiting_room: room,
                ..raw_event(now)
            },
            &[raw_tier("GA")],
            now,
        )
        .unwrap();
        assert_eq!(
            event.waiting_room,
            Some(WaitingRoomSettings {
                admit_per_minute: waiting_room::DEFAULT_ADMIT_PER_MINUTE,
                opens_minutes: waiting_room::DEFAULT_OPENS_MINUTES,
            })
        );
        let late = RawEventFields {
            sales_start_at: Some(Some(starts_at)),
            ..raw_event(now)
        };
        assert_eq!(
            fields(NewEvent::parse(&late, &[raw_tier("GA")], now).unwrap_err()),
            ["salesStartAt"]
        );
        let roomless = RawEventFields {
            waiting_room: room,
            ..raw_event(now)
        };
        assert_eq!(
            fields(NewEvent::parse(&roomless, &[raw_tier("GA")], now).unwrap_err()),
            ["waitingRoom"]
        );
        let too_fast = RawEventFields {
            waiting_room: Some(Some(RawWaitingRoom {
                admit_per_minute: Some(0),
                opens_minutes: Some(2_000),
            })),
            ..RawEventFields::default()
        };
        assert_eq!(
            fields(EventChanges::parse(&too_fast, now).unwrap_err()),
            ["waitingRoom.admitPerMinute", "waitingRoom.opensMinutes"]
        );
    }

    #[test]
    fn missing_and_bad_fields_are_all_reported() {
        let now = Utc::now();
        let raw = RawEventFields {
            title: Some("  ".into()),
            starts_at: Some(now - TimeDelta::hours(1)),
            max_tickets_per_user: Some(0),
            ..RawEventFields::default()
        };
        let bad_tier = RawTier {
            name: "".into(),
            price_cents: -1,
            currency: "dollars".into(),
            capacity: -5,
        };
        let errors = NewEvent::parse(&raw, &[bad_tier], now).unwrap_err();
        assert_eq!(
            fields(errors),
            [
                "startsAt",
                "maxTicketsPerUser",
                "title",
                "venue",
                "tiers[0].name",
                "tiers[0].priceCents",
                "tiers[0].currency",
                "tiers[0].capacity"
            ]
        );
    }

    #[test]
    fn tiers_are_required_unique_and_in_one_currency() {
        let now = Utc::now();
        assert_eq!(
            fields(NewEvent::parse(&raw_event(now), &[], now).unwrap_err()),
            ["tiers"]
        );
        let twice = [raw_tier("VIP"), raw_tier("vip")];
        assert_eq!(
            fields(NewEvent::parse(&raw_event(now), &twice, now).unwrap_err()),
            ["tiers[1].name"]
        );
        let mixed = [
            raw_tier("A"),
            RawTier {
                currency: "EUR".into(),
                ..raw_tier("B")
            },
        ];
        assert_eq!(
            fields(NewEvent::parse(&raw_event(now), &mixed, now).unwrap_err()),
            ["tiers"]
        );
    }

    #[test]
    fn lifecycle_moves() {
        assert_eq!(check_publish(EventStatus::Draft), Ok(()));
        assert_eq!(
            check_publish(EventStatus::Published),
            Err(LifecycleRejection::NotADraft)
        );
        assert_eq!(check_cancel_event(EventStatus::Published), Ok(()));
        assert_eq!(
            check_cancel_event(EventStatus::Cancelled),
            Err(LifecycleRejection::AlreadyCancelled)
        );
        assert_eq!(
            check_edit(EventStatus::Cancelled),
            Err(LifecycleRejection::AlreadyCancelled)
        );
        assert_eq!(check_delete(EventStatus::Draft, false), Ok(()));
        assert_eq!(
            check_delete(EventStatus::Draft, true),
            Err(LifecycleRejection::NotDeletable)
        );
        assert_eq!(
            check_delete(EventStatus::Published, false),
            Err(LifecycleRejection::NotDeletable)
        );
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_are_text() {
        let now = Utc::now();
        let raw = RawEventFields {
            description: Some("Line one\nLine two".into()),
            ..raw_event(now)
        };
        assert!(NewEvent::parse(&raw, &[raw_tier("GA")], now).is_ok());
        let raw = RawEventFields {
            title: Some("Bell\u{7}".into()),
            ..raw_event(now)
        };
        assert_eq!(
            fields(NewEvent::parse(&raw, &[raw_tier("GA")], now).unwrap_err()),
            ["title"]
        );
    }

    #[test]
    fn tier_changes_are_checked() {
        assert!(TierChanges::parse(Some("VIP"), Some(0), Some(10)).is_ok());
        let errors = TierChanges::parse(Some(" "), Some(-1), Some(-1)).unwrap_err();
        assert_eq!(fields(errors), ["name", "priceCents", "capacity"]);
    }

    #[test]
    fn capacity_never_drops_below_sold() {
        assert_eq!(resize(100, 40, 60), Ok(0));
        assert_eq!(resize(100, 40, 150), Ok(90));
        assert_eq!(resize(100, 40, 59), Err(CapacityBelowSold { sold: 60 }));
        assert_eq!(
            CapacityBelowSold { sold: 60 }.to_string(),
            "60 tickets are already sold; the capacity cannot go below that"
        );
        assert_eq!(
            CapacityBelowSold { sold: 1 }.to_string(),
            "1 ticket is already sold; the capacity cannot go below that"
        );
    }

    #[test]
    fn only_the_owner_or_an_admin_manages_an_event() {
        let owner = Uuid::new_v4();
        let as_role = |user_id, role| Actor { user_id, role };
        assert!(may_manage(as_role(owner, Role::Organizer), owner));
        assert!(may_manage(as_role(Uuid::new_v4(), Role::Admin), owner));
        assert!(!may_manage(as_role(Uuid::new_v4(), Role::Organizer), owner));
        assert!(!may_manage(as_role(owner, Role::Customer), owner));
    }

    #[test]
    fn a_tier_joins_an_event_with_a_new_name_in_its_currency() {
        let existing = [ExistingTier {
            name: "VIP".into(),
            currency: "USD".into(),
        }];
        let tier = NewTier::parse(&raw_tier("Balcony")).unwrap();
        assert_eq!(check_add_tier(&existing, &tier), Ok(()));
        let same_name = NewTier::parse(&raw_tier("vip")).unwrap();
        assert_eq!(
            fields(check_add_tier(&existing, &same_name).unwrap_err()),
            ["name"]
        );
        let euros = NewTier::parse(&RawTier {
            currency: "eur".into(),
            ..raw_tier("Balcony")
        })
        .unwrap();
        assert_eq!(
            fields(check_add_tier(&existing, &euros).unwrap_err()),
            ["currency"]
        );
        let full: Vec<ExistingTier> = (0..MAX_TIERS)
            .map(|i| ExistingTier {
                name: format!("T{i}"),
                currency: "USD".into(),
            })
            .collect();
        assert_eq!(fields(check_add_tier(&full, &tier).unwrap_err()), ["tiers"]);
        let bad = NewTier::parse(&RawTier {
            price_cents: -1,
            capacity: -1,
            ..raw_tier(" ")
        });
        assert_eq!(fields(bad.unwrap_err()), ["name", "priceCents", "capacity"]);
    }

    #[test]
    fn only_a_never_booked_tier_that_is_not_the_last_may_go() {
        assert_eq!(check_remove_tier(false, 2), Ok(()));
        assert_eq!(
            check_remove_tier(true, 2),
            Err(RemoveTierRejection::HasBookings)
        );
        assert_eq!(
            check_remove_tier(false, 1),
            Err(RemoveTierRejection::LastTier)
        );
    }

    #[test]
    fn a_draft_is_seen_only_by_those_who_manage_it() {
        let owner = Uuid::new_v4();
        let as_role = |user_id, role| Some(Actor { user_id, role });
        assert!(may_see(None, owner, EventStatus::Published));
        assert!(may_see(None, owner, EventStatus::Cancelled));
        assert!(!may_see(None, owner, EventStatus::Draft));
        assert!(may_see(
            as_role(owner, Role::Organizer),
            owner,
            EventStatus::Draft
        ));
        assert!(may_see(
            as_role(Uuid::new_v4(), Role::Admin),
            owner,
            EventStatus::Draft
        ));
        assert!(!may_see(
            as_role(Uuid::new_v4(), Role::Organizer),
            owner,
            EventStatus::Draft
        ));
        assert!(!may_see(
            as_role(owner, Role::Customer),
            owner,
            EventStatus::Draft
        ));
    }
}
