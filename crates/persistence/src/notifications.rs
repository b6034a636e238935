//! PostgreSQL LISTEN/NOTIFY on a connection of its own: a listener must stay on one
//! session for as long as it wants to hear, so it cannot borrow from the pool.

use std::pin::pin;

use deadpool::managed::Object;
use diesel::sql_query;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;
use futures::future::try_join_all;

use crate::DbPool;
use crate::error::DbError;

pub struct Listener {
    conn: AsyncPgConnection,
    channel: &'static str,
}

impl Listener {
    /// Takes a connection out of the pool for good (the pool opens another in its
    /// place), names it `application_name` and LISTENs on `channel`, a plain identifier.
    pub async fn open(
        pool: &DbPool,
        channel: &'static str,
        application_name: &'static str,
    ) -> Result<Self, DbError> {
        let mut conn = Object::take(pool.get().await?);
        conn.batch_execute(&format!(
            "SET application_name = '{application_name}'; LISTEN \"{channel}\""
        ))
        .await?;
        Ok(Self { conn, channel })
    }

    /// The next payload heard; an error once the connection is gone. Cancel-safe.
    pub async fn next(&mut self) -> Result<String, DbError> {
        let mut heard = pin!(self.conn.notifications_stream());
        match heard.next().await {
            Some(Ok(notification)) => Ok(notification.payload),
            Some(Err(error)) => Err(error.into()),
            None => Err(DbError::Unavailable(
                "the listening connection closed".into(),
            )),
        }
    }

    /// NOTIFYs every payload, in one pipelined round trip. Each is its own transaction,
    /// outside any booking's, so no booking waits for the notification queue's lock.
    pub async fn notify(&self, payloads: &[String]) -> Result<(), DbError> {
        let mut conn = &self.conn;
        try_join_all(payloads.iter().map(|payload| {
            sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(self.channel)
                .bind::<Text, _>(payload)
                .execute(&mut conn)
        }))
        .await?;
        Ok(())
    }

    /// For reads that belong with the listening, e.g. catching up after a reconnect.
    pub fn connection(&self) -> &AsyncPgConnection {
        &self.conn
    }
}
