//! The door: scanning tickets in and counting who is in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /events/{id}/check-ins`: a ticket's code, as scanned or typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub code: String,
}

/// A ticket admitted at the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckIn {
    pub ticket_id: Uuid,
    pub holder_name: String,
    pub tier_name: String,
    pub checked_in_at: DateTime<Utc>,
}

/// Checked in and total tickets of one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TierCheckIns {
    pub tier_id: Uuid,
    pub tier_name: String,
    pub checked_in: i64,
    /// Tickets of confirmed bookings.
    pub total: i64,
}

/// `GET /events/{id}/check-ins/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckInSummary {
    pub event_id: Uuid,
    pub checked_in: i64,
    pub total: i64,
    pub tiers: Vec<TierCheckIns>,
}
