//! Waiting lists (`domain::waiting_list` decides): taking and leaving a place, a buyer's
//! places and a tier's line, and the offers made when tickets come back to a tier.
//!
//! Lock order, as everywhere: a joining buyer's `users` row, then the tier; an offer is
//! made under the tier locks of the transaction that returned the tickets, and then
//! locks the line's rows. A place counts in `ticket_holdings` (migration 000010), so an
//! offer never needs the buyer's lock to stay within the per-person limit.

use booking_domain::waiting_list::{self as rules, Allotment, JoinFacts, JoinRejection, Waiter};
use booking_domain::{
    BookingOrigin, BookingPlan, BookingReference, BookingStatus, EventStatus, PlannedItem,
    reference,
};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::bookings::BookingRecord;
use crate::bookings::rows::Rows;
use crate::error::DbError;
use crate::schema::{bookings, events, ticket_holdings, ticket_tiers, users, waiting_list};

/// A buyer's place in a tier's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub tier_id: Uuid,
    pub quantity: i32,
    /// 1 for the first in line.
    pub position: i64,
    pub joined_at: DateTime<Utc>,
}

/// How many wait for a tier, and for how many tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineLength {
    pub tier_id: Uuid,
    pub people: i64,
    pub tickets: i64,
}

/// Tickets offered to a buyer: a pending booking of theirs until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub user_id: Uuid,
    pub booking_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum WaitingListError {
    /// No such tier in this event, or no such buyer.
    #[error("no such ticket tier in this event")]
    NotFound,
    #[error(transparent)]
    Rejected(JoinRejection),
    #[error("you are not on this waiting list")]
    NotWaiting,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WaitingListError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// `user_id` takes a place for `quantity` tickets of `tier_id` (of `event_id`), if the
/// domain allows it, at the end of the line.
pub async fn join(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
    tier_id: Uuid,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<Place, WaitingListError> {
    let now = now.trunc_subsecs(6);
    conn.transaction(async |conn| {
        users::table
            .find(user_id)
            .select(users::id)
            .for_no_key_update()
            .first::<Uuid>(conn)
            .await
            .optional()?
            .ok_or(WaitingListError::NotFound)?;
        let held: i32 = ticket_holdings::table
            .find((user_id, event_id))
            .select(ticket_holdings::quantity)
            .first(conn)
            .await
            .optional()?
            .unwrap_or(0);
        let already_waiting = diesel::select(diesel::dsl::exists(
            waiting_list::table
                .filter(waiting_list::tier_id.eq(tier_id))
                .filter(waiting_list::user_id.eq(user_id)),
        ))
        .get_result(conn)
        .await?;
        let remaining: i32 = ticket_tiers::table
            .find(tier_id)
            .filter(ticket_tiers::event_id.eq(event_id))
            .select(ticket_tiers::remaining)
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(WaitingListError::NotFound)?;
        let (status, starts_at, limit): (String, DateTime<Utc>, i32) = events::table
            .find(event_id)
            .select((
                events::status,
                events::starts_at,
                events::max_tickets_per_user,
            ))
            .first(conn)
            .await?;
        let facts = JoinFacts {
            event_status: status
                .parse()
                .map_err(|error| DbError::Corrupt(format!("event {event_id}: {error}")))?,
            starts_at,
            remaining: count(remaining),
            max_tickets_per_user: count(limit),
            held: count(held),
            already_waiting,
        };
        rules::check_join(&facts, quantity, now).map_err(WaitingListError::Rejected)?;
        diesel::insert_into(waiting_list::table)
            .values((
                waiting_list::tier_id.eq(tier_id),
                waiting_list::event_id.eq(event_id),
                waiting_list::user_id.eq(user_id),
                waiting_list::quantity.eq(i32::try_from(quantity).unwrap_or(i32::MAX)),
                waiting_list::joined_at.eq(now),
            ))
            .execute(conn)
            .await?;
        place_of(conn, user_id, tier_id)
            .await?
            .ok_or(WaitingListError::NotWaiting)
    })
    .await
}

/// `user_id` leaves the line of `tier_id` (of `event_id`).
pub async fn leave(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
    tier_id: Uuid,
) -> Result<(), WaitingListError> {
    let left = diesel::delete(
        waiting_list::table
            .filter(waiting_list::tier_id.eq(tier_id))
            .filter(waiting_list::event_id.eq(event_id))
            .filter(waiting_list::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    if left == 0 {
        return Err(WaitingListError::NotWaiting);
    }
    Ok(())
}

/// The places `user_id` holds in the lines of `event_id`'s tiers, in tier order.
pub async fn places_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
) -> Result<Vec<Place>, DbError> {
    let tiers: Vec<Uuid> = waiting_list::table
        .inner_join(ticket_tiers::table)
        .filter(waiting_list::user_id.eq(user_id))
        .filter(waiting_list::event_id.eq(event_id))
        .order(ticket_tiers::position)
        .select(waiting_list::tier_id)
        .load(conn)
        .await?;
    let mut places = Vec::with_capacity(tiers.len());
    for tier_id in tiers {
        places.extend(place_of(conn, user_id, tier_id).await?);
    }
    Ok(places)
}

async fn place_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    tier_id: Uuid,
) -> Result<Option<Place>, DbError> {
    let Some((id, quantity, joined_at)) = waiting_list::table
        .filter(waiting_list::tier_id.eq(tier_id))
        .filter(waiting_list::user_id.eq(user_id))
        .select((
            waiting_list::id,
            waiting_list::quantity,
            waiting_list::joined_at,
        ))
        .first::<(i64, i32, DateTime<Utc>)>(conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let position: i64 = waiting_list::table
        .filter(waiting_list::tier_id.eq(tier_id))
        .filter(waiting_list::id.le(id))
        .count()
        .get_result(conn)
        .await?;
    Ok(Some(Place {
        tier_id,
        quantity,
        position,
        joined_at,
    }))
}

/// How long each line of `event_ids`' tiers is; tiers nobody waits for are absent.
pub async fn lengths(
    conn: &mut AsyncPgConnection,
    event_ids: &[Uuid],
) -> Result<Vec<LineLength>, DbError> {
    let rows: Vec<(Uuid, i64, Option<i64>)> = waiting_list::table
        .filter(waiting_list::event_id.eq_any(event_ids))
        .group_by(waiting_list::tier_id)
        .select((
            waiting_list::tier_id,
            diesel::dsl::count_star(),
            diesel::dsl::sum(waiting_list::quantity),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(tier_id, people, tickets)| LineLength {
            tier_id,
            people,
            tickets: tickets.unwrap_or(0),
        })
        .collect())
}

/// A tier as an offer needs it, read under the lock the caller holds.
#[derive(Debug, Queryable)]
struct OfferedTier {
    id: Uuid,
    event_id: Uuid,
    remaining: i32,
    price_cents: i64,
    currency: String,
    event_status: String,
    starts_at: DateTime<Utc>,
    offer_minutes: i32,
}

/// Offers the tickets on sale in `tier_ids` to the people waiting for them, first in line
/// first (`domain::waiting_list::allot`): each offer a pending booking of origin
/// `waitingList` taken from the tier, the places shrunk or gone. The caller holds the
/// tiers' locks and has just put tickets back; tiers whose events are not on sale are
/// left alone. Returns the offers made.
pub(crate) async fn offer_returned(
    conn: &mut AsyncPgConnection,
    tier_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<Offer>, DbError> {
    let now = now.trunc_subsecs(6);
    let tiers: Vec<OfferedTier> = ticket_tiers::table
        .inner_join(events::table)
        .filter(ticket_tiers::id.eq_any(tier_ids))
        .filter(ticket_tiers::remaining.gt(0))
        .filter(diesel::dsl::exists(
            waiting_list::table.filter(waiting_list::tier_id.eq(ticket_tiers::id)),
        ))
        .order(ticket_tiers::id)
        .select((
            ticket_tiers::id,
            ticket_tiers::event_id,
            ticket_tiers::remaining,
            ticket_tiers::price_cents,
            ticket_tiers::currency,
            events::status,
            events::starts_at,
            events::offer_minutes,
        ))
        .load(conn)
        .await?;
    let mut offers = Vec::new();
    for tier in tiers {
        let status: EventStatus = tier
            .event_status
            .parse()
            .map_err(|error| DbError::Corrupt(format!("event {}: {error}", tier.event_id)))?;
        if !status.is_on_sale(tier.starts_at, now) {
            continue;
        }
        offers.extend(offer_tier(conn, &tier, now).await?);
    }
    Ok(offers)
}

/// Offers one tier's tickets on sale down its line.
async fn offer_tier(
    conn: &mut AsyncPgConnection,
    tier: &OfferedTier,
    now: DateTime<Utc>,
) -> Result<Vec<Offer>, DbError> {
    // Each place wants at least one ticket: no more places than tickets can get any.
    let line: Vec<(i64, Uuid, i32)> = waiting_list::table
        .filter(waiting_list::tier_id.eq(tier.id))
        .order(waiting_list::id)
        .limit(i64::from(tier.remaining))
        .select((
            waiting_list::id,
            waiting_list::user_id,
            waiting_list::quantity,
        ))
        .for_update()
        .load(conn)
        .await?;
    let waiters: Vec<Waiter> = line
        .iter()
        .map(|&(_, user_id, quantity)| Waiter {
            user_id,
            wants: count(quantity),
        })
        .collect();
    let allotments = rules::allot(count(tier.remaining), &waiters);
    if allotments.is_empty() {
        return Ok(Vec::new());
    }
    let places: Vec<(i64, &Allotment)> =
        line.iter().map(|&(id, _, _)| id).zip(&allotments).collect();
    shrink_places(conn, &places).await?;
    let expires_at = rules::offer_expires_at(
        now,
        u32::try_from(tier.offer_minutes).unwrap_or(1),
        tier.starts_at,
    );
    let references = unused_references(conn, allotments.len()).await?;
    let mut rows = Rows::default();
    let mut offers = Vec::with_capacity(allotments.len());
    for (allotment, reference) in allotments.iter().zip(&references) {
        let plan = BookingPlan {
            items: vec![PlannedItem {
                tier_id: tier.id,
                event_id: tier.event_id,
                quantity: allotment.offered,
                unit_price_cents: tier.price_cents,
            }],
            total_cents: tier
                .price_cents
                .saturating_mul(i64::from(allotment.offered)),
            currency: tier.currency.clone(),
            hold_minutes: 0,
        };
        let booking = BookingRecord {
            id: Uuid::new_v4(),
            reference: reference.as_str().to_owned(),
            user_id: allotment.user_id,
            // An offer is a hold the buyer did not ask for: paid with `/pay` like one.
            status: BookingStatus::Pending,
            origin: BookingOrigin::WaitingList,
            total_cents: plan.total_cents,
            currency: plan.currency.clone(),
            created_at: now,
            cancelled_at: None,
            expires_at: Some(expires_at),
            items: Vec::new(),
            holder_name: String::new(),
            admitted: Vec::new(),
        };
        rows.add(&booking, &plan, None);
        offers.push(Offer {
            user_id: allotment.user_id,
            booking_id: booking.id,
            expires_at,
        });
    }
    rows.insert_bookings(&*conn, now).await?;
    rows.insert_items(&*conn).await?;
    let taken: Vec<(Uuid, i32)> = rows.sold.iter().map(|(&tier, &n)| (tier, -n)).collect();
    crate::bookings::stock::adjust(&*conn, &taken, now).await?;
    Ok(offers)
}

/// Shrinks each place by what it was offered; a place that wants nothing more leaves the
/// line. Before the offers' items are written, so the buyer's tally never overshoots.
async fn shrink_places(
    conn: &mut AsyncPgConnection,
    places: &[(i64, &Allotment)],
) -> Result<(), DbError> {
    let (gone, kept): (Vec<_>, Vec<_>) = places
        .iter()
        .partition(|(_, allotment)| allotment.still_wants == 0);
    if !gone.is_empty() {
        let ids: Vec<i64> = gone.iter().map(|(id, _)| *id).collect();
        diesel::delete(waiting_list::table.filter(waiting_list::id.eq_any(ids)))
            .execute(conn)
            .await?;
    }
    if !kept.is_empty() {
        let (ids, wants): (Vec<i64>, Vec<i32>) = kept
            .iter()
            .map(|(id, allotment)| {
                (
                    *id,
                    i32::try_from(allotment.still_wants).unwrap_or(i32::MAX),
                )
            })
            .unzip();
        diesel::sql_query(
            "UPDATE waiting_list w SET quantity = s.quantity \
               FROM unnest($1::int8[], $2::int4[]) AS s(id, quantity) WHERE w.id = s.id",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Integer>, _>(wants)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// `n` fresh booking references no booking has. The booking pipeline retries a whole
/// batch on a taken reference; an offer is made inside a cancellation or an expiry,
/// which must not fail for it, so it draws again before writing instead.
async fn unused_references(
    conn: &mut AsyncPgConnection,
    n: usize,
) -> Result<Vec<BookingReference>, DbError> {
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let drawn: Vec<BookingReference> = (0..n).map(|_| random_reference()).collect();
        let spelled: Vec<&str> = drawn.iter().map(BookingReference::as_str).collect();
        let taken: i64 = bookings::table
            .filter(bookings::reference.eq_any(&spelled))
            .count()
            .get_result(conn)
            .await?;
        let mut unique = spelled.clone();
        unique.sort_unstable();
        unique.dedup();
        if taken == 0 && unique.len() == n {
            return Ok(drawn);
        }
    }
    Err(DbError::Corrupt(
        "could not draw unused booking references".into(),
    ))
}

/// A reference from the random bytes of a version-4 UUID: its first six bytes are all
/// random (the version and variant bits sit in bytes 6 and 8).
fn random_reference() -> BookingReference {
    let random = Uuid::new_v4();
    let mut bytes = [0; reference::REFERENCE_CHARS];
    bytes.copy_from_slice(&random.as_bytes()[..reference::REFERENCE_CHARS]);
    BookingReference::from_random(bytes)
}

/// A count stored as `integer`; the constraints keep them non-negative.
fn count(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or(0)
}
