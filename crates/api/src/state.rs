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
    /// For the public event list and event page: `DATABASE_READ_URL`'s pool when set (a
    /// standby may answer), else `pool`. Nothing a booking decides on is read here.
    pub public_reads: DbPool,
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
