//! After the payment (or its absence): a pending booking is confirmed, discarded with its
//! tickets returned, or expired with its tickets returned, as `domain::lifecycle::settle`
//! decides. Only settling that returns tickets touches a tier row, so paying holds no
//! lock at all.

use booking_domain::BookingStatus;
use booking_domain::lifecycle::{self, Fate, NotPending, Settlement};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::cancel::{Released, return_tickets};
use crate::error::DbError;
use crate::schema::bookings;

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// Expired by the sweeper, cancelled, or already settled before the payment came back.
    #[error(transparent)]
    NoLongerPending(NotPending),
    #[error("no such booking")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SettleError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// What settling did.
#[derive(Debug)]
pub struct Settled {
    /// The booking's status now, as the domain decided; `None` when it was discarded.
    pub status: Option<BookingStatus>,
    /// The tickets that came back, and the offers they made.
    pub released: Released,
}

/// Settles one booking at `now` in a transaction of its own, under its row lock, so a
/// payment's answer, a second payment and the sweeper cannot both settle it: paid, it is
/// confirmed; declined, deleted with its tickets back; past its expiry, whatever came,
/// expired with its tickets back.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    settlement: Settlement,
    now: DateTime<Utc>,
) -> Result<Settled, SettleError> {
    conn.transaction(async |conn| {
        let (status, expires_at): (String, Option<DateTime<Utc>>) = bookings::table
            .find(booking_id)
            .select((bookings::status, bookings::expires_at))
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(SettleError::NotFound)?;
        let stored = super::stored_status(booking_id, &status)?;
        let fate = lifecycle::settle(stored, expires_at, now, settlement)
            .map_err(SettleError::NoLongerPending)?;
        let released = apply(conn, booking_id, fate, now).await?;
        let status = match fate {
            Fate::Becomes(status) => Some(status),
            Fate::Discarded => None,
        };
        Ok(Settled { status, released })
    })
    .await
}

/// Carries out what the domain decided for a locked booking.
async fn apply(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    fate: Fate,
    now: DateTime<Utc>,
) -> Result<Released, SettleError> {
    let released = if fate.returns_tickets() {
        return_tickets(conn, booking_id, now).await?
    } else {
        Released::default()
    };
    match fate {
        Fate::Becomes(status) => {
            diesel::update(bookings::table.find(booking_id))
                .set(bookings::status.eq(status.as_str()))
                .execute(conn)
                .await?;
        }
        Fate::Discarded => {
            diesel::delete(bookings::table.find(booking_id))
                .execute(conn)
                .await?;
        }
    }
    Ok(released)
}

/// Expires pending bookings whose `expires_at` has come (holds never paid, payments that
/// never answered) and returns their tickets, one booking per transaction. `SKIP
/// LOCKED`: a booking being settled right now is left to its request, which expires it
/// itself if it is late.
pub async fn expire_stale(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<Released, DbError> {
    let mut released = Released::default();
    loop {
        let expired = conn
            .transaction(async |conn| {
                let Some((booking_id, status, expires_at)) = bookings::table
                    .filter(
                        bookings::status
                            .eq_any(lifecycle::AWAITING_PAYMENT.map(BookingStatus::as_str)),
                    )
                    .filter(bookings::expires_at.le(now))
                    .order(bookings::expires_at)
                    .select((bookings::id, bookings::status, bookings::expires_at))
                    .for_update()
                    .skip_locked()
                    .first::<(Uuid, String, Option<DateTime<Utc>>)>(conn)
                    .await
                    .optional()?
                else {
                    return Ok::<_, SettleError>(None);
                };
                let fate = lifecycle::settle(
                    super::stored_status(booking_id, &status)?,
                    expires_at,
                    now,
                    Settlement::Abandoned,
                )
                .map_err(SettleError::NoLongerPending)?;
                Ok(Some(apply(conn, booking_id, fate, now).await?))
            })
            .await
            .map_err(|error| match error {
                SettleError::Db(db) => db,
                other => DbError::Corrupt(other.to_string()),
            })?;
        match expired {
            Some(returned) => released.extend(returned),
            None => return Ok(released),
        }
    }
}
