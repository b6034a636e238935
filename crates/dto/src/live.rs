//! The messages of `GET /api/v1/ws`: JSON text frames tagged by `type`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerMessage {
    /// First message of every connection. A client seeing it again knows it reconnected
    /// and may have missed updates: it reloads the counts it shows.
    Hello { server_time: DateTime<Utc> },
    /// A committed change of a tier's remaining tickets, with its event's total.
    TicketUpdate {
        event_id: Uuid,
        tier_id: Uuid,
        remaining: i32,
        event_remaining: i64,
    },
    /// A ticket of the event was checked in at a door: how many are in, of how many.
    CheckIns {
        event_id: Uuid,
        checked_in: i64,
        total: i64,
    },
    /// Tickets that came back were offered to this client's signed-in buyer, first on a
    /// waiting list: the booking is theirs, pending until `expiresAt`. Sent to that
    /// buyer's connections alone, on whichever api instance they are.
    Offer {
        booking_id: Uuid,
        expires_at: DateTime<Utc>,
    },
    /// An event's waiting room let places 1 to `admittedThrough` in; `soldOut` when it
    /// has nothing left to admit anyone to. One per event per admission round (at most
    /// one a second), for everyone watching the event: each client works out its own
    /// standing from its position.
    Queue {
        event_id: Uuid,
        admitted_through: i64,
        sold_out: bool,
    },
    /// The connection now speaks for this user (after `authenticate`), or for nobody
    /// (after `signOut`).
    Authenticated { user_id: Option<Uuid> },
    /// The client sent something the server could not use; the connection stays open.
    Error { message: String },
}

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum ClientMessage {
    /// From now on, updates of these events only (replacing any earlier subscription);
    /// the server first sends each of their tiers' current count. Without a
    /// subscription, a client gets updates of every event.
    Subscribe { event_ids: Vec<Uuid> },
    /// The connection speaks for the user of this access token from now on: their
    /// waiting-list offers reach it. The token is checked once, here.
    Authenticate { token: String },
    /// The user signed out: the connection speaks for nobody again.
    SignOut,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_documented_shapes() {
        let id = Uuid::nil();
        let update = ServerMessage::TicketUpdate {
            event_id: id,
            tier_id: id,
            remaining: 3,
            event_remaining: 10,
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            serde_json::json!({
                "type": "ticketUpdate",
                "eventId": id,
                "tierId": id,
                "remaining": 3,
                "eventRemaining": 10,
            })
        );
        let subscribe: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","eventIds":[]}"#).unwrap();
        assert_eq!(subscribe, ClientMessage::Subscribe { event_ids: vec![] });
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"shout"}"#).is_err());
        let offer = ServerMessage::Offer {
            booking_id: id,
            expires_at: DateTime::UNIX_EPOCH,
        };
        assert_eq!(
            serde_json::to_value(&offer).unwrap(),
            serde_json::json!({
                "type": "offer",
                "bookingId": id,
                "expiresAt": "1970-01-01T00:00:00Z",
            })
        );
        let authenticate: ClientMessage =
            serde_json::from_str(r#"{"type":"authenticate","token":"t"}"#).unwrap();
        assert_eq!(
            authenticate,
            ClientMessage::Authenticate { token: "t".into() }
        );
    }
}
