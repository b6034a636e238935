//! The connection pool, configured explicitly: how many connections, how long a request
//! may wait for one, and the session limits every connection starts with.

use std::time::Duration;

use deadpool::Runtime;
pub use diesel_async::pooled_connection::deadpool::PoolError;
use diesel_async::pooled_connection::deadpool::{BuildError, Hook, HookError, Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError as ManagerError, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::error::DbError;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub database_url: String,
    pub max_size: usize,
    /// How long a request waits for a free connection before it is told to retry (503).
    pub wait_timeout: Duration,
    /// Upper bound for any one statement, so a runaway query cannot hold a connection.
    pub statement_timeout: Duration,
    /// Upper bound for waiting on a row lock: a hot event's queue never hangs a client.
    pub lock_timeout: Duration,
    /// Shown in `pg_stat_activity`, to tell this service's sessions from others.
    pub application_name: String,
}

impl PoolSettings {
    /// The statements each new connection runs before it is handed out.
    fn session_setup(&self) -> String {
        // application_name is interpolated into SQL, so keep it to a safe alphabet.
        let application_name: String = self
            .application_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        format!(
            "SET application_name = '{application_name}'; \
             SET statement_timeout = {}; \
             SET lock_timeout = {}",
            self.statement_timeout.as_millis(),
            self.lock_timeout.as_millis(),
        )
    }
}

pub fn build_pool(settings: &PoolSettings) -> Result<DbPool, BuildError> {
    // Fast recycling: a connection goes back into use without a `SELECT 1` first. That
    // test query was one more round trip on every checkout (two per booking); a
    // connection whose server went away is still dropped, as it reports itself closed.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        &settings.database_url,
        config,
    );
    let setup = settings.session_setup();
    Pool::builder(manager)
        .max_size(settings.max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.wait_timeout))
        .post_create(Hook::async_fn(move |conn: &mut AsyncPgConnection, _| {
            let setup = setup.clone();
            Box::pin(async move {
                conn.batch_execute(&setup)
                    .await
                    .map_err(|error| HookError::Backend(ManagerError::QueryError(error)))
            })
        }))
        .build()
}

/// Takes a connection and runs a trivial query: the database is reachable and answering.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_setup_sets_every_limit_and_strips_unsafe_names() {
        let settings = PoolSettings {
            database_url: String::new(),
            max_size: 1,
            wait_timeout: Duration::from_secs(1),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_millis(2500),
            application_name: "booking-api'; DROP TABLE users; --".into(),
        };
        assert_eq!(
            settings.session_setup(),
            "SET application_name = 'booking-apiDROPTABLEusers--'; \
             SET statement_timeout = 30000; SET lock_timeout = 2500"
        );
    }
}
