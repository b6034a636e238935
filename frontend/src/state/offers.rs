//! Waiting-list offers heard over the live connection in this tab: tickets held for the
//! signed-in buyer until a time. Shown until the buyer opens or dismisses them; My
//! bookings keeps them for good.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeardOffer {
    pub booking_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub struct LiveOffers {
    shown: RwSignal<Vec<HeardOffer>>,
    /// Bumped by every offer heard: pages that list bookings or places read them again.
    heard: RwSignal<u64>,
}

impl LiveOffers {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            heard: RwSignal::new(0),
        }
    }

    pub fn offered(&self, offer: HeardOffer) {
        self.shown.update(|shown| {
            if !shown.contains(&offer) {
                shown.push(offer);
            }
        });
        self.heard.update(|heard| *heard += 1);
    }

    pub fn shown(&self) -> Vec<HeardOffer> {
        self.shown.get()
    }

    pub fn dismiss(&self, booking_id: Uuid) {
        self.shown
            .update(|shown| shown.retain(|offer| offer.booking_id != booking_id));
    }

    /// Forgets every offer (the buyer signed out).
    pub fn clear(&self) {
        self.shown.set(Vec::new());
    }

    pub fn heard(&self) -> u64 {
        self.heard.get()
    }
}

pub fn use_offers() -> LiveOffers {
    expect_context::<LiveOffers>()
}
