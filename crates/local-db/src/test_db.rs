//! A fresh database per test. The first test of a run migrates a template database; every
//! test then gets a clone of it, which takes milliseconds instead of a migration run.

use std::hash::{DefaultHasher, Hash, Hasher};

use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use booking_persistence::DbError;
use booking_persistence::database_admin::{self, AdminError, database_url};
use booking_persistence::migrate::{self, MigrationError};

/// Names the server tests create their databases on; `with-postgres` sets it.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

#[derive(Debug, thiserror::Error)]
pub enum TestDbError {
    #[error(
        "TEST_DATABASE_URL is not set. Run the tests with `just test`, which starts a \
         throwaway PostgreSQL, or set TEST_DATABASE_URL to a server where this user may \
         create databases."
    )]
    NotConfigured,
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A migrated database of its own, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    pub async fn create() -> Result<Self, TestDbError> {
        let server_url =
            std::env::var(TEST_DATABASE_URL).map_err(|_| TestDbError::NotConfigured)?;
        let mut admin = database_admin::connect(&server_url).await?;
        let template = ensure_template(&mut admin, &server_url).await?;
        let name = format!("test_{}", Uuid::new_v4().simple());
        database_admin::create_database_from_template(&mut admin, &name, &template).await?;
        Ok(Self {
            url: database_url(&server_url, &name),
            server_url,
            name,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn server_url(&self) -> &str {
        &self.server_url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        // Drop runs outside any async context we could rely on; use a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = database_admin::connect(&server_url)
                    .await
                    .map_err(|e| e.to_string())?;
                database_admin::drop_database(&mut admin, &name)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            tracing::warn!(%error, database = %self.name, "could not drop test database");
        }
    }
}

/// Creates the template for the current migrations once per server. Test binaries run
/// in parallel, so creation is serialised with an advisory lock, and the template is
/// built under a temporary name and renamed when complete: a half-built template is
/// never cloned.
async fn ensure_template(
    admin: &mut AsyncPgConnection,
    server_url: &str,
) -> Result<String, TestDbError> {
    let mut hasher = DefaultHasher::new();
    migrate::embedded_versions()?.hash(&mut hasher);
    let template = format!("booking_template_{:016x}", hasher.finish());

    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(admin)
        .await
        .map_err(DbError::from)?;
    let built = build_template_if_missing(admin, server_url, &template).await;
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(admin)
        .await
        .map_err(DbError::from)?;
    built.map(|()| template)
}

const TEMPLATE_LOCK_KEY: i64 = 0x007E_57DB;

async fn build_template_if_missing(
    admin: &mut AsyncPgConnection,
    server_url: &str,
    template: &str,
) -> Result<(), TestDbError> {
    if database_admin::database_exists(admin, template).await? {
        return Ok(());
    }
    let building = format!("{template}_building");
    database_admin::drop_database(admin, &building).await?;
    database_admin::create_database_if_missing(admin, &building).await?;
    migrate::run_pending(&database_url(server_url, &building)).await?;
    database_admin::rename_database(admin, &building, template).await?;
    Ok(())
}
