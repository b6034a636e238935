//! The booking transaction. Everything that decides availability happens here, inside
//! one READ COMMITTED transaction, under row locks taken in a fixed order:
//!
//! 1. the buyer's `users` row (`FOR NO KEY UPDATE`): one user's bookings take turns, so
//!    the per-user limit and the idempotency key are decided without races, while FK
//!    checks from other tables are not blocked;
//! 2. the requested `ticket_tiers` rows (`FOR UPDATE`), in ascending id order, so two
//!    bookings that share tiers always queue in the same order and cannot deadlock.
//!
//! Event rows are read after the tier locks are held, in a statement of their own: its
//! fresh snapshot sees any publish or cancellation that committed before we got the
//! locks (those transactions lock the event's tiers first). REPEATABLE READ would turn
//! every lock wait on a hot tier into a serialization failure and under-sell.

use std::collections::HashMap;

use booking_domain::booking::{self, TierLine};
use booking_domain::{
    BookingReference, BookingRejection, BookingRequest, BookingStatus, ItemTarget, LockedTier,
};
use chrono::{DateTime, Utc};
use diesel::dsl::sum;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::BookingRecord;
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{booking_items, bookings, events, ticket_tiers, users};

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
const REFERENCE_ATTEMPTS: usize = 8;

/// Books `request` for `user_id` all-or-nothing, or explains why not.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    request: &BookingRequest,
    idempotency: Option<Idempotency<'_>>,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<CreatedBooking, CreateBookingError> {
    let created = conn
        .transaction(async |conn| {
            book(conn, user_id, request, idempotency, now, new_reference).await
        })
        .await?;
    Ok(created)
}

async fn book(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    request: &BookingRequest,
    idempotency: Option<Idempotency<'_>>,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<CreatedBooking, CreateBookingError> {
    users::table
        .find(user_id)
        .select(users::id)
        .for_no_key_update()
        .first::<Uuid>(conn)
        .await?;

    if let Some(idempotency) = idempotency
        && let Some(earlier) = replay(conn, user_id, idempotency).await?
    {
        return Ok(CreatedBooking {
            booking: earlier,
            replayed: true,
            changes: Vec::new(),
        });
    }

    let lines = resolve_lines(conn, request).await?;
    let mut tier_ids: Vec<Uuid> = lines.iter().map(|line| line.tier_id).collect();
    tier_ids.sort_unstable();
    tier_ids.dedup();
    let locked: Vec<(Uuid, Uuid, i32, i64, String)> = ticket_tiers::table
        .filter(ticket_tiers::id.eq_any(&tier_ids))
        .order(ticket_tiers::id)
        .select((
            ticket_tiers::id,
            ticket_tiers::event_id,
            ticket_tiers::remaining,
            ticket_tiers::price_cents,
            ticket_tiers::currency,
        ))
        .for_update()
        .load(conn)
        .await?;

    let mut event_ids: Vec<Uuid> = locked.iter().map(|tier| tier.1).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let event_rows: HashMap<Uuid, (String, DateTime<Utc>, i32)> = events::table
        .filter(events::id.eq_any(&event_ids))
        .select((
            events::id,
            events::status,
            events::starts_at,
            events::max_tickets_per_user,
        ))
        .load::<(Uuid, String, DateTime<Utc>, i32)>(conn)
        .await?
        .into_iter()
        .map(|(id, status, starts_at, limit)| (id, (status, starts_at, limit)))
        .collect();
    let held: HashMap<Uuid, i64> = booking_items::table
        .inner_join(bookings::table)
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq_any(BookingStatus::HOLDING.map(BookingStatus::as_str)))
        .filter(booking_items::event_id.eq_any(&event_ids))
        .group_by(booking_items::event_id)
        .select((booking_items::event_id, sum(booking_items::quantity)))
        .load::<(Uuid, Option<i64>)>(conn)
        .await?
        .into_iter()
        .map(|(event_id, quantity)| (event_id, quantity.unwrap_or(0)))
        .collect();

    let tiers = locked
        .into_iter()
        .map(|(tier_id, event_id, remaining, price_cents, currency)| {
            let (status, starts_at, limit) = event_rows
                .get(&event_id)
                .ok_or_else(|| DbError::Corrupt(format!("tier {tier_id} has no event")))?;
            Ok(LockedTier {
                tier_id,
                event_id,
                event_status: status
                    .parse()
                    .map_err(|error| DbError::Corrupt(format!("event {event_id}: {error}")))?,
                starts_at: *starts_at,
                max_tickets_per_user: u32::try_from(*limit).unwrap_or(0),
                remaining: u32::try_from(remaining).unwrap_or(0),
                price_cents,
                currency,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
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

    for item in &plan.items {
        let quantity = i32::try_from(item.quantity).unwrap_or(i32::MAX);
        diesel::update(ticket_tiers::table.find(item.tier_id))
            .set((
                ticket_tiers::remaining.eq(ticket_tiers::remaining - quantity),
                ticket_tiers::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    }
    let booking_id = insert_booking(conn, user_id, &plan, idempotency, now, new_reference).await?;
    let items: Vec<_> = plan
        .items
        .iter()
        .map(|item| {
            (
                booking_items::booking_id.eq(booking_id),
                booking_items::tier_id.eq(item.tier_id),
                booking_items::event_id.eq(item.event_id),
                booking_items::quantity.eq(i32::try_from(item.quantity).unwrap_or(i32::MAX)),
                booking_items::unit_price_cents.eq(item.unit_price_cents),
            )
        })
        .collect();
    diesel::insert_into(booking_items::table)
        .values(items)
        .execute(conn)
        .await?;

    let changes = availability::changes_for_tiers(conn, &tier_ids).await?;
    let booking = super::find(conn, booking_id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("booking {booking_id} vanished")))?;
    Ok(CreatedBooking {
        booking,
        replayed: false,
        changes,
    })
}

/// The booking an earlier request with this key created, if any.
async fn replay(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    idempotency: Idempotency<'_>,
) -> Result<Option<BookingRecord>, CreateBookingError> {
    let earlier: Option<(Uuid, Option<Vec<u8>>)> = bookings::table
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::idempotency_key.eq(idempotency.key))
        .select((bookings::id, bookings::request_hash))
        .first(conn)
        .await
        .optional()?;
    let Some((id, request_hash)) = earlier else {
        return Ok(None);
    };
    if request_hash.as_deref() != Some(idempotency.request_hash) {
        return Err(CreateBookingError::IdempotencyKeyReused);
    }
    Ok(super::find(conn, id).await?)
}

/// Turns `eventId` items into the event's single tier.
async fn resolve_lines(
    conn: &mut AsyncPgConnection,
    request: &BookingRequest,
) -> Result<Vec<TierLine>, CreateBookingError> {
    let event_ids: Vec<Uuid> = request
        .items()
        .iter()
        .filter_map(|item| match item.target {
            ItemTarget::Event(event_id) => Some(event_id),
            ItemTarget::Tier(_) => None,
        })
        .collect();
    let event_tiers: Vec<(Uuid, Uuid)> = if event_ids.is_empty() {
        Vec::new()
    } else {
        ticket_tiers::table
            .filter(ticket_tiers::event_id.eq_any(&event_ids))
            .select((ticket_tiers::event_id, ticket_tiers::id))
            .load(conn)
            .await?
    };
    request
        .items()
        .iter()
        .map(|item| {
            let tier_id = match item.target {
                ItemTarget::Tier(tier_id) => tier_id,
                ItemTarget::Event(event_id) => {
                    let mut tiers = event_tiers.iter().filter(|(event, _)| *event == event_id);
                    match (tiers.next(), tiers.next()) {
                        (Some((_, tier_id)), None) => *tier_id,
                        (None, _) => return Err(CreateBookingError::EventNotFound(event_id)),
                        (Some(_), Some(_)) => {
                            return Err(CreateBookingError::EventNeedsTier(event_id));
                        }
                    }
                }
            };
            Ok(TierLine {
                tier_id,
                quantity: item.quantity,
            })
        })
        .collect()
}

async fn insert_booking(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    plan: &booking_domain::BookingPlan,
    idempotency: Option<Idempotency<'_>>,
    now: DateTime<Utc>,
    new_reference: fn() -> BookingReference,
) -> Result<Uuid, CreateBookingError> {
    for _ in 0..REFERENCE_ATTEMPTS {
        let reference = new_reference();
        let inserted: Option<Uuid> = diesel::insert_into(bookings::table)
            .values((
                bookings::reference.eq(reference.as_str()),
                bookings::user_id.eq(user_id),
                // Confirmed only once paid (see `settle`): no lock is held while paying.
                bookings::status.eq(BookingStatus::Pending.as_str()),
                bookings::total_cents.eq(plan.total_cents),
                bookings::currency.eq(&plan.currency),
                bookings::idempotency_key.eq(idempotency.map(|i| i.key)),
                bookings::request_hash.eq(idempotency.map(|i| i.request_hash)),
                bookings::created_at.eq(now),
            ))
            .on_conflict(bookings::reference)
            .do_nothing()
            .returning(bookings::id)
            .get_result(conn)
            .await
            .optional()?;
        if let Some(id) = inserted {
            return Ok(id);
        }
    }
    Err(DbError::Corrupt("could not draw an unused booking reference".into()).into())
}
