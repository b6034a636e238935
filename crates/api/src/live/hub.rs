//! The hub: the one task that owns this instance's clients. Everything reaches it as a
//! command on an unbounded channel, so neither a booking nor a session ever waits for
//! it, and it never waits for anyone: it hands messages to clients with `try_send`, and
//! a client whose queue is full is dropped on the spot.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use booking_dto::ServerMessage;
use booking_persistence::availability::AvailabilityChange;
use bytestring::ByteString;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use uuid::Uuid;

use super::notice::Announcement;
use crate::metrics::{DropReason, LiveMetrics};

pub type ClientId = u64;

/// Count updates one event may send per second across its audience. A big on-sale has
/// ten thousand pages open on one event: at the base interval that is a hundred thousand
/// messages a second, whose writing (and reading, on a machine that also runs the
/// browsers) takes the CPU the bookings need. Past this budget an event's updates are
/// spaced further apart, in proportion to its audience; the latest count still always
/// goes out.
const FAN_OUT_PER_SECOND: u64 = 20_000;

enum Command {
    Join {
        id: ClientId,
        queue: mpsc::Sender<ByteString>,
    },
    Subscribe {
        id: ClientId,
        events: HashSet<Uuid>,
    },
    Leave {
        id: ClientId,
    },
    /// The client now speaks for this user, or for nobody.
    Identify {
        id: ClientId,
        user: Option<Uuid>,
    },
    Changes(Vec<AvailabilityChange>),
    Announcement(Announcement),
    Watched(oneshot::Sender<Vec<Uuid>>),
    Forget(Vec<Uuid>),
}

#[derive(Clone)]
pub struct HubHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl HubHandle {
    // A send fails only once the hub has stopped, when the process is shutting down and
    // there is nobody left to tell.
    fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    pub fn join(&self, id: ClientId, queue: mpsc::Sender<ByteString>) {
        self.send(Command::Join { id, queue });
    }

    pub fn subscribe(&self, id: ClientId, events: HashSet<Uuid>) {
        self.send(Command::Subscribe { id, events });
    }

    pub fn leave(&self, id: ClientId) {
        self.send(Command::Leave { id });
    }

    /// Committed counts, from this instance, another one, or a resync.
    pub fn publish(&self, changes: Vec<AvailabilityChange>) {
        self.send(Command::Changes(changes));
    }

    pub fn identify(&self, id: ClientId, user: Option<Uuid>) {
        self.send(Command::Identify { id, user });
    }

    /// From this instance or another one, sent at once: a door's new count (scans are
    /// a person's pace, not a storm's) to the clients watching its event; an offer to
    /// its buyer's clients.
    pub fn announce(&self, announcement: Announcement) {
        self.send(Command::Announcement(announcement));
    }

    /// Drops what the hub keeps of `events` (they are over: their counts can never
    /// change again), so it holds only events that can still sell.
    pub fn forget(&self, events: Vec<Uuid>) {
        self.send(Command::Forget(events));
    }

    /// The events whose counts clients may be showing: every subscribed event and every
    /// event the hub has announced.
    pub async fn watched(&self) -> Vec<Uuid> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Watched(reply));
        answer.await.unwrap_or_default()
    }
}

/// `unknown` receives events a client subscribed to whose counts the hub does not
/// have yet; the bus reads them and publishes them back.
pub fn spawn(
    min_interval: Duration,
    metrics: LiveMetrics,
    unknown: mpsc::UnboundedSender<Vec<Uuid>>,
) -> HubHandle {
    let (commands, inbox) = mpsc::unbounded_channel();
    let hub = Hub {
        clients: HashMap::new(),
        unknown,
        latest: HashMap::new(),
        feeds: HashMap::new(),
        due: BTreeSet::new(),
        min_interval,
        fan_out_per_second: FAN_OUT_PER_SECOND,
        metrics,
    };
    tokio::spawn(hub.run(inbox));
    HubHandle { commands }
}

struct Client {
    queue: mpsc::Sender<ByteString>,
    /// `None`: every event.
    events: Option<HashSet<Uuid>>,
    /// The signed-in user it speaks for, if any.
    user: Option<Uuid>,
}

impl Client {
    fn wants(&self, event_id: &Uuid) -> bool {
        self.events
            .as_ref()
            .is_none_or(|events| events.contains(event_id))
    }
}

/// One event's outgoing updates.
#[derive(Default)]
struct Feed {
    last_sent: Option<Instant>,
    /// Tiers whose latest count has not gone out yet.
    dirty: BTreeSet<Uuid>,
    /// When the dirty tiers go out, if they have to wait for the feed's interval.
    due: Option<Instant>,
    /// Clients the last update reached.
    audience: u64,
}

struct Hub {
    clients: HashMap<ClientId, Client>,
    unknown: mpsc::UnboundedSender<Vec<Uuid>>,
    /// The latest count of every tier heard of, by version.
    latest: HashMap<Uuid, AvailabilityChange>,
    feeds: HashMap<Uuid, Feed>,
    due: BTreeSet<(Instant, Uuid)>,
    min_interval: Duration,
    fan_out_per_second: u64,
    metrics: LiveMetrics,
}

impl Hub {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Command>) {
        loop {
            let next_due = self.due.first().map(|(at, _)| *at);
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => self.handle(command, Instant::now()),
                    None => return,
                },
                () = sleep_until(next_due) => self.flush_due(Instant::now()),
            }
        }
    }

    fn handle(&mut self, command: Command, now: Instant) {
        match command {
            Command::Join { id, queue } => {
                self.clients.insert(
                    id,
                    Client {
                        queue,
                        events: None,
                        user: None,
                    },
                );
                self.metrics.clients.inc();
            }
            Command::Subscribe { id, events } => self.subscribe(id, events),
            Command::Leave { id } => self.remove(id),
            Command::Identify { id, user } => {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.user = user;
                }
            }
            Command::Changes(changes) => self.apply(changes, now),
            Command::Announcement(Announcement::Door(door)) => {
                let message = super::encode(&ServerMessage::CheckIns {
                    event_id: door.event_id,
                    checked_in: door.checked_in,
                    total: door.total,
                });
                self.fan_out(|client| client.wants(&door.event_id), &[message]);
            }
            Command::Announcement(Announcement::Queue(admitted)) => {
                let message = super::encode(&ServerMessage::Queue {
                    event_id: admitted.event_id,
                    admitted_through: admitted.admitted_through,
                    sold_out: admitted.sold_out,
                });
                self.fan_out(|client| client.wants(&admitted.event_id), &[message]);
            }
            Command::Announcement(Announcement::Offers(offers)) => {
                for offer in offers {
                    let message = super::encode(&ServerMessage::Offer {
                        booking_id: offer.booking_id,
                        expires_at: offer.expires_at,
                    });
                    self.fan_out(|client| client.user == Some(offer.user_id), &[message]);
                }
            }
            Command::Watched(reply) => {
                let _ = reply.send(self.watched(now));
            }
            Command::Forget(events) => self.forget(&events),
        }
    }

    /// Narrows the client to `events` and sends it their current counts, so it starts
    /// from the truth without asking the REST API.
    fn subscribe(&mut self, id: ClientId, events: HashSet<Uuid>) {
        let Some(client) = self.clients.get_mut(&id) else {
            return;
        };
        let mut unknown: HashSet<Uuid> = events.clone();
        let mut full = false;
        for change in self.latest.values() {
            if events.contains(&change.event_id) {
                unknown.remove(&change.event_id);
                full |= client.queue.try_send(ticket_update(change)).is_err();
            }
        }
        client.events = Some(events);
        if full {
            self.drop_slow(id);
        }
        if !unknown.is_empty() {
            // Counts read for these reach the hub as changes, newer than nothing.
            let _ = self.unknown.send(unknown.into_iter().collect());
        }
    }

    fn drop_slow(&mut self, id: ClientId) {
        // Dropping its queue ends the client's session.
        self.remove(id);
        self.metrics.dropped(DropReason::Slow);
        tracing::info!(client = id, "dropped a WebSocket client that fell behind");
    }

    fn remove(&mut self, id: ClientId) {
        if self.clients.remove(&id).is_some() {
            self.metrics.clients.dec();
        }
    }

    /// Keeps the newer of each tier's counts and schedules its event's feed. Records
    /// arrive out of order (two instances, two paths); the version decides.
    fn apply(&mut self, changes: Vec<AvailabilityChange>, now: Instant) {
        let mut touched = BTreeSet::new();
        for change in changes {
            let newer = self
                .latest
                .get(&change.tier_id)
                .is_none_or(|known| change.version > known.version);
            if newer {
                self.latest.insert(change.tier_id, change);
                self.feeds
                    .entry(change.event_id)
                    .or_default()
                    .dirty
                    .insert(change.tier_id);
                touched.insert(change.event_id);
            }
        }
        for event_id in touched {
            self.schedule(event_id, now);
        }
        self.count_tracked();
    }

    fn count_tracked(&self) {
        self.metrics
            .tiers_tracked
            .set(i64::try_from(self.latest.len()).unwrap_or(i64::MAX));
    }

    /// How long an event's updates wait after the last: `min_interval`, longer for an
    /// audience past the fan-out budget.
    fn interval(min_interval: Duration, fan_out_per_second: u64, audience: u64) -> Duration {
        let spread = audience.saturating_mul(1_000) / fan_out_per_second.max(1);
        min_interval.max(Duration::from_millis(spread))
    }

    /// Sends at once if the event has been quiet for its interval, else once it has.
    fn schedule(&mut self, event_id: Uuid, now: Instant) {
        let Some(feed) = self.feeds.get_mut(&event_id) else {
            return;
        };
        if feed.due.is_some() {
            return;
        }
        let interval = Self::interval(self.min_interval, self.fan_out_per_second, feed.audience);
        match feed.last_sent {
            Some(last) if now < last + interval => {
                let at = last + interval;
                feed.due = Some(at);
                self.due.insert((at, event_id));
            }
            _ => self.flush(event_id, now),
        }
    }

    fn flush_due(&mut self, now: Instant) {
        while let Some(&(at, event_id)) = self.due.first() {
            if at > now {
                break;
            }
            self.due.pop_first();
            if let Some(feed) = self.feeds.get_mut(&event_id) {
                feed.due = None;
            }
            self.flush(event_id, now);
        }
    }

    fn flush(&mut self, event_id: Uuid, now: Instant) {
        let Some(feed) = self.feeds.get_mut(&event_id) else {
            return;
        };
        feed.last_sent = Some(now);
        let messages: Vec<ByteString> = std::mem::take(&mut feed.dirty)
            .iter()
            .filter_map(|tier_id| self.latest.get(tier_id))
            .map(ticket_update)
            .collect();
        let audience = self.fan_out(|client| client.wants(&event_id), &messages);
        if let Some(feed) = self.feeds.get_mut(&event_id) {
            feed.audience = audience;
        }
    }

    /// Hands `messages` to every client `to` picks; drops those that fell behind or
    /// left. Returns how many it picked.
    fn fan_out(&mut self, to: impl Fn(&Client) -> bool, messages: &[ByteString]) -> u64 {
        let mut slow = Vec::new();
        let mut gone = Vec::new();
        let mut picked = 0;
        for (id, client) in &self.clients {
            if !to(client) {
                continue;
            }
            picked += 1;
            for message in messages {
                match client.queue.try_send(message.clone()) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        slow.push(*id);
                        break;
                    }
                    Err(TrySendError::Closed(_)) => {
                        gone.push(*id);
                        break;
                    }
                }
            }
        }
        for id in slow {
            self.drop_slow(id);
        }
        for id in gone {
            self.remove(id);
        }
        picked
    }

    fn forget(&mut self, events: &[Uuid]) {
        let events: HashSet<&Uuid> = events.iter().collect();
        self.latest
            .retain(|_, change| !events.contains(&change.event_id));
        self.feeds.retain(|event_id, _| !events.contains(event_id));
        self.due.retain(|(_, event_id)| !events.contains(event_id));
        self.count_tracked();
    }

    fn watched(&mut self, now: Instant) -> Vec<Uuid> {
        // Feeds only matter while they hold something or still limit the rate.
        let (min_interval, budget) = (self.min_interval, self.fan_out_per_second);
        self.feeds.retain(|_, feed| {
            let interval = Self::interval(min_interval, budget, feed.audience);
            !feed.dirty.is_empty() || feed.last_sent.is_some_and(|at| now < at + interval)
        });
        let mut events: HashSet<Uuid> = self.latest.values().map(|c| c.event_id).collect();
        for client in self.clients.values() {
            events.extend(client.events.iter().flatten());
        }
        events.into_iter().collect()
    }
}

fn ticket_update(change: &AvailabilityChange) -> ByteString {
    super::encode(&ServerMessage::TicketUpdate {
        event_id: change.event_id,
        tier_id: change.tier_id,
        remaining: change.remaining,
        event_remaining: change.event_remaining,
    })
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(100);

    fn hub() -> Hub {
        Hub {
            clients: HashMap::new(),
            unknown: mpsc::unbounded_channel().0,
            latest: HashMap::new(),
            feeds: HashMap::new(),
            due: BTreeSet::new(),
            min_interval: INTERVAL,
            fan_out_per_second: FAN_OUT_PER_SECOND,
            metrics: LiveMetrics::default(),
        }
    }

    fn join(hub: &mut Hub, id: ClientId, capacity: usize) -> mpsc::Receiver<ByteString> {
        let (queue, outgoing) = mpsc::channel(capacity);
        hub.handle(Command::Join { id, queue }, Instant::now());
        outgoing
    }

    fn change(event: u8, tier: u8, remaining: i32, version: i64) -> AvailabilityChange {
        AvailabilityChange {
            event_id: Uuid::from_bytes([event; 16]),
            tier_id: Uuid::from_bytes([tier; 16]),
            remaining,
            event_remaining: i64::from(remaining),
            version,
        }
    }

    fn received(outgoing: &mut mpsc::Receiver<ByteString>) -> Vec<i32> {
        let mut counts = Vec::new();
        while let Ok(text) = outgoing.try_recv() {
            match serde_json::from_str(&text).unwrap() {
                ServerMessage::TicketUpdate { remaining, .. } => counts.push(remaining),
                other => panic!("unexpected {other:?}"),
            }
        }
        counts
    }

    #[test]
    fn forgotten_events_leave_nothing_behind_and_others_keep_going() {
        let mut hub = hub();
        let mut client = join(&mut hub, 1, 16);
        let start = Instant::now();
        hub.handle(
            Command::Changes(vec![change(1, 1, 5, 1), change(2, 2, 7, 1)]),
            start,
        );
        // Both events changed again within the interval: both have a send pending.
        hub.handle(
            Command::Changes(vec![change(1, 1, 4, 2), change(2, 2, 6, 2)]),
            start + Duration::from_millis(10),
        );
        received(&mut client);
        hub.handle(Command::Forget(vec![Uuid::from_bytes([1; 16])]), start);
        assert_eq!(hub.latest.len(), 1);
        assert_eq!(hub.metrics.tiers_tracked.get(), 1);
        assert!(!hub.feeds.contains_key(&Uuid::from_bytes([1; 16])));
        assert_eq!(hub.due.len(), 1);
        hub.flush_due(start + INTERVAL);
        assert_eq!(
            received(&mut client),
            vec![6],
            "only the event still on sale"
        );
    }

    #[test]
    fn a_storm_on_one_event_goes_out_at_most_once_per_interval_with_the_latest_count() {
        let mut hub = hub();
        let mut client = join(&mut hub, 1, 16);
        let start = Instant::now();
        hub.handle(Command::Changes(vec![change(1, 1, 99, 1)]), start);
        assert_eq!(
            received(&mut client),
            vec![99],
            "a quiet event goes out at once"
        );
        for (n, remaining) in (90..99).rev().enumerate() {
            let at = start + Duration::from_millis(10 * n as u64);
            hub.handle(
                Command::Changes(vec![change(1, 1, remaining, 10 - remaining as i64 + 90)]),
                at,
            );
        }
        assert_eq!(
            received(&mut client),
            Vec::<i32>::new(),
            "held back within the interval"
        );
        hub.flush_due(start + INTERVAL - Duration::from_millis(1));
        assert_eq!(received(&mut client), Vec::<i32>::new());
        hub.flush_due(start + INTERVAL);
        assert_eq!(
            received(&mut client),
            vec![90],
            "one message, the latest count"
        );
        assert!(hub.due.is_empty());
    }

    #[test]
    fn a_big_audience_spaces_an_event_s_updates_to_keep_within_the_fan_out_budget() {
        let mut hub = hub();
        // Ten messages a second across the audience: four clients hear every 400 ms.
        hub.fan_out_per_second = 10;
        let mut clients: Vec<_> = (1..=4).map(|id| join(&mut hub, id, 64)).collect();
        let start = Instant::now();
        hub.handle(Command::Changes(vec![change(1, 1, 99, 1)]), start);
        hub.handle(
            Command::Changes(vec![change(1, 1, 98, 2)]),
            start + Duration::from_millis(1),
        );
        hub.flush_due(start + INTERVAL);
        for client in &mut clients {
            assert_eq!(received(client), vec![99], "held past the base interval");
        }
        hub.flush_due(start + Duration::from_millis(400));
        for client in &mut clients {
            assert_eq!(received(client), vec![98], "then the latest count");
        }
        assert_eq!(
            Hub::interval(INTERVAL, FAN_OUT_PER_SECOND, 10_000),
            Duration::from_millis(500),
            "ten thousand pages on one event hear of it twice a second"
        );
        assert_eq!(Hub::interval(INTERVAL, FAN_OUT_PER_SECOND, 1_000), INTERVAL);
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_count() {
        let mut hub = hub();
        hub.min_interval = Duration::ZERO;
        let mut client = join(&mut hub, 1, 16);
        let now = Instant::now();
        hub.handle(Command::Changes(vec![change(1, 1, 5, 7)]), now);
        hub.handle(Command::Changes(vec![change(1, 1, 6, 6)]), now);
        hub.handle(Command::Changes(vec![change(1, 1, 5, 7)]), now);
        hub.handle(Command::Changes(vec![change(1, 1, 4, 8)]), now);
        assert_eq!(received(&mut client), vec![5, 4]);
    }

    #[test]
    fn a_client_whose_queue_is_full_is_dropped_and_the_others_still_get_updates() {
        let mut hub = hub();
        hub.min_interval = Duration::ZERO;
        let mut reader = join(&mut hub, 1, 4);
        let mut stalled = join(&mut hub, 2, 4);
        let now = Instant::now();
        for version in 1..=6 {
            hub.handle(
                Command::Changes(vec![change(1, 1, 100 - version as i32, version)]),
                now,
            );
            received(&mut reader);
        }
        assert!(!hub.clients.contains_key(&2));
        assert!(hub.clients.contains_key(&1));
        assert_eq!(hub.metrics.clients.get(), 1);
        assert_eq!(
            hub.metrics
                .dropped
                .get_or_create(&crate::metrics::DropLabels {
                    reason: DropReason::Slow
                })
                .get(),
            1
        );
        // The stalled client's queue is closed: its session ends once it drains it.
        assert_eq!(received(&mut stalled).len(), 4);
        assert!(stalled.is_closed());
        hub.handle(Command::Changes(vec![change(1, 1, 10, 100)]), now);
        assert_eq!(received(&mut reader), vec![10]);
    }

    #[test]
    fn a_subscription_narrows_a_client_to_its_events() {
        let mut hub = hub();
        hub.min_interval = Duration::ZERO;
        let mut everything = join(&mut hub, 1, 16);
        let mut narrowed = join(&mut hub, 2, 16);
        let now = Instant::now();
        let wanted = Uuid::from_bytes([2; 16]);
        hub.handle(
            Command::Subscribe {
                id: 2,
                events: HashSet::from([wanted]),
            },
            now,
        );
        hub.handle(
            Command::Changes(vec![change(1, 1, 10, 1), change(2, 2, 20, 1)]),
            now,
        );
        assert_eq!(received(&mut everything).len(), 2);
        assert_eq!(received(&mut narrowed), vec![20]);
        let mut watched = hub.watched(now);
        watched.sort();
        assert_eq!(watched, vec![Uuid::from_bytes([1; 16]), wanted]);
    }
}
