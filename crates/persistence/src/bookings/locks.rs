//! The tier-lock stage of the booking pipeline: lock the tiers in ascending id order, read
//! their events once the locks are held, and hand the domain the facts it decides on.

use std::collections::HashMap;

use booking_domain::LockedTier;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::future::try_join;
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{events, ticket_tiers, waiting_rooms};

/// A tier row as read under its lock.
#[derive(Debug, Queryable)]
struct TierRow {
    id: Uuid,
    event_id: Uuid,
    remaining: i32,
    price_cents: i64,
    currency: String,
}

/// What decides whether an event sells, read after its tiers' locks are held: a
/// publish or cancellation that committed first is seen (those lock the tiers too).
#[derive(Debug, Queryable)]
struct EventFacts {
    id: Uuid,
    status: String,
    starts_at: DateTime<Utc>,
    max_tickets_per_user: i32,
    hold_minutes: i32,
    sales_start_at: Option<DateTime<Utc>>,
    /// Present when the event's waiting room is on.
    room: Option<Uuid>,
}

/// One pipelined round trip: `SELECT ... FOR UPDATE` of `tier_ids` (sorted ascending by
/// the caller's lock order), and the events `event_ids`. Unknown tiers are simply absent.
pub(super) async fn lock_tiers(
    mut pipe: &AsyncPgConnection,
    tier_ids: &[Uuid],
    event_ids: &[Uuid],
) -> Result<Vec<LockedTier>, DbError> {
    let mut events_pipe = pipe;
    let (rows, events) = try_join(
        ticket_tiers::table
            .filter(ticket_tiers::id.eq_any(tier_ids))
            .order(ticket_tiers::id)
            .select((
                ticket_tiers::id,
                ticket_tiers::event_id,
                ticket_tiers::remaining,
                ticket_tiers::price_cents,
                ticket_tiers::currency,
            ))
            .for_update()
            .load::<TierRow>(&mut pipe),
        events::table
            .left_join(waiting_rooms::table)
            .filter(events::id.eq_any(event_ids))
            .select((
                events::id,
                events::status,
                events::starts_at,
                events::max_tickets_per_user,
                events::hold_minutes,
                events::sales_start_at,
                waiting_rooms::event_id.nullable(),
            ))
            .load::<EventFacts>(&mut events_pipe),
    )
    .await?;
    let events: HashMap<Uuid, EventFacts> =
        events.into_iter().map(|event| (event.id, event)).collect();
    rows.into_iter()
        .map(|row| {
            let event = events
                .get(&row.event_id)
                .ok_or_else(|| DbError::Corrupt(format!("tier {} has no event", row.id)))?;
            Ok(LockedTier {
                tier_id: row.id,
                event_id: row.event_id,
                event_status: event.status.parse().map_err(|error| {
                    DbError::Corrupt(format!("event {}: {error}", row.event_id))
                })?,
                starts_at: event.starts_at,
                max_tickets_per_user: u32::try_from(event.max_tickets_per_user).unwrap_or(0),
                hold_minutes: u32::try_from(event.hold_minutes).unwrap_or(1),
                sales_start_at: event.sales_start_at,
                waiting_room: event.room.is_some(),
                remaining: u32::try_from(row.remaining).unwrap_or(0),
                price_cents: row.price_cents,
                currency: row.currency,
            })
        })
        .collect()
}
