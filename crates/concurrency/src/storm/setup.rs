//! What a storm needs before the clock starts: its own published events, made through
//! the API by an organizer, and a pool of registered buyers.

use std::collections::VecDeque;

use booking_dto::{CreateEventRequest, TierRequest, WaitingRoomRequest};
use chrono::{DateTime, Duration as Days, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError};
use crate::buyers::{self, Buyer, BuyerNames};

/// The highest per-buyer limit an event may have: a buyer lasts for as many bookings.
pub const TICKETS_PER_BUYER: u32 = 100;
pub const PRICE_CENTS: i64 = 1_000;
/// Events are created a few at a time, like an organizer's browser would.
const PARALLEL_SETUP: usize = 8;

/// One event of the run and its only tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub event_id: Uuid,
    pub tier_id: Uuid,
}

/// Events a load test makes for itself.
#[derive(Debug, Clone, Copy)]
pub struct EventPlan<'a> {
    /// `{title} #{n}`, e.g. `Storm 1a2b3c #1`.
    pub title: &'a str,
    pub count: usize,
    pub tickets: u32,
    pub per_person: u32,
    /// A sale start, with or without a waiting room; `None` sells at once.
    pub sale: Option<Sale>,
}

/// When an event of the run goes on sale, and how.
#[derive(Debug, Clone, Copy)]
pub struct Sale {
    pub starts_at: DateTime<Utc>,
    pub waiting_room: Option<WaitingRoomRequest>,
}

/// Creates and publishes the planned events, each with one tier.
pub async fn create_events(
    api: &ApiClient,
    organizer_token: &str,
    plan: &EventPlan<'_>,
) -> Result<Vec<Target>, ApiError> {
    let starts_at = Utc::now() + Days::days(30);
    let EventPlan {
        title,
        count,
        tickets,
        per_person,
        sale,
    } = *plan;
    stream::iter(1..=count)
        .map(|n| async move {
            let event = api
                .create_event(
                    organizer_token,
                    &CreateEventRequest {
                        title: format!("{title} #{n}"),
                        description: Some("Created by booking-load.".into()),
                        venue: "Load Test Arena".into(),
                        starts_at,
                        max_tickets_per_user: Some(i64::from(per_person)),
                        hold_minutes: None,
                        offer_minutes: None,
                        sales_start_at: sale.map(|sale| sale.starts_at),
                        waiting_room: sale.and_then(|sale| sale.waiting_room),
                        tiers: vec![TierRequest {
                            name: "General Admission".into(),
                            price_cents: PRICE_CENTS,
                            currency: "USD".into(),
                            capacity: i64::from(tickets),
                        }],
                    },
                )
                .await?;
            let published = api.publish_event(organizer_token, event.id).await?;
            let tier = published.tiers.first().ok_or_else(|| ApiError::Shape {
                what: format!("event {} came back without its tier", published.id),
            })?;
            Ok(Target {
                event_id: published.id,
                tier_id: tier.id,
            })
        })
        .buffered(PARALLEL_SETUP)
        .try_collect()
        .await
}

/// Buyers handed out one at a time, each to a single client. When the pre-registered ones
/// run out, more are registered on demand (counted, so a report can say so).
#[derive(Debug)]
pub struct BuyerPool {
    names: BuyerNames,
    state: Mutex<PoolState>,
}

#[derive(Debug)]
struct PoolState {
    ready: VecDeque<Buyer>,
    next: usize,
    registered_late: u64,
}

impl BuyerPool {
    pub fn new(names: BuyerNames, ready: Vec<Buyer>) -> Self {
        let next = ready.len();
        Self {
            names,
            state: Mutex::new(PoolState {
                ready: ready.into(),
                next,
                registered_late: 0,
            }),
        }
    }

    pub async fn take(&self, api: &ApiClient) -> Result<Buyer, ApiError> {
        let n = {
            let mut state = self.state.lock().await;
            if let Some(buyer) = state.ready.pop_front() {
                return Ok(buyer);
            }
            state.next += 1;
            state.registered_late += 1;
            state.next
        };
        buyers::register(api, &self.names, n).await
    }

    pub async fn registered_late(&self) -> u64 {
        self.state.lock().await.registered_late
    }
}
