//! Live availability: every committed change of remaining tickets reaches every
//! WebSocket client of every api instance.
//!
//! - [`hub`]: one task per instance owns its clients, keeps the latest count of each
//!   tier, coalesces per event and fans out through bounded per-client queues.
//! - [`session`]: one task per connection writes its queue to the socket, answers
//!   pings, reads subscriptions and gives up on clients that stall or fall silent.
//! - [`bus`]: one PostgreSQL connection per instance publishes this instance's changes
//!   with NOTIFY just after they commit, LISTENs for the others', and catches up after
//!   a lost connection and periodically.

pub mod bus;
mod doors;
pub mod hub;
mod notice;

pub mod session;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use booking_dto::ServerMessage;
use booking_persistence::DbPool;
use booking_persistence::availability::AvailabilityChange;
use booking_persistence::bookings::Released;
use booking_persistence::waiting_list::Offer;
use booking_persistence::waiting_room::Admitted;
use bytestring::ByteString;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use self::hub::{ClientId, HubHandle};
use self::notice::Announcement;
use crate::metrics::LiveMetrics;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// How often each client is pinged.
    pub heartbeat: Duration,
    /// A client heard from less recently than this is dropped; also how long one write
    /// to a client may take.
    pub client_timeout: Duration,
    /// Messages waiting for one client; a client that lets it fill up is dropped.
    pub queue: usize,
    /// Updates of one event go out at most this often; a storm of bookings becomes one
    /// message per tier per interval carrying the latest count.
    pub min_interval: Duration,
    /// How often counts of watched events are read again, bounding how stale a client
    /// can be when a notice was lost.
    pub resync: Duration,
}

/// How often an event's door count is read and sent at most: a person at a door sees a
/// change at once, and 64 doors scanning flat out cost four reads a second, not one per
/// scan.
const DOOR_COUNT_EVERY: Duration = Duration::from_millis(250);

/// The handle handlers and sessions use; cheap to clone.
#[derive(Clone)]
pub struct Live {
    hub: HubHandle,
    outbox: mpsc::UnboundedSender<Vec<AvailabilityChange>>,
    /// Events whose doors admitted someone: their counts go out, coalesced.
    doors: mpsc::UnboundedSender<Uuid>,
    /// What goes to the other instances besides counts.
    announcements: mpsc::UnboundedSender<Announcement>,
    next_client: Arc<AtomicU64>,
    listening: watch::Receiver<bool>,
    /// Set once the server stops: every session says goodbye.
    closing: Arc<watch::Sender<bool>>,
    pub settings: Arc<LiveSettings>,
    pub metrics: LiveMetrics,
}

impl Live {
    /// Spawns the hub and the bus on the current runtime.
    pub fn start(settings: LiveSettings, pool: DbPool, metrics: LiveMetrics) -> Self {
        let (unknown, lookups) = mpsc::unbounded_channel();
        let hub = hub::spawn(settings.min_interval, metrics.clone(), unknown);
        let (outbox, pending) = mpsc::unbounded_channel();
        let (announcements, to_announce) = mpsc::unbounded_channel();
        let (doors, admitted) = mpsc::unbounded_channel();
        tokio::spawn(doors::count(
            pool.clone(),
            hub.clone(),
            announcements.clone(),
            admitted,
            settings.min_interval.max(DOOR_COUNT_EVERY),
        ));
        let (listening_tx, listening) = watch::channel(false);
        tokio::spawn(bus::run(bus::Bus {
            pool,
            origin: Uuid::new_v4(),
            hub: hub.clone(),
            pending,
            announcements: to_announce,
            lookups,
            resync: settings.resync,
            metrics: metrics.clone(),
            unsent: Vec::new(),
            listening: listening_tx,
        }));
        Self {
            hub,
            outbox,
            doors,
            announcements,
            next_client: Arc::new(AtomicU64::new(1)),
            listening,
            closing: Arc::new(watch::channel(false).0),
            settings: Arc::new(settings),
            metrics,
        }
    }

    /// Announces changes whose transaction has committed: to this instance's clients at
    /// once, to the other instances through the bus. Never blocks.
    pub fn committed(&self, changes: Vec<AvailabilityChange>) {
        if changes.is_empty() {
            return;
        }
        self.hub.publish(changes.clone());
        // Only fails once the bus has stopped, i.e. while the process shuts down.
        let _ = self.outbox.send(changes);
    }

    /// A check-in at `event_id` committed: its door count goes to this instance's
    /// clients watching the event and to the other instances, read once per
    /// `DOOR_COUNT_EVERY` however many doors scan meanwhile. Never blocks.
    pub fn checked_in(&self, event_id: Uuid) {
        let _ = self.doors.send(event_id);
    }

    /// Tells each buyer offered tickets from a waiting list, on whichever instance their
    /// connections are; the offers' transaction has committed. Never blocks.
    pub fn offered(&self, offers: Vec<Offer>) {
        if offers.is_empty() {
            return;
        }
        self.metrics.offers.inc_by(offers.len() as u64);
        self.hub.announce(Announcement::Offers(offers.clone()));
        let _ = self.announcements.send(Announcement::Offers(offers));
    }

    /// A waiting room's admissions committed: to every client watching the event, here
    /// and on the other instances. Never blocks.
    pub fn admitted(&self, admitted: Admitted) {
        self.hub.announce(Announcement::Queue(admitted));
        let _ = self.announcements.send(Announcement::Queue(admitted));
    }

    /// Announces everything tickets coming back committed: the counts and the offers.
    pub fn released(&self, released: Released) {
        self.committed(released.changes);
        self.offered(released.offers);
    }

    /// Resolves once this instance listens for other instances' changes.
    pub async fn until_listening(&self) {
        let _ = self
            .listening
            .clone()
            .wait_for(|listening| *listening)
            .await;
    }

    /// Closes every WebSocket of this instance with 1012 (service restart), which tells
    /// clients to reconnect (to another instance, or to this one once it is back).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`close_all`](Self::close_all) has been called.
    pub(crate) async fn until_closing(&self) {
        let _ = self.closing.subscribe().wait_for(|closing| *closing).await;
    }

    pub(crate) fn hub(&self) -> &HubHandle {
        &self.hub
    }

    pub(crate) fn new_client_id(&self) -> ClientId {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }
}

/// One text frame.
fn encode(message: &ServerMessage) -> ByteString {
    // These enums hold plain fields and string-keyed maps only: serialising cannot fail.
    serde_json::to_string(message).unwrap_or_default().into()
}
