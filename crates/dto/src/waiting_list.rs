//! Waiting lists of sold-out tiers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /events/{id}/tiers/{tierId}/waiting-list`: how many tickets to wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinWaitingListRequest {
    /// At most the event's per-person limit, less what the buyer holds or waits for.
    /// Signed so that 0 and negative quantities reach validation and get a field error.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4_294_967_295_i64))]
    pub quantity: i64,
}

/// The caller's place in a tier's waiting list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitingListPlace {
    pub tier_id: Uuid,
    /// Tickets still waited for.
    pub quantity: i32,
    /// 1 for the first in line.
    pub position: i64,
    pub joined_at: DateTime<Utc>,
}

/// How long a tier's waiting list is, for its organizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitingListLength {
    pub tier_id: Uuid,
    /// Buyers waiting.
    pub people: i64,
    /// Tickets they wait for.
    pub tickets: i64,
}
