//! After the payment: confirm a pending booking, or discard it and return its tickets.
//! Neither touches a tier row unless tickets go back, so paying holds no lock at all.

use booking_domain::BookingStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::cancel::return_tickets;
use crate::availability::AvailabilityChange;
use crate::error::DbError;
use crate::schema::bookings;

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// Expired by the sweeper (or already settled) before the payment came back.
    #[error("the booking is no longer pending")]
    NoLongerPending,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SettleError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// Paid: the pending booking becomes confirmed. The caller already holds the booking's
/// record from its creation, so nothing is read back here: this is on every booking's path.
pub async fn confirm(conn: &mut AsyncPgConnection, booking_id: Uuid) -> Result<(), SettleError> {
    let updated = diesel::update(
        bookings::table
            .find(booking_id)
            .filter(bookings::status.eq(BookingStatus::Pending.as_str())),
    )
    .set(bookings::status.eq(BookingStatus::Confirmed.as_str()))
    .execute(conn)
    .await?;
    if updated == 0 {
        return Err(SettleError::NoLongerPending);
    }
    Ok(())
}

/// Declined: the pending booking is deleted and its tickets return, as if never booked.
pub async fn discard(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<AvailabilityChange>, SettleError> {
    conn.transaction(async |conn| {
        lock_pending(conn, booking_id).await?;
        let changes = return_tickets(conn, booking_id, now).await?;
        diesel::delete(bookings::table.find(booking_id))
            .execute(conn)
            .await?;
        Ok(changes)
    })
    .await
}

async fn lock_pending(conn: &mut AsyncPgConnection, booking_id: Uuid) -> Result<(), SettleError> {
    bookings::table
        .find(booking_id)
        .filter(bookings::status.eq(BookingStatus::Pending.as_str()))
        .select(bookings::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(SettleError::NoLongerPending)?;
    Ok(())
}

/// Expires pending bookings created before `cutoff` (a crash between booking and
/// payment) and returns their tickets, one booking per transaction. `SKIP LOCKED`: a
/// booking being settled right now is left to its request.
pub async fn expire_stale(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<AvailabilityChange>, DbError> {
    let mut changes = Vec::new();
    loop {
        let expired = conn
            .transaction(async |conn| {
                let Some(booking_id) = bookings::table
                    .filter(bookings::status.eq(BookingStatus::Pending.as_str()))
                    .filter(bookings::created_at.lt(cutoff))
                    .order(bookings::created_at)
                    .select(bookings::id)
                    .for_update()
                    .skip_locked()
                    .first::<Uuid>(conn)
                    .await
                    .optional()?
                else {
                    return Ok::<_, DbError>(None);
                };
                let returned = return_tickets(conn, booking_id, now).await?;
                diesel::update(bookings::table.find(booking_id))
                    .set(bookings::status.eq(BookingStatus::Expired.as_str()))
                    .execute(conn)
                    .await?;
                Ok(Some(returned))
            })
            .await?;
        match expired {
            Some(returned) => changes.extend(returned),
            None => return Ok(changes),
        }
    }
}
