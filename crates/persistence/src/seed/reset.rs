//! Bringing the demo data back, for a database used past the demo events' dates or
//! after a race sold them out.
//!
//! The demo events are the seeded titles owned by the demo organizer. Resetting them
//! deletes them with every booking that holds any of their tickets (a booking is one
//! purchase: one spanning another event goes whole, and its tickets of that event are
//! returned), then creates them afresh with dates ahead of now. Other events, accounts
//! and bookings are left alone, unless everything is asked for.

use booking_domain::lifecycle;
use booking_domain::{BookingStatus, EventStatus};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{EVENTS, demo_organizer, insert_accounts, insert_events, lock_seed};
use crate::error::DbError;
use crate::schema::{events, ticket_tiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetScope {
    /// The demo events only; missing demo accounts are created again.
    DemoEvents,
    /// Every account, event and booking: the database as a first seed leaves it.
    Everything,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetOutcome {
    /// Demo events created afresh.
    pub events: usize,
    /// Bookings deleted with the events they held tickets of.
    pub bookings_removed: usize,
    /// Demo accounts that had to be created.
    pub accounts_created: usize,
}

/// Resets the demo data in one transaction. `password_hash` is the bcrypt hash of
/// [`super::SEED_PASSWORD`], for accounts created again.
pub async fn reset(
    conn: &mut AsyncPgConnection,
    password_hash: &str,
    now: DateTime<Utc>,
    scope: ResetScope,
) -> Result<ResetOutcome, DbError> {
    conn.transaction(async |conn| {
        lock_seed(conn).await?;
        let bookings_removed = match scope {
            ResetScope::Everything => {
                let bookings: i64 = crate::schema::bookings::table
                    .count()
                    .get_result(conn)
                    .await?;
                // Every table of the application hangs off users.
                diesel::sql_query("TRUNCATE users CASCADE")
                    .execute(conn)
                    .await?;
                usize::try_from(bookings).unwrap_or(usize::MAX)
            }
            ResetScope::DemoEvents => remove_demo_events(conn).await?,
        };
        let accounts_created = insert_accounts(conn, password_hash).await?;
        insert_events(conn, now).await?;
        Ok(ResetOutcome {
            events: EVENTS.len(),
            bookings_removed,
            accounts_created,
        })
    })
    .await
}

/// Deletes the demo events and the bookings holding their tickets; returns how many
/// bookings went.
async fn remove_demo_events(conn: &mut AsyncPgConnection) -> Result<usize, DbError> {
    let ids = demo_event_ids(conn).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let holding: Vec<&str> = lifecycle::HOLDING.map(BookingStatus::as_str).to_vec();
    // Tickets these bookings hold of other events go back first, tiers locked in id
    // order like every other writer of them.
    diesel::sql_query(
        "WITH doomed AS (SELECT DISTINCT booking_id FROM booking_items WHERE event_id = ANY($1)),
              returned AS (
                SELECT i.tier_id, sum(i.quantity)::int AS quantity
                  FROM booking_items i JOIN bookings b ON b.id = i.booking_id
                 WHERE i.booking_id IN (SELECT booking_id FROM doomed)
                   AND i.event_id <> ALL($1) AND b.status = ANY($2)
                 GROUP BY i.tier_id),
              locked AS (
                SELECT t.id FROM ticket_tiers t JOIN returned r ON r.tier_id = t.id
                 ORDER BY t.id FOR UPDATE OF t)
         UPDATE ticket_tiers t SET remaining = t.remaining + r.quantity, updated_at = now()
           FROM returned r JOIN locked l ON l.id = r.tier_id
          WHERE t.id = r.tier_id",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(&holding)
    .execute(conn)
    .await?;
    let removed = diesel::sql_query(
        "DELETE FROM bookings
          WHERE id IN (SELECT booking_id FROM booking_items WHERE event_id = ANY($1))",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .execute(conn)
    .await?;
    diesel::delete(events::table.filter(events::id.eq_any(&ids)))
        .execute(conn)
        .await?;
    Ok(removed)
}

async fn demo_event_ids(conn: &mut AsyncPgConnection) -> Result<Vec<Uuid>, DbError> {
    let Some(organizer) = demo_organizer(conn).await? else {
        return Ok(Vec::new());
    };
    Ok(events::table
        .filter(events::organizer_id.eq(organizer))
        .filter(events::title.eq_any(EVENTS.map(|event| event.title)))
        .select(events::id)
        .load(conn)
        .await?)
}

/// A demo event as it stands, for telling a developer it needs a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    pub title: String,
    pub status: EventStatus,
    pub starts_at: DateTime<Utc>,
    pub remaining: i64,
}

/// The demo events in the database, soonest first.
pub async fn demo_events(conn: &mut AsyncPgConnection) -> Result<Vec<DemoEvent>, DbError> {
    let ids = demo_event_ids(conn).await?;
    let rows: Vec<(String, String, DateTime<Utc>, Option<i64>)> = events::table
        .inner_join(ticket_tiers::table)
        .filter(events::id.eq_any(&ids))
        .group_by((events::id, events::title, events::status, events::starts_at))
        .select((
            events::title,
            events::status,
            events::starts_at,
            diesel::dsl::sum(ticket_tiers::remaining),
        ))
        .order_by(events::starts_at)
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(title, status, starts_at, remaining)| {
            let status = status
                .parse()
                .map_err(|error| DbError::Corrupt(format!("event {title}: {error}")))?;
            Ok(DemoEvent {
                title,
                status,
                starts_at,
                remaining: remaining.unwrap_or(0),
            })
        })
        .collect()
}
