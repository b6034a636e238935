//! The booking service: the one owner of the booking saga. Reserve (in a group-committed
//! batch, or alone when batching is off), pay when paying takes IO, settle, and publish
//! every change of availability it commits, so no caller can forget to. Handlers parse,
//! call and respond; errors stay typed until `problem.rs` makes them HTTP.
//!
//! It lives in the api because it joins the api's own parts (the payment gateway, the
//! live feed, the metrics) around persistence; it holds no HTTP type.

mod batcher;

use std::sync::Arc;

use booking_domain::lifecycle;
use booking_domain::{Actor, BookingReference, BookingStatus};
use booking_persistence::bookings::{
    self, BatchOutcome, BookingRecord, CancelBookingError, CreateBookingError, CreatedBooking,
    Order, SettleError,
};
use booking_persistence::{DbError, DbPool, events};
use chrono::Utc;
use uuid::Uuid;

use self::batcher::Batcher;
use crate::live::Live;
use crate::metrics::BatchMetrics;
use crate::payment::{Charge, PaymentGateway, PaymentOutcome};

/// A request's own answer: its booking, or why it has none.
pub type Answer = Result<CreatedBooking, BookError>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum BookError {
    /// Refused by the rules (sold out, over the limit, ...): nothing was booked.
    #[error(transparent)]
    Refused(#[from] CreateBookingError),
    #[error("the payment was declined; nothing was booked")]
    PaymentDeclined,
    /// The payment came back after the booking stopped being pending (its event was
    /// cancelled, or it was expired): nothing is owed.
    #[error(transparent)]
    Settle(Arc<SettleError>),
    /// The transaction failed as a whole (a lock timeout, a lost connection): shared by
    /// every request of its batch.
    #[error(transparent)]
    Database(Arc<DbError>),
    /// The batch's task ended without answering (the server is going down).
    #[error("the batch ended without answering this request")]
    Unanswered,
}

impl BookError {
    fn database(error: DbError) -> Self {
        Self::Database(Arc::new(error))
    }
}

/// How bookings are batched: at most `max` per transaction (0: each alone), in `lanes`
/// running side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    pub max: usize,
    pub lanes: usize,
}

#[derive(Clone)]
pub struct BookingService {
    pool: DbPool,
    live: Live,
    payments: Arc<dyn PaymentGateway>,
    batcher: Option<Batcher>,
    /// What a new booking is written as: confirmed when paying needs no IO, else pending.
    status: BookingStatus,
    new_reference: fn() -> BookingReference,
}

impl BookingService {
    pub fn new(
        pool: DbPool,
        live: Live,
        payments: Arc<dyn PaymentGateway>,
        batching: Batching,
        metrics: BatchMetrics,
        new_reference: fn() -> BookingReference,
    ) -> Self {
        let status = lifecycle::initial_status(!payments.settles_instantly());
        let batcher = (batching.max > 0).then(|| {
            Batcher::new(
                pool.clone(),
                live.clone(),
                metrics,
                batching.max,
                batching.lanes,
                status,
                new_reference,
            )
        });
        Self {
            pool,
            live,
            payments,
            batcher,
            status,
            new_reference,
        }
    }

    /// Books `order` all-or-nothing and, when paying takes IO, pays for it: the booking
    /// comes back confirmed, or the payment is declined and its tickets are back.
    pub async fn book(&self, order: Order) -> Answer {
        let created = self.reserve(order).await?;
        if created.replayed || !lifecycle::AWAITING_PAYMENT.contains(&created.booking.status) {
            return Ok(created);
        }
        // The tickets are held by a committed pending booking; pay without holding a lock
        // or a pooled connection.
        self.pay(created.booking).await
    }

    async fn reserve(&self, order: Order) -> Answer {
        if let Some(batcher) = &self.batcher {
            return batcher.book(order).await;
        }
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|error| BookError::database(error.into()))?;
        let BatchOutcome { answers, changes } = bookings::create_batch(
            &mut conn,
            std::slice::from_ref(&order),
            self.status,
            Utc::now(),
            self.new_reference,
        )
        .await
        .map_err(BookError::database)?;
        self.live.committed(changes);
        match answers.into_iter().next() {
            Some(answer) => answer.map_err(BookError::Refused),
            None => Err(BookError::Unanswered),
        }
    }

    async fn pay(&self, booking: BookingRecord) -> Answer {
        let charge = Charge {
            booking_id: booking.id,
            amount_cents: booking.total_cents,
            currency: booking.currency.clone(),
        };
        let outcome = self.payments.charge(&charge).await;
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|error| BookError::database(error.into()))?;
        let settle_error = |error| BookError::Settle(Arc::new(error));
        match outcome {
            PaymentOutcome::Approved => {
                let settled = bookings::confirm(&mut conn, booking.id)
                    .await
                    .map_err(settle_error)?;
                let status = settled
                    .status
                    .ok_or_else(|| settle_error(SettleError::NotFound))?;
                Ok(CreatedBooking {
                    booking: BookingRecord { status, ..booking },
                    replayed: false,
                })
            }
            PaymentOutcome::Declined => {
                let settled = bookings::discard(&mut conn, booking.id, Utc::now())
                    .await
                    .map_err(settle_error)?;
                self.live.committed(settled.changes);
                Err(BookError::PaymentDeclined)
            }
        }
    }

    /// Finishes what a crash can leave half done, and publishes the tickets it returned:
    /// pending bookings never paid within `lifecycle::HOLD_TTL` expire, and bookings of
    /// events whose cancellation stopped before releasing them are cancelled.
    pub async fn expire_abandoned(&self) -> Result<usize, DbError> {
        let now = Utc::now();
        let mut conn = self.pool.get().await?;
        let mut changes = bookings::expire_stale(&mut conn, now).await?;
        changes.extend(events::release_bookings_of_cancelled_events(&mut conn, now).await?);
        let tiers = changes.len();
        self.live.committed(changes);
        Ok(tiers)
    }

    /// Cancels the booking `id` for `actor` and returns its tickets.
    pub async fn cancel(
        &self,
        id: Uuid,
        actor: Actor,
    ) -> Result<BookingRecord, CancelBookingError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let cancelled = bookings::cancel(&mut conn, id, actor, Utc::now()).await?;
        self.live.committed(cancelled.changes);
        Ok(cancelled.booking)
    }
}
