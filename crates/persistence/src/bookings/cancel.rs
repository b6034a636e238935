//! Cancelling a booking returns its tickets in the same transaction.
//!
//! Lock order: the booking row, then its tiers in ascending id order. Tier locks are
//! always taken last, by every transaction, so none can wait on a booking row while
//! holding a tier another one needs. Two simultaneous cancels of one booking queue on
//! its row; the second then sees `cancelled` and returns the tickets no second time.

use booking_domain::lifecycle::{Fate, check_cancel, status_at};
use booking_domain::waiting_list;
use booking_domain::{Actor, BookingOrigin, CancelRejection};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::BookingRecord;
use crate::availability::{self, AvailabilityChange};
use crate::error::DbError;
use crate::schema::{self, booking_items, bookings, events, ticket_tiers};
use crate::waiting_list::Offer;

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
    pub released: Released,
}

/// What tickets coming back did, once committed: the tiers' new counts, and the offers
/// made to the people waiting for them.
#[derive(Debug, Default)]
pub struct Released {
    pub changes: Vec<AvailabilityChange>,
    pub offers: Vec<Offer>,
}

impl Released {
    pub fn extend(&mut self, more: Released) {
        self.changes.extend(more.changes);
        self.offers.extend(more.offers);
    }
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
        let released = release(conn, booking_id, fate, now).await?;
        let booking = super::find(conn, booking_id)
            .await?
            .ok_or(CancelBookingError::NotFound)?;
        Ok(CancelledBooking { booking, released })
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
) -> Result<Released, DbError> {
    let Fate::Becomes(status) = fate else {
        return Err(DbError::Corrupt(format!(
            "a cancellation of booking {booking_id} would delete it"
        )));
    };
    let released = if fate.returns_tickets() {
        return_tickets(conn, booking_id, now).await?
    } else {
        Released::default()
    };
    diesel::update(bookings::table.find(booking_id))
        .set((
            bookings::status.eq(status.as_str()),
            bookings::cancelled_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(released)
}

/// Puts a booking's tickets back on its tiers, where the people waiting for them get them
/// first (`waiting_list::offer_returned`). The caller holds the booking's row lock and
/// has not changed its status yet; this takes its tier locks in ascending id order.
pub(crate) async fn return_tickets(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Released, DbError> {
    let (user_id, status, origin): (Uuid, String, String) = bookings::table
        .find(booking_id)
        .select((bookings::user_id, bookings::status, bookings::origin))
        .first(conn)
        .await?;
    let origin: BookingOrigin = origin
        .parse()
        .map_err(|error| DbError::Corrupt(format!("booking {booking_id}: {error}")))?;
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
    super::stock::adjust(&*conn, &items, now).await?;
    if waiting_list::forfeits_place(origin, super::stored_status(booking_id, &status)?) {
        diesel::delete(
            schema::waiting_list::table
                .filter(schema::waiting_list::user_id.eq(user_id))
                .filter(schema::waiting_list::tier_id.eq_any(&tier_ids)),
        )
        .execute(conn)
        .await?;
    }
    let offers = crate::waiting_list::offer_returned(conn, &tier_ids, now).await?;
    let changes = availability::changes_for_tiers(conn, &tier_ids).await?;
    Ok(Released { changes, offers })
}
