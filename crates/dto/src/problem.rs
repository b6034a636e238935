//! RFC 9457 problem details, with a stable `code` clients can switch on.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every error the API can answer with. The spelling is part of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    EventNotFound,
    BookingNotFound,
    InsufficientTickets,
    TicketLimitExceeded,
    EventNotBookable,
    BookingAlreadyCancelled,
    EmailTaken,
    CapacityBelowSold,
    EventStateConflict,
    IdempotencyKeyReused,
    PaymentDeclined,
    HoldExpired,
    AlreadyCheckedIn,
    TicketVoid,
    InvalidTicketCode,
    TicketNotFound,
    NotSoldOut,
    AlreadyOnWaitingList,
    NotOnWaitingList,
    SalesNotStarted,
    QueuePassRequired,
    QueueNotOpen,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    InternalError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    /// Path of the offending field in the request body, e.g. `email` or `items[1].quantity`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    /// The tier a refusal is about (`InsufficientTickets`), so a client names it without
    /// reading `detail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_id: Option<Uuid>,
    /// The event a refusal is about (`TicketLimitExceeded`, `EventNotBookable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    /// When the ticket was first admitted (`AlreadyCheckedIn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_serialises_type_and_code() {
        let problem = Problem {
            type_uri: "about:blank".into(),
            title: "Conflict".into(),
            status: 409,
            detail: "taken".into(),
            code: ErrorCode::EmailTaken,
            tier_id: None,
            event_id: None,
            checked_in_at: None,
            errors: vec![],
        };
        let json = serde_json::to_value(&problem).unwrap_or_default();
        assert_eq!(json["type"], "about:blank");
        assert_eq!(json["code"], "EmailTaken");
        assert!(json.get("errors").is_none());
        assert!(json.get("tierId").is_none());
    }
}
