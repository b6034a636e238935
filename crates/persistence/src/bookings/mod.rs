//! Bookings: the pipeline that makes them (`pipeline`), settling, cancelling, and reads.

pub(crate) mod cancel;
mod holdings;
mod locks;
mod pipeline;
pub(crate) mod rows;
mod settle;
pub(crate) mod stock;

pub use cancel::{CancelBookingError, CancelledBooking, Released, cancel};
pub use pipeline::{
    BatchOutcome, CreateBookingError, CreatedBooking, Idempotency, Order, create_batch,
};
pub use settle::{SettleError, Settled, expire_stale, settle};

use booking_domain::lifecycle;
use booking_domain::{BookingOrigin, BookingStatus};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{booking_items, bookings, check_ins, events, ticket_tiers, users};

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct BookingItemRecord {
    pub event_id: Uuid,
    pub event_title: String,
    pub event_venue: String,
    pub event_starts_at: DateTime<Utc>,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRecord {
    pub id: Uuid,
    pub reference: String,
    pub user_id: Uuid,
    pub status: BookingStatus,
    /// Booked by the buyer, or offered to them from a waiting list.
    pub origin: BookingOrigin,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Until when a pending booking holds its tickets.
    pub expires_at: Option<DateTime<Utc>>,
    pub items: Vec<BookingItemRecord>,
    /// The buyer's name: every ticket of the booking is in it.
    pub holder_name: String,
    /// The booking's tickets let in at the door, by ticket id, with the time.
    pub admitted: Vec<(Uuid, DateTime<Utc>)>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = bookings, check_for_backend(diesel::pg::Pg))]
struct BookingRow {
    id: Uuid,
    reference: String,
    user_id: Uuid,
    status: String,
    total_cents: i64,
    currency: String,
    created_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    origin: String,
}

/// A booking's status as stored; a name the code does not know is a corrupt row.
pub(crate) fn stored_status(booking_id: Uuid, status: &str) -> Result<BookingStatus, DbError> {
    status
        .parse()
        .map_err(|error| DbError::Corrupt(format!("booking {booking_id}: {error}")))
}

/// Loads bookings with their items, in the order of `rows`, each with its status as of
/// now (`lifecycle::status_at`): a hold past its expiry reads as expired even before the
/// sweeper writes so.
async fn with_items(
    conn: &mut AsyncPgConnection,
    rows: Vec<BookingRow>,
) -> Result<Vec<BookingRecord>, DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let items: Vec<(Uuid, BookingItemRecord)> = booking_items::table
        .inner_join(ticket_tiers::table)
        .inner_join(events::table.on(events::id.eq(booking_items::event_id)))
        .filter(booking_items::booking_id.eq_any(&ids))
        .order((events::title, ticket_tiers::position))
        .select((
            booking_items::booking_id,
            (
                booking_items::event_id,
                events::title,
                events::venue,
                events::starts_at,
                booking_items::tier_id,
                ticket_tiers::name,
                booking_items::quantity,
                booking_items::unit_price_cents,
            ),
        ))
        .load(conn)
        .await?;
    let buyers: Vec<Uuid> = rows.iter().map(|row| row.user_id).collect();
    let names: Vec<(Uuid, String)> = users::table
        .filter(users::id.eq_any(&buyers))
        .select((users::id, users::name))
        .load(conn)
        .await?;
    let confirmed: Vec<Uuid> = rows
        .iter()
        .filter(|row| row.status == BookingStatus::Confirmed.as_str())
        .map(|row| row.id)
        .collect();
    let admitted = if confirmed.is_empty() {
        Vec::new()
    } else {
        check_ins::table
            .filter(check_ins::booking_id.eq_any(&confirmed))
            .select((
                check_ins::booking_id,
                check_ins::ticket_id,
                check_ins::checked_in_at,
            ))
            .load::<(Uuid, Uuid, DateTime<Utc>)>(conn)
            .await?
    };
    let now = Utc::now();
    rows.into_iter()
        .map(|row| {
            let status =
                lifecycle::status_at(stored_status(row.id, &row.status)?, row.expires_at, now);
            Ok(BookingRecord {
                items: items
                    .iter()
                    .filter(|item| item.0 == row.id)
                    .map(|item| item.1.clone())
                    .collect(),
                id: row.id,
                reference: row.reference,
                user_id: row.user_id,
                status,
                origin: row
                    .origin
                    .parse()
                    .map_err(|error| DbError::Corrupt(format!("booking {}: {error}", row.id)))?,
                total_cents: row.total_cents,
                currency: row.currency,
                created_at: row.created_at,
                cancelled_at: row.cancelled_at,
                expires_at: row.expires_at,
                holder_name: names
                    .iter()
                    .find(|(id, _)| *id == row.user_id)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default(),
                admitted: admitted
                    .iter()
                    .filter(|(booking, _, _)| *booking == row.id)
                    .map(|&(_, ticket, at)| (ticket, at))
                    .collect(),
            })
        })
        .collect()
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<BookingRecord>, DbError> {
    find_one(conn, bookings::table.find(id).into_boxed()).await
}

/// The bookings `ids` that exist, with their items (none at all for no ids).
pub(crate) async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<BookingRecord>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = bookings::table
        .filter(bookings::id.eq_any(ids))
        .select(BookingRow::as_select())
        .load(conn)
        .await?;
    with_items(conn, rows).await
}

pub async fn find_by_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
) -> Result<Option<BookingRecord>, DbError> {
    find_one(
        conn,
        bookings::table
            .filter(bookings::reference.eq(reference))
            .into_boxed(),
    )
    .await
}

async fn find_one(
    conn: &mut AsyncPgConnection,
    query: bookings::BoxedQuery<'_, diesel::pg::Pg>,
) -> Result<Option<BookingRecord>, DbError> {
    let row = query
        .select(BookingRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(match row {
        Some(row) => with_items(conn, vec![row]).await?.pop(),
        None => None,
    })
}

/// Whose bookings a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingScope {
    /// The bookings one user made.
    Buyer(Uuid),
    /// Every booking holding tickets of one event, for its organizer.
    Event(Uuid),
}

impl BookingScope {
    fn query(self) -> bookings::BoxedQuery<'static, diesel::pg::Pg> {
        match self {
            Self::Buyer(user_id) => bookings::table
                .filter(bookings::user_id.eq(user_id))
                .into_boxed(),
            Self::Event(event_id) => bookings::table
                .filter(
                    bookings::id.eq_any(
                        booking_items::table
                            .filter(booking_items::event_id.eq(event_id))
                            .select(booking_items::booking_id),
                    ),
                )
                .into_boxed(),
        }
    }
}

/// Narrows `query` to the bookings in `status` as of `now`, as reads show them: a hold
/// past its expiry counts as expired, not pending.
fn with_status(
    query: bookings::BoxedQuery<'static, diesel::pg::Pg>,
    status: BookingStatus,
    now: DateTime<Utc>,
) -> bookings::BoxedQuery<'static, diesel::pg::Pg> {
    let stored = bookings::status.eq(status.as_str());
    let pending = bookings::status.eq(BookingStatus::Pending.as_str());
    match status {
        BookingStatus::Pending => query.filter(stored).filter(bookings::expires_at.gt(now)),
        BookingStatus::Expired => {
            query.filter(stored.or(pending.and(bookings::expires_at.le(now))))
        }
        _ => query.filter(stored),
    }
}

/// A page of the bookings in `scope`, newest first, and how many there are in all.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: BookingScope,
    status: Option<BookingStatus>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<BookingRecord>, i64), DbError> {
    let mut page = scope.query();
    let mut count = scope.query();
    if let Some(status) = status {
        let now = Utc::now();
        page = with_status(page, status, now);
        count = with_status(count, status, now);
    }
    let total: i64 = count.count().get_result(conn).await?;
    let rows = page
        .order((bookings::created_at.desc(), bookings::id))
        .offset(offset)
        .limit(limit)
        .select(BookingRow::as_select())
        .load(conn)
        .await?;
    Ok((with_items(conn, rows).await?, total))
}
