//! What each subcommand does once the database is chosen.

use std::time::Duration;

use booking_persistence::seed::{self, ResetScope, SEED_PASSWORD, SeedOutcome};
use booking_persistence::{AsyncPgConnection, DbPool, refresh_tokens};
use chrono::Utc;

use crate::auth::password;
use crate::booking::BookingService;
use crate::config::Config;
use crate::database::Database;
use crate::startup::Application;

pub async fn serve(config: &Config, database: &Database, with_seed: bool) -> anyhow::Result<()> {
    database.prepare().await?;
    let pool = database.pool(config)?;
    if with_seed {
        load_seed(config, &pool).await?;
    }
    let application = Application::build(config, pool.clone())?;
    actix_web::rt::spawn(sweep(application.bookings().clone(), pool));
    actix_web::rt::spawn(application.stopper().stop_on_signal());
    tracing::info!("serving on http://{}", config.bind_addr);
    application.run_until_stopped().await?;
    tracing::info!("server stopped");
    Ok(())
}

pub async fn migrate(database: &Database) -> anyhow::Result<()> {
    database.prepare().await
}

pub async fn seed(config: &Config, database: &Database) -> anyhow::Result<()> {
    database.prepare().await?;
    load_seed(config, &database.pool(config)?).await
}

/// Brings the demo data back (see `booking_persistence::seed::reset`).
pub async fn reset_seed(
    config: &Config,
    database: &Database,
    scope: ResetScope,
) -> anyhow::Result<()> {
    database.prepare().await?;
    let hash = seed_password_hash(config).await?;
    let mut conn = database.pool(config)?.get().await?;
    let outcome = seed::reset(&mut conn, &hash, Utc::now(), scope).await?;
    tracing::info!(
        ?scope,
        events = outcome.events,
        bookings_removed = outcome.bookings_removed,
        accounts_created = outcome.accounts_created,
        "demo data reset: the demo events are on sale again (password {SEED_PASSWORD})"
    );
    Ok(())
}

async fn load_seed(config: &Config, pool: &DbPool) -> anyhow::Result<()> {
    let hash = seed_password_hash(config).await?;
    let mut conn = pool.get().await?;
    match seed::seed(&mut conn, &hash, Utc::now()).await? {
        SeedOutcome::Seeded { users, events } => {
            tracing::info!(users, events, "seeded demo data (password {SEED_PASSWORD})");
        }
        SeedOutcome::AlreadySeeded => {
            tracing::info!("database already has data; seed skipped");
            warn_of_stale_demo_events(&mut conn).await?;
        }
    }
    Ok(())
}

async fn seed_password_hash(config: &Config) -> anyhow::Result<String> {
    let cost = config.bcrypt_cost;
    Ok(tokio::task::spawn_blocking(move || password::hash_now(SEED_PASSWORD, cost)).await??)
}

/// Data kept from earlier runs ages: the demo events pass their dates, a race sells the
/// Limited Concert out. Say so, and how to get them back.
async fn warn_of_stale_demo_events(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let now = Utc::now();
    let demo = seed::demo_events(conn).await?;
    let over: Vec<&str> = demo
        .iter()
        .filter(|event| event.status.is_over(event.starts_at, now))
        .map(|event| event.title.as_str())
        .collect();
    if !over.is_empty() {
        tracing::warn!(
            events = ?over,
            "demo events are past or cancelled and no longer on sale; \
             `just reset-data` (booking-api seed --reset) brings them back with future dates"
        );
    }
    let sold_out: Vec<&str> = demo
        .iter()
        .filter(|event| event.remaining == 0 && !over.contains(&event.title.as_str()))
        .map(|event| event.title.as_str())
        .collect();
    if !sold_out.is_empty() {
        tracing::warn!(
            events = ?sold_out,
            "demo events are sold out, so `booking-load race` has nothing to race for; \
             `just reset-data` restocks them, `booking-load race --fresh` races for an event of its own"
        );
    }
    Ok(())
}

/// How often the sweeper repairs what a crash left and prunes refresh tokens (holds
/// expire on their own, faster loop: see `startup`).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Every `SWEEP_EVERY`: the bookings a crash can leave half done (see
/// `BookingService::release_cancelled_events`), and refresh tokens past their expiry.
async fn sweep(bookings: BookingService, pool: DbPool) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    loop {
        ticks.tick().await;
        match bookings.release_cancelled_events().await {
            Ok(0) => {}
            Ok(tiers) => tracing::info!(tiers, "released bookings of cancelled events"),
            Err(error) => tracing::warn!(%error, "could not release bookings of cancelled events"),
        }
        let pruned = match pool.get().await {
            Ok(mut conn) => refresh_tokens::prune_expired(&mut conn, Utc::now()).await,
            Err(error) => Err(error.into()),
        };
        match pruned {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "deleted expired refresh tokens"),
            Err(error) => tracing::warn!(%error, "could not prune refresh tokens"),
        }
    }
}
