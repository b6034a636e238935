//! Embedded migrations. The diesel harness is synchronous, so it runs on a blocking thread
//! through `AsyncConnectionWrapper`; actix's single-threaded workers cannot host it.

use diesel::{Connection, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("could not connect to run migrations: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migration failed: {0}")]
    Run(String),
    #[error("migration task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The session lock replicas take around their migrations (any fixed key of ours).
const MIGRATION_LOCK: i64 = 0x626f_6f6b_6d69_6772;

/// Applies every pending migration; returns the versions it applied. Replicas starting
/// together take turns: one applies, the others then find nothing pending.
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, MigrationError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)?;
        // Held until the connection closes at the end of this closure.
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn)
            .map_err(|error| MigrationError::Run(error.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|error| MigrationError::Run(error.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await?
}

/// The names of all embedded migrations, oldest first: a fingerprint of the schema.
pub fn embedded_versions() -> Result<Vec<String>, MigrationError> {
    use diesel::migration::MigrationSource;
    let migrations = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(|error| MigrationError::Run(error.to_string()))?;
    Ok(migrations.iter().map(|m| m.name().to_string()).collect())
}
