//! The waiting room of an on-sale.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum QueueState {
    /// In line; before the sale start the place waits for the draw.
    Waiting,
    /// Let in: book with `pass` in the `Queue-Pass` header until `passExpiresAt`.
    Admitted,
    /// Let in, but the pass ran out unused.
    Expired,
    /// Nothing is left on sale; the tiers' waiting lists still take places.
    SoldOut,
}

/// `POST /events/{id}/queue`, `GET /events/{id}/queue/me`: where the caller stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub status: QueueState,
    /// The caller's place, 1 for the first; absent before the pre-start draw.
    pub position: Option<i64>,
    /// Places before the caller's not yet admitted; absent before the draw.
    pub ahead: Option<i64>,
    /// Places 1 to this are admitted: with `position`, what a `queue` message updates.
    pub admitted_through: i64,
    /// The signed pass, while admitted.
    pub pass: Option<String>,
    pub pass_expires_at: Option<DateTime<Utc>>,
}
