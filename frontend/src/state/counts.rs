//! Live ticket counts: the latest `remaining` per tier and per event heard over the
//! WebSocket. Pages show these when present, else what they fetched.

use std::collections::HashMap;

use leptos::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct LiveCounts {
    tiers: RwSignal<HashMap<Uuid, i32>>,
    events: RwSignal<HashMap<Uuid, i64>>,
    /// The events on screen; the socket subscribes to exactly these.
    watched: RwSignal<Vec<Uuid>>,
    connected: RwSignal<bool>,
    /// Bumped when the socket comes back after a drop: pages read their data again.
    resyncs: RwSignal<u32>,
    /// Bumped by every update heard: pages whose figures the feed does not carry
    /// (an organizer's revenue) read them again.
    heard: RwSignal<u64>,
    /// Per event, bumped whenever a door admits a ticket: door pages read their count
    /// again (two doors' notices can arrive out of order; the read cannot).
    doors: RwSignal<HashMap<Uuid, u64>>,
    /// Per event with a waiting room: places admitted so far, and whether it sold out.
    queues: RwSignal<HashMap<Uuid, (i64, bool)>>,
}

impl LiveCounts {
    pub fn new() -> Self {
        Self {
            tiers: RwSignal::new(HashMap::new()),
            events: RwSignal::new(HashMap::new()),
            watched: RwSignal::new(Vec::new()),
            connected: RwSignal::new(false),
            resyncs: RwSignal::new(0),
            heard: RwSignal::new(0),
            doors: RwSignal::new(HashMap::new()),
            queues: RwSignal::new(HashMap::new()),
        }
    }

    pub fn tier_remaining(&self, tier_id: Uuid, fetched: i32) -> i32 {
        self.tiers
            .with(|tiers| tiers.get(&tier_id).copied().unwrap_or(fetched))
    }

    pub fn event_remaining(&self, event_id: Uuid, fetched: i64) -> i64 {
        self.events
            .with(|events| events.get(&event_id).copied().unwrap_or(fetched))
    }

    pub fn apply(&self, event_id: Uuid, tier_id: Uuid, remaining: i32, event_remaining: i64) {
        self.tiers.update(|tiers| {
            tiers.insert(tier_id, remaining);
        });
        self.events.update(|events| {
            events.insert(event_id, event_remaining);
        });
        self.heard.update(|n| *n = n.wrapping_add(1));
    }

    /// A door of `event_id` admitted a ticket.
    pub fn checked_in(&self, event_id: Uuid) {
        self.doors.update(|doors| {
            let scans = doors.entry(event_id).or_default();
            *scans = scans.wrapping_add(1);
        });
    }

    /// Tracks check-ins at `event_id`'s doors, so a resource reading this refetches on
    /// each.
    pub fn check_ins(&self, event_id: Uuid) -> u64 {
        self.doors
            .with(|doors| doors.get(&event_id).copied().unwrap_or_default())
    }

    /// Tracks every update heard, so a resource reading this refetches on each.
    /// A waiting room let places 1 to `admitted_through` in; a later round never moves
    /// it back.
    pub fn queue_moved(&self, event_id: Uuid, admitted_through: i64, sold_out: bool) {
        self.queues.update(|queues| {
            let entry = queues.entry(event_id).or_insert((0, false));
            entry.0 = entry.0.max(admitted_through);
            entry.1 |= sold_out;
        });
    }

    /// What the event's waiting room admitted so far, as heard: (through, sold out).
    pub fn queue(&self, event_id: Uuid) -> Option<(i64, bool)> {
        self.queues.with(|queues| queues.get(&event_id).copied())
    }

    pub fn heard_count(&self) -> u64 {
        self.heard.get()
    }

    /// Replaces the events whose counts the page shows.
    pub fn watch(&self, event_ids: Vec<Uuid>) {
        if self.watched.with_untracked(|watched| *watched != event_ids) {
            self.watched.set(event_ids);
        }
    }

    pub fn watched(&self) -> Vec<Uuid> {
        self.watched.get()
    }

    pub fn watched_untracked(&self) -> Vec<Uuid> {
        self.watched.get_untracked()
    }

    pub fn is_connected(&self) -> bool {
        self.connected.get()
    }

    pub fn set_connected(&self, connected: bool) {
        if self.connected.get_untracked() != connected {
            self.connected.set(connected);
        }
    }

    /// After a reconnect: what we heard may be stale, so forget it and let pages refetch.
    pub fn resync(&self) {
        self.tiers.set(HashMap::new());
        self.events.set(HashMap::new());
        self.resyncs.update(|n| *n = n.wrapping_add(1));
    }

    /// Tracks resyncs, so a resource reading this refetches after a reconnect.
    pub fn resync_count(&self) -> u32 {
        self.resyncs.get()
    }
}

pub fn use_counts() -> LiveCounts {
    expect_context::<LiveCounts>()
}
