//! The coalesced booking transaction: many single-tier requests for one tier, decided and
//! written in one transaction and one commit.
//!
//! Lock order, the same global order as the per-request path so that batches, lone
//! requests and other api instances cannot deadlock: every buyer's `users` row
//! (`FOR NO KEY UPDATE`) in ascending id order, then the tier row (`FOR UPDATE`). A
//! lone request locks one buyer and then its tiers in ascending order: a prefix of the
//! same order.
//!
//! Three pipelined round trips, as in the per-request path: the buyers' locks with what
//! they hold and the keys they used; the tier's lock with its event; then one `UPDATE` of
//! `remaining`, one multi-row `INSERT` of bookings, one of items, and one read of the new
//! counts. The tier lock is held for two round trips whatever the batch's size, which is
//! what lifts sales past one commit per booking.

use std::collections::HashMap;

use booking_domain::batch::{BatchDecision, BatchEntry, BatchFacts, EarlierKey, decide};
use booking_domain::booking::TierLine;
use booking_domain::{BookingReference, BookingStatus};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::TryFutureExt;
use futures::future::try_join4;
use uuid::Uuid;

use super::create::{
    Attempt, CreateBookingError, CreatedBooking, REFERENCE_ATTEMPTS, TIER_INFO, TierInfo,
    quantity_of, record,
};
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{booking_items, bookings, events, ticket_holdings, ticket_tiers, users};

/// One request of a batch: `quantity` tickets of the batch's tier for `user_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    pub user_id: Uuid,
    pub quantity: u32,
    /// The `Idempotency-Key` and the fingerprint of the request it came with.
    pub idempotency: Option<(String, Vec<u8>)>,
}

/// What a committed batch did: one answer per request, in order, and the counts after it.
#[derive(Debug)]
pub struct BatchOutcome {
    pub answers: Vec<Result<CreatedBooking, CreateBookingError>>,
    pub changes: Vec<AvailabilityChange>,
}

/// Decides and writes `requests` for the tier `tier_id` in one transaction. A request
/// refused on its own gets its own error; an error of the whole transaction (a lock
/// timeout, a lost connection) is returned once and nothing of the batch is written.
pub async fn create_batch(
    conn: &mut AsyncPgConnection,
    tier_id: Uuid,
    requests: &[BatchRequest],
    status: BookingStatus,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<BatchOutcome, DbError> {
    let now = now.trunc_subsecs(6);
    for _ in 0..REFERENCE_ATTEMPTS {
        let references: Vec<BookingReference> = requests.iter().map(|_| new_reference()).collect();
        let attempt = conn
            .transaction(async |conn| {
                write_batch(conn, tier_id, requests, status, now, &references).await
            })
            .await;
        match attempt {
            Ok(outcome) => return Ok(outcome),
            Err(Attempt::ReferenceTaken) => continue,
            Err(Attempt::Failed(CreateBookingError::Db(error))) => return Err(error),
            Err(Attempt::Failed(other)) => return Err(DbError::Corrupt(other.to_string())),
        }
    }
    Err(DbError::Corrupt(
        "could not draw unused booking references".into(),
    ))
}

/// The facts a batch is decided on, read under its locks.
struct Locked {
    info: Option<TierInfo>,
    facts: BatchFacts,
}

/// `SELECT event_id FROM ticket_tiers WHERE id = $1`, as a subquery.
fn event_of(
    tier_id: Uuid,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<ticket_tiers::table, diesel::dsl::Eq<ticket_tiers::id, Uuid>>,
    ticket_tiers::event_id,
> {
    ticket_tiers::table
        .filter(ticket_tiers::id.eq(tier_id))
        .select(ticket_tiers::event_id)
}

/// Round trips 1 and 2: the buyers' locks and what they hold, then the tier's lock.
async fn lock_and_read(
    conn: &mut AsyncPgConnection,
    tier_id: Uuid,
    requests: &[BatchRequest],
) -> Result<Locked, Attempt> {
    let mut buyers: Vec<Uuid> = requests.iter().map(|request| request.user_id).collect();
    buyers.sort_unstable();
    buyers.dedup();
    let keys: Vec<&str> = requests
        .iter()
        .filter_map(|request| request.idempotency.as_ref().map(|(key, _)| key.as_str()))
        .collect();
    let mut pipe: &AsyncPgConnection = conn;
    let mut keys_pipe = pipe;
    let buyers_ref = &buyers;
    let earlier_lookup = async move {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        bookings::table
            .filter(bookings::user_id.eq_any(buyers_ref))
            .filter(bookings::idempotency_key.eq_any(&keys))
            .select((
                bookings::user_id,
                bookings::idempotency_key,
                bookings::id,
                bookings::request_hash,
            ))
            .load::<(Uuid, Option<String>, Uuid, Option<Vec<u8>>)>(&mut keys_pipe)
            .await
    };
    let (_, earlier, infos, held) = try_join4(
        users::table
            .filter(users::id.eq_any(&buyers))
            .order(users::id)
            .select(users::id)
            .for_no_key_update()
            .load::<Uuid>(&mut pipe),
        earlier_lookup,
        ticket_tiers::table
            .inner_join(events::table)
            .filter(ticket_tiers::id.eq(tier_id))
            .select(TIER_INFO)
            .load::<TierInfo>(&mut pipe),
        ticket_holdings::table
            .filter(ticket_holdings::user_id.eq_any(&buyers))
            .filter(ticket_holdings::event_id.eq_any(event_of(tier_id)))
            .select((
                ticket_holdings::user_id,
                ticket_holdings::event_id,
                ticket_holdings::quantity,
            ))
            .load::<(Uuid, Uuid, i32)>(&mut pipe),
    )
    .await?;

    // The tier's event never changes, so it is known before the lock.
    let event_ids: Vec<Uuid> = infos.iter().map(|info| info.event_id).collect();
    let tiers = super::locks::lock_tiers(pipe, &[tier_id], &event_ids).await?;
    Ok(Locked {
        info: infos.into_iter().next(),
        facts: BatchFacts {
            tiers,
            held: held
                .into_iter()
                .map(|(user, event, quantity)| {
                    ((user, event), u32::try_from(quantity).unwrap_or(0))
                })
                .collect(),
            earlier: earlier
                .into_iter()
                .filter_map(|(user, key, booking_id, request_hash)| {
                    key.map(|key| {
                        (
                            (user, key),
                            EarlierKey {
                                booking_id,
                                request_hash,
                            },
                        )
                    })
                })
                .collect(),
        },
    })
}

async fn write_batch(
    conn: &mut AsyncPgConnection,
    tier_id: Uuid,
    requests: &[BatchRequest],
    status: BookingStatus,
    now: DateTime<Utc>,
    references: &[BookingReference],
) -> Result<BatchOutcome, Attempt> {
    let Locked { info, facts } = lock_and_read(conn, tier_id, requests).await?;
    let lines: Vec<[TierLine; 1]> = requests
        .iter()
        .map(|request| {
            [TierLine {
                tier_id,
                quantity: request.quantity,
            }]
        })
        .collect();
    let entries: Vec<BatchEntry<'_>> = requests
        .iter()
        .zip(&lines)
        .map(|(request, lines)| BatchEntry {
            user_id: request.user_id,
            lines,
            idempotency: request
                .idempotency
                .as_ref()
                .map(|(key, hash)| (key.as_str(), hash.as_slice())),
        })
        .collect();
    let decisions = decide(&entries, facts, now);
    let infos: Vec<TierInfo> = info.into_iter().collect();

    // Round trip 3: every granted booking at once.
    let mut sold: i32 = 0;
    let mut booking_rows = Vec::new();
    let mut item_rows = Vec::new();
    let mut records: HashMap<usize, _> = HashMap::new();
    for (index, (decision, request)) in decisions.iter().zip(requests).enumerate() {
        let (BatchDecision::Book(plan), Some(reference)) = (decision, references.get(index)) else {
            continue;
        };
        let booking_id = Uuid::new_v4();
        let key = request.idempotency.as_ref();
        booking_rows.push((
            bookings::id.eq(booking_id),
            bookings::reference.eq(reference.as_str()),
            bookings::user_id.eq(request.user_id),
            bookings::status.eq(status.as_str()),
            bookings::total_cents.eq(plan.total_cents),
            bookings::currency.eq(plan.currency.clone()),
            bookings::idempotency_key.eq(key.map(|(key, _)| key.clone())),
            bookings::request_hash.eq(key.map(|(_, hash)| hash.clone())),
            bookings::created_at.eq(now),
        ));
        for item in &plan.items {
            sold = sold.saturating_add(quantity_of(item.quantity));
            item_rows.push((
                booking_items::booking_id.eq(booking_id),
                booking_items::user_id.eq(request.user_id),
                booking_items::tier_id.eq(item.tier_id),
                booking_items::event_id.eq(item.event_id),
                booking_items::quantity.eq(quantity_of(item.quantity)),
                booking_items::unit_price_cents.eq(item.unit_price_cents),
            ));
        }
        records.insert(
            index,
            record(
                booking_id,
                request.user_id,
                reference,
                plan,
                &infos,
                status,
                now,
            ),
        );
    }
    let mut changes = Vec::new();
    if !booking_rows.is_empty() {
        let mut pipe: &AsyncPgConnection = conn;
        let (_, _, _, counts) = try_join4(
            diesel::update(ticket_tiers::table.find(tier_id))
                .set((
                    ticket_tiers::remaining.eq(ticket_tiers::remaining - sold),
                    ticket_tiers::version.eq(ticket_tiers::version + 1),
                    ticket_tiers::updated_at.eq(now),
                ))
                .execute(&mut pipe)
                .map_err(Attempt::from),
            diesel::insert_into(bookings::table)
                .values(&booking_rows)
                .execute(&mut pipe)
                .map_err(Attempt::from),
            diesel::insert_into(booking_items::table)
                .values(&item_rows)
                .execute(&mut pipe)
                .map_err(Attempt::from),
            async {
                availability::changes_for_tiers(pipe, &[tier_id])
                    .await
                    .map_err(Attempt::from)
            },
        )
        .await?;
        changes = counts;
    }

    let mut answers = Vec::with_capacity(decisions.len());
    for (index, decision) in decisions.into_iter().enumerate() {
        answers.push(match decision {
            BatchDecision::Book(_) => match records.get(&index) {
                Some(booking) => Ok(CreatedBooking {
                    booking: booking.clone(),
                    replayed: false,
                    changes: Vec::new(),
                }),
                None => Err(DbError::Corrupt("a granted booking was not written".into()).into()),
            },
            BatchDecision::ReplayInBatch(first) => match records.get(&first) {
                Some(booking) => Ok(CreatedBooking {
                    booking: booking.clone(),
                    replayed: true,
                    changes: Vec::new(),
                }),
                None => Err(DbError::Corrupt("a replayed booking was not written".into()).into()),
            },
            BatchDecision::ReplayEarlier(id) => match super::find(conn, id).await {
                Ok(Some(booking)) => Ok(CreatedBooking {
                    booking,
                    replayed: true,
                    changes: Vec::new(),
                }),
                Ok(None) => Err(DbError::Corrupt(format!("booking {id} vanished")).into()),
                Err(error) => return Err(error.into()),
            },
            BatchDecision::KeyReused => Err(CreateBookingError::IdempotencyKeyReused),
            BatchDecision::Rejected(rejection) => Err(CreateBookingError::Rejected(rejection)),
        });
    }
    Ok(BatchOutcome { answers, changes })
}
