//! The fields of an event and of a tier as an organizer types them, shared by the create
//! and the manage pages, and their conversion to what the domain checks.

use booking_domain::ValidationErrors;
use booking_domain::organizing::{
    DEFAULT_HOLD_MINUTES, DEFAULT_MAX_TICKETS_PER_USER, DEFAULT_OFFER_MINUTES, RawEventFields,
    RawTier, RawWaitingRoom,
};
use booking_domain::waiting_room;
use booking_dto::{Event, Tier};
use leptos::prelude::*;

use crate::browser;
use crate::components::field::Field;
use crate::format;
use crate::state::form_errors::FormErrors;

/// The currencies the forms offer; an event sells in one.
pub const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

/// An event's own fields, as typed.
#[derive(Debug, Clone, Copy)]
pub struct EventDraft {
    pub title: RwSignal<String>,
    pub description: RwSignal<String>,
    pub venue: RwSignal<String>,
    /// The value of a `datetime-local` input, in the browser's time zone.
    pub starts_at: RwSignal<String>,
    pub limit: RwSignal<String>,
    pub hold_minutes: RwSignal<String>,
    pub offer_minutes: RwSignal<String>,
    /// Empty: on sale as soon as published.
    pub sales_start_at: RwSignal<String>,
    /// Empty: no waiting room.
    pub admit_per_minute: RwSignal<String>,
    pub room_opens_minutes: RwSignal<String>,
}

impl EventDraft {
    pub fn empty() -> Self {
        Self {
            title: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            venue: RwSignal::new(String::new()),
            starts_at: RwSignal::new(String::new()),
            limit: RwSignal::new(DEFAULT_MAX_TICKETS_PER_USER.to_string()),
            hold_minutes: RwSignal::new(DEFAULT_HOLD_MINUTES.to_string()),
            offer_minutes: RwSignal::new(DEFAULT_OFFER_MINUTES.to_string()),
            sales_start_at: RwSignal::new(String::new()),
            admit_per_minute: RwSignal::new(String::new()),
            room_opens_minutes: RwSignal::new(waiting_room::DEFAULT_OPENS_MINUTES.to_string()),
        }
    }

    pub fn of(event: &Event) -> Self {
        let offset = browser::local_offset_seconds(event.starts_at);
        Self {
            title: RwSignal::new(event.title.clone()),
            description: RwSignal::new(event.description.clone()),
            venue: RwSignal::new(event.venue.clone()),
            starts_at: RwSignal::new(format::datetime_local(event.starts_at, offset)),
            limit: RwSignal::new(event.max_tickets_per_user.to_string()),
            hold_minutes: RwSignal::new(event.hold_minutes.to_string()),
            offer_minutes: RwSignal::new(event.offer_minutes.to_string()),
            sales_start_at: RwSignal::new(
                event
                    .sales_start_at
                    .map(|at| format::datetime_local(at, browser::local_offset_seconds(at)))
                    .unwrap_or_default(),
            ),
            admit_per_minute: RwSignal::new(
                event
                    .waiting_room
                    .map(|room| room.admit_per_minute.to_string())
                    .unwrap_or_default(),
            ),
            room_opens_minutes: RwSignal::new(
                event
                    .waiting_room
                    .map_or(waiting_room::DEFAULT_OPENS_MINUTES, |room| {
                        room.opens_minutes
                    })
                    .to_string(),
            ),
        }
    }

    /// The fields as the domain takes them; what is not even a date or a number is reported
    /// into `errors` here, and left for the domain to call missing.
    pub fn raw(&self, errors: &mut ValidationErrors) -> RawEventFields {
        let starts_at = self.starts_at.get_untracked();
        let parsed_start = browser::parse_local_datetime(&starts_at);
        if parsed_start.is_none() && !starts_at.trim().is_empty() {
            errors.push("startsAt", "is not a date and time");
        }
        RawEventFields {
            title: Some(self.title.get_untracked()),
            description: Some(self.description.get_untracked()),
            venue: Some(self.venue.get_untracked()),
            starts_at: parsed_start,
            max_tickets_per_user: whole_number(
                errors,
                "maxTicketsPerUser",
                &self.limit.get_untracked(),
            ),
            hold_minutes: whole_number(errors, "holdMinutes", &self.hold_minutes.get_untracked()),
            offer_minutes: whole_number(
                errors,
                "offerMinutes",
                &self.offer_minutes.get_untracked(),
            ),
            sales_start_at: Some(self.sales_start(errors)),
            waiting_room: Some(self.waiting_room(errors)),
        }
    }

    fn sales_start(&self, errors: &mut ValidationErrors) -> Option<chrono::DateTime<chrono::Utc>> {
        let typed = self.sales_start_at.get_untracked();
        if typed.trim().is_empty() {
            return None;
        }
        let parsed = browser::parse_local_datetime(&typed);
        if parsed.is_none() {
            errors.push("salesStartAt", "is not a date and time");
        }
        parsed
    }

    fn waiting_room(&self, errors: &mut ValidationErrors) -> Option<RawWaitingRoom> {
        let admit = self.admit_per_minute.get_untracked();
        if admit.trim().is_empty() {
            return None;
        }
        Some(RawWaitingRoom {
            admit_per_minute: whole_number(errors, "waitingRoom.admitPerMinute", &admit),
            opens_minutes: whole_number(
                errors,
                "waitingRoom.opensMinutes",
                &self.room_opens_minutes.get_untracked(),
            ),
        })
    }
}

/// A tier's fields, as typed.
#[derive(Debug, Clone, Copy)]
pub struct TierDraft {
    pub name: RwSignal<String>,
    pub price: RwSignal<String>,
    pub capacity: RwSignal<String>,
}

impl TierDraft {
    pub fn empty() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            price: RwSignal::new(String::new()),
            capacity: RwSignal::new(String::new()),
        }
    }

    pub fn of(tier: &Tier) -> Self {
        Self {
            name: RwSignal::new(tier.name.clone()),
            price: RwSignal::new(format::money_input(tier.price_cents)),
            capacity: RwSignal::new(tier.capacity.to_string()),
        }
    }

    /// The tier as the domain takes it; a price or capacity that is not a number is
    /// reported under `prefix` + the field's name.
    pub fn raw(&self, errors: &mut ValidationErrors, prefix: &str, currency: &str) -> RawTier {
        let price = self.price.get_untracked();
        let price_cents = format::parse_money(&price).unwrap_or_else(|| {
            let message = if price.trim().is_empty() {
                "is required"
            } else {
                "must be an amount like 12.50"
            };
            errors.push(format!("{prefix}priceCents"), message);
            0
        });
        let capacity = whole_number(
            errors,
            &format!("{prefix}capacity"),
            &self.capacity.get_untracked(),
        )
        .unwrap_or(0);
        RawTier {
            name: self.name.get_untracked(),
            price_cents,
            currency: currency.to_owned(),
            capacity,
        }
    }
}

/// `text` as a whole number; anything else is reported under `field`.
fn whole_number(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    match text.parse() {
        Ok(number) => Some(number),
        Err(_) if text.is_empty() => {
            errors.push(field, "is required");
            None
        }
        Err(_) => {
            errors.push(field, "must be a whole number");
            None
        }
    }
}

/// The event's own fields: title, description, venue, start, the per-person limit, and
/// how long checkouts and waiting-list offers hold tickets.
#[component]
pub fn EventFields(draft: EventDraft, errors: FormErrors) -> impl IntoView {
    view! {
        <Field id="event-title" label="Title" value=draft.title error=errors.field("title", "Title")/>
        <Field
            id="event-description"
            label="Description"
            kind="textarea"
            value=draft.description
            error=errors.field("description", "Description")
        />
        <Field id="event-venue" label="Venue" value=draft.venue error=errors.field("venue", "Venue")/>
        <div class="field-row">
            <Field
                id="event-starts-at"
                label="Starts at"
                kind="datetime-local"
                value=draft.starts_at
                error=errors.field("startsAt", "The start")
                hint="In your time zone."
            />
            <Field
                id="event-limit"
                label="Tickets per person"
                inputmode="numeric"
                value=draft.limit
                error=errors.field("maxTicketsPerUser", "Tickets per person")
            />
        </div>
        <div class="field-row">
            <Field
                id="event-hold-minutes"
                label="Checkout hold (minutes)"
                inputmode="numeric"
                value=draft.hold_minutes
                error=errors.field("holdMinutes", "The checkout hold")
                hint="How long a buyer has to pay: 1 to 60."
            />
            <Field
                id="event-offer-minutes"
                label="Waiting-list offer (minutes)"
                inputmode="numeric"
                value=draft.offer_minutes
                error=errors.field("offerMinutes", "The waiting-list offer")
                hint="How long a freed ticket waits for the next in line."
            />
        </div>
        <div class="field-row">
            <Field
                id="event-sales-start-at"
                label="Sales start (optional)"
                kind="datetime-local"
                value=draft.sales_start_at
                error=errors.field("salesStartAt", "The sales start")
                hint="Empty: on sale as soon as it is published."
            />
        </div>
        <div class="field-row">
            <Field
                id="event-admit-per-minute"
                label="Waiting room: buyers admitted per minute (optional)"
                inputmode="numeric"
                value=draft.admit_per_minute
                error=room_error(errors)
                hint="For a big on-sale: buyers queue fairly and are let in at this pace. Needs a sales start."
            />
            <Field
                id="event-room-opens-minutes"
                label="Waiting room opens (minutes before the sales start)"
                inputmode="numeric"
                value=draft.room_opens_minutes
                error=errors.field("waitingRoom.opensMinutes", "The waiting room's opening")
            />
        </div>
    }
}

/// The room's pace out of range, or a room without a sales start: both under its field.
fn room_error(errors: FormErrors) -> Signal<Option<String>> {
    let pace = errors.field("waitingRoom.admitPerMinute", "The pace");
    let room = errors.field("waitingRoom", "The waiting room");
    Signal::derive(move || pace.get().or_else(|| room.get()))
}

/// A tier's name, price and capacity, labelled "Tier N Name" and so on for screen readers;
/// `prefix` is how the server names its fields (`tiers[0].` or nothing).
#[component]
pub fn TierFields(
    draft: TierDraft,
    errors: FormErrors,
    /// Unique on the page, for the inputs' ids.
    key: String,
    /// "Tier 2 " or "New tier ": read before each label.
    context: String,
    prefix: String,
) -> impl IntoView {
    view! {
        <div class="tier-fields">
            <Field
                id=format!("{key}-name")
                label="Name"
                label_context=context.clone()
                value=draft.name
                error=errors.field(format!("{prefix}name"), "The name")
            />
            <Field
                id=format!("{key}-price")
                label="Price"
                label_context=context.clone()
                inputmode="decimal"
                value=draft.price
                error=price_error(errors, &prefix)
            />
            <Field
                id=format!("{key}-capacity")
                label="Capacity"
                label_context=context
                inputmode="numeric"
                value=draft.capacity
                error=errors.field(format!("{prefix}capacity"), "Capacity")
            />
        </div>
    }
}

/// The server speaks of cents; a person typed dollars, so its range reads in those.
fn price_error(errors: FormErrors, prefix: &str) -> Signal<Option<String>> {
    let raw = errors.field(format!("{prefix}priceCents"), "The price");
    Signal::derive(move || {
        raw.get().map(|message| {
            if message.contains("between") {
                format!(
                    "The price must be between 0.00 and {}",
                    format::amount(booking_domain::organizing::MAX_PRICE_CENTS)
                )
            } else {
                message
            }
        })
    })
}
