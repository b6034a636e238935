//! Refresh tokens: issue, rotate (one use each), and revoke by family.

use booking_domain::refresh::REFRESH_TOKEN_TTL;
use booking_domain::{RefreshRejection, RefreshTokenState};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::refresh_tokens;

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshToken<'a> {
    user_id: Uuid,
    family_id: Uuid,
    token_hash: &'a [u8],
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// Starts a new family (a fresh login) with its first token.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    insert(conn, user_id, Uuid::new_v4(), token_hash, now).await
}

async fn insert(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    family_id: Uuid,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            user_id,
            family_id,
            token_hash,
            created_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
        })
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("no such refresh token")]
    Unknown,
    #[error(transparent)]
    Rejected(RefreshRejection),
    #[error(transparent)]
    Db(#[from] DbError),
}

// Transactions surface diesel's own error for a failed BEGIN or COMMIT.
impl From<diesel::result::Error> for RotateError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
struct StoredToken {
    id: Uuid,
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

enum Rotation {
    Rotated { user_id: Uuid },
    Refused(RefreshRejection),
}

/// Exchanges the token whose hash is `presented` for `replacement` in the same family.
/// Returns the owner's id. A replayed token revokes its family, and that revocation is
/// committed even though the caller gets an error.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    presented: &[u8],
    replacement: &[u8],
    now: DateTime<Utc>,
) -> Result<Uuid, RotateError> {
    let rotation = conn
        .transaction(async |conn| rotate_locked(conn, presented, replacement, now).await)
        .await?;
    match rotation {
        Rotation::Rotated { user_id } => Ok(user_id),
        Rotation::Refused(rejection) => Err(RotateError::Rejected(rejection)),
    }
}

async fn rotate_locked(
    conn: &mut AsyncPgConnection,
    presented: &[u8],
    replacement: &[u8],
    now: DateTime<Utc>,
) -> Result<Rotation, RotateError> {
    // The row lock makes two simultaneous refreshes with one token take turns: the
    // second sees `used_at` set and is treated as the replay it is.
    let token = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(presented))
        .select(StoredToken::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(RotateError::Unknown)?;
    lock_family(conn, token.family_id).await?;
    let state = RefreshTokenState {
        expires_at: token.expires_at,
        used_at: token.used_at,
        revoked_at: token.revoked_at,
    };
    if let Err(rejection) = state.check_rotation(now) {
        if rejection.revokes_family() {
            revoke_family(conn, token.family_id, now).await?;
        }
        return Ok(Rotation::Refused(rejection));
    }
    diesel::update(refresh_tokens::table.find(token.id))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
        .await?;
    insert(conn, token.user_id, token.family_id, replacement, now).await?;
    Ok(Rotation::Rotated {
        user_id: token.user_id,
    })
}

/// Serialises everything that touches one family. Row locks alone are not enough: a
/// rotation of the newest token and a replay of an old one lock different rows, and the
/// replay's revocation must see (and revoke) the token the rotation inserts.
async fn lock_family(conn: &mut AsyncPgConnection, family_id: Uuid) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind::<diesel::sql_types::Uuid, _>(family_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn revoke_family(
    conn: &mut AsyncPgConnection,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await?)
}

/// Ends the session the token belongs to (logout): every token of its family stops working.
pub async fn revoke_session(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    conn.transaction(async |conn| {
        let family = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select(refresh_tokens::family_id)
            .first::<Uuid>(conn)
            .await
            .optional()?;
        match family {
            Some(family_id) => {
                lock_family(conn, family_id).await?;
                revoke_family(conn, family_id, now).await
            }
            None => Ok(0),
        }
    })
    .await
}

/// Rows the sweeper deletes per statement: short statements, short locks.
const PRUNE_BATCH: i64 = 1_000;

/// Deletes refresh tokens past their expiry, which no request can use any more (a
/// rotation refuses them before looking at their family). Rows are claimed with `SKIP
/// LOCKED`, so a rotation holding one, or another instance's sweeper, is never waited
/// for. Returns how many were deleted.
pub async fn prune_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let mut pruned = 0;
    loop {
        // Diesel cannot put a locking subquery in a DELETE; the statement is fixed text.
        let deleted = diesel::sql_query(
            "DELETE FROM refresh_tokens WHERE id IN ( \
                 SELECT id FROM refresh_tokens WHERE expires_at < $1 \
                  LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(PRUNE_BATCH)
        .execute(conn)
        .await?;
        pruned += deleted;
        if i64::try_from(deleted).unwrap_or(i64::MAX) < PRUNE_BATCH {
            return Ok(pruned);
        }
    }
}
