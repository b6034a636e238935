//! Events and their tiers: reads for the public catalogue, and organizers' changes.

mod manage;

pub(crate) use manage::insert_event;

pub use manage::{
    EventChangeError, EventSales, TierChangeError, add_tier, cancel, create, delete_draft, publish,
    release_bookings_of_cancelled_events, remove_tier, sales, update, update_tier,
};

use booking_domain::EventStatus;
use booking_domain::organizing::WaitingRoomSettings;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{events, ticket_tiers, waiting_rooms};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = ticket_tiers, check_for_backend(Pg))]
pub struct TierRecord {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub capacity: i32,
    pub remaining: i32,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: Uuid,
    pub organizer_id: Uuid,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub status: EventStatus,
    pub max_tickets_per_user: i32,
    pub hold_minutes: i32,
    pub offer_minutes: i32,
    /// No booking before it, when set.
    pub sales_start_at: Option<DateTime<Utc>>,
    pub waiting_room: Option<WaitingRoomSettings>,
    pub tiers: Vec<TierRecord>,
}

impl EventRecord {
    pub fn total_tickets(&self) -> i64 {
        self.tiers.iter().map(|tier| i64::from(tier.capacity)).sum()
    }

    pub fn remaining_tickets(&self) -> i64 {
        self.tiers
            .iter()
            .map(|tier| i64::from(tier.remaining))
            .sum()
    }

    pub fn lowest_price_cents(&self) -> Option<i64> {
        self.tiers.iter().map(|tier| tier.price_cents).min()
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(Pg))]
pub(crate) struct EventRow {
    id: Uuid,
    organizer_id: Uuid,
    title: String,
    description: String,
    venue: String,
    starts_at: DateTime<Utc>,
    status: String,
    max_tickets_per_user: i32,
    hold_minutes: i32,
    offer_minutes: i32,
    sales_start_at: Option<DateTime<Utc>>,
}

/// An event's waiting room as event reads select it, beside the event's own row (a left
/// join: one round trip, nothing when the event has no room).
pub(crate) const ROOM: (
    waiting_rooms::admit_per_minute,
    waiting_rooms::opens_minutes,
) = (
    waiting_rooms::admit_per_minute,
    waiting_rooms::opens_minutes,
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSort {
    Date,
    Price,
    Title,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventListQuery {
    /// Case-insensitive substring of the title or the venue.
    pub search: Option<String>,
    pub sort: EventSort,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Published events that have not started yet: one page, and how many match in all.
pub async fn list_upcoming(
    conn: &mut AsyncPgConnection,
    query: &EventListQuery,
    now: DateTime<Utc>,
) -> Result<(Vec<EventRecord>, i64), DbError> {
    let pattern = query.search.as_deref().map(like_pattern);
    let filtered = || {
        let mut filtered = events::table
            .left_join(waiting_rooms::table)
            .filter(events::status.eq(EventStatus::Published.as_str()))
            .filter(events::starts_at.gt(now))
            .into_boxed::<Pg>();
        if let Some(pattern) = &pattern {
            filtered = filtered.filter(
                events::title
                    .ilike(pattern.clone())
                    .or(events::venue.ilike(pattern.clone())),
            );
        }
        filtered
    };
    let total: i64 = filtered().count().get_result(conn).await?;
    let mut page = filtered();
    page = match (query.sort, query.descending) {
        (EventSort::Date, false) => page.order(events::starts_at.asc()),
        (EventSort::Date, true) => page.order(events::starts_at.desc()),
        (EventSort::Title, false) => page.order(lower_title().asc()),
        (EventSort::Title, true) => page.order(lower_title().desc()),
        (EventSort::Price, false) => page.order(events::lowest_price_cents.asc().nulls_last()),
        (EventSort::Price, true) => page.order(events::lowest_price_cents.desc().nulls_last()),
    };
    // A unique tie-breaker keeps pages stable when sort keys are equal.
    let rows = page
        .then_order_by(events::id)
        .offset(query.offset)
        .limit(query.limit)
        .select((EventRow::as_select(), ROOM.nullable()))
        .load(conn)
        .await?;
    Ok((with_tiers(conn, rows).await?, total))
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<EventRecord>, DbError> {
    let row = events::table
        .left_join(waiting_rooms::table)
        .filter(events::id.eq(id))
        .select((EventRow::as_select(), ROOM.nullable()))
        .first(conn)
        .await
        .optional()?;
    Ok(match row {
        Some(row) => with_tiers(conn, vec![row]).await?.pop(),
        None => None,
    })
}

fn lower_title() -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    sql("lower(events.title)")
}

/// `%text%` with LIKE's own wildcards escaped, so a search for "100%" means it literally.
fn like_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) async fn with_tiers(
    conn: &mut AsyncPgConnection,
    rows: Vec<(EventRow, Option<(i32, i32)>)>,
) -> Result<Vec<EventRecord>, DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|(row, _)| row.id).collect();
    let tiers: Vec<TierRecord> = ticket_tiers::table
        .filter(ticket_tiers::event_id.eq_any(&ids))
        .order((ticket_tiers::position, ticket_tiers::id))
        .select(TierRecord::as_select())
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(row, room)| {
            let status = row
                .status
                .parse()
                .map_err(|error| DbError::Corrupt(format!("event {}: {error}", row.id)))?;
            Ok(EventRecord {
                tiers: tiers
                    .iter()
                    .filter(|t| t.event_id == row.id)
                    .cloned()
                    .collect(),
                id: row.id,
                organizer_id: row.organizer_id,
                title: row.title,
                description: row.description,
                venue: row.venue,
                starts_at: row.starts_at,
                status,
                max_tickets_per_user: row.max_tickets_per_user,
                hold_minutes: row.hold_minutes,
                offer_minutes: row.offer_minutes,
                sales_start_at: row.sales_start_at,
                waiting_room: room.map(|(admit_per_minute, opens_minutes)| WaitingRoomSettings {
                    admit_per_minute,
                    opens_minutes,
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(like_pattern("jazz"), "%jazz%");
        assert_eq!(like_pattern("100%_off\\"), "%100\\%\\_off\\\\%");
    }
}
