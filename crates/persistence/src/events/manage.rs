//! Organizers' changes to events and tiers.
//!
//! Anything that changes whether an event can be booked (publish, cancel) locks the
//! event's tier rows before committing: a booking transaction reads the event only after
//! it holds its tier locks, so it either finished before the change or sees it.

use booking_domain::lifecycle;
use booking_domain::organizing::{
    self, CapacityBelowSold, EventChanges, ExistingTier, LifecycleRejection, NewEvent, NewTier,
    RemoveTierRejection, TierChanges, WaitingRoomSettings,
};
use booking_domain::{BookingStatus, EventStatus, ValidationErrors};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{EventRecord, EventRow, TierRecord, with_tiers};
use crate::availability::{self, AvailabilityChange};
use crate::bookings::Released;
use crate::bookings::cancel::release;
use crate::error::DbError;
use crate::schema::{booking_items, bookings, events, ticket_tiers, waiting_rooms};
use crate::waiting_list::LineLength;

pub async fn create(
    conn: &mut AsyncPgConnection,
    organizer_id: Uuid,
    event: &NewEvent,
    now: DateTime<Utc>,
) -> Result<EventRecord, DbError> {
    conn.transaction(async |conn| {
        let id = insert_event(conn, organizer_id, event, EventStatus::Draft, now).await?;
        load(conn, id).await
    })
    .await
}

/// Inserts an event and its tiers, positioned in the order given; returns the event's id.
pub(crate) async fn insert_event(
    conn: &mut AsyncPgConnection,
    organizer_id: Uuid,
    event: &NewEvent,
    status: EventStatus,
    now: DateTime<Utc>,
) -> Result<Uuid, DbError> {
    let id: Uuid = diesel::insert_into(events::table)
        .values((
            events::organizer_id.eq(organizer_id),
            events::title.eq(&event.title),
            events::description.eq(&event.description),
            events::venue.eq(&event.venue),
            events::starts_at.eq(event.starts_at),
            events::status.eq(status.as_str()),
            events::max_tickets_per_user.eq(event.max_tickets_per_user),
            events::hold_minutes.eq(event.hold_minutes),
            events::offer_minutes.eq(event.offer_minutes),
            events::sales_start_at.eq(event.sales_start_at),
            events::created_at.eq(now),
            events::updated_at.eq(now),
        ))
        .returning(events::id)
        .get_result(conn)
        .await?;
    set_waiting_room(conn, id, event.waiting_room).await?;
    let tiers: Vec<_> = event
        .tiers
        .iter()
        .zip(0..)
        .map(|(tier, position)| NewTierRow::new(id, tier, position))
        .collect();
    diesel::insert_into(ticket_tiers::table)
        .values(tiers)
        .execute(conn)
        .await?;
    Ok(id)
}

/// A tier as inserted: on sale in full, at `position` in its event's list.
#[derive(Insertable)]
#[diesel(table_name = ticket_tiers)]
struct NewTierRow<'a> {
    event_id: Uuid,
    name: &'a str,
    price_cents: i64,
    currency: &'a str,
    capacity: i32,
    remaining: i32,
    position: i32,
}

impl<'a> NewTierRow<'a> {
    fn new(event_id: Uuid, tier: &'a NewTier, position: i32) -> Self {
        Self {
            event_id,
            name: &tier.name,
            price_cents: tier.price_cents,
            currency: &tier.currency,
            capacity: tier.capacity,
            remaining: tier.capacity,
            position,
        }
    }
}

async fn load(conn: &mut AsyncPgConnection, id: Uuid) -> Result<EventRecord, DbError> {
    super::find(conn, id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("event {id} vanished")))
}

/// Locks the event row against other organizer changes.
///
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: a booking that holds this event's tier locks
/// inserts items referencing the event, and that foreign-key check takes `FOR KEY SHARE`
/// on this row. `FOR UPDATE` would make it wait for us while we wait for its tier locks.
async fn lock_event(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<EventStatus, EventChangeError> {
    let status: String = events::table
        .find(id)
        .select(events::status)
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(EventChangeError::NotFound)?;
    Ok(status
        .parse()
        .map_err(|e| DbError::Corrupt(format!("event {id}: {e}")))?)
}

/// Locks the event and checks that its state allows `check`'s change.
async fn lock_event_for(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    check: fn(EventStatus) -> Result<(), LifecycleRejection>,
) -> Result<(), EventChangeError> {
    let status = lock_event(conn, id).await?;
    check(status).map_err(EventChangeError::Rejected)
}

async fn lock_tiers_of(conn: &mut AsyncPgConnection, event_id: Uuid) -> Result<Vec<Uuid>, DbError> {
    Ok(ticket_tiers::table
        .filter(ticket_tiers::event_id.eq(event_id))
        .order(ticket_tiers::id)
        .select(ticket_tiers::id)
        .for_update()
        .load(conn)
        .await?)
}

/// Why an edit, publication, cancellation or deletion of an event did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EventChangeError {
    #[error("no such event")]
    NotFound,
    #[error(transparent)]
    Rejected(LifecycleRejection),
    #[error(transparent)]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for EventChangeError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

#[derive(AsChangeset)]
#[diesel(table_name = events)]
struct EventChangeset<'a> {
    title: Option<&'a str>,
    description: Option<&'a str>,
    venue: Option<&'a str>,
    starts_at: Option<DateTime<Utc>>,
    max_tickets_per_user: Option<i32>,
    hold_minutes: Option<i32>,
    offer_minutes: Option<i32>,
    sales_start_at: Option<Option<DateTime<Utc>>>,
    updated_at: DateTime<Utc>,
}

/// Turns the event's waiting room on with `settings` (keeping the place it has reached
/// if it was on already), or off.
async fn set_waiting_room(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    settings: Option<WaitingRoomSettings>,
) -> Result<(), diesel::result::Error> {
    match settings {
        Some(room) => {
            diesel::insert_into(waiting_rooms::table)
                .values((
                    waiting_rooms::event_id.eq(event_id),
                    waiting_rooms::admit_per_minute.eq(room.admit_per_minute),
                    waiting_rooms::opens_minutes.eq(room.opens_minutes),
                ))
                .on_conflict(waiting_rooms::event_id)
                .do_update()
                .set((
                    waiting_rooms::admit_per_minute.eq(room.admit_per_minute),
                    waiting_rooms::opens_minutes.eq(room.opens_minutes),
                ))
                .execute(conn)
                .await?;
        }
        None => {
            diesel::delete(waiting_rooms::table.find(event_id))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &EventChanges,
    now: DateTime<Utc>,
) -> Result<EventRecord, EventChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, id, organizing::check_edit).await?;
        diesel::update(events::table.find(id))
            .set(EventChangeset {
                title: changes.title.as_deref(),
                description: changes.description.as_deref(),
                venue: changes.venue.as_deref(),
                starts_at: changes.starts_at,
                max_tickets_per_user: changes.max_tickets_per_user,
                hold_minutes: changes.hold_minutes,
                offer_minutes: changes.offer_minutes,
                sales_start_at: changes.sales_start_at,
                updated_at: now,
            })
            .execute(conn)
            .await?;
        if let Some(room) = changes.waiting_room {
            set_waiting_room(conn, id, room).await?;
        }
        let event = load(conn, id).await?;
        // Checked as the edit leaves them, together with what it did not touch.
        organizing::check_on_sale(
            event.starts_at,
            event.sales_start_at,
            event.waiting_room.is_some(),
        )
        .map_err(EventChangeError::Invalid)?;
        Ok(event)
    })
    .await
}

pub async fn publish(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<EventRecord, EventChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, id, organizing::check_publish).await?;
        lock_tiers_of(conn, id).await?;
        set_status(conn, id, EventStatus::Published, now).await?;
        Ok(load(conn, id).await?)
    })
    .await
}

async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: EventStatus,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(events::table.find(id))
        .set((
            events::status.eq(status.as_str()),
            events::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Cancels an event and every booking that holds its tickets, returning them.
///
/// First the event stops selling: its status changes under its tier locks, so once that
/// commits no new booking of it can. Then each of its bookings is cancelled in a
/// transaction of its own, with the same lock order as a buyer's cancellation (booking,
/// then tiers ascending), since a booking may also hold tiers of other events. A booking
/// of several events is cancelled whole: a booking is one purchase.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(EventRecord, Released), EventChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, id, organizing::check_cancel_event).await?;
        lock_tiers_of(conn, id).await?;
        set_status(conn, id, EventStatus::Cancelled, now).await?;
        Ok::<_, EventChangeError>(())
    })
    .await?;

    let mut released = release_bookings_of(conn, id, now).await?;
    if released.changes.is_empty() {
        // Nothing was sold: still report the event's counts, so watchers hear of it.
        let tier_ids: Vec<Uuid> = ticket_tiers::table
            .filter(ticket_tiers::event_id.eq(id))
            .select(ticket_tiers::id)
            .load(conn)
            .await?;
        released.changes = availability::changes_for_tiers(conn, &tier_ids).await?;
    }
    Ok((load(conn, id).await?, released))
}

pub async fn delete_draft(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), EventChangeError> {
    conn.transaction(async |conn| {
        let status = lock_event(conn, id).await?;
        let ever_booked: bool = diesel::select(diesel::dsl::exists(
            booking_items::table.filter(booking_items::event_id.eq(id)),
        ))
        .get_result(conn)
        .await?;
        organizing::check_delete(status, ever_booked).map_err(EventChangeError::Rejected)?;
        diesel::delete(events::table.find(id)).execute(conn).await?;
        Ok(())
    })
    .await
}

/// Cancels, one transaction each, every booking still holding tickets of `event_id`. A
/// booking that also holds another event's tickets returns those to that event, where
/// they may go to its waiting lists.
async fn release_bookings_of(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Released, DbError> {
    let holding: Vec<Uuid> = bookings::table
        .inner_join(booking_items::table)
        .filter(booking_items::event_id.eq(event_id))
        .filter(bookings::status.eq_any(lifecycle::HOLDING.map(BookingStatus::as_str)))
        .select(bookings::id)
        .distinct()
        .load(conn)
        .await?;
    let mut released = Released::default();
    for booking_id in holding {
        let booking_released = conn
            .transaction(async |conn| {
                let status: String = bookings::table
                    .find(booking_id)
                    .select(bookings::status)
                    .for_update()
                    .first(conn)
                    .await?;
                let status = crate::bookings::stored_status(booking_id, &status)?;
                // A buyer may have cancelled it in the meantime.
                match lifecycle::cancel(status) {
                    Ok(fate) => release(conn, booking_id, fate, now).await,
                    Err(_) => Ok(Released::default()),
                }
            })
            .await?;
        released.extend(booking_released);
    }
    Ok(released)
}

/// Finishes cancellations a crash interrupted: bookings still holding tickets of
/// cancelled events are cancelled and their tickets returned. Run by the sweeper.
pub async fn release_bookings_of_cancelled_events(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<Released, DbError> {
    let events_left: Vec<Uuid> = booking_items::table
        .inner_join(bookings::table)
        .inner_join(events::table.on(events::id.eq(booking_items::event_id)))
        .filter(events::status.eq(EventStatus::Cancelled.as_str()))
        .filter(bookings::status.eq_any(lifecycle::HOLDING.map(BookingStatus::as_str)))
        .select(booking_items::event_id)
        .distinct()
        .load(conn)
        .await?;
    let mut released = Released::default();
    for event_id in events_left {
        released.extend(release_bookings_of(conn, event_id, now).await?);
    }
    Ok(released)
}

/// Why a tier was not added, changed or removed.
#[derive(Debug, thiserror::Error)]
pub enum TierChangeError {
    #[error("no such tier in this event")]
    NotFound,
    #[error(transparent)]
    Rejected(LifecycleRejection),
    #[error(transparent)]
    BelowSold(CapacityBelowSold),
    #[error("another tier of this event already has this name")]
    NameTaken,
    #[error(transparent)]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Refused(RemoveTierRejection),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<EventChangeError> for TierChangeError {
    fn from(error: EventChangeError) -> Self {
        match error {
            EventChangeError::NotFound => Self::NotFound,
            EventChangeError::Rejected(rejection) => Self::Rejected(rejection),
            EventChangeError::Invalid(errors) => Self::Invalid(errors),
            EventChangeError::Db(db) => Self::Db(db),
        }
    }
}

impl From<diesel::result::Error> for TierChangeError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Self::NameTaken,
            other => Self::Db(other.into()),
        }
    }
}

/// Renames, re-prices or resizes a tier. Price changes apply to future bookings only:
/// items keep the price they were sold at. Tickets a larger capacity adds go to the
/// tier's waiting list first.
pub async fn update_tier(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
    changes: &TierChanges,
    now: DateTime<Utc>,
) -> Result<(TierRecord, Released), TierChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, event_id, organizing::check_edit).await?;
        let tier: TierRecord = ticket_tiers::table
            .find(tier_id)
            .filter(ticket_tiers::event_id.eq(event_id))
            .select(TierRecord::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(TierChangeError::NotFound)?;
        let (capacity, remaining) = match changes.capacity {
            Some(new_capacity) => (
                new_capacity,
                organizing::resize(tier.capacity, tier.remaining, new_capacity)
                    .map_err(TierChangeError::BelowSold)?,
            ),
            None => (tier.capacity, tier.remaining),
        };
        diesel::update(ticket_tiers::table.find(tier_id))
            .set((
                ticket_tiers::name.eq(changes.name.as_deref().unwrap_or(&tier.name)),
                ticket_tiers::price_cents.eq(changes.price_cents.unwrap_or(tier.price_cents)),
                ticket_tiers::capacity.eq(capacity),
                ticket_tiers::remaining.eq(remaining),
                ticket_tiers::version.eq(ticket_tiers::version + 1),
                ticket_tiers::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let offers = crate::waiting_list::offer_returned(conn, &[tier_id], now).await?;
        let changes = availability::changes_for_tiers(conn, &[tier_id]).await?;
        // Read after the offers, which take from what the update added.
        let updated = ticket_tiers::table
            .find(tier_id)
            .select(TierRecord::as_select())
            .first(conn)
            .await?;
        Ok((updated, Released { changes, offers }))
    })
    .await
}

/// Adds a tier at the end of an event's list. The event's tiers are locked (in id order,
/// as bookings lock them) so two additions cannot both pass the name and count checks.
pub async fn add_tier(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier: &NewTier,
    now: DateTime<Utc>,
) -> Result<(TierRecord, Vec<AvailabilityChange>), TierChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, event_id, organizing::check_edit).await?;
        lock_tiers_of(conn, event_id).await?;
        let existing: Vec<TierRecord> = ticket_tiers::table
            .filter(ticket_tiers::event_id.eq(event_id))
            .select(TierRecord::as_select())
            .load(conn)
            .await?;
        let named: Vec<ExistingTier> = existing
            .iter()
            .map(|tier| ExistingTier {
                name: tier.name.clone(),
                currency: tier.currency.clone(),
            })
            .collect();
        organizing::check_add_tier(&named, tier).map_err(TierChangeError::Invalid)?;
        let position = existing
            .iter()
            .map(|tier| tier.position + 1)
            .max()
            .unwrap_or(0);
        let added: TierRecord = diesel::insert_into(ticket_tiers::table)
            .values((
                NewTierRow::new(event_id, tier, position),
                ticket_tiers::created_at.eq(now),
                ticket_tiers::updated_at.eq(now),
            ))
            .returning(TierRecord::as_returning())
            .get_result(conn)
            .await?;
        let changes = availability::changes_for_tiers(conn, &[added.id]).await?;
        Ok((added, changes))
    })
    .await
}

/// Removes a tier that was never booked and is not the event's last; returns the
/// counts of the event's other tiers (its total changed).
pub async fn remove_tier(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
) -> Result<Vec<AvailabilityChange>, TierChangeError> {
    conn.transaction(async |conn| {
        lock_event_for(conn, event_id, organizing::check_edit).await?;
        let tiers = lock_tiers_of(conn, event_id).await?;
        if !tiers.contains(&tier_id) {
            return Err(TierChangeError::NotFound);
        }
        let ever_booked = diesel::select(diesel::dsl::exists(
            booking_items::table.filter(booking_items::tier_id.eq(tier_id)),
        ))
        .get_result(conn)
        .await?;
        organizing::check_remove_tier(ever_booked, tiers.len())
            .map_err(TierChangeError::Refused)?;
        diesel::delete(ticket_tiers::table.find(tier_id))
            .execute(conn)
            .await?;
        Ok(availability::counts_of_events(conn, &[event_id]).await?)
    })
    .await
}

/// An organizer's view of one of their events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSales {
    pub event: EventRecord,
    /// Tickets out of public sale: paid, or held for a buyer's checkout.
    pub sold: i64,
    /// Of those, tickets held by pending bookings (not paid yet).
    pub held: i64,
    pub revenue_cents: i64,
    /// The tiers people wait for.
    pub waiting_lists: Vec<LineLength>,
}

/// Events of `organizer_id` (every event when `None`, for admins), newest start first,
/// with tickets sold and revenue from confirmed bookings.
pub async fn sales(
    conn: &mut AsyncPgConnection,
    organizer_id: Option<Uuid>,
) -> Result<Vec<EventSales>, DbError> {
    let mut query = events::table.left_join(waiting_rooms::table).into_boxed();
    if let Some(organizer_id) = organizer_id {
        query = query.filter(events::organizer_id.eq(organizer_id));
    }
    let rows: Vec<(EventRow, Option<(i32, i32)>)> = query
        .order(events::starts_at.desc())
        .select((EventRow::as_select(), super::ROOM.nullable()))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(row, _)| row.id).collect();
    // Per event: revenue from confirmed bookings, tickets held by pending ones.
    let totals: Vec<(Uuid, Option<i64>, Option<i64>)> = booking_items::table
        .inner_join(bookings::table)
        .filter(booking_items::event_id.eq_any(&ids))
        .filter(bookings::status.eq_any(lifecycle::HOLDING.map(BookingStatus::as_str)))
        .group_by(booking_items::event_id)
        .select((
            booking_items::event_id,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(&format!(
                "(SUM(booking_items.quantity::bigint * booking_items.unit_price_cents) \
                  FILTER (WHERE bookings.status = '{}'))::bigint",
                BookingStatus::Confirmed.as_str()
            )),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(&format!(
                "(SUM(booking_items.quantity) FILTER (WHERE bookings.status = '{}'))::bigint",
                BookingStatus::Pending.as_str()
            )),
        ))
        .load(conn)
        .await?;
    let lines = crate::waiting_list::lengths(conn, &ids).await?;
    Ok(with_tiers(conn, rows)
        .await?
        .into_iter()
        .map(|event| {
            let waiting_lists = lines
                .iter()
                .filter(|line| event.tiers.iter().any(|tier| tier.id == line.tier_id))
                .copied()
                .collect();
            let (revenue_cents, held) = totals
                .iter()
                .find(|(id, _, _)| *id == event.id)
                .map_or((0, 0), |(_, revenue, held)| {
                    (revenue.unwrap_or(0), held.unwrap_or(0))
                });
            EventSales {
                sold: event.total_tickets() - event.remaining_tickets(),
                held,
                revenue_cents,
                waiting_lists,
                event,
            }
        })
        .collect())
}
