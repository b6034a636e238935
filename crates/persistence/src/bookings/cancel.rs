//! Cancelling a booking returns its tickets in the same transaction.
//!
//! Lock order: the booking row, then its tiers in ascending id order. Tier locks are
//! always taken last, by every transaction, so none can wait on a booking row while
//! holding a tier another one needs. Two simultaneous cancels of one booking queue on
//! its row; the second then sees `cancelled` and returns the tickets no second time.

use booking_domain::lifecycle::{Fate, check_cancel, status_at};
use booking_domain::{Actor, CancelRejection};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::BookingRecord;
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{booking_items, bookings, events, ticket_tiers};

#[derive(Debug, thiserror::Error)]
pub enum CancelBookingError {
    #[error("no such booking")]
    NotFound,
    #[error(transparent)]
    Rejected(CancelRejection),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CancelBookingError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

#[derive(Debug)]
pub struct CancelledBooking {
    pub booking: BookingRecord,
    pub changes: Vec<AvailabilityChange>,
}

pub async fn cancel(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<CancelledBooking, CancelBookingError> {
    conn.transaction(async |conn| {
        let (owner, status, expires_at): (Uuid, String, Option<DateTime<Utc>>) = bookings::table
            .find(booking_id)
            .select((bookings::user_id, bookings::status, bookings::expires_at))
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(CancelBookingError::NotFound)?;
        // A hold past its expiry is expired, as every read says; the sweeper returns its
        // tickets.
        let status = status_at(super::stored_status(booking_id, &status)?, expires_at, now);
        let organizers: Vec<Uuid> = booking_items::table
            .inner_join(events::table.on(events::id.eq(booking_items::event_id)))
            .filter(booking_items::booking_id.eq(booking_id))
            .select(events::organizer_id)
            .distinct()
            .load(conn)
            .await?;
        let fate = check_cancel(actor, owner, &organizers, status)
            .map_err(CancelBookingError::Rejected)?;
        let changes = release(conn, booking_id, fate, now).await?;
        let booking = super::find(conn, booking_id)
            .await?
            .ok_or(CancelBookingError::NotFound)?;
        Ok(CancelledBooking { booking, changes })
    })
    .await
}

/// Carries out a cancellation the domain decided (`lifecycle::cancel`) for a locked
/// booking: its new status, stamped with the time, and its tickets back.
pub(crate) async fn release(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    fate: Fate,
    now: DateTime<Utc>,
) -> Result<Vec<AvailabilityChange>, DbError> {
    let Fate::Becomes(status) = fate else {
        return Err(DbError::Corrupt(format!(
            "a cancellation of booking {booking_id} would delete it"
        )));
    };
    let changes = if fate.returns_tickets() {
        return_tickets(conn, booking_id, now).await?
    } else {
        Vec::new()
    };
    diesel::update(bookings::table.find(booking_id))
        .set((
            bookings::status.eq(status.as_str()),
            bookings::cancelled_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(changes)
}

/// Puts a booking's tickets back on its tiers. The caller holds the booking's row lock;
/// this takes its tier locks in ascending id order.
pub(crate) async fn return_tickets(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<AvailabilityChange>, DbError> {
    let items: Vec<(Uuid, i32)> = booking_items::table
        .filter(booking_items::booking_id.eq(booking_id))
        .order(booking_items::tier_id)
        .select((booking_items::tier_id, booking_items::quantity))
        .load(conn)
        .await?;
    let tier_ids: Vec<Uuid> = items.iter().map(|(tier_id, _)| *tier_id).collect();
    ticket_tiers::table
        .filter(ticket_tiers::id.eq_any(&tier_ids))
        .order(ticket_tiers::id)
        .select(ticket_tiers::id)
        .for_update()
        .load::<Uuid>(conn)
        .await?;
    super::stock::adjust(conn, &items, now).await?;
    availability::changes_for_tiers(conn, &tier_ids).await
}
