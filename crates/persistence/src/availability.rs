//! Change records: after any committed change of availability (a booking, a
//! cancellation, a capacity change, a cancelled event) the remaining count of each
//! touched tier and of its event. Every transaction that moves tickets calls
//! [`changes_for_tiers`] as its last step, so the records describe exactly what commits;
//! the real-time hub broadcasts them once the transaction has committed.

use booking_domain::{EventStatus, UnknownEventStatus};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Uuid as SqlUuid};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::events;

#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct AvailabilityChange {
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub tier_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub remaining: i32,
    #[diesel(sql_type = BigInt)]
    pub event_remaining: i64,
    /// The tier's version after this change (migration 000006): of two records of one
    /// tier, the one with the larger version is the later count.
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

/// Each tier's count with its event's total, from the rows `filter` (a condition on
/// `t`) selects.
fn counts_where(filter: &str) -> String {
    format!(
        "SELECT t.event_id, t.id AS tier_id, t.remaining, t.version, \
                (SELECT COALESCE(SUM(x.remaining), 0)::bigint FROM ticket_tiers x \
                  WHERE x.event_id = t.event_id) AS event_remaining \
           FROM ticket_tiers t WHERE {filter} ORDER BY t.id"
    )
}

/// The current counts of `tier_ids` and their events' totals, read inside the
/// transaction that changed them. Takes a shared connection so it can be pipelined
/// with the writes before it.
pub async fn changes_for_tiers(
    mut conn: &AsyncPgConnection,
    tier_ids: &[Uuid],
) -> Result<Vec<AvailabilityChange>, DbError> {
    Ok(sql_query(counts_where("t.id = ANY($1)"))
        .bind::<Array<SqlUuid>, _>(tier_ids)
        .load(&mut conn)
        .await?)
}

/// The current counts of every tier of `event_ids`: what a listener that may have
/// missed notifications reads to catch up.
pub async fn counts_of_events(
    mut conn: &AsyncPgConnection,
    event_ids: &[Uuid],
) -> Result<Vec<AvailabilityChange>, DbError> {
    Ok(sql_query(counts_where("t.event_id = ANY($1)"))
        .bind::<Array<SqlUuid>, _>(event_ids)
        .load(&mut conn)
        .await?)
}

/// Which of `event_ids` are over (`EventStatus::is_over`) or gone: their counts can
/// never change again, so a listener may forget them.
pub async fn events_over(
    mut conn: &AsyncPgConnection,
    event_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let found: Vec<(Uuid, String, DateTime<Utc>)> = events::table
        .filter(events::id.eq_any(event_ids))
        .select((events::id, events::status, events::starts_at))
        .load(&mut conn)
        .await?;
    let mut over: Vec<Uuid> = event_ids
        .iter()
        .filter(|id| !found.iter().any(|(found, ..)| found == *id))
        .copied()
        .collect();
    for (id, status, starts_at) in found {
        let status: EventStatus = status
            .parse()
            .map_err(|error: UnknownEventStatus| DbError::Corrupt(error.to_string()))?;
        if status.is_over(starts_at, now) {
            over.push(id);
        }
    }
    Ok(over)
}
