use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One line of `POST /bookings`: a tier, or an event that has exactly one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingItemRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    /// Signed so that 0 and negative quantities reach validation and get a field error.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4_294_967_295_i64))]
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBookingRequest {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20))]
    pub items: Vec<BookingItemRequest>,
    /// `hold`: hold the tickets until `expiresAt` and pay with `/bookings/{id}/pay`.
    /// Absent: book and pay in this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<Checkout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Checkout {
    Hold,
}

/// `POST /bookings/{id}/pay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayRequest {
    pub card: CardDetails,
}

/// A card as the buyer typed it. In development the simulated gateway approves
/// `4242424242424242` and declines `4000000000000002`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CardDetails {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "4242424242424242", max_length = 32)
    )]
    pub number: String,
    /// `MM/YY`.
    #[cfg_attr(feature = "openapi", schema(example = "12/30", max_length = 10))]
    pub expiry: String,
    #[cfg_attr(feature = "openapi", schema(example = "123", max_length = 8))]
    pub cvc: String,
}

/// Never prints the number or the code: request logs and panics stay free of them.
impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardDetails { .. }")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Cancelled,
    Expired,
}

/// How a booking came about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum BookingOrigin {
    /// The buyer booked it.
    #[default]
    Direct,
    /// Tickets that came back were offered to the buyer, first on a waiting list: it is
    /// `pending` until `expiresAt`, paid with `/pay`.
    WaitingList,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BookingItem {
    pub event_id: Uuid,
    pub event_title: String,
    pub event_venue: String,
    pub event_starts_at: DateTime<Utc>,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: Uuid,
    pub reference: String,
    pub status: BookingStatus,
    #[serde(default)]
    pub origin: BookingOrigin,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub items: Vec<BookingItem>,
    /// Until when a `pending` booking holds its tickets; it expires then unless paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// One per unit of quantity while the booking is confirmed; none otherwise.
    #[serde(default)]
    pub tickets: Vec<Ticket>,
    /// Whether its buyer may cancel it now (the server's booking lifecycle decides; the
    /// web app offers Cancel exactly when this is true).
    pub can_cancel: bool,
}

/// A ticket to show at the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: Uuid,
    /// Opaque and signed by the server: what the ticket's QR code holds.
    pub code: String,
    pub tier_name: String,
    pub holder_name: String,
    /// When it was admitted at the door, if it was.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// Query of `GET /bookings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingListParams {
    pub status: Option<BookingStatus>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1_000_000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 50))]
    pub limit: Option<u32>,
}
