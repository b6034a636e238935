//! The one statement that moves tickets between tiers and bookings: selling takes them
//! (a negative change), cancelling and expiry give them back (a positive one). The caller
//! holds the tiers' row locks; the `CHECK (0 <= remaining <= capacity)` constraint is the
//! last line of defence against a bug in the decisions that lead here.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Adds `change` to `remaining` of each tier in `changes`, in one statement whatever their
/// number. Tiers changed by zero are left out, so their version stays.
pub(crate) async fn adjust(
    mut conn: &AsyncPgConnection,
    changes: &[(Uuid, i32)],
    now: DateTime<Utc>,
) -> Result<usize, diesel::result::Error> {
    let (tier_ids, deltas): (Vec<Uuid>, Vec<i32>) = changes
        .iter()
        .filter(|(_, change)| *change != 0)
        .copied()
        .unzip();
    if tier_ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE ticket_tiers AS t \
         SET remaining = t.remaining + c.change, version = t.version + 1, updated_at = $3 \
         FROM unnest($1::uuid[], $2::int4[]) AS c(id, change) \
         WHERE t.id = c.id",
    )
    .bind::<Array<SqlUuid>, _>(tier_ids)
    .bind::<Array<Integer>, _>(deltas)
    .bind::<Timestamptz, _>(now)
    .execute(&mut conn)
    .await
}
