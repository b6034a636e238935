//! The booking transaction. Everything that decides availability happens here, inside
//! one READ COMMITTED transaction, under row locks taken in a fixed order:
//!
//! 1. the buyer's `users` row (`FOR NO KEY UPDATE`): one user's bookings take turns, so
//!    the per-user limit and the idempotency key are decided without races, while FK
//!    checks from other tables are not blocked;
//! 2. the requested `ticket_tiers` rows (`FOR UPDATE`), in ascending id order, so two
//!    bookings that share tiers always queue in the same order and cannot deadlock.
//!
//! What the buyer already holds of each event comes from `ticket_holdings`, one row per
//! buyer and event that triggers keep (see its migration); the inserts touch it last,
//! after every lock above.
//!
//! Event rows are read after the tier locks are held, in a statement of their own: its
//! fresh snapshot sees any publish or cancellation that committed before we got the
//! locks (those transactions lock the event's tiers first). REPEATABLE READ would turn
//! every lock wait on a hot tier into a serialization failure and under-sell.
//!
//! On a hot event every booking waits for the one before it to commit, so the time a
//! tier lock is held is what caps sales per second. The statements are therefore sent in
//! three pipelined round trips (PostgreSQL still runs them one after another, in order):
//! lock the buyer and read what they hold and what they asked for; lock the tiers and
//! read their events; write everything and read the new counts. Only the last two fall
//! inside the tier lock, and the response is built from what is already in hand.
//! `bench/booking.pgbench` replays the same statements to measure the database's ceiling.

use std::collections::HashMap;

use booking_domain::booking;
use booking_domain::{
    BookingPlan, BookingReference, BookingRejection, BookingRequest, BookingStatus, ItemTarget,
    UnresolvedItem,
};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::TryFutureExt;
use futures::future::{try_join_all, try_join4};
use uuid::Uuid;

use super::{BookingItemRecord, BookingRecord};
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{booking_items, bookings, events, ticket_holdings, ticket_tiers, users};

/// A client-chosen retry key and a fingerprint of the request it was sent with.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a [u8],
}

#[derive(Debug, thiserror::Error)]
pub enum CreateBookingError {
    #[error(transparent)]
    Rejected(BookingRejection),
    #[error("event {0} does not exist")]
    EventNotFound(Uuid),
    #[error("event {0} has several ticket tiers; name one with tierId")]
    EventNeedsTier(Uuid),
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CreateBookingError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

#[derive(Debug)]
pub struct CreatedBooking {
    pub booking: BookingRecord,
    /// An earlier booking returned for a retried idempotency key; nothing was booked now.
    pub replayed: bool,
    pub changes: Vec<AvailabilityChange>,
}

/// Collisions among 32^6 references are rare; a handful of fresh draws always suffices.
pub(super) const REFERENCE_ATTEMPTS: usize = 8;
pub(super) const REFERENCE_CONSTRAINT: &str = "bookings_reference_key";

/// Books `request` for `user_id` all-or-nothing, or explains why not. The booking is
/// written as `status`: pending while a payment is still to be made, confirmed when the
/// payment needs no IO and is settled here.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    request: &BookingRequest,
    idempotency: Option<Idempotency<'_>>,
    status: BookingStatus,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<CreatedBooking, CreateBookingError> {
    // PostgreSQL keeps microseconds: the response must show the time a read will show.
    let now = now.trunc_subsecs(6);
    for _ in 0..REFERENCE_ATTEMPTS {
        let reference = new_reference();
        let attempt = conn
            .transaction(async |conn| {
                book(conn, user_id, request, idempotency, status, now, &reference).await
            })
            .await;
        match attempt {
            Ok(created) => return Ok(created),
            Err(Attempt::ReferenceTaken) => continue,
            Err(Attempt::Failed(error)) => return Err(error),
        }
    }
    Err(DbError::Corrupt("could not draw an unused booking reference".into()).into())
}

/// How one transaction ended: a drawn reference that was already taken rolls it back to
/// be tried again with another.
pub(super) enum Attempt {
    ReferenceTaken,
    Failed(CreateBookingError),
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

impl From<CreateBookingError> for Attempt {
    fn from(error: CreateBookingError) -> Self {
        Self::Failed(error)
    }
}

impl From<DbError> for Attempt {
    fn from(error: DbError) -> Self {
        Self::Failed(error.into())
    }
}

/// A requested tier with the names the booking shows, read before any tier lock.
#[derive(Debug, Clone, Queryable)]
pub(super) struct TierInfo {
    pub(super) tier_id: Uuid,
    pub(super) event_id: Uuid,
    pub(super) tier_name: String,
    pub(super) position: i32,
    pub(super) event_title: String,
}

/// The columns of a [`TierInfo`], from `ticket_tiers` joined with `events`.
pub(super) const TIER_INFO: (
    ticket_tiers::id,
    ticket_tiers::event_id,
    ticket_tiers::name,
    ticket_tiers::position,
    events::title,
) = (
    ticket_tiers::id,
    ticket_tiers::event_id,
    ticket_tiers::name,
    ticket_tiers::position,
    events::title,
);

async fn book(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    request: &BookingRequest,
    idempotency: Option<Idempotency<'_>>,
    status: BookingStatus,
    now: DateTime<Utc>,
    reference: &BookingReference,
) -> Result<CreatedBooking, Attempt> {
    let (named_tiers, named_events) = targets(request);
    // The tiers the request names, directly or through their event.
    let named = ticket_tiers::id
        .eq_any(&named_tiers)
        .or(ticket_tiers::event_id.eq_any(&named_events));
    // Pipelined futures share the connection; PostgreSQL runs them in the order sent.
    let mut pipe: &AsyncPgConnection = conn;

    // Round trip 1: the buyer's lock, then (under it) their earlier use of the key, the
    // requested tiers, and what they already hold of those events.
    let mut replay_pipe = pipe;
    let replay_lookup = async move {
        match idempotency {
            Some(idempotency) => bookings::table
                .filter(bookings::user_id.eq(user_id))
                .filter(bookings::idempotency_key.eq(idempotency.key))
                .select((bookings::id, bookings::request_hash))
                .first::<(Uuid, Option<Vec<u8>>)>(&mut replay_pipe)
                .await
                .optional(),
            None => Ok(None),
        }
    };
    let (_, earlier, infos, held) = try_join4(
        users::table
            .find(user_id)
            .select(users::id)
            .for_no_key_update()
            .first::<Uuid>(&mut pipe),
        replay_lookup,
        ticket_tiers::table
            .inner_join(events::table)
            .filter(named.clone())
            .select(TIER_INFO)
            .load::<TierInfo>(&mut pipe),
        ticket_holdings::table
            .filter(ticket_holdings::user_id.eq(user_id))
            .filter(
                ticket_holdings::event_id.eq_any(
                    ticket_tiers::table
                        .filter(named)
                        .select(ticket_tiers::event_id),
                ),
            )
            .select((ticket_holdings::event_id, ticket_holdings::quantity))
            .load::<(Uuid, i32)>(&mut pipe),
    )
    .await?;

    if let (Some(idempotency), Some((id, request_hash))) = (idempotency, earlier) {
        if request_hash.as_deref() != Some(idempotency.request_hash) {
            return Err(CreateBookingError::IdempotencyKeyReused.into());
        }
        let booking = super::find(conn, id)
            .await?
            .ok_or_else(|| DbError::Corrupt(format!("booking {id} vanished")))?;
        return Ok(CreatedBooking {
            booking,
            replayed: true,
            changes: Vec::new(),
        });
    }

    let known: Vec<(Uuid, Uuid)> = infos
        .iter()
        .map(|info| (info.tier_id, info.event_id))
        .collect();
    let lines = request
        .lines(&known)
        .map_err(|unresolved| match unresolved {
            UnresolvedItem::EventNotFound(id) => CreateBookingError::EventNotFound(id),
            UnresolvedItem::EventNeedsTier(id) => CreateBookingError::EventNeedsTier(id),
        })?;
    let mut tier_ids: Vec<Uuid> = lines.iter().map(|line| line.tier_id).collect();
    tier_ids.sort_unstable();
    tier_ids.dedup();
    let mut event_ids: Vec<Uuid> = infos
        .iter()
        .filter(|info| tier_ids.contains(&info.tier_id))
        .map(|info| info.event_id)
        .collect();
    event_ids.sort_unstable();
    event_ids.dedup();

    // Round trip 2: the tier locks, then the events as they are once those are held.
    let tiers = super::locks::lock_tiers(pipe, &tier_ids, &event_ids).await?;
    let held: HashMap<Uuid, i32> = held.into_iter().collect();
    let plan = booking::plan(
        &lines,
        &tiers,
        |event_id| {
            held.get(&event_id)
                .and_then(|quantity| u32::try_from(*quantity).ok())
                .unwrap_or(0)
        },
        now,
    )
    .map_err(CreateBookingError::Rejected)?;

    // Round trip 3: take the tickets, record the booking, read the new counts.
    let booking_id = Uuid::new_v4();
    let decrements = plan.items.iter().map(|item| {
        diesel::update(ticket_tiers::table.find(item.tier_id))
            .set((
                ticket_tiers::remaining.eq(ticket_tiers::remaining - quantity_of(item.quantity)),
                ticket_tiers::version.eq(ticket_tiers::version + 1),
                ticket_tiers::updated_at.eq(now),
            ))
            .execute(&mut pipe)
    });
    let items: Vec<_> = plan
        .items
        .iter()
        .map(|item| {
            (
                booking_items::booking_id.eq(booking_id),
                booking_items::user_id.eq(user_id),
                booking_items::tier_id.eq(item.tier_id),
                booking_items::event_id.eq(item.event_id),
                booking_items::quantity.eq(quantity_of(item.quantity)),
                booking_items::unit_price_cents.eq(item.unit_price_cents),
            )
        })
        .collect();
    // One error type for the four; a reference collision must stay recognisable.
    let (_, _, _, changes) = try_join4(
        try_join_all(decrements).map_err(Attempt::from),
        diesel::insert_into(bookings::table)
            .values((
                bookings::id.eq(booking_id),
                bookings::reference.eq(reference.as_str()),
                bookings::user_id.eq(user_id),
                // Pending until paid (see `settle`) when paying takes IO: no lock is held
                // while paying.
                bookings::status.eq(status.as_str()),
                bookings::total_cents.eq(plan.total_cents),
                bookings::currency.eq(&plan.currency),
                bookings::idempotency_key.eq(idempotency.map(|i| i.key)),
                bookings::request_hash.eq(idempotency.map(|i| i.request_hash)),
                bookings::created_at.eq(now),
            ))
            .execute(&mut pipe)
            .map_err(Attempt::from),
        diesel::insert_into(booking_items::table)
            .values(items)
            .execute(&mut pipe)
            .map_err(Attempt::from),
        availability::changes_for_tiers(pipe, &tier_ids).map_err(Attempt::from),
    )
    .await?;

    Ok(CreatedBooking {
        booking: record(booking_id, user_id, reference, &plan, &infos, status, now),
        replayed: false,
        changes,
    })
}

pub(super) fn quantity_of(quantity: u32) -> i32 {
    i32::try_from(quantity).unwrap_or(i32::MAX)
}

/// The tiers and events a request names, apart.
fn targets(request: &BookingRequest) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut tiers = Vec::new();
    let mut events = Vec::new();
    for item in request.items() {
        match item.target {
            ItemTarget::Tier(tier_id) => tiers.push(tier_id),
            ItemTarget::Event(event_id) => events.push(event_id),
        }
    }
    (tiers, events)
}

/// The new booking as a read would return it (items by event title, then tier position),
/// from what the transaction already holds: nothing is read back under the locks.
pub(super) fn record(
    id: Uuid,
    user_id: Uuid,
    reference: &BookingReference,
    plan: &BookingPlan,
    infos: &[TierInfo],
    status: BookingStatus,
    now: DateTime<Utc>,
) -> BookingRecord {
    let mut items: Vec<(i32, BookingItemRecord)> = plan
        .items
        .iter()
        .map(|item| {
            let info = infos.iter().find(|info| info.tier_id == item.tier_id);
            (
                info.map_or(0, |info| info.position),
                BookingItemRecord {
                    event_id: item.event_id,
                    event_title: info
                        .map(|info| info.event_title.clone())
                        .unwrap_or_default(),
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
        id,
        reference: reference.as_str().to_owned(),
        user_id,
        status,
        total_cents: plan.total_cents,
        currency: plan.currency.clone(),
        created_at: now,
        cancelled_at: None,
        items: items.into_iter().map(|(_, item)| item).collect(),
    }
}
