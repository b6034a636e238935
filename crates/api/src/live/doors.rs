//! Door counts, coalesced: check-ins mark their event; once per interval each marked
//! event's count is read and announced, to this instance's clients (through the hub) and
//! to the other instances (through the bus). A count is read after the check-ins that
//! marked it committed, so the last announcement of a burst is the truth.

use std::collections::BTreeSet;
use std::time::Duration;

use booking_persistence::{DbPool, check_ins};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::hub::HubHandle;
use super::notice::{Announcement, DoorCount};

/// Runs until the process stops.
pub async fn count(
    pool: DbPool,
    hub: HubHandle,
    bus: mpsc::UnboundedSender<Announcement>,
    mut admitted: mpsc::UnboundedReceiver<Uuid>,
    every: Duration,
) {
    while let Some(first) = admitted.recv().await {
        tokio::time::sleep(every).await;
        let mut events = BTreeSet::from([first]);
        while let Ok(more) = admitted.try_recv() {
            events.insert(more);
        }
        for event_id in events {
            match read(&pool, event_id).await {
                Ok(door) => {
                    hub.announce(Announcement::Door(door));
                    // Fails only once the bus has stopped, as the process shuts down.
                    let _ = bus.send(Announcement::Door(door));
                }
                Err(error) => tracing::warn!(%error, %event_id, "could not read a door count"),
            }
        }
    }
}

async fn read(pool: &DbPool, event_id: Uuid) -> Result<DoorCount, booking_persistence::DbError> {
    let mut conn = pool.get().await?;
    let tiers = check_ins::summary(&mut conn, event_id).await?;
    Ok(DoorCount {
        event_id,
        checked_in: tiers.iter().map(|tier| tier.checked_in).sum(),
        total: tiers.iter().map(|tier| tier.total).sum(),
    })
}
