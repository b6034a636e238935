//! Which PostgreSQL the server uses: `DATABASE_URL` when set, otherwise a private cluster
//! under `DATA_DIR/postgres` (or, where its server user cannot go, under
//! `RELOCATED_CLUSTERS`), created on first use and stopped with the server.

use booking_local_db::{ClusterOptions, LauncherError, LocalCluster, PgBinaries};
use booking_persistence::database_admin::{self, database_url, redact_password};
use booking_persistence::migrate;
use booking_persistence::pool::{self, DbPool, PoolSettings};

use crate::config::Config;

/// The application database inside the embedded cluster.
const EMBEDDED_DATABASE: &str = "booking";
/// Headroom for a pool per instance plus benchmarks and psql sessions.
const EMBEDDED_MAX_CONNECTIONS: u32 = 300;
/// Where the clusters of data folders PostgreSQL's server user cannot enter (a checkout
/// under root's `0700` home) live instead, one folder each, found again on every start.
const RELOCATED_CLUSTERS: &str = "/var/lib/booking-api";

pub struct Database {
    url: String,
    /// Held to keep the embedded server running; dropping it stops the server.
    embedded: Option<LocalCluster>,
}

impl Database {
    /// Uses `DATABASE_URL`, or starts the embedded cluster. Blocking; call it from the
    /// main thread, whose life the embedded server is tied to.
    pub fn open(config: &Config) -> Result<Self, LauncherError> {
        if let Some(url) = &config.database_url {
            return Ok(Self {
                url: url.clone(),
                embedded: None,
            });
        }
        let binaries = PgBinaries::locate()?;
        let cluster = LocalCluster::start(
            &binaries,
            &ClusterOptions {
                root: config.data_dir.join("postgres"),
                durable: true,
                max_connections: EMBEDDED_MAX_CONNECTIONS,
                relocate_to: Some(RELOCATED_CLUSTERS.into()),
            },
        )?;
        tracing::info!(
            url = %redact_password(&cluster.url(EMBEDDED_DATABASE)),
            "using the embedded PostgreSQL (set DATABASE_URL to use another server)"
        );
        Ok(Self {
            url: cluster.url(EMBEDDED_DATABASE),
            embedded: Some(cluster),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Makes the database ready for the application: created (embedded only) and migrated.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        if self.embedded.is_some() {
            let mut admin = database_admin::connect(&database_url(&self.url, "postgres")).await?;
            if database_admin::create_database_if_missing(&mut admin, EMBEDDED_DATABASE).await? {
                tracing::info!("created database `{EMBEDDED_DATABASE}`");
            }
        }
        let applied = migrate::run_pending(&self.url).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
        Ok(())
    }

    pub fn pool(&self, config: &Config) -> anyhow::Result<DbPool> {
        pool_for(&self.url, config)
    }
}

/// A pool of connections to `url`, sized and bounded as `config` says.
pub fn pool_for(url: &str, config: &Config) -> anyhow::Result<DbPool> {
    Ok(pool::build_pool(&PoolSettings {
        database_url: url.to_owned(),
        max_size: config.db_pool_size,
        wait_timeout: config.db_pool_timeout,
        statement_timeout: config.statement_timeout,
        lock_timeout: config.lock_timeout,
        application_name: "booking-api".into(),
    })?)
}
