//! Queue passes this tab holds: what an event's waiting room gave the buyer, sent with
//! every booking of that event (`Queue-Pass`) until it runs out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct QueuePasses {
    passes: RwSignal<HashMap<Uuid, (String, DateTime<Utc>)>>,
}

impl QueuePasses {
    pub fn new() -> Self {
        Self {
            passes: RwSignal::new(HashMap::new()),
        }
    }

    pub fn keep(&self, event_id: Uuid, pass: String, expires_at: DateTime<Utc>) {
        self.passes
            .update(|passes| drop(passes.insert(event_id, (pass, expires_at))));
    }

    /// A live pass for any of `event_ids` (a booking carries one header).
    pub fn for_events(&self, event_ids: &[Uuid]) -> Option<String> {
        let now = Utc::now();
        self.passes.with_untracked(|passes| {
            event_ids.iter().find_map(|event_id| {
                passes
                    .get(event_id)
                    .filter(|(_, expires_at)| *expires_at > now)
                    .map(|(pass, _)| pass.clone())
            })
        })
    }
}

impl QueuePasses {
    /// Whether the buyer holds a live pass for `event_id` (tracked).
    pub fn admits(&self, event_id: Uuid) -> bool {
        let now = Utc::now();
        self.passes.with(|passes| {
            passes
                .get(&event_id)
                .is_some_and(|(_, expires_at)| *expires_at > now)
        })
    }
}

pub fn use_passes() -> QueuePasses {
    expect_context::<QueuePasses>()
}
