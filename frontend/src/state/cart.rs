//! The cart: tickets picked across events, kept in `localStorage` so a reload or a new tab
//! keeps them, and booked together in one all-or-nothing request.

use std::collections::BTreeMap;

use booking_dto::{BookingItemRequest, Checkout, CreateBookingRequest, Event, Tier};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::browser;

const STORAGE_KEY: &str = "booking.cart";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub event_id: Uuid,
    pub event_title: String,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub unit_price_cents: i64,
    pub currency: String,
    pub quantity: i64,
    pub max_per_person: i64,
}

impl CartLine {
    pub fn total_cents(&self) -> i64 {
        self.unit_price_cents.saturating_mul(self.quantity)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Cart {
    lines: RwSignal<Vec<CartLine>>,
}

impl Cart {
    /// The cart as the last page of this origin left it.
    pub fn restore() -> Self {
        let lines = RwSignal::new(browser::stored(STORAGE_KEY).unwrap_or_default());
        Effect::new(move || lines.with(|lines| browser::store(STORAGE_KEY, lines)));
        Self { lines }
    }

    pub fn lines(&self) -> Vec<CartLine> {
        self.lines.get()
    }

    pub fn lines_untracked(&self) -> Vec<CartLine> {
        self.lines.get_untracked()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.with(Vec::is_empty)
    }

    pub fn ticket_count(&self) -> i64 {
        self.lines
            .with(|lines| lines.iter().map(|line| line.quantity).sum())
    }

    /// Tickets of `event_id` already in the cart, over all its tiers except `except_tier`.
    pub fn quantity_for_event(&self, event_id: Uuid, except_tier: Option<Uuid>) -> i64 {
        self.lines.with(|lines| {
            lines
                .iter()
                .filter(|line| line.event_id == event_id && Some(line.tier_id) != except_tier)
                .map(|line| line.quantity)
                .sum()
        })
    }

    pub fn quantity_of_tier(&self, tier_id: Uuid) -> i64 {
        self.lines.with(|lines| {
            lines
                .iter()
                .find(|line| line.tier_id == tier_id)
                .map_or(0, |line| line.quantity)
        })
    }

    /// Adds `quantity` of `tier`, merging with a line already there.
    pub fn add(&self, event: &Event, tier: &Tier, quantity: i64) {
        self.lines.update(|lines| {
            if let Some(line) = lines.iter_mut().find(|line| line.tier_id == tier.id) {
                line.quantity += quantity;
                line.unit_price_cents = tier.price_cents;
            } else {
                lines.push(CartLine {
                    event_id: event.id,
                    event_title: event.title.clone(),
                    tier_id: tier.id,
                    tier_name: tier.name.clone(),
                    unit_price_cents: tier.price_cents,
                    currency: tier.currency.clone(),
                    quantity,
                    max_per_person: i64::from(event.max_tickets_per_user),
                });
            }
        });
    }

    pub fn set_quantity(&self, tier_id: Uuid, quantity: i64) {
        self.lines.update(|lines| {
            if let Some(line) = lines.iter_mut().find(|line| line.tier_id == tier_id) {
                line.quantity = quantity;
            }
        });
    }

    pub fn remove(&self, tier_id: Uuid) {
        self.lines
            .update(|lines| lines.retain(|line| line.tier_id != tier_id));
    }

    pub fn clear(&self) {
        self.lines.set(Vec::new());
    }

    /// Totals per currency, in cents: a cart may hold events priced in different ones.
    pub fn totals(&self) -> BTreeMap<String, i64> {
        self.lines.with(|lines| totals(lines))
    }

    pub fn booking_request(&self) -> CreateBookingRequest {
        self.lines.with(|lines| CreateBookingRequest {
            items: lines
                .iter()
                .map(|line| BookingItemRequest {
                    tier_id: Some(line.tier_id),
                    event_id: None,
                    quantity: line.quantity,
                })
                .collect(),
            // The app always holds first: the buyer pays on the next page.
            checkout: Some(Checkout::Hold),
        })
    }
}

pub fn totals(lines: &[CartLine]) -> BTreeMap<String, i64> {
    let mut totals = BTreeMap::new();
    for line in lines {
        let total: &mut i64 = totals
            .entry(line.currency.to_ascii_uppercase())
            .or_default();
        *total = total.saturating_add(line.total_cents());
    }
    totals
}

pub fn use_cart() -> Cart {
    expect_context::<Cart>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(currency: &str, unit_price_cents: i64, quantity: i64) -> CartLine {
        CartLine {
            event_id: Uuid::nil(),
            event_title: "Show".into(),
            tier_id: Uuid::nil(),
            tier_name: "GA".into(),
            unit_price_cents,
            currency: currency.into(),
            quantity,
            max_per_person: 4,
        }
    }

    #[test]
    fn totals_add_cents_per_currency() {
        let lines = [
            line("USD", 1_000, 2),
            line("usd", 10_000, 1),
            line("EUR", 995, 3),
        ];
        let totals = totals(&lines);
        assert_eq!(totals.get("USD"), Some(&12_000));
        assert_eq!(totals.get("EUR"), Some(&2_985));
        assert_eq!(totals.len(), 2);
    }

    #[test]
    fn a_line_total_never_wraps() {
        assert_eq!(line("USD", i64::MAX, 2).total_cents(), i64::MAX);
    }
}
