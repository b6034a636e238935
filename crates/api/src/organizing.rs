//! The organizer's changes that move tickets (cancelling an event, resizing, adding or
//! removing a tier), each publishing the counts it changed, so no handler can forget to.
//! Who may make them is decided before (the handlers' `managed_event`); what is allowed,
//! in the domain, under the locks persistence takes.

use booking_domain::organizing::{NewTier, TierChanges};
use booking_persistence::events::{
    self, EventChangeError, EventRecord, TierChangeError, TierRecord,
};
use booking_persistence::{DbError, DbPool};
use chrono::Utc;
use uuid::Uuid;

use crate::live::Live;

#[derive(Clone)]
pub struct Organizing {
    pool: DbPool,
    live: Live,
}

impl Organizing {
    pub fn new(pool: DbPool, live: Live) -> Self {
        Self { pool, live }
    }

    /// Stops sales and cancels the event's bookings, their tickets back.
    pub async fn cancel_event(&self, id: Uuid) -> Result<EventRecord, EventChangeError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let (event, released) = events::cancel(&mut conn, id, Utc::now()).await?;
        self.live.released(released);
        Ok(event)
    }

    pub async fn update_tier(
        &self,
        event_id: Uuid,
        tier_id: Uuid,
        changes: &TierChanges,
    ) -> Result<TierRecord, TierChangeError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let (tier, released) =
            events::update_tier(&mut conn, event_id, tier_id, changes, Utc::now()).await?;
        self.live.released(released);
        Ok(tier)
    }

    pub async fn add_tier(
        &self,
        event_id: Uuid,
        tier: &NewTier,
    ) -> Result<TierRecord, TierChangeError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let (tier, availability) = events::add_tier(&mut conn, event_id, tier, Utc::now()).await?;
        self.live.committed(availability);
        Ok(tier)
    }

    pub async fn remove_tier(&self, event_id: Uuid, tier_id: Uuid) -> Result<(), TierChangeError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let availability = events::remove_tier(&mut conn, event_id, tier_id).await?;
        self.live.committed(availability);
        Ok(())
    }
}
