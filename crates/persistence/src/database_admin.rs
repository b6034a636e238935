//! Creating and dropping whole databases: what the embedded server and the test harness
//! need before there is an application database to connect to.

use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::error::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("could not connect to {url}: {source}")]
    Connect {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("`{0}` is not a safe database name (letters, digits and _ only)")]
    UnsafeName(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The same server URL pointing at another database.
pub fn database_url(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    // Everything after the authority's last '/' is the database name.
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base.get(authority_end..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..authority_end + slash).unwrap_or(base),
        None => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

pub async fn connect(url: &str) -> Result<AsyncPgConnection, AdminError> {
    AsyncPgConnection::establish(url)
        .await
        .map_err(|source| AdminError::Connect {
            url: redact_password(url),
            source,
        })
}

/// Hides the password of a connection URL for logs and error messages.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = url.get(scheme_end..).unwrap_or_default();
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => url.replacen(authority, &format!("{user}:***@{host}"), 1),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn checked_name(name: &str) -> Result<&str, AdminError> {
    let safe = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if safe {
        Ok(name)
    } else {
        Err(AdminError::UnsafeName(name.to_owned()))
    }
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

pub async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    let row: Exists =
        sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(conn)
            .await?;
    Ok(row.exists)
}

pub async fn create_database_if_missing(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> Result<bool, AdminError> {
    let name = checked_name(name)?;
    if database_exists(conn, name).await? {
        return Ok(false);
    }
    conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(DbError::from)?;
    Ok(true)
}

/// Creates `name` as a copy of `template` (which must have no open connections).
pub async fn create_database_from_template(
    conn: &mut AsyncPgConnection,
    name: &str,
    template: &str,
) -> Result<(), AdminError> {
    let (name, template) = (checked_name(name)?, checked_name(template)?);
    conn.batch_execute(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ))
    .await
    .map_err(DbError::from)?;
    Ok(())
}

pub async fn rename_database(
    conn: &mut AsyncPgConnection,
    from: &str,
    to: &str,
) -> Result<(), AdminError> {
    let (from, to) = (checked_name(from)?, checked_name(to)?);
    // A client that just disconnected may still have a backend winding down, and a
    // database in use cannot be renamed: end those sessions and wait (up to 5 s) for them.
    sql_query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind::<Text, _>(from)
    .execute(conn)
    .await
    .map_err(DbError::from)?;
    conn.batch_execute(&format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\""))
        .await
        .map_err(DbError::from)?;
    Ok(())
}

/// Drops `name`, disconnecting anyone still using it.
pub async fn drop_database(conn: &mut AsyncPgConnection, name: &str) -> Result<(), AdminError> {
    let name = checked_name(name)?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .map_err(DbError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_database() {
        assert_eq!(
            database_url("postgres://u:p@127.0.0.1:5432/postgres", "booking"),
            "postgres://u:p@127.0.0.1:5432/booking"
        );
        assert_eq!(
            database_url("postgres://u@host/db?sslmode=disable", "other"),
            "postgres://u@host/other?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://host:5432", "x"),
            "postgres://host:5432/x"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://booking:s3cret@127.0.0.1:5432/booking"),
            "postgres://booking:***@127.0.0.1:5432/booking"
        );
        assert_eq!(redact_password("postgres://host/db"), "postgres://host/db");
    }

    #[test]
    fn unsafe_names_are_refused() {
        assert!(checked_name("test_1a").is_ok());
        assert!(checked_name("x\"; DROP").is_err());
        assert!(checked_name("").is_err());
    }
}
