//! `GET /metrics`: Prometheus text, from one registry per process.

use std::fmt::Write;
use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

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
    /// 1 while the LISTEN connection is up.
    pub listening: Gauge,
}

impl LiveMetrics {
    pub fn dropped(&self, reason: DropReason) {
        self.dropped.get_or_create(&DropLabels { reason }).inc();
    }
}

/// Group commit of bookings (see `coalesce`): how many transactions, and how many
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

pub struct Metrics {
    registry: Registry,
    pub live: LiveMetrics,
    pub batches: BatchMetrics,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let live = LiveMetrics::default();
        let mut registry = Registry::with_prefix("booking");
        registry.register(
            "ws_clients",
            "WebSocket clients connected to this instance",
            live.clients.clone(),
        );
        registry.register(
            "ws_messages_sent",
            "Messages written to WebSocket clients",
            live.messages_sent.clone(),
        );
        registry.register(
            "ws_clients_dropped",
            "WebSocket clients the server disconnected, by reason",
            live.dropped.clone(),
        );
        registry.register(
            "availability_notices_sent",
            "NOTIFY messages this instance published",
            live.notices_sent.clone(),
        );
        registry.register(
            "availability_notices_heard",
            "NOTIFY messages from other instances",
            live.notices_heard.clone(),
        );
        registry.register(
            "availability_listener_reconnects",
            "Times the LISTEN connection was lost and opened again",
            live.listener_reconnects.clone(),
        );
        registry.register(
            "availability_listening",
            "1 while this instance hears other instances' changes",
            live.listening.clone(),
        );
        let batches = BatchMetrics::default();
        registry.register(
            "batches",
            "Booking transactions of the group commit",
            batches.batches.clone(),
        );
        registry.register(
            "batched_requests",
            "Booking requests decided in those transactions",
            batches.requests.clone(),
        );
        registry.register(
            "batch_duration_seconds",
            "Time of a group-commit transaction, from asking for a connection to its commit",
            batches.seconds.clone(),
        );
        Arc::new(Self {
            registry,
            live,
            batches,
        })
    }

    /// The text exposition format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
