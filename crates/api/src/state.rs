use std::sync::Arc;

use booking_persistence::DbPool;

use crate::auth::AuthSettings;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::payment::PaymentGateway;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub auth: Arc<AuthSettings>,
    pub payments: Arc<dyn PaymentGateway>,
    pub live: Live,
    pub metrics: Arc<Metrics>,
}
