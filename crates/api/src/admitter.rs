//! The waiting rooms' admitter: every instance ticks every started room a few times a
//! second; the room's row lets one tick at a time through and the domain keeps the pace
//! to the second, so more instances never admit faster. Each round that moved a room
//! goes out live as one `queue` message for the event.

use std::collections::HashMap;
use std::time::Duration;

use booking_persistence::waiting_room::{self, Admitted};
use booking_persistence::{DbError, DbPool};
use chrono::Utc;
use uuid::Uuid;

use crate::live::Live;

/// Runs until the process stops.
pub async fn admit_every(pool: DbPool, live: Live, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // What this instance last announced per room: a round that changed nothing is not
    // sent again.
    let mut announced: HashMap<Uuid, Admitted> = HashMap::new();
    loop {
        ticks.tick().await;
        if let Err(error) = admit(&pool, &live, &mut announced).await {
            tracing::warn!(%error, "could not admit from the waiting rooms");
        }
    }
}

async fn admit(
    pool: &DbPool,
    live: &Live,
    announced: &mut HashMap<Uuid, Admitted>,
) -> Result<(), DbError> {
    let mut conn = pool.get().await?;
    let rooms = waiting_room::started(&mut conn, Utc::now()).await?;
    announced.retain(|event_id, _| rooms.contains(event_id));
    for event_id in rooms {
        let Some(admitted) = waiting_room::tick(&mut conn, event_id, Utc::now()).await? else {
            continue;
        };
        if announced.get(&event_id) != Some(&admitted) {
            announced.insert(event_id, admitted);
            live.admitted(admitted);
        }
    }
    Ok(())
}
