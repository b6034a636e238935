//! PostgreSQL for development and tests, apart from the repositories: a private server
//! built from the machine's own PostgreSQL binaries, for development (`booking-api serve`
//! without `DATABASE_URL`) and for the test suite (`with-postgres`), and throwaway test
//! databases ([`test_db`]).
//!
//! No crate fits: `postgresql_embedded` downloads binaries and refuses root, `pgtemp`
//! only makes throwaway clusters. This module finds `initdb` and `postgres`, creates a
//! cluster in a folder on first use, runs the server as an unprivileged user when
//! started as root (PostgreSQL refuses root), and stops it when its handle is dropped.

mod binaries;
mod cluster;
mod location;
mod run_as;
pub mod test_db;

pub use binaries::PgBinaries;
pub use cluster::{ClusterOptions, LocalCluster};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found on PATH, via \
         `pg_config --bindir`, or in /usr/lib/postgresql/*/bin, /usr/local/pgsql/bin, \
         /opt/homebrew or /usr/local/opt. Install PostgreSQL (Debian/Ubuntu: \
         `apt-get install postgresql`; macOS: `brew install postgresql@16`), set \
         PG_BINDIR to the folder holding initdb, or set DATABASE_URL to use an existing server."
    )]
    BinariesNotFound,
    #[error(
        "PostgreSQL refuses to run as root and no unprivileged user (`postgres` or `nobody`) \
         exists to run it; create one or set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    #[error(
        "PostgreSQL runs as user `{user}`, which cannot reach {path}: every folder on the way \
         must be searchable by other users. Move the cluster folder somewhere that user can \
         enter, choose another DATA_DIR, or set DATABASE_URL."
    )]
    Unreachable { user: String, path: PathBuf },
    #[error(
        "the PostgreSQL cluster in {root} has no password file, so it cannot be used; \
         restore it, or move the folder away to start a fresh cluster"
    )]
    MissingPassword { root: PathBuf },
    #[error(
        "the PostgreSQL cluster in {root} is already running for another process (is \
         `just run` still running?); stop that first, or set DATABASE_URL to reach it"
    )]
    InUse { root: PathBuf },
    #[error("{action} failed: {source}")]
    Io {
        action: String,
        source: std::io::Error,
    },
    #[error("{tool} failed ({status}):\n{output}")]
    Tool {
        tool: String,
        status: String,
        output: String,
    },
    #[error("PostgreSQL did not become ready within {seconds} s; its log ends with:\n{log}")]
    NotReady { seconds: u64, log: String },
    #[error("PostgreSQL exited while starting ({status}); its log ends with:\n{log}")]
    Exited { status: String, log: String },
}

impl LauncherError {
    fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| Self::Io { action, source }
    }
}
