//! Opening an account: the user and its first session commit together, so a failure
//! leaves neither and a retry is not told the email is taken.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::refresh_tokens;
use crate::users::{self, InsertUserError, NewUser, UserRecord};

pub async fn open(
    conn: &mut AsyncPgConnection,
    new_user: NewUser<'_>,
    refresh_token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<UserRecord, InsertUserError> {
    conn.transaction(async |conn| {
        let user = users::insert(conn, new_user).await?;
        refresh_tokens::issue(conn, user.id, refresh_token_hash, now).await?;
        Ok(user)
    })
    .await
}
