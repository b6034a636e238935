//! Group commit. Requests queue in lanes; while a lane's transaction runs, new requests
//! wait in its queue, and when it commits the next batch takes what waited (up to
//! `max_batch`). A request that finds its lane idle starts a batch of one at once: no
//! timer, no added latency when traffic is light.
//!
//! A batch spans tiers: one transaction holds requests for many tiers and multi-tier
//! carts, locking every tier it touches in ascending id order (see the persistence
//! pipeline), so the commit's WAL flush is shared across events too. A request goes to the
//! lane of its lowest target id, so one tier's requests always meet in one lane (a hot
//! tier's queue is one lane's), and lanes run side by side. Fairness between tiers: when
//! more is waiting than a batch takes, each tier in turn gives its oldest request, so a
//! quiet tier is never stuck behind a hot one for more than one batch.
//!
//! Each lane keeps the connection of its last batch that committed: a booking never
//! queues for the pool behind a crowd of reads (a waiting room's buyers all reading
//! their places at once), and the pool serves everything else with `lanes` connections
//! fewer. A batch that fails gives its connection back, so a broken one is not kept.
//!
//! Each lane is drained by one task, spawned on the actix worker of the request that found
//! it idle. Each request waits on a oneshot for its own answer. A client that goes away
//! leaves its request in the batch: the booking is made or not, whole, and only the
//! answer is lost.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use booking_domain::{BookingReference, ItemTarget};
use booking_persistence::bookings::{self, BatchOutcome, Order};
use booking_persistence::{DbConn, DbPool};
use chrono::Utc;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{Answer, BookError};
use crate::live::Live;
use crate::metrics::BatchMetrics;

struct Waiter {
    order: Order,
    /// The tier (or event) whose turn the request takes in fair batches.
    key: Uuid,
    reply: oneshot::Sender<Answer>,
}

/// One lane's queue, whether a task drains it, and its connection.
#[derive(Default)]
struct Lane {
    waiting: Vec<Waiter>,
    busy: bool,
    connection: Option<DbConn>,
}

#[derive(Clone)]
pub struct Batcher {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    live: Live,
    metrics: BatchMetrics,
    max_batch: usize,
    /// Whether the server pays for an instant booking with IO (it is then written pending).
    payment_needs_io: bool,
    new_reference: fn() -> BookingReference,
    lanes: Vec<Mutex<Lane>>,
    hasher: RandomState,
}

impl Batcher {
    pub fn new(
        pool: DbPool,
        live: Live,
        metrics: BatchMetrics,
        max_batch: usize,
        lanes: usize,
        payment_needs_io: bool,
        new_reference: fn() -> BookingReference,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                live,
                metrics,
                max_batch: max_batch.max(1),
                payment_needs_io,
                new_reference,
                lanes: (0..lanes.max(1)).map(|_| Mutex::default()).collect(),
                hasher: RandomState::new(),
            }),
        }
    }

    /// Books `order` in its lane's next batch and waits for its answer; every batch
    /// publishes the counts it changed.
    pub async fn book(&self, order: Order) -> Answer {
        let key = lane_key(&order);
        let lane_index = self.lane_of(key);
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter { order, key, reply };
        let start = {
            let mut lane = self.inner.lane(lane_index);
            lane.waiting.push(waiter);
            if lane.busy {
                None
            } else {
                lane.busy = true;
                Some(take_fair(&mut lane.waiting, self.inner.max_batch))
            }
        };
        if let Some(first) = start {
            let drain = Drain {
                inner: Arc::clone(&self.inner),
                lane: lane_index,
                finished: false,
            };
            actix_web::rt::spawn(drain.run(first));
        }
        answer.await.unwrap_or(Err(BookError::Unanswered))
    }

    fn lane_of(&self, key: Uuid) -> usize {
        let lanes = u64::try_from(self.inner.lanes.len()).unwrap_or(1);
        usize::try_from(self.inner.hasher.hash_one(key) % lanes).unwrap_or(0)
    }
}

/// The id a request queues under: its lowest target (a tier, or an event for an `eventId`
/// item, whose only tier is not known before the transaction).
fn lane_key(order: &Order) -> Uuid {
    order
        .request
        .items()
        .iter()
        .map(|item| match item.target {
            ItemTarget::Tier(id) | ItemTarget::Event(id) => id,
        })
        .min()
        .unwrap_or_default()
}

impl Inner {
    fn lane(&self, index: usize) -> std::sync::MutexGuard<'_, Lane> {
        // A panic elsewhere cannot leave a lane half-changed: every change is one call.
        self.lanes
            .get(index)
            .unwrap_or_else(|| unreachable!("lane indexes come from lane_of"))
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Up to `max` of the waiting requests, taken a round at a time: each tier gives its
/// oldest, then its next oldest, and so on. What is taken keeps arrival order, so within
/// a tier the first to arrive is the first decided; the rest keep waiting in order.
fn take_fair(waiting: &mut Vec<Waiter>, max: usize) -> Vec<Waiter> {
    if waiting.len() <= max {
        return std::mem::take(waiting);
    }
    let mut turns: HashMap<Uuid, usize> = HashMap::new();
    let mut ranked: Vec<(usize, usize)> = waiting
        .iter()
        .enumerate()
        .map(|(arrival, waiter)| {
            let turn = turns.entry(waiter.key).or_insert(0);
            *turn += 1;
            (*turn, arrival)
        })
        .collect();
    ranked.sort_unstable();
    let mut chosen = vec![false; waiting.len()];
    for &(_, arrival) in ranked.iter().take(max) {
        if let Some(slot) = chosen.get_mut(arrival) {
            *slot = true;
        }
    }
    let mut taken = Vec::with_capacity(max);
    let mut left = Vec::with_capacity(waiting.len().saturating_sub(max));
    for (waiter, chosen) in std::mem::take(waiting).into_iter().zip(chosen) {
        if chosen {
            taken.push(waiter);
        } else {
            left.push(waiter);
        }
    }
    *waiting = left;
    taken
}

/// The task that drains one lane. Dropped early (a panic, a runtime going down), it marks
/// the lane idle and drops what waited, so later requests start a new task instead of
/// queueing behind one that is gone; the requests it held get their "try again" from the
/// dropped oneshots.
struct Drain {
    inner: Arc<Inner>,
    lane: usize,
    /// Set when the lane was found empty and marked idle.
    finished: bool,
}

impl Drain {
    async fn run(mut self, mut batch: Vec<Waiter>) {
        loop {
            self.commit(batch).await;
            let mut lane = self.inner.lane(self.lane);
            if lane.waiting.is_empty() {
                lane.busy = false;
                self.finished = true;
                return;
            }
            batch = take_fair(&mut lane.waiting, self.inner.max_batch);
        }
    }

    /// One transaction for `batch`; every waiter gets its own answer.
    async fn commit(&self, batch: Vec<Waiter>) {
        let (orders, replies): (Vec<Order>, Vec<oneshot::Sender<Answer>>) = batch
            .into_iter()
            .map(|waiter| (waiter.order, waiter.reply))
            .unzip();
        let started = Instant::now();
        let kept = self.inner.lane(self.lane).connection.take();
        let connection = match kept {
            Some(connection) => Ok(connection),
            None => self.inner.pool.get().await,
        };
        let outcome = match connection {
            Ok(mut connection) => {
                let outcome = bookings::create_batch(
                    &mut connection,
                    &orders,
                    self.inner.payment_needs_io,
                    Utc::now(),
                    self.inner.new_reference,
                )
                .await;
                if outcome.is_ok() {
                    self.inner.lane(self.lane).connection = Some(connection);
                }
                outcome.map_err(BookError::database)
            }
            Err(error) => Err(BookError::database(error.into())),
        };
        let metrics = &self.inner.metrics;
        metrics.seconds.observe(started.elapsed().as_secs_f64());
        match outcome {
            Ok(BatchOutcome { answers, changes }) => {
                metrics.batches.inc();
                metrics
                    .requests
                    .inc_by(u64::try_from(answers.len()).unwrap_or(u64::MAX));
                self.inner.live.committed(changes);
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A receiver that is gone belongs to a client that left.
                    let _ = reply.send(answer.map_err(BookError::Refused));
                }
            }
            Err(error) => {
                // Nothing of the batch was written: every request gets the same answer.
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

impl Drop for Drain {
    fn drop(&mut self) {
        if !self.finished {
            // The task ended early: its queue goes with it (those waiters' oneshots drop).
            let mut lane = self.inner.lane(self.lane);
            lane.waiting.clear();
            lane.busy = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use booking_domain::{BookingRequest, RawItem};

    use super::*;

    fn waiter(key: Uuid) -> Waiter {
        let request = BookingRequest::parse(&[RawItem {
            tier_id: Some(key),
            event_id: None,
            quantity: 1,
        }])
        .unwrap();
        let order = Order {
            user_id: Uuid::new_v4(),
            request,
            idempotency: None,
            checkout: booking_domain::lifecycle::Checkout::Instant,
            admitted_to: None,
        };
        Waiter {
            key: lane_key(&order),
            order,
            reply: oneshot::channel().0,
        }
    }

    #[test]
    fn a_quiet_tier_is_not_stuck_behind_a_hot_one() {
        let (hot, quiet) = (Uuid::new_v4(), Uuid::new_v4());
        let mut waiting: Vec<Waiter> = (0..5).map(|_| waiter(hot)).collect();
        waiting.push(waiter(quiet));
        let users: Vec<Uuid> = waiting.iter().map(|w| w.order.user_id).collect();

        let taken = take_fair(&mut waiting, 3);

        let keys: Vec<Uuid> = taken.iter().map(|w| w.key).collect();
        assert_eq!(keys, [hot, hot, quiet]);
        // In arrival order, and the hot tier's oldest first.
        let taken_users: Vec<Uuid> = taken.iter().map(|w| w.order.user_id).collect();
        assert_eq!(taken_users, [users[0], users[1], users[5]]);
        let left: Vec<Uuid> = waiting.iter().map(|w| w.order.user_id).collect();
        assert_eq!(left, users[2..5]);
    }

    #[test]
    fn everything_waiting_goes_when_it_fits() {
        let key = Uuid::new_v4();
        let mut waiting: Vec<Waiter> = (0..3).map(|_| waiter(key)).collect();
        assert_eq!(take_fair(&mut waiting, 3).len(), 3);
        assert!(waiting.is_empty());
    }
}
