use std::sync::Arc;

use booking_persistence::DbPool;

use crate::auth::AuthSettings;
use crate::booking::BookingService;
use crate::limits::RateLimits;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::organizing::Organizing;
use crate::tickets::TicketCodes;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub auth: Arc<AuthSettings>,
    /// Booking, paying, cancelling: the saga and its live updates.
    pub bookings: BookingService,
    /// The organizer's changes that move tickets, and their live updates.
    pub organizing: Organizing,
    pub live: Live,
    /// Signs and verifies the codes of tickets.
    pub ticket_codes: TicketCodes,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<RateLimits>,
}
