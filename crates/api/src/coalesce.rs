//! Group commit for single-tier bookings. While a batch for a tier is in its transaction,
//! newly arriving requests for that tier queue; when it commits, the next batch takes
//! everything queued (up to `max_batch`). A request that finds its tier idle starts a
//! batch of one at once: no timer, no added latency when traffic is light.
//!
//! One task per busy tier drains its queue; it runs on the actix worker of the request
//! that found the tier idle. Each request waits on a oneshot for its own answer. A client
//! that goes away leaves its request in the batch: the booking is made or not, whole,
//! and only the answer is lost.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use booking_domain::{BookingReference, BookingStatus};
use booking_persistence::DbPool;
use booking_persistence::bookings::{self, BatchRequest, CreatedBooking};
use chrono::Utc;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::live::Live;
use crate::metrics::BatchMetrics;
use crate::problem::ApiError;

/// A request's own answer: its booking, or why it has none.
pub type Answer = Result<CreatedBooking, ApiError>;

struct Waiter {
    request: BatchRequest,
    reply: oneshot::Sender<Answer>,
}

/// The queues of busy tiers. A tier has an entry exactly while a task drains it.
type Queues = Mutex<HashMap<Uuid, Vec<Waiter>>>;

#[derive(Clone)]
pub struct Coalescer {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    live: Live,
    metrics: BatchMetrics,
    max_batch: usize,
    /// How bookings are written: confirmed when paying needs no IO, else pending.
    status: BookingStatus,
    new_reference: fn() -> BookingReference,
    queues: Queues,
}

impl Coalescer {
    pub fn new(
        pool: DbPool,
        live: Live,
        metrics: BatchMetrics,
        max_batch: usize,
        status: BookingStatus,
        new_reference: fn() -> BookingReference,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                live,
                metrics,
                max_batch: max_batch.max(1),
                status,
                new_reference,
                queues: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Books `request` for `tier_id` in the tier's next batch and waits for its answer.
    pub async fn book(&self, tier_id: Uuid, request: BatchRequest) -> Answer {
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter { request, reply };
        let idle = {
            let mut queues = self.inner.lock();
            match queues.entry(tier_id) {
                Entry::Occupied(mut queue) => {
                    queue.get_mut().push(waiter);
                    None
                }
                Entry::Vacant(slot) => {
                    slot.insert(Vec::new());
                    Some(waiter)
                }
            }
        };
        if let Some(first) = idle {
            let drain = Drain {
                inner: Arc::clone(&self.inner),
                tier_id,
                finished: false,
            };
            actix_web::rt::spawn(drain.run(vec![first]));
        }
        answer.await.unwrap_or_else(|_| {
            Err(ApiError::unavailable(
                "the batch ended without answering this request",
            ))
        })
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<Waiter>>> {
        // A panic elsewhere cannot leave the map half-changed: every change is one call.
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The task that drains one tier's queue. Dropped early (a panic, a runtime going down),
/// it removes the tier's entry, so later requests start a new task instead of queueing
/// behind one that is gone; the requests it held get their "try again" from the dropped
/// oneshots.
struct Drain {
    inner: Arc<Inner>,
    tier_id: Uuid,
    /// Set when the queue was found empty and its entry removed.
    finished: bool,
}

impl Drain {
    async fn run(mut self, mut batch: Vec<Waiter>) {
        loop {
            self.commit(batch).await;
            let mut queues = self.inner.lock();
            let queue = queues.entry(self.tier_id).or_default();
            if queue.is_empty() {
                queues.remove(&self.tier_id);
                self.finished = true;
                return;
            }
            let take = queue.len().min(self.inner.max_batch);
            batch = queue.drain(..take).collect();
        }
    }

    /// One transaction for `batch`; every waiter gets its own answer.
    async fn commit(&self, batch: Vec<Waiter>) {
        let (requests, replies): (Vec<BatchRequest>, Vec<oneshot::Sender<Answer>>) = batch
            .into_iter()
            .map(|waiter| (waiter.request, waiter.reply))
            .unzip();
        let started = Instant::now();
        let outcome = match self.inner.pool.get().await {
            Ok(mut conn) => bookings::create_batch(
                &mut conn,
                self.tier_id,
                &requests,
                self.inner.status,
                Utc::now(),
                self.inner.new_reference,
            )
            .await
            .map_err(ApiError::from),
            Err(error) => Err(ApiError::from(error)),
        };
        self.inner
            .metrics
            .seconds
            .observe(started.elapsed().as_secs_f64());
        match outcome {
            Ok(outcome) => {
                self.inner.metrics.batches.inc();
                self.inner
                    .metrics
                    .requests
                    .inc_by(u64::try_from(outcome.answers.len()).unwrap_or(u64::MAX));
                self.inner.live.committed(outcome.changes);
                for (reply, answer) in replies.into_iter().zip(outcome.answers) {
                    // A receiver that is gone belongs to a client that left.
                    let _ = reply.send(answer.map_err(ApiError::from));
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
            self.inner.lock().remove(&self.tier_id);
        }
    }
}
