//! Waiting rooms (`domain::waiting_room` decides): taking a place, where a buyer stands,
//! and the admitter's tick: the one pre-start draw, then admissions at the room's pace.
//!
//! The room's row orders everything: a place taken before the start reads it `FOR
//! SHARE` (many at once), the draw and every later place take it `FOR UPDATE`, so no
//! place taken before the start can miss the draw. Ticks take it `FOR UPDATE SKIP
//! LOCKED`: of several api instances, one admits for an event at a time, and the others
//! pass; the pace is kept from the row's `last_admitted_at`, whoever ticks.

use booking_domain::EventStatus;
use booking_domain::waiting_room::{self, PASS_TTL, Pace};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::future::try_join3;
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{events, queue_entries, ticket_holdings, ticket_tiers, waiting_rooms};

/// A buyer's place and the room around it, as read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub position: Option<i64>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub admitted_through: i64,
    /// Nothing left on sale.
    pub sold_out: bool,
}

/// What a tick did for one event: places 1 to `admitted_through` are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub event_id: Uuid,
    pub admitted_through: i64,
    pub sold_out: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("no such event")]
    EventNotFound,
    #[error("this event has no waiting room")]
    NoRoom,
    #[error("the waiting room opens at {0}")]
    NotOpen(DateTime<Utc>),
    #[error("you have no place in this waiting room")]
    NoPlace,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for QueueError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

#[derive(Debug, Queryable)]
struct RoomRow {
    opens_minutes: i32,
    admit_per_minute: i32,
    drawn_at: Option<DateTime<Utc>>,
    admitted_through: i64,
    last_admitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct RoomFacts {
    status: String,
    starts_at: DateTime<Utc>,
    sales_start_at: Option<DateTime<Utc>>,
    room: RoomRow,
}

#[derive(Debug, Clone, Copy)]
enum Lock {
    Share,
    Update,
    UpdateOrSkip,
}

/// The room of `event_id` (its row locked as `lock` says) and its event (not locked).
async fn room(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    lock: Lock,
) -> Result<Option<RoomFacts>, diesel::result::Error> {
    let query = waiting_rooms::table.find(event_id).select((
        waiting_rooms::opens_minutes,
        waiting_rooms::admit_per_minute,
        waiting_rooms::drawn_at,
        waiting_rooms::admitted_through,
        waiting_rooms::last_admitted_at,
    ));
    let row: Option<RoomRow> = match lock {
        Lock::Share => query.for_share().first(conn).await,
        Lock::Update => query.for_update().first(conn).await,
        Lock::UpdateOrSkip => query.for_update().skip_locked().first(conn).await,
    }
    .optional()?;
    let Some(room) = row else {
        return Ok(None);
    };
    let (status, starts_at, sales_start_at) = events::table
        .find(event_id)
        .select((events::status, events::starts_at, events::sales_start_at))
        .first(conn)
        .await?;
    Ok(Some(RoomFacts {
        status,
        starts_at,
        sales_start_at,
        room,
    }))
}

fn event_status(event_id: Uuid, status: &str) -> Result<EventStatus, DbError> {
    status
        .parse()
        .map_err(|error| DbError::Corrupt(format!("event {event_id}: {error}")))
}

/// `user_id` takes a place in `event_id`'s room (once: taking it again answers the place
/// they have). Before the sale start the place waits for the draw; after it, it goes to
/// the end of the line. Returns the place and whether it is new.
pub async fn join(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(Place, bool), QueueError> {
    let now = now.trunc_subsecs(6);
    conn.transaction(async |conn| {
        // Before the start, a place waits for the draw and shares the room's lock with
        // the others; after it, it takes the next number under the room's own lock.
        let sales_start_at: Option<DateTime<Utc>> = events::table
            .find(event_id)
            .select(events::sales_start_at)
            .first(conn)
            .await
            .optional()?
            .ok_or(QueueError::EventNotFound)?;
        let lock = if sales_start_at.is_none_or(|start| now < start) {
            Lock::Share
        } else {
            Lock::Update
        };
        let facts = room(conn, event_id, lock)
            .await?
            .ok_or(QueueError::NoRoom)?;
        let sales_start_at = facts.sales_start_at.ok_or(QueueError::NoRoom)?;
        let status = event_status(event_id, &facts.status)?;
        if status != EventStatus::Published
            || !waiting_room::is_open(
                sales_start_at,
                facts.room.opens_minutes,
                facts.starts_at,
                now,
            )
        {
            let opens =
                sales_start_at - chrono::TimeDelta::minutes(i64::from(facts.room.opens_minutes));
            return Err(QueueError::NotOpen(opens));
        }
        let taken = queue_entries::table
            .find((event_id, user_id))
            .select(queue_entries::user_id)
            .first::<Uuid>(conn)
            .await
            .optional()?
            .is_some();
        if !taken {
            let position = if now < sales_start_at {
                None
            } else {
                draw_once(conn, event_id, &facts, now).await?;
                Some(
                    diesel::update(waiting_rooms::table.find(event_id))
                        .set(waiting_rooms::last_position.eq(waiting_rooms::last_position + 1))
                        .returning(waiting_rooms::last_position)
                        .get_result::<i64>(conn)
                        .await?,
                )
            };
            diesel::insert_into(queue_entries::table)
                .values((
                    queue_entries::event_id.eq(event_id),
                    queue_entries::user_id.eq(user_id),
                    queue_entries::arrived_at.eq(now),
                    queue_entries::position.eq(position),
                ))
                .execute(conn)
                .await?;
        }
        let place = place_of(conn, user_id, event_id).await?;
        Ok((place, !taken))
    })
    .await
}

/// Where `user_id` stands in `event_id`'s room.
pub async fn place(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
) -> Result<Place, QueueError> {
    place_of(conn, user_id, event_id).await
}

/// One pipelined round trip: the place, the room's progress and what is left on sale. A
/// read every buyer makes at the draw holds its connection as briefly as it can.
async fn place_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    event_id: Uuid,
) -> Result<Place, QueueError> {
    let pipe: &AsyncPgConnection = conn;
    let (mut entry_pipe, mut room_pipe, mut tiers_pipe) = (pipe, pipe, pipe);
    let (entry, admitted_through, remaining) = try_join3(
        async {
            queue_entries::table
                .find((event_id, user_id))
                .select((queue_entries::position, queue_entries::admitted_at))
                .first::<(Option<i64>, Option<DateTime<Utc>>)>(&mut entry_pipe)
                .await
                .optional()
        },
        async {
            waiting_rooms::table
                .find(event_id)
                .select(waiting_rooms::admitted_through)
                .first::<i64>(&mut room_pipe)
                .await
                .optional()
        },
        remaining_on(&mut tiers_pipe, event_id),
    )
    .await?;
    let (position, admitted_at) = entry.ok_or(QueueError::NoPlace)?;
    Ok(Place {
        position,
        admitted_at,
        admitted_through: admitted_through.ok_or(QueueError::NoRoom)?,
        sold_out: remaining.unwrap_or(0) == 0,
    })
}

/// Tickets on sale across `event_id`'s tiers (`None`: it has none).
async fn remaining_on(
    conn: &mut &AsyncPgConnection,
    event_id: Uuid,
) -> Result<Option<i64>, diesel::result::Error> {
    ticket_tiers::table
        .filter(ticket_tiers::event_id.eq(event_id))
        .select(diesel::dsl::sum(ticket_tiers::remaining))
        .first(conn)
        .await
}

async fn remaining(conn: &mut AsyncPgConnection, event_id: Uuid) -> Result<i64, DbError> {
    let mut pipe: &AsyncPgConnection = conn;
    Ok(remaining_on(&mut pipe, event_id).await?.unwrap_or(0))
}

/// At the sale start, once: the places taken before it, in arrival order, get one
/// random order (`waiting_room::draw`, fed by the operating system's CSPRNG through
/// version-4 UUIDs). The caller holds the room's row `FOR UPDATE`.
async fn draw_once(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    facts: &RoomFacts,
    now: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    if facts.room.drawn_at.is_some() {
        return Ok(());
    }
    let arrivals: Vec<Uuid> = queue_entries::table
        .filter(queue_entries::event_id.eq(event_id))
        .filter(queue_entries::position.is_null())
        .order((queue_entries::arrived_at, queue_entries::user_id))
        .select(queue_entries::user_id)
        .load(conn)
        .await?;
    let order = waiting_room::draw(arrivals.len(), random_u64);
    let positions: Vec<i64> = order
        .iter()
        .map(|&place| i64::try_from(place).unwrap_or(i64::MAX) + 1)
        .collect();
    diesel::sql_query(
        "UPDATE queue_entries q SET position = d.position \
           FROM unnest($2::uuid[], $3::int8[]) AS d(user_id, position) \
          WHERE q.event_id = $1 AND q.user_id = d.user_id",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Array<SqlUuid>, _>(&arrivals)
    .bind::<Array<BigInt>, _>(&positions)
    .execute(conn)
    .await?;
    diesel::update(waiting_rooms::table.find(event_id))
        .set((
            waiting_rooms::drawn_at.eq(now),
            waiting_rooms::last_position.eq(i64::try_from(arrivals.len()).unwrap_or(i64::MAX)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// 64 random bits from the operating system: the first eight bytes of a version-4 UUID
/// are all random.
fn random_u64() -> u64 {
    let bytes = Uuid::new_v4().into_bytes();
    let mut first = [0; 8];
    first.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(first)
}

/// The rooms whose sale has started and whose event has not: the ones a tick serves.
pub async fn started(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    Ok(waiting_rooms::table
        .inner_join(events::table)
        .filter(events::status.eq(EventStatus::Published.as_str()))
        .filter(events::sales_start_at.le(now))
        .filter(events::starts_at.gt(now))
        .select(waiting_rooms::event_id)
        .load(conn)
        .await?)
}

/// One tick of `event_id`'s room at `now`: the draw if it is due, then as many
/// admissions as `waiting_room::admissions` allows. `None` when another instance is
/// ticking it right now.
pub async fn tick(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Admitted>, DbError> {
    let now = now.trunc_subsecs(6);
    conn.transaction(async |conn| {
        let Some(facts) = room(conn, event_id, Lock::UpdateOrSkip).await? else {
            return Ok(None);
        };
        let Some(sales_start_at) = facts.sales_start_at else {
            return Ok(None);
        };
        if now >= sales_start_at {
            draw_once(conn, event_id, &facts, now).await?;
        }
        // Read after the draw, which may have just given the first places.
        let last_position: i64 = waiting_rooms::table
            .find(event_id)
            .select(waiting_rooms::last_position)
            .first(conn)
            .await?;
        let on_sale = remaining(conn, event_id).await?;
        // Admitted buyers whose pass still runs and who hold nothing of the event yet
        // may each still take a ticket.
        let pending_passes: i64 = queue_entries::table
            .left_join(
                ticket_holdings::table.on(ticket_holdings::user_id
                    .eq(queue_entries::user_id)
                    .and(ticket_holdings::event_id.eq(queue_entries::event_id))),
            )
            .filter(queue_entries::event_id.eq(event_id))
            .filter(queue_entries::admitted_at.gt(now - PASS_TTL))
            .filter(
                ticket_holdings::quantity
                    .is_null()
                    .or(ticket_holdings::quantity.eq(0)),
            )
            .count()
            .get_result(conn)
            .await?;
        let pace = Pace {
            admit_per_minute: facts.room.admit_per_minute,
            last_admitted_at: facts.room.last_admitted_at,
            sales_start_at,
            waiting: last_position - facts.room.admitted_through,
            free_slots: on_sale - pending_passes,
        };
        let admit = waiting_room::admissions(pace, now);
        let admitted_through = facts.room.admitted_through + admit;
        if admit > 0 {
            diesel::update(
                queue_entries::table
                    .filter(queue_entries::event_id.eq(event_id))
                    .filter(queue_entries::position.gt(facts.room.admitted_through))
                    .filter(queue_entries::position.le(admitted_through)),
            )
            .set(queue_entries::admitted_at.eq(now))
            .execute(conn)
            .await?;
            diesel::update(waiting_rooms::table.find(event_id))
                .set((
                    waiting_rooms::admitted_through.eq(admitted_through),
                    waiting_rooms::last_admitted_at.eq(now),
                ))
                .execute(conn)
                .await?;
        }
        Ok(Some(Admitted {
            event_id,
            admitted_through,
            sold_out: on_sale == 0,
        }))
    })
    .await
}
