//! The door: admitting a ticket once, logging every scan, and counting who is in.
//!
//! A check-in reads its ticket's booking `FOR SHARE`: a cancellation (which takes the
//! booking `FOR UPDATE`) either commits first, and the scan finds the ticket void, or
//! waits until the scan is done. Two doors scanning one ticket at the same instant both
//! find it not yet admitted; the check-in's primary key lets one insert win and the
//! other, waiting on it, insert nothing and read the winner's time instead.

use booking_domain::BookingStatus;
use booking_domain::ticket::{self, CheckInRejection, ScanResult, TicketFacts, TicketRef};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{booking_items, bookings, check_in_scans, check_ins, ticket_tiers, users};

/// A ticket let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub ticket_id: Uuid,
    pub holder_name: String,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub checked_in_at: DateTime<Utc>,
}

/// Checks `ticket` in at the door of `event_id` for `scanner`, and logs the scan, in one
/// transaction: the answer is the domain's (`ticket::check_in`), or the admission.
pub async fn check_in(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    ticket: TicketRef,
    scanner: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<Admission, CheckInRejection>, DbError> {
    conn.transaction(async |conn| {
        let booking: Option<(String, Uuid)> = bookings::table
            .find(ticket.booking_id)
            .select((bookings::status, bookings::user_id))
            .for_share()
            .first(conn)
            .await
            .optional()?;
        let item: Option<(Uuid, i32, String)> = booking_items::table
            .inner_join(ticket_tiers::table)
            .filter(booking_items::booking_id.eq(ticket.booking_id))
            .filter(booking_items::tier_id.eq(ticket.tier_id))
            .select((
                booking_items::event_id,
                booking_items::quantity,
                ticket_tiers::name,
            ))
            .first(conn)
            .await
            .optional()?;
        let ticket_id = ticket.id();
        let facts = match (&booking, &item) {
            (Some((status, _)), Some((item_event, quantity, _))) => Some(TicketFacts {
                status: crate::bookings::stored_status(ticket.booking_id, status)?,
                event_id: *item_event,
                quantity: u32::try_from(*quantity).unwrap_or(0),
                checked_in_at: admitted_at(conn, ticket_id).await?,
            }),
            _ => None,
        };
        let mut decision = ticket::check_in(event_id, ticket, facts);
        let mut admission = None;
        if decision.is_ok()
            && let (Some((_, holder)), Some((_, _, tier_name))) = (booking, item)
        {
            let holder_name: String = users::table
                .find(holder)
                .select(users::name)
                .first(conn)
                .await?;
            let inserted = diesel::insert_into(check_ins::table)
                .values((
                    check_ins::ticket_id.eq(ticket_id),
                    check_ins::booking_id.eq(ticket.booking_id),
                    check_ins::tier_id.eq(ticket.tier_id),
                    check_ins::event_id.eq(event_id),
                    check_ins::ticket_index.eq(i32::from(ticket.index)),
                    check_ins::checked_in_at.eq(now),
                    check_ins::checked_in_by.eq(scanner),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if inserted == 1 {
                admission = Some(Admission {
                    ticket_id,
                    holder_name,
                    tier_id: ticket.tier_id,
                    tier_name,
                    checked_in_at: now,
                });
            } else {
                // Another door admitted it between our read and our insert.
                let first = admitted_at(conn, ticket_id).await?.ok_or_else(|| {
                    DbError::Corrupt(format!("check-in of {ticket_id} conflicted but is absent"))
                })?;
                decision = Err(CheckInRejection::AlreadyCheckedIn(first));
            }
        }
        log_scan(
            conn,
            event_id,
            Some(ticket_id),
            scanner,
            now,
            ScanResult::from(&decision),
        )
        .await?;
        Ok(match (decision, admission) {
            (Ok(()), Some(admission)) => Ok(admission),
            (Ok(()), None) => Err(CheckInRejection::NotFound),
            (Err(rejection), _) => Err(rejection),
        })
    })
    .await
}

async fn admitted_at(
    conn: &mut AsyncPgConnection,
    ticket_id: Uuid,
) -> Result<Option<DateTime<Utc>>, diesel::result::Error> {
    check_ins::table
        .find(ticket_id)
        .select(check_ins::checked_in_at)
        .first(conn)
        .await
        .optional()
}

/// Records one scan at the door of `event_id`; `ticket_id` is absent for a code that did
/// not verify.
pub async fn log_scan(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    ticket_id: Option<Uuid>,
    scanner: Uuid,
    now: DateTime<Utc>,
    result: ScanResult,
) -> Result<(), DbError> {
    diesel::insert_into(check_in_scans::table)
        .values((
            check_in_scans::event_id.eq(event_id),
            check_in_scans::ticket_id.eq(ticket_id),
            check_in_scans::scanned_by.eq(scanner),
            check_in_scans::scanned_at.eq(now),
            check_in_scans::result.eq(result.as_str()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// One tier at the door: its valid tickets (in confirmed bookings) and how many of them
/// are in.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TierAtDoor {
    #[diesel(sql_type = SqlUuid)]
    pub tier_id: Uuid,
    #[diesel(sql_type = Text)]
    pub tier_name: String,
    #[diesel(sql_type = BigInt)]
    pub checked_in: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// Checked in / total per tier of `event_id`, in the tiers' order. A cancelled booking's
/// tickets, admitted or not, count in neither.
pub async fn summary(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
) -> Result<Vec<TierAtDoor>, DbError> {
    let confirmed = BookingStatus::Confirmed.as_str();
    Ok(diesel::sql_query(
        "SELECT t.id AS tier_id, t.name AS tier_name, \
                (SELECT count(*) FROM check_ins c JOIN bookings b ON b.id = c.booking_id \
                  WHERE c.event_id = $1 AND c.tier_id = t.id AND b.status = $2) AS checked_in, \
                COALESCE((SELECT sum(bi.quantity) FROM booking_items bi \
                            JOIN bookings b ON b.id = bi.booking_id \
                           WHERE bi.tier_id = t.id AND b.status = $2), 0)::bigint AS total \
           FROM ticket_tiers t WHERE t.event_id = $1 ORDER BY t.position, t.id",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(confirmed)
    .load(conn)
    .await?)
}

/// When each admitted ticket of `booking_ids` was checked in.
pub async fn admitted_of(
    conn: &mut AsyncPgConnection,
    booking_ids: &[Uuid],
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    Ok(check_ins::table
        .filter(check_ins::booking_id.eq_any(booking_ids))
        .select((check_ins::ticket_id, check_ins::checked_in_at))
        .load(conn)
        .await?)
}
