//! The booking pipeline: every booking is made here, alone or in a batch (a lone request
//! is a batch of one), by the same named stages in one READ COMMITTED transaction:
//!
//! 1. [`read_under_buyer_locks`]: lock every buyer's `users` row (`FOR NO KEY UPDATE`, in
//!    ascending id order), and under those locks read the keys they used before, the
//!    tiers they named and what they already hold of those events (`ticket_holdings`,
//!    kept by triggers). One buyer's bookings take turns, so the per-person limit and the
//!    idempotency key are decided without races; FK checks from other tables are not
//!    blocked.
//! 2. [`resolve`]: `eventId` items become their event's only tier.
//! 3. [`lock_tiers`](super::locks::lock_tiers): every tier any request names,
//!    `FOR UPDATE` in ascending id order, then their events as they are once the locks
//!    are held (a publish or cancellation that committed first is seen).
//! 4. `domain::batch::decide`: every rule, keys included, in arrival order.
//! 5. [`write`]: one stock statement for every tier sold from, one insert of every
//!    booking and one of every item (`rows`), and the new counts.
//!
//! Lock order, the same for every transaction that takes these rows, whatever the batch
//! spans (one hot tier, many events, multi-tier carts, other api instances): buyers
//! before tiers, each in ascending id order. Cancelling locks a booking row and then its
//! tiers, and never a buyer after a tier: no cycle can form.
//!
//! The statements go in three pipelined round trips (PostgreSQL runs them in the order
//! sent); only the last two fall inside the tier locks, whatever the batch's size, which
//! is what lifts sales past one commit per booking. REPEATABLE READ would turn every lock
//! wait on a hot tier into a serialization failure and under-sell.
//! `bench/booking.pgbench` replays the same statements to measure the database's ceiling.

use std::collections::HashMap;

use booking_domain::batch::{BatchDecision, BatchEntry, BatchFacts, EarlierKey, decide};
use booking_domain::lifecycle::{self, Checkout};
use booking_domain::{
    BookingOrigin, BookingPlan, BookingReference, BookingRejection, BookingRequest, BookingStatus,
    ItemTarget, TierLine, UnresolvedItem,
};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Array, Bytea, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::TryFutureExt;
use futures::future::try_join4;
use uuid::Uuid;

use super::rows::Rows;
use super::{BookingItemRecord, BookingRecord};
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{events, ticket_tiers, users};

/// A client-chosen retry key and a fingerprint of the request it was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: Vec<u8>,
}

/// One booking request on its way through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub user_id: Uuid,
    pub request: BookingRequest,
    pub idempotency: Option<Idempotency>,
    pub checkout: Checkout,
    /// The event a valid queue pass of the buyer's admits them to, if they sent one.
    pub admitted_to: Option<Uuid>,
}

/// Why one request of a batch has no booking; the rest of its batch is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateBookingError {
    #[error(transparent)]
    Rejected(BookingRejection),
    #[error(transparent)]
    Unresolved(UnresolvedItem),
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
}

#[derive(Debug, Clone)]
pub struct CreatedBooking {
    pub booking: BookingRecord,
    /// An earlier booking returned for a retried idempotency key; nothing was booked now.
    pub replayed: bool,
}

/// What a committed batch did: one answer per request, in order, and the counts after it.
#[derive(Debug)]
pub struct BatchOutcome {
    pub answers: Vec<Result<CreatedBooking, CreateBookingError>>,
    pub changes: Vec<AvailabilityChange>,
}

/// Collisions among 32^6 references are rare; a handful of fresh draws always suffices.
const REFERENCE_ATTEMPTS: usize = 8;
const REFERENCE_CONSTRAINT: &str = "bookings_reference_key";

/// Decides and writes `orders` in one transaction, all-or-nothing per order. A request
/// refused on its own gets its own error; an error of the whole transaction (a lock
/// timeout, a lost connection) is returned once and nothing of the batch is written.
/// Each booking is written as `lifecycle::written_as` says for its checkout: a hold, or
/// an instant booking pending while the server pays (`payment_needs_io`) or confirmed.
pub async fn create_batch(
    conn: &mut AsyncPgConnection,
    orders: &[Order],
    payment_needs_io: bool,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<BatchOutcome, DbError> {
    // PostgreSQL keeps microseconds: the response must show the time a read will show.
    let now = now.trunc_subsecs(6);
    for _ in 0..REFERENCE_ATTEMPTS {
        let references: Vec<BookingReference> = orders.iter().map(|_| new_reference()).collect();
        let attempt = conn
            .transaction(async |conn| run(conn, orders, payment_needs_io, now, &references).await)
            .await;
        match attempt {
            Ok(outcome) => return Ok(outcome),
            Err(Attempt::ReferenceTaken) => continue,
            Err(Attempt::Failed(error)) => return Err(error),
        }
    }
    Err(DbError::Corrupt(
        "could not draw unused booking references".into(),
    ))
}

/// How one transaction ended: a drawn reference that was already taken rolls it back to
/// be tried again with others.
enum Attempt {
    ReferenceTaken,
    Failed(DbError),
}

impl From<DieselError> for Attempt {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(REFERENCE_CONSTRAINT) =>
            {
                Self::ReferenceTaken
            }
            _ => Self::Failed(error.into()),
        }
    }
}

impl From<DbError> for Attempt {
    fn from(error: DbError) -> Self {
        Self::Failed(error)
    }
}

async fn run(
    conn: &mut AsyncPgConnection,
    orders: &[Order],
    payment_needs_io: bool,
    now: DateTime<Utc>,
    references: &[BookingReference],
) -> Result<BatchOutcome, Attempt> {
    let read = read_under_buyer_locks(conn, orders).await?;
    let lines = resolve(orders, &read.shown.infos);
    let tier_ids = tiers_named(&lines);
    let event_ids: Vec<Uuid> = read
        .shown
        .infos
        .iter()
        .filter(|info| tier_ids.binary_search(&info.tier_id).is_ok())
        .map(|info| info.event_id)
        .collect();
    let tiers = super::locks::lock_tiers(conn, &tier_ids, &event_ids).await?;
    let entries: Vec<BatchEntry<'_>> = orders
        .iter()
        .zip(&lines)
        .map(|(order, lines)| BatchEntry {
            user_id: order.user_id,
            lines: lines.as_deref().map_err(|unresolved| *unresolved),
            idempotency: order
                .idempotency
                .as_ref()
                .map(|i| (i.key.as_str(), i.request_hash.as_slice())),
            admitted_to: order.admitted_to,
        })
        .collect();
    let facts = BatchFacts {
        tiers,
        held: read.held,
        earlier: read.earlier,
    };
    let decisions = decide(&entries, facts, now);
    let written = write(
        conn,
        orders,
        &decisions,
        &read.shown,
        payment_needs_io,
        now,
        references,
    )
    .await?;
    answer(conn, decisions, written).await
}

/// A requested tier with the names a booking shows, read before any tier lock.
#[derive(Debug, Clone, Queryable)]
struct TierInfo {
    tier_id: Uuid,
    event_id: Uuid,
    tier_name: String,
    position: i32,
    event_title: String,
    event_venue: String,
    event_starts_at: DateTime<Utc>,
}

/// What a new booking shows, read before any tier lock: its tiers' and events' names, and
/// its buyer's, the holder of every ticket in it.
struct Shown {
    infos: Vec<TierInfo>,
    names: HashMap<Uuid, String>,
}

/// What stage 1 read under the buyers' locks.
struct BuyerFacts {
    shown: Shown,
    held: HashMap<(Uuid, Uuid), u32>,
    earlier: HashMap<(Uuid, String), EarlierKey>,
}

/// Stage 1, one round trip: the buyers' locks, then (under them) the keys they used
/// before, the tiers the requests name and what the buyers hold of those events.
async fn read_under_buyer_locks(
    conn: &mut AsyncPgConnection,
    orders: &[Order],
) -> Result<BuyerFacts, DbError> {
    let mut buyers: Vec<Uuid> = orders.iter().map(|order| order.user_id).collect();
    buyers.sort_unstable();
    buyers.dedup();
    let (named_tiers, named_events) = targets(orders);
    // The tiers the requests name, directly or through their event.
    let named = ticket_tiers::id
        .eq_any(&named_tiers)
        .or(ticket_tiers::event_id.eq_any(&named_events));
    // Pipelined futures share the connection; PostgreSQL runs them in the order sent.
    let mut pipe: &AsyncPgConnection = conn;
    let (names, earlier, infos, held) = try_join4(
        users::table
            .filter(users::id.eq_any(&buyers))
            .order(users::id)
            .select((users::id, users::name))
            .for_no_key_update()
            .load::<(Uuid, String)>(&mut pipe),
        earlier_keys(pipe, orders),
        ticket_tiers::table
            .inner_join(events::table)
            .filter(named)
            .select((
                ticket_tiers::id,
                ticket_tiers::event_id,
                ticket_tiers::name,
                ticket_tiers::position,
                events::title,
                events::venue,
                events::starts_at,
            ))
            .load::<TierInfo>(&mut pipe),
        super::holdings::held(pipe, orders),
    )
    .await?;
    Ok(BuyerFacts {
        shown: Shown {
            infos,
            names: names.into_iter().collect(),
        },
        held,
        earlier: earlier
            .into_iter()
            .map(|row| {
                let earlier = EarlierKey {
                    booking_id: row.booking_id,
                    request_hash: row.request_hash,
                };
                ((row.user_id, row.key), earlier)
            })
            .collect(),
    })
}

#[derive(QueryableByName)]
struct KeyUsed {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = SqlUuid)]
    booking_id: Uuid,
    #[diesel(sql_type = Nullable<Bytea>)]
    request_hash: Option<Vec<u8>>,
}

/// The bookings the buyers made before under the keys they send now, looked up by
/// (buyer, key) pair: every key against every buyer would probe the index once per
/// combination, 4,096 times for a batch of 64 keyed requests.
async fn earlier_keys(
    mut conn: &AsyncPgConnection,
    orders: &[Order],
) -> Result<Vec<KeyUsed>, DieselError> {
    let (users, keys): (Vec<Uuid>, Vec<&str>) = orders
        .iter()
        .filter_map(|order| Some((order.user_id, order.idempotency.as_ref()?.key.as_str())))
        .unzip();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT b.user_id, b.idempotency_key AS key, b.id AS booking_id, b.request_hash \
           FROM bookings b \
           JOIN unnest($1::uuid[], $2::text[]) AS k(user_id, key) \
             ON b.user_id = k.user_id AND b.idempotency_key = k.key",
    )
    .bind::<Array<SqlUuid>, _>(&users)
    .bind::<Array<Text>, _>(&keys)
    .load(&mut conn)
    .await
}

/// The tiers and events the requests name, apart.
fn targets(orders: &[Order]) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut tiers = Vec::new();
    let mut events = Vec::new();
    for item in orders.iter().flat_map(|order| order.request.items()) {
        match item.target {
            ItemTarget::Tier(tier_id) => tiers.push(tier_id),
            ItemTarget::Event(event_id) => events.push(event_id),
        }
    }
    (tiers, events)
}

/// Stage 2: each request as tier lines, its `eventId` items resolved to their only tier.
fn resolve(orders: &[Order], infos: &[TierInfo]) -> Vec<Result<Vec<TierLine>, UnresolvedItem>> {
    let known: Vec<(Uuid, Uuid)> = infos
        .iter()
        .map(|info| (info.tier_id, info.event_id))
        .collect();
    orders
        .iter()
        .map(|order| order.request.lines(&known))
        .collect()
}

/// Every tier the resolved requests name, ascending: the order tier locks are taken in.
fn tiers_named(lines: &[Result<Vec<TierLine>, UnresolvedItem>]) -> Vec<Uuid> {
    let mut tier_ids: Vec<Uuid> = lines
        .iter()
        .flatten()
        .flatten()
        .map(|line| line.tier_id)
        .collect();
    tier_ids.sort_unstable();
    tier_ids.dedup();
    tier_ids
}

/// Stage 5, one round trip: every granted booking at once. Returns the bookings written,
/// by the index of their request, and the counts of the tiers sold from.
async fn write(
    conn: &mut AsyncPgConnection,
    orders: &[Order],
    decisions: &[BatchDecision],
    shown: &Shown,
    payment_needs_io: bool,
    now: DateTime<Utc>,
    references: &[BookingReference],
) -> Result<Written, Attempt> {
    let mut rows = Rows::default();
    let mut bookings_made = HashMap::new();
    for (index, (decision, order)) in decisions.iter().zip(orders).enumerate() {
        let (BatchDecision::Book(plan), Some(reference)) = (decision, references.get(index)) else {
            continue;
        };
        let (status, expires_at) =
            lifecycle::written_as(order.checkout, payment_needs_io, plan.hold_minutes, now);
        let booking = record(
            order.user_id,
            reference,
            plan,
            shown,
            (status, expires_at),
            now,
        );
        let key = order
            .idempotency
            .as_ref()
            .map(|i| (i.key.as_str(), i.request_hash.as_slice()));
        rows.add(&booking, plan, key);
        bookings_made.insert(index, booking);
    }
    if rows.is_empty() {
        return Ok(Written::default());
    }
    let stock: Vec<(Uuid, i32)> = rows.sold.iter().map(|(&tier, &n)| (tier, -n)).collect();
    let tier_ids: Vec<Uuid> = rows.sold.keys().copied().collect();
    let pipe: &AsyncPgConnection = conn;
    // Items before the stock: their foreign-key check then finds each tier row still
    // locked FOR UPDATE by this transaction and adds no lock of its own; after the UPDATE
    // it would lock the new row version, one more WAL record per tier.
    let (_, _, _, changes) = try_join4(
        rows.insert_bookings(pipe, now).map_err(Attempt::from),
        rows.insert_items(pipe).map_err(Attempt::from),
        super::stock::adjust(pipe, &stock, now).map_err(Attempt::from),
        availability::changes_for_tiers(pipe, &tier_ids).map_err(Attempt::from),
    )
    .await?;
    Ok(Written {
        bookings: bookings_made,
        changes,
    })
}

#[derive(Default)]
struct Written {
    bookings: HashMap<usize, BookingRecord>,
    changes: Vec<AvailabilityChange>,
}

/// Every request's answer, in order: its booking, the one it replays, or why not.
async fn answer(
    conn: &mut AsyncPgConnection,
    decisions: Vec<BatchDecision>,
    written: Written,
) -> Result<BatchOutcome, Attempt> {
    let Written { bookings, changes } = written;
    // Every booking an earlier request made that this batch replays, in one read rather
    // than one per replay: the tier locks are still held.
    let replayed_ids: Vec<Uuid> = decisions
        .iter()
        .filter_map(|decision| match decision {
            BatchDecision::ReplayEarlier(id) => Some(*id),
            _ => None,
        })
        .collect();
    let earlier: HashMap<Uuid, BookingRecord> = super::find_many(conn, &replayed_ids)
        .await?
        .into_iter()
        .map(|booking| (booking.id, booking))
        .collect();
    let made = |index: usize, replayed: bool| match bookings.get(&index) {
        Some(booking) => Ok(Ok(CreatedBooking {
            booking: booking.clone(),
            replayed,
        })),
        None => Err(Attempt::Failed(DbError::Corrupt(
            "a granted booking was not written".into(),
        ))),
    };
    let mut answers = Vec::with_capacity(decisions.len());
    for (index, decision) in decisions.into_iter().enumerate() {
        answers.push(match decision {
            BatchDecision::Book(_) => made(index, false)?,
            BatchDecision::ReplayInBatch(first) => made(first, true)?,
            BatchDecision::ReplayEarlier(id) => {
                let booking = earlier
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| DbError::Corrupt(format!("booking {id} vanished")))?;
                Ok(CreatedBooking {
                    booking,
                    replayed: true,
                })
            }
            BatchDecision::KeyReused => Err(CreateBookingError::IdempotencyKeyReused),
            BatchDecision::Unresolved(unresolved) => {
                Err(CreateBookingError::Unresolved(unresolved))
            }
            BatchDecision::Rejected(rejection) => Err(CreateBookingError::Rejected(rejection)),
        });
    }
    Ok(BatchOutcome { answers, changes })
}

fn quantity_of(quantity: u32) -> i32 {
    i32::try_from(quantity).unwrap_or(i32::MAX)
}

/// The new booking as a read would return it (items by event title, then tier position),
/// from what the transaction already holds: nothing is read back under the locks.
fn record(
    user_id: Uuid,
    reference: &BookingReference,
    plan: &BookingPlan,
    shown: &Shown,
    (status, expires_at): (BookingStatus, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
) -> BookingRecord {
    let mut items: Vec<(i32, BookingItemRecord)> = plan
        .items
        .iter()
        .map(|item| {
            let info = shown.infos.iter().find(|info| info.tier_id == item.tier_id);
            (
                info.map_or(0, |info| info.position),
                BookingItemRecord {
                    event_id: item.event_id,
                    event_title: info
                        .map(|info| info.event_title.clone())
                        .unwrap_or_default(),
                    event_venue: info
                        .map(|info| info.event_venue.clone())
                        .unwrap_or_default(),
                    event_starts_at: info.map_or(now, |info| info.event_starts_at),
                    tier_id: item.tier_id,
                    tier_name: info.map(|info| info.tier_name.clone()).unwrap_or_default(),
                    quantity: quantity_of(item.quantity),
                    unit_price_cents: item.unit_price_cents,
                },
            )
        })
        .collect();
    items.sort_by(|(a_position, a), (b_position, b)| {
        a.event_title
            .cmp(&b.event_title)
            .then(a_position.cmp(b_position))
    });
    BookingRecord {
        id: Uuid::new_v4(),
        reference: reference.as_str().to_owned(),
        user_id,
        status,
        origin: BookingOrigin::Direct,
        total_cents: plan.total_cents,
        currency: plan.currency.clone(),
        created_at: now,
        cancelled_at: None,
        expires_at,
        holder_name: shown.names.get(&user_id).cloned().unwrap_or_default(),
        admitted: Vec::new(),
        items: items.into_iter().map(|(_, item)| item).collect(),
    }
}
