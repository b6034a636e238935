//! Changes between instances, through PostgreSQL.
//!
//! A booking never NOTIFYs inside its own transaction: PostgreSQL serialises the
//! commits of every notifying transaction of the cluster on one lock, which on a hot
//! event would add to the time the tier stays locked (measured in `bench/results`).
//! Instead the handler hands its committed changes to this task, which sends whatever
//! has piled up, newest count per tier, as soon as its previous NOTIFY is done.
//!
//! The same connection LISTENs. When it is lost (a database restart, a killed backend)
//! the task opens another and, first thing, reads the counts of every watched event:
//! whatever committed while nobody was listening reaches the clients that way. The
//! same read runs every `resync`, so a notice lost any other way is made good in time.

use std::collections::BTreeMap;
use std::time::Duration;

use booking_dto::retry::Backoff;
use booking_persistence::availability::{self, AvailabilityChange};
use booking_persistence::notifications::Listener;
use booking_persistence::{DbError, DbPool};
use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use uuid::Uuid;

use super::hub::HubHandle;
use super::notice::{self, Announcement, CHANNEL, Heard};
use crate::metrics::LiveMetrics;

/// How the listening connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "booking-api-live";
/// Waits between attempts to reconnect (the rule the web app's live feed follows too).
const RETRY: Backoff = Backoff {
    first: Duration::from_millis(100),
    ceiling: Duration::from_secs(5),
};
/// Events per catch-up query.
const EVENTS_PER_READ: usize = 1_000;

pub struct Bus {
    pub pool: DbPool,
    /// This instance, so it can skip its own notices.
    pub origin: Uuid,
    pub hub: HubHandle,
    /// Committed changes of this instance, not yet announced.
    pub pending: mpsc::UnboundedReceiver<Vec<AvailabilityChange>>,
    /// Door counts and offers of this instance, not yet announced.
    pub announcements: mpsc::UnboundedReceiver<Announcement>,
    /// Events just subscribed to whose counts the hub lacks.
    pub lookups: mpsc::UnboundedReceiver<Vec<Uuid>>,
    pub resync: Duration,
    pub metrics: LiveMetrics,
    /// Changes whose NOTIFY failed with the connection; sent again after reconnecting.
    pub unsent: Vec<AvailabilityChange>,
    /// Whether the LISTEN connection is up.
    pub listening: watch::Sender<bool>,
}

/// Runs until the process stops.
pub async fn run(mut bus: Bus) {
    let mut failures = 0_u32;
    let mut connected_before = false;
    loop {
        match Listener::open(&bus.pool, CHANNEL, APPLICATION_NAME).await {
            Ok(listener) => {
                if connected_before {
                    bus.metrics.listener_reconnects.inc();
                    tracing::info!("listening for availability changes again");
                }
                connected_before = true;
                failures = 0;
                bus.listening.send_replace(true);
                bus.metrics.listening.set(1);
                let served = bus.serve(listener).await;
                bus.listening.send_replace(false);
                bus.metrics.listening.set(0);
                match served {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::warn!(%error, "lost the availability listener; reconnecting");
                    }
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                // Instances that lost the same server come back spread out.
                let random = f64::from(getrandom::u32().unwrap_or(0)) / f64::from(u32::MAX);
                let retry = RETRY.delay(failures, random);
                tracing::warn!(%error, retry_ms = retry.as_millis(), "cannot listen for availability changes yet");
                tokio::time::sleep(retry).await;
            }
        }
    }
}

enum Step {
    Heard(Result<String, DbError>),
    Publish(Option<Vec<AvailabilityChange>>),
    Announce(Option<Announcement>),
    Lookup(Option<Vec<Uuid>>),
    Resync,
}

impl Bus {
    /// Listens and publishes on one connection until it fails (`Err`) or the
    /// application stops (`Ok`).
    async fn serve(&mut self, mut listener: Listener) -> Result<(), DbError> {
        self.catch_up(&listener).await?;
        if !self.unsent.is_empty() {
            let unsent = std::mem::take(&mut self.unsent);
            self.publish(&listener, unsent).await?;
        }
        let mut resync = tokio::time::interval_at(Instant::now() + self.resync, self.resync);
        resync.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                heard = listener.next() => Step::Heard(heard),
                changes = self.pending.recv() => Step::Publish(changes),
                announcement = self.announcements.recv() => Step::Announce(announcement),
                events = self.lookups.recv() => Step::Lookup(events),
                _ = resync.tick() => Step::Resync,
            };
            match step {
                Step::Heard(payload) => self.heard(&payload?),
                Step::Publish(Some(changes)) => self.publish(&listener, changes).await?,
                Step::Lookup(Some(events)) => self.read_counts(&listener, &events).await?,
                // An announcement lost with the connection is not sent again: the next
                // scan's count, or the door page's own read, makes a door good; an offer
                // waits in the buyer's bookings, which the app reads again on reconnect.
                Step::Announce(Some(announcement)) => {
                    let payloads = notice::encode_announcement(self.origin, &announcement);
                    listener.notify(&payloads).await?;
                    self.metrics.notices_sent.inc_by(payloads.len() as u64);
                }
                Step::Publish(None) | Step::Lookup(None) | Step::Announce(None) => {
                    return Ok(());
                }
                Step::Resync => self.catch_up(&listener).await?,
            }
        }
    }

    fn heard(&self, payload: &str) {
        match notice::decode(self.origin, payload) {
            Ok(Some(Heard::Changes(changes))) => {
                self.metrics.notices_heard.inc();
                self.hub.publish(changes);
            }
            Ok(Some(Heard::Announcement(announcement))) => {
                self.metrics.notices_heard.inc();
                self.hub.announce(announcement);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, payload, "ignored a malformed availability notice")
            }
        }
    }

    /// Announces `first` and everything else already waiting, one record per tier.
    async fn publish(
        &mut self,
        listener: &Listener,
        first: Vec<AvailabilityChange>,
    ) -> Result<(), DbError> {
        let mut newest: BTreeMap<Uuid, AvailabilityChange> = BTreeMap::new();
        let mut keep = |changes: Vec<AvailabilityChange>| {
            for change in changes {
                let entry = newest.entry(change.tier_id).or_insert(change);
                if change.version > entry.version {
                    *entry = change;
                }
            }
        };
        keep(first);
        while let Ok(more) = self.pending.try_recv() {
            keep(more);
        }
        let changes: Vec<_> = newest.into_values().collect();
        let payloads = notice::encode(self.origin, &changes);
        if let Err(error) = listener.notify(&payloads).await {
            self.unsent = changes;
            return Err(error);
        }
        self.metrics.notices_sent.inc_by(payloads.len() as u64);
        Ok(())
    }

    /// Reads the counts of every watched event and hands them to the hub, which passes
    /// on those newer than what its clients have; events that are over are forgotten
    /// instead, so the hub holds only what can still change.
    async fn catch_up(&self, listener: &Listener) -> Result<(), DbError> {
        let mut watched = self.hub.watched().await;
        let mut over = Vec::new();
        for events in watched.chunks(EVENTS_PER_READ) {
            over.extend(
                availability::events_over(listener.connection(), events, Utc::now()).await?,
            );
        }
        if !over.is_empty() {
            watched.retain(|event| !over.contains(event));
            self.hub.forget(over);
        }
        self.read_counts(listener, &watched).await
    }

    async fn read_counts(&self, listener: &Listener, events: &[Uuid]) -> Result<(), DbError> {
        for events in events.chunks(EVENTS_PER_READ) {
            let counts = availability::counts_of_events(listener.connection(), events).await?;
            self.hub.publish(counts);
        }
        Ok(())
    }
}
