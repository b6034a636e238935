//! What each subcommand does once the database is chosen.

use booking_persistence::DbPool;
use booking_persistence::seed::{self, SEED_PASSWORD, SeedOutcome};
use chrono::Utc;

use crate::auth::password;
use crate::config::Config;
use crate::database::Database;
use crate::startup::Application;

pub async fn serve(config: &Config, database: &Database, with_seed: bool) -> anyhow::Result<()> {
    database.prepare().await?;
    let pool = database.pool(config)?;
    if with_seed {
        load_seed(config, &pool).await?;
    }
    let application = Application::build(config, pool)?;
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
