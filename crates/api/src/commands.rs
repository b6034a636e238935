//! What each subcommand does once the database is chosen.

use std::time::Duration;

use booking_persistence::DbPool;
use booking_persistence::availability::AvailabilityChange;
use booking_persistence::seed::{self, SEED_PASSWORD, SeedOutcome};
use booking_persistence::{AsyncPgConnection, DbError, bookings, events, refresh_tokens};
use chrono::Utc;

use crate::auth::password;
use crate::config::Config;
use crate::database::Database;
use crate::live::Live;
use crate::startup::Application;

pub async fn serve(config: &Config, database: &Database, with_seed: bool) -> anyhow::Result<()> {
    database.prepare().await?;
    let pool = database.pool(config)?;
    if with_seed {
        load_seed(config, &pool).await?;
    }
    let application = Application::build(config, pool.clone())?;
    actix_web::rt::spawn(expire_abandoned_bookings(pool, application.live().clone()));
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

async fn load_seed(config: &Config, pool: &DbPool) -> anyhow::Result<()> {
    let cost = config.bcrypt_cost;
    let hash =
        tokio::task::spawn_blocking(move || password::hash_now(SEED_PASSWORD, cost)).await??;
    let mut conn = pool.get().await?;
    match seed::seed(&mut conn, &hash, Utc::now()).await? {
        SeedOutcome::Seeded { users, events } => {
            tracing::info!(users, events, "seeded demo data (password {SEED_PASSWORD})");
        }
        SeedOutcome::AlreadySeeded => tracing::info!("database already has data; seed skipped"),
    }
    Ok(())
}

/// How often the sweeper looks for bookings whose payment never completed (they are
/// abandoned after `domain::lifecycle::HOLD_TTL`).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Work a crash can leave half done (pending bookings never paid, bookings of events
/// whose cancellation stopped before releasing them), and rows of no further use
/// (refresh tokens past their expiry).
async fn sweep(
    conn: &mut AsyncPgConnection,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<AvailabilityChange>, DbError> {
    let mut changes = bookings::expire_stale(conn, now).await?;
    changes.extend(events::release_bookings_of_cancelled_events(conn, now).await?);
    let pruned = refresh_tokens::prune_expired(conn, now).await?;
    if pruned > 0 {
        tracing::info!(pruned, "deleted expired refresh tokens");
    }
    Ok(changes)
}

async fn expire_abandoned_bookings(pool: DbPool, live: Live) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    loop {
        ticks.tick().await;
        let now = Utc::now();
        let swept = match pool.get().await {
            Ok(mut conn) => sweep(&mut conn, now).await,
            Err(error) => Err(error.into()),
        };
        match swept {
            Ok(changes) if !changes.is_empty() => {
                tracing::info!(tiers = changes.len(), "swept abandoned bookings");
                live.committed(changes);
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not expire pending bookings"),
        }
    }
}
