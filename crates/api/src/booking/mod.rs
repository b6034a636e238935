//! The booking service: the one owner of the booking saga. Reserve (in a group-committed
//! batch, or alone when batching is off), pay when paying takes IO, settle, and publish
//! every change of availability it commits, so no caller can forget to. Handlers parse,
//! call and respond; errors stay typed until `problem.rs` makes them HTTP.
//!
//! It lives in the api because it joins the api's own parts (the payment gateway, the
//! live feed, the metrics) around persistence; it holds no HTTP type.

mod batcher;

use std::sync::Arc;

use booking_domain::lifecycle::{self, Checkout, PayRejection, PayStep, Settlement};
use booking_domain::{Actor, BookingReference, BookingStatus, Card};
use booking_persistence::bookings::{
    self, BatchOutcome, BookingRecord, CancelBookingError, CreateBookingError, CreatedBooking,
    Order, SettleError, Settled,
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
    /// The hold ran out before it was paid; its tickets are back on sale.
    #[error("the hold expired; its tickets were released")]
    HoldExpired,
    /// Paying for a booking that is not the caller's, or no longer exists.
    #[error("no such booking")]
    NotFound,
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
    /// Whether the gateway pays with IO: an instant booking is then written pending and
    /// paid after its transaction.
    payment_needs_io: bool,
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
        let payment_needs_io = !payments.settles_instantly();
        let batcher = (batching.max > 0).then(|| {
            Batcher::new(
                pool.clone(),
                live.clone(),
                metrics,
                batching.max,
                batching.lanes,
                payment_needs_io,
                new_reference,
            )
        });
        Self {
            pool,
            live,
            payments,
            batcher,
            payment_needs_io,
            new_reference,
        }
    }

    /// Books `order` all-or-nothing. A hold comes back pending, for its buyer to pay; an
    /// instant booking the server pays for with IO is paid here: it comes back
    /// confirmed, or the payment is declined and its tickets are back.
    pub async fn book(&self, order: Order) -> Answer {
        let checkout = order.checkout;
        let created = self.reserve(order).await?;
        if created.replayed
            || checkout == Checkout::Hold
            || !lifecycle::AWAITING_PAYMENT.contains(&created.booking.status)
        {
            return Ok(created);
        }
        // The tickets are held by a committed pending booking; pay without holding a lock
        // or a pooled connection.
        let booking = self.charge(created.booking, None).await?;
        Ok(CreatedBooking {
            booking,
            replayed: false,
        })
    }

    /// The buyer pays for their pending booking `id` with `card`: confirmed, declined
    /// (deleted, tickets back at once) or, past its expiry, expired (tickets back).
    /// Paying a confirmed booking again charges nothing and answers with it.
    pub async fn pay(
        &self,
        id: Uuid,
        actor: Actor,
        card: Card,
    ) -> Result<BookingRecord, BookError> {
        let booking = {
            let mut conn = self.connection().await?;
            bookings::find(&mut conn, id)
                .await
                .map_err(BookError::database)?
                .ok_or(BookError::NotFound)?
        };
        match lifecycle::check_pay(actor, booking.user_id, booking.status) {
            Ok(PayStep::AlreadyPaid) => Ok(booking),
            Ok(PayStep::Charge) => self.charge(booking, Some(card)).await,
            Err(PayRejection::NotYours) => Err(BookError::NotFound),
            Err(PayRejection::Cancelled) => Err(BookError::Settle(Arc::new(
                SettleError::NoLongerPending(lifecycle::NotPending(BookingStatus::Cancelled)),
            ))),
            Err(PayRejection::Expired) => {
                // Its tickets come back now rather than at the sweeper's next round.
                match self.settle(id, Settlement::Abandoned).await {
                    Ok(_) | Err(BookError::Settle(_)) => Err(BookError::HoldExpired),
                    Err(error) => Err(error),
                }
            }
        }
    }

    async fn reserve(&self, order: Order) -> Answer {
        if let Some(batcher) = &self.batcher {
            return batcher.book(order).await;
        }
        let mut conn = self.connection().await?;
        let BatchOutcome { answers, changes } = bookings::create_batch(
            &mut conn,
            std::slice::from_ref(&order),
            self.payment_needs_io,
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

    /// Charges `card` (none for a payment the server makes itself) for the pending
    /// `booking`, then settles it by the answer, as of the moment the answer came.
    async fn charge(
        &self,
        booking: BookingRecord,
        card: Option<Card>,
    ) -> Result<BookingRecord, BookError> {
        let charge = Charge {
            booking_id: booking.id,
            amount_cents: booking.total_cents,
            currency: booking.currency.clone(),
            card,
        };
        let settlement = match self.payments.charge(&charge).await {
            PaymentOutcome::Approved => Settlement::Paid,
            PaymentOutcome::Declined => Settlement::Declined,
        };
        match self.settle(booking.id, settlement).await {
            Ok(Some(BookingStatus::Confirmed)) => Ok(BookingRecord {
                status: BookingStatus::Confirmed,
                ..booking
            }),
            Ok(Some(BookingStatus::Expired)) => Err(BookError::HoldExpired),
            Ok(_) => Err(BookError::PaymentDeclined),
            // A second payment of the same hold confirmed it first: nothing more is owed.
            Err(BookError::Settle(error))
                if matches!(
                    *error,
                    SettleError::NoLongerPending(lifecycle::NotPending(BookingStatus::Confirmed))
                ) =>
            {
                Ok(BookingRecord {
                    status: BookingStatus::Confirmed,
                    ..booking
                })
            }
            Err(error) => Err(error),
        }
    }

    /// Settles booking `id` now and publishes the tickets it returned; its status after,
    /// `None` when it was discarded.
    async fn settle(
        &self,
        id: Uuid,
        settlement: Settlement,
    ) -> Result<Option<BookingStatus>, BookError> {
        let mut conn = self.connection().await?;
        let Settled { status, released } = bookings::settle(&mut conn, id, settlement, Utc::now())
            .await
            .map_err(|error| match error {
                SettleError::Db(db) => BookError::database(db),
                other => BookError::Settle(Arc::new(other)),
            })?;
        self.live.released(released);
        Ok(status)
    }

    async fn connection(&self) -> Result<booking_persistence::DbConn, BookError> {
        self.pool
            .get()
            .await
            .map_err(|error| BookError::database(error.into()))
    }

    /// Expires every pending booking whose `expires_at` has come and publishes the
    /// tickets they return (and the offers those made); how many tiers got tickets back.
    pub async fn expire_lapsed(&self) -> Result<usize, DbError> {
        let mut conn = self.pool.get().await?;
        let released = bookings::expire_stale(&mut conn, Utc::now()).await?;
        let tiers = released.changes.len();
        self.live.released(released);
        Ok(tiers)
    }

    /// Finishes what a crash can leave half done: bookings of events whose cancellation
    /// stopped before releasing them are cancelled, their tickets published.
    pub async fn release_cancelled_events(&self) -> Result<usize, DbError> {
        let mut conn = self.pool.get().await?;
        let released = events::release_bookings_of_cancelled_events(&mut conn, Utc::now()).await?;
        let tiers = released.changes.len();
        self.live.released(released);
        Ok(tiers)
    }

    /// Every `every`, expires the holds whose time has come: a buyer who watched their
    /// hold run out sees its tickets back within that.
    pub async fn expire_lapsed_every(self, every: std::time::Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.expire_lapsed().await {
                Ok(0) => {}
                Ok(tiers) => tracing::info!(tiers, "expired lapsed holds"),
                Err(error) => tracing::warn!(%error, "could not expire lapsed holds"),
            }
        }
    }

    /// Cancels the booking `id` for `actor` and returns its tickets.
    pub async fn cancel(
        &self,
        id: Uuid,
        actor: Actor,
    ) -> Result<BookingRecord, CancelBookingError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let cancelled = bookings::cancel(&mut conn, id, actor, Utc::now()).await?;
        self.live.released(cancelled.released);
        Ok(cancelled.booking)
    }
}
