//! The failures every repository call shares. Callers above decide what they mean for a
//! client: `Unavailable`, `LockTimeout` and `StatementCancelled` are worth a retry,
//! `Query` is a bug.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time, or the server went away.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row lock was not granted within `lock_timeout`.
    #[error("timed out waiting for a row lock")]
    LockTimeout,
    /// The server cancelled a statement: it ran past `statement_timeout`, or an operator
    /// cancelled it.
    #[error("statement cancelled: {0}")]
    StatementCancelled(String),
    /// A row holds a value the code does not know (a bad migration or a manual edit).
    #[error("unexpected stored value: {0}")]
    Corrupt(String),
    #[error("database query failed: {0}")]
    Query(DieselError),
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match &error {
            // A retry would succeed: report "try again", never a server error. The lock
            // order makes deadlocks impossible by design; this is the safety net.
            // UnableToSendCommand: the connection broke under the statement (the server
            // stopped or was killed, the network went away); the pool replaces it.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::SerializationFailure,
                _,
            ) => Self::Unavailable(error.to_string()),
            // The server ending sessions: shutdown, restart, pg_terminate_backend
            // (SQLSTATE 57P01-57P03), which diesel does not tell apart by kind.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().starts_with("terminating connection")
                    || info.message().starts_with("the database system is") =>
            {
                Self::Unavailable(error.to_string())
            }
            // A write on a node that is no longer the primary (SQLSTATE 25006): the
            // client is told to retry. pg_auto_failover restarts a demoted node, which
            // closes its sessions, so the pool's next connection finds the new primary.
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
                Self::Unavailable(error.to_string())
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("deadlock detected") =>
            {
                tracing::error!(%error, "deadlock: a lock-order rule was broken");
                Self::Unavailable(error.to_string())
            }
            // PostgreSQL reports lock_timeout (SQLSTATE 55P03) and statement_timeout
            // (57014) with these messages; diesel does not expose the SQLSTATE itself.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("lock timeout") =>
            {
                Self::LockTimeout
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("statement timeout")
                    || info.message().contains("canceling statement") =>
            {
                Self::StatementCancelled(error.to_string())
            }
            _ => Self::Query(error),
        }
    }
}

impl From<PoolError> for DbError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(ManagerError::QueryError(query)) => query.into(),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned())).into()
    }

    #[test]
    fn a_write_on_a_demoted_primary_is_a_retry_not_a_failure() {
        let error = database_error(
            DatabaseErrorKind::ReadOnlyTransaction,
            "cannot execute INSERT in a read-only transaction",
        );
        assert!(matches!(error, DbError::Unavailable(_)), "{error:?}");
    }

    #[test]
    fn an_unknown_database_error_stays_a_query_failure() {
        let error = database_error(
            DatabaseErrorKind::Unknown,
            "relation \"nope\" does not exist",
        );
        assert!(matches!(error, DbError::Query(_)), "{error:?}");
    }
}
