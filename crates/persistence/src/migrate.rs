//! Embedded migrations. The diesel harness is synchronous, so it runs on a blocking thread
//! through `AsyncConnectionWrapper`; actix's single-threaded workers cannot host it.

use diesel::Connection;
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

/// Applies every pending migration; returns the versions it applied.
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, MigrationError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)?;
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
