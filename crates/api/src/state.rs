use std::sync::Arc;

use booking_persistence::DbPool;

use crate::auth::AuthSettings;
use crate::coalesce::Coalescer;
use crate::limits::RateLimits;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::payment::PaymentGateway;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub auth: Arc<AuthSettings>,
    pub payments: Arc<dyn PaymentGateway>,
    /// Group commit for single-tier bookings; `None` when batching is off.
    pub batches: Option<Coalescer>,
    pub live: Live,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<RateLimits>,
}
