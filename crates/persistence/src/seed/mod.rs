//! Demo data for a fresh database: the accounts and events of SPEC section 6. Seeding a
//! database that already has users does nothing, so it is safe on every start;
//! [`reset`] brings the demo events back to their seeded state.

mod reset;

pub use reset::{DemoEvent, ResetOutcome, ResetScope, demo_events, reset};

use booking_domain::organizing::{self, NewEvent, NewTier};
use booking_domain::{EventStatus, Role};
use chrono::{DateTime, Days, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::events::insert_event;
use crate::schema::users;

/// The password of every seeded account, shown in the README.
pub const SEED_PASSWORD: &str = "Password123";

const ACCOUNTS: [(&str, &str, Role); 5] = [
    ("alice@example.com", "Alice Archer", Role::Customer),
    ("bob@example.com", "Bob Baker", Role::Customer),
    ("charlie@example.com", "Charlie Chen", Role::Customer),
    ("organizer@example.com", "Olivia Organizer", Role::Organizer),
    ("admin@example.com", "Adam Admin", Role::Admin),
];

struct SeedTier {
    name: &'static str,
    price_cents: i64,
    capacity: i32,
}

struct SeedEvent {
    title: &'static str,
    description: &'static str,
    venue: &'static str,
    days_ahead: u64,
    hour: u32,
    max_tickets_per_user: i32,
    tiers: &'static [SeedTier],
}

const EVENTS: [SeedEvent; 5] = [
    SeedEvent {
        title: "Limited Concert",
        description: "An intimate acoustic set with room for exactly two listeners.",
        venue: "The Blue Room, Berlin",
        days_ahead: 14,
        hour: 20,
        max_tickets_per_user: 1,
        tiers: &[SeedTier {
            name: "General Admission",
            price_cents: 4_500,
            capacity: 2,
        }],
    },
    SeedEvent {
        title: "Summer Open Air Festival",
        description: "Three stages, one night. Pick your spot: VIP lounge, front row or the lawn.",
        venue: "Riverside Park, Amsterdam",
        days_ahead: 45,
        hour: 16,
        max_tickets_per_user: 4,
        tiers: &[
            SeedTier {
                name: "VIP",
                price_cents: 10_000,
                capacity: 50,
            },
            SeedTier {
                name: "Front Row",
                price_cents: 5_000,
                capacity: 150,
            },
            SeedTier {
                name: "General Admission",
                price_cents: 1_000,
                capacity: 800,
            },
        ],
    },
    SeedEvent {
        title: "Jazz Night at the Harbour",
        description: "A quartet, a double bass and the sea.",
        venue: "Harbour Hall, Lisbon",
        days_ahead: 21,
        hour: 21,
        max_tickets_per_user: 4,
        tiers: &[SeedTier {
            name: "General Admission",
            price_cents: 2_500,
            capacity: 120,
        }],
    },
    SeedEvent {
        title: "Async Rust Meetup",
        description: "Talks on executors, cancellation and back-pressure, then pizza.",
        venue: "Tech Hub, Zurich",
        days_ahead: 10,
        hour: 18,
        max_tickets_per_user: 2,
        tiers: &[SeedTier {
            name: "General Admission",
            price_cents: 500,
            capacity: 80,
        }],
    },
    SeedEvent {
        title: "Stand-up Comedy Gala",
        description: "Five comedians, one microphone, no mercy.",
        venue: "Grand Theatre, Dublin",
        days_ahead: 30,
        hour: 20,
        max_tickets_per_user: 6,
        tiers: &[SeedTier {
            name: "General Admission",
            price_cents: 3_000,
            capacity: 300,
        }],
    },
];

const CURRENCY: &str = "USD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded { users: usize, events: usize },
    AlreadySeeded,
}

/// Seeds an empty database. `password_hash` is the bcrypt hash of [`SEED_PASSWORD`]
/// (hashing belongs to the api layer). Event dates are relative to `now`, so seeded
/// events are always in the future.
pub async fn seed(
    conn: &mut AsyncPgConnection,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<SeedOutcome, DbError> {
    conn.transaction(async |conn| seed_locked(conn, password_hash, now).await)
        .await
}

async fn seed_locked(
    conn: &mut AsyncPgConnection,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<SeedOutcome, DbError> {
    lock_seed(conn).await?;
    let has_users: bool = diesel::select(diesel::dsl::exists(users::table.select(users::id)))
        .get_result(conn)
        .await?;
    if has_users {
        return Ok(SeedOutcome::AlreadySeeded);
    }
    insert_accounts(conn, password_hash).await?;
    insert_events(conn, now).await?;
    Ok(SeedOutcome::Seeded {
        users: ACCOUNTS.len(),
        events: EVENTS.len(),
    })
}

/// Two instances starting together must not both seed: seeding and resetting serialise
/// on a fixed key for the rest of the transaction.
async fn lock_seed(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(0x5EED_i64)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates the demo accounts that do not exist; returns how many it created.
async fn insert_accounts(
    conn: &mut AsyncPgConnection,
    password_hash: &str,
) -> Result<usize, DbError> {
    let rows: Vec<_> = ACCOUNTS
        .iter()
        .map(|(email, name, role)| {
            (
                users::email.eq(*email),
                users::name.eq(*name),
                users::password_hash.eq(password_hash),
                users::role.eq(role.as_str()),
            )
        })
        .collect();
    Ok(diesel::insert_into(users::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?)
}

async fn demo_organizer(conn: &mut AsyncPgConnection) -> Result<Option<Uuid>, DbError> {
    let email = ACCOUNTS
        .iter()
        .find(|(_, _, role)| *role == Role::Organizer)
        .map(|(email, _, _)| *email)
        .ok_or_else(|| DbError::Corrupt("seed data has no organizer".into()))?;
    Ok(users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .await
        .optional()?)
}

/// Creates the demo events, dated relative to `now`, for the demo organizer.
async fn insert_events(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> Result<(), DbError> {
    let organizer_id = demo_organizer(conn)
        .await?
        .ok_or_else(|| DbError::Corrupt("the demo organizer account is missing".into()))?;
    for event in &EVENTS {
        let starts_at = now
            .date_naive()
            .checked_add_days(Days::new(event.days_ahead))
            .and_then(|day| NaiveTime::from_hms_opt(event.hour, 0, 0).map(|t| day.and_time(t)))
            .map(|naive| naive.and_utc())
            .ok_or_else(|| DbError::Corrupt(format!("bad seed date for {}", event.title)))?;
        let new_event = NewEvent {
            title: event.title.to_owned(),
            description: event.description.to_owned(),
            venue: event.venue.to_owned(),
            starts_at,
            max_tickets_per_user: event.max_tickets_per_user,
            hold_minutes: organizing::DEFAULT_HOLD_MINUTES,
            offer_minutes: organizing::DEFAULT_OFFER_MINUTES,
            sales_start_at: None,
            waiting_room: None,
            tiers: event
                .tiers
                .iter()
                .map(|tier| NewTier {
                    name: tier.name.to_owned(),
                    price_cents: tier.price_cents,
                    currency: CURRENCY.to_owned(),
                    capacity: tier.capacity,
                })
                .collect(),
        };
        insert_event(conn, organizer_id, &new_event, EventStatus::Published, now).await?;
    }
    Ok(())
}
