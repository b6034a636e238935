//! `GET /metrics`: Prometheus text, from one registry per process.

use std::fmt::Write;
use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use booking_persistence::DbPool;

/// Why the server let go of a WebSocket client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Its queue was full or a write stalled: it was not reading fast enough.
    Slow,
    /// It answered no ping within the client timeout.
    Silent,
}

impl EncodeLabelValue for DropReason {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.write_str(match self {
            Self::Slow => "slow",
            Self::Silent => "silent",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DropLabels {
    pub reason: DropReason,
}

/// The live-availability counters; cheap to clone, every clone counts into the same.
#[derive(Debug, Clone, Default)]
pub struct LiveMetrics {
    pub clients: Gauge,
    pub messages_sent: Counter,
    pub dropped: Family<DropLabels, Counter>,
    pub notices_sent: Counter,
    pub notices_heard: Counter,
    pub listener_reconnects: Counter,
    /// Waiting-list offers this instance made: returned tickets held for the first in
    /// line.
    pub offers: Counter,
    /// 1 while the LISTEN connection is up.
    pub listening: Gauge,
    /// Tiers whose latest count the hub keeps; those of events that are over are let go.
    pub tiers_tracked: Gauge,
}

impl LiveMetrics {
    pub fn dropped(&self, reason: DropReason) {
        self.dropped.get_or_create(&DropLabels { reason }).inc();
    }
}

/// Group commit of bookings (see `booking::batcher`): how many transactions, and how many
/// requests they carried (the ratio is the mean batch size), and how long each took from
/// asking the pool for a connection to the commit.
#[derive(Debug, Clone)]
pub struct BatchMetrics {
    pub batches: Counter,
    pub requests: Counter,
    pub seconds: Histogram,
}

impl Default for BatchMetrics {
    fn default() -> Self {
        Self {
            batches: Counter::default(),
            requests: Counter::default(),
            // 0.5 ms to about 1 s: a batch on an idle machine to one stuck on a lock.
            seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 12)),
        }
    }
}

/// One HTTP request: the route as declared (`/api/v1/events/{id}`, so ids do not make
/// new series; `unmatched` for paths no route knows), the method and the status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every request, by route: how many, with which status, and how long they took.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub seconds: HistogramFamily<RouteLabels>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            // 1 ms to about 16 s.
            seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 15))
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RejectionLabels {
    /// The problem's `code`: `InsufficientTickets`, `TicketLimitExceeded`, ...
    pub reason: String,
}

/// What booking requests came to: bookings made, and requests refused by reason.
/// Replays of an `Idempotency-Key` count as neither.
#[derive(Debug, Clone, Default)]
pub struct BookingMetrics {
    pub confirmed: Counter,
    /// Checkout holds made: tickets held for a buyer who has not paid yet.
    pub held: Counter,
    pub rejected: Family<RejectionLabels, Counter>,
}

impl BookingMetrics {
    pub fn rejected(&self, reason: String) {
        self.rejected
            .get_or_create(&RejectionLabels { reason })
            .inc();
    }
}

/// The connection pool (read when scraped) and the database's refusals.
#[derive(Debug, Clone, Default)]
pub struct DatabaseMetrics {
    pub pool_max: Gauge,
    pub pool_open: Gauge,
    pub pool_in_use: Gauge,
    pub pool_waiting: Gauge,
    pub lock_timeouts: Counter,
    pub statements_cancelled: Counter,
}

pub struct Metrics {
    registry: Registry,
    pub live: LiveMetrics,
    pub batches: BatchMetrics,
    pub http: HttpMetrics,
    pub bookings: BookingMetrics,
    pub database: DatabaseMetrics,
}

impl LiveMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "waiting_list_offers",
            "Waiting-list offers made by this instance: returned tickets held for the first in line",
            self.offers.clone(),
        );
        registry.register(
            "ws_clients",
            "WebSocket clients connected to this instance",
            self.clients.clone(),
        );
        registry.register(
            "ws_messages_sent",
            "Messages written to WebSocket clients",
            self.messages_sent.clone(),
        );
        registry.register(
            "ws_clients_dropped",
            "WebSocket clients the server disconnected, by reason",
            self.dropped.clone(),
        );
        registry.register(
            "availability_notices_sent",
            "NOTIFY messages this instance published",
            self.notices_sent.clone(),
        );
        registry.register(
            "availability_notices_heard",
            "NOTIFY messages from other instances",
            self.notices_heard.clone(),
        );
        registry.register(
            "availability_listener_reconnects",
            "Times the LISTEN connection was lost and opened again",
            self.listener_reconnects.clone(),
        );
        registry.register(
            "availability_listening",
            "1 while this instance hears other instances' changes",
            self.listening.clone(),
        );
        registry.register(
            "live_tiers_tracked",
            "Tiers whose latest count this instance keeps for its WebSocket clients",
            self.tiers_tracked.clone(),
        );
    }
}

impl BatchMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "batches",
            "Booking transactions of the group commit",
            self.batches.clone(),
        );
        registry.register(
            "batched_requests",
            "Booking requests decided in those transactions",
            self.requests.clone(),
        );
        registry.register(
            "batch_duration_seconds",
            "Time of a group-commit transaction, from asking for a connection to its commit",
            self.seconds.clone(),
        );
    }
}

impl HttpMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            self.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by route template and method",
            self.seconds.clone(),
        );
    }
}

impl BookingMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "bookings_confirmed",
            "Bookings made (an Idempotency-Key replay is not a new one)",
            self.confirmed.clone(),
        );
        registry.register(
            "bookings_held",
            "Checkout holds made (\"checkout\": \"hold\"); paid or not later",
            self.held.clone(),
        );
        registry.register(
            "bookings_rejected",
            "Booking requests refused, by the problem code of the answer",
            self.rejected.clone(),
        );
    }
}

impl DatabaseMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "db_pool_max_connections",
            "Connections the pool may open",
            self.pool_max.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Connections the pool holds open",
            self.pool_open.clone(),
        );
        registry.register(
            "db_pool_connections_in_use",
            "Pooled connections lent to a request",
            self.pool_in_use.clone(),
        );
        registry.register(
            "db_pool_waiting",
            "Requests waiting for a pooled connection",
            self.pool_waiting.clone(),
        );
        registry.register(
            "db_lock_timeouts",
            "Requests answered 503 because a row lock was not granted within LOCK_TIMEOUT_MS",
            self.lock_timeouts.clone(),
        );
        registry.register(
            "db_statements_cancelled",
            "Requests answered 503 because the database cancelled a statement (timeout or operator)",
            self.statements_cancelled.clone(),
        );
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("booking");
        let live = LiveMetrics::default();
        live.register(&mut registry);
        let batches = BatchMetrics::default();
        batches.register(&mut registry);
        let http = HttpMetrics::default();
        http.register(&mut registry);
        let bookings = BookingMetrics::default();
        bookings.register(&mut registry);
        let database = DatabaseMetrics::default();
        database.register(&mut registry);
        Arc::new(Self {
            registry,
            live,
            batches,
            http,
            bookings,
            database,
        })
    }

    /// The text exposition format, with the pool's figures as of now.
    pub fn encode(&self, pool: &DbPool) -> Result<String, std::fmt::Error> {
        let status = pool.status();
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.database.pool_max.set(gauge(status.max_size));
        self.database.pool_open.set(gauge(status.size));
        self.database
            .pool_in_use
            .set(gauge(status.size.saturating_sub(status.available)));
        self.database.pool_waiting.set(gauge(status.waiting));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
