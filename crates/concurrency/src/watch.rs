//! `ws`: M WebSocket clients watch the event a storm is booking. For every booking and
//! every watcher, the delivery latency runs from the booking's 201 to the first update
//! that watcher gets carrying a count at or below what that 201 implies; plus the
//! watchers the server dropped and the messages each one got.

use std::fmt;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use booking_dto::ServerMessage;

use crate::api::ApiClient;
use crate::latency::{Latencies, LatencySummary};
use crate::live::{LiveClient, LiveError};
use crate::memory;
use crate::storm::{self, StormError, StormOptions, StormReport};

/// Watchers connect a few at a time, like browsers opening a page.
const PARALLEL_CONNECTS: usize = 32;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub watchers: usize,
    /// The storm to watch; it books one event.
    pub storm: StormOptions,
    /// How long watchers keep listening after the storm, for the last count to arrive.
    pub settle: Duration,
    /// The server's process, to report its memory (same machine only).
    pub server_pid: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watchers must be at least 1")]
    NoWatchers,
    #[error("a watched storm books exactly one event (got --events {0})")]
    Events(usize),
    #[error(transparent)]
    Storm(#[from] StormError),
    #[error("no watcher could connect: {0}")]
    Connect(LiveError),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageCounts {
    pub min: u64,
    pub mean: f64,
    pub max: u64,
}

/// Also read back from JSON, by `booking-load report live`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchReport {
    pub watchers: usize,
    pub connected: usize,
    /// Watchers the server disconnected before the end.
    pub dropped: usize,
    pub messages_per_watcher: MessageCounts,
    /// One sample per booking per watcher.
    pub delivery: LatencySummary,
    /// (booking, watcher) pairs whose count never arrived.
    pub undelivered: u64,
    /// Peak and final resident memory of the server, in MiB, when its pid was given.
    pub server_peak_rss_mib: Option<f64>,
    pub server_rss_mib: Option<f64>,
    pub storm: StormReport,
}

impl WatchReport {
    pub fn passed(&self) -> bool {
        self.storm.passed()
            && self.connected == self.watchers
            && self.dropped == 0
            && self.undelivered == 0
    }
}

/// What one watcher saw: each update's arrival and the event's remaining count.
#[derive(Debug, Default)]
struct WatcherLog {
    updates: Vec<(Instant, i64)>,
    dropped: bool,
}

pub async fn run(api: &ApiClient, options: &WatchOptions) -> Result<WatchReport, WatchError> {
    if options.watchers == 0 {
        return Err(WatchError::NoWatchers);
    }
    if options.storm.events != 1 {
        return Err(WatchError::Events(options.storm.events));
    }
    let prepared = storm::prepare(api, &options.storm).await?;
    let event_ids = prepared.event_ids();

    let base_url = api.base_url().to_owned();
    let connected: Vec<Result<LiveClient, LiveError>> = stream::iter(0..options.watchers)
        .map(|_| {
            let (base_url, event_ids) = (base_url.clone(), event_ids.clone());
            async move {
                let (mut client, _) = LiveClient::connect(&base_url).await?;
                client.subscribe(&event_ids).await?;
                Ok(client)
            }
        })
        .buffer_unordered(PARALLEL_CONNECTS)
        .collect()
        .await;
    let mut clients = Vec::with_capacity(connected.len());
    let mut first_failure = None;
    for result in connected {
        match result {
            Ok(client) => clients.push(client),
            Err(error) => first_failure = first_failure.or(Some(error)),
        }
    }
    if clients.is_empty() {
        return Err(WatchError::Connect(
            first_failure.unwrap_or(LiveError::Closed(None)),
        ));
    }
    if let Some(error) = first_failure {
        eprintln!("booking-load: some watchers could not connect, e.g. {error}");
    }
    let connected = clients.len();
    let (stop, stopped) = watch::channel(false);
    let watchers: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(listen(client, stopped.clone())))
        .collect();

    let (booked_tx, mut booked_rx) = mpsc::unbounded_channel();
    let report = prepared.run(Some(booked_tx)).await?;
    let mut booked = Vec::new();
    while let Some(at) = booked_rx.recv().await {
        booked.push(at);
    }
    tokio::time::sleep(options.settle).await;
    let _ = stop.send(true);

    let mut latencies = Latencies::new();
    let mut undelivered = 0;
    let mut dropped = 0;
    let mut messages = Vec::with_capacity(watchers.len());
    booked.sort_unstable();
    let capacity = i64::from(report.tickets_per_event);
    let quantity = i64::from(report.quantity);
    for watcher in watchers {
        let log = watcher.await.unwrap_or(WatcherLog {
            updates: Vec::new(),
            dropped: true,
        });
        dropped += usize::from(log.dropped);
        messages.push(log.updates.len() as u64);
        undelivered += delivery(capacity, quantity, &booked, &log.updates, &mut latencies);
    }
    let (server_peak_rss_mib, server_rss_mib) = options.server_pid.map_or((None, None), memory::of);
    Ok(WatchReport {
        watchers: options.watchers,
        connected,
        dropped,
        messages_per_watcher: message_counts(&messages),
        delivery: latencies.summary(),
        undelivered,
        server_peak_rss_mib,
        server_rss_mib,
        storm: report,
    })
}

async fn listen(mut client: LiveClient, mut stopped: watch::Receiver<bool>) -> WatcherLog {
    let mut log = WatcherLog::default();
    loop {
        tokio::select! {
            message = client.next() => match message {
                Ok(ServerMessage::TicketUpdate { event_remaining, .. }) => {
                    log.updates.push((Instant::now(), event_remaining));
                }
                Ok(_) => {}
                Err(_) => {
                    log.dropped = true;
                    return log;
                }
            },
            _ = stopped.changed() => return log,
        }
    }
}

/// Records, for the k-th 201 (in order of arrival), how long until `updates` first
/// carried a count at or below `capacity - k * quantity`: once k bookings were
/// answered, at least that many tickets were gone. An update that came before the 201
/// counts as 0. Returns how many bookings no update ever covered.
pub fn delivery(
    capacity: i64,
    quantity: i64,
    booked: &[Instant],
    updates: &[(Instant, i64)],
    latencies: &mut Latencies,
) -> u64 {
    let mut next = 0;
    for (k, answered) in (1_i64..).zip(booked) {
        let bound = capacity - k * quantity;
        while updates.get(next).is_some_and(|(_, count)| *count > bound) {
            next += 1;
        }
        match updates.get(next) {
            Some((arrived, _)) => latencies.record(arrived.saturating_duration_since(*answered)),
            None => return booked.len() as u64 - (k as u64 - 1),
        }
    }
    0
}

fn message_counts(messages: &[u64]) -> MessageCounts {
    MessageCounts {
        min: messages.iter().copied().min().unwrap_or(0),
        mean: messages.iter().sum::<u64>() as f64 / messages.len().max(1) as f64,
        max: messages.iter().copied().max().unwrap_or(0),
    }
}

impl fmt::Display for WatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.delivery;
        writeln!(f, "{}", self.storm)?;
        writeln!(
            f,
            "watchers: {} asked, {} connected, {} dropped by the server",
            self.watchers, self.connected, self.dropped
        )?;
        writeln!(
            f,
            "messages per watcher: min {} / mean {:.1} / max {}",
            self.messages_per_watcher.min,
            self.messages_per_watcher.mean,
            self.messages_per_watcher.max
        )?;
        writeln!(
            f,
            "delivery, 201 -> update (ms): mean {:.1}  p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}  ({} samples, {} never delivered)",
            d.mean_ms, d.p50_ms, d.p95_ms, d.p99_ms, d.max_ms, d.count, self.undelivered
        )?;
        if let (Some(peak), Some(now)) = (self.server_peak_rss_mib, self.server_rss_mib) {
            writeln!(f, "server memory: peak RSS {peak:.1} MiB, now {now:.1} MiB")?;
        }
        write!(
            f,
            "VERDICT: {}",
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_booking_waits_for_the_first_count_that_covers_it() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        // Capacity 10, single tickets: 201s at 0, 5 and 20 ms.
        let booked = [ms(0), ms(5), ms(20)];
        // Updates: 9 at 3 ms covers the first, 8 at 30 ms the second, 7 at 50 ms the third.
        let updates = [(ms(3), 9), (ms(30), 8), (ms(50), 7)];
        let mut latencies = Latencies::new();
        assert_eq!(delivery(10, 1, &booked, &updates, &mut latencies), 0);
        let summary = latencies.summary();
        assert_eq!(summary.count, 3);
        // 3 ms, 25 ms and 30 ms.
        assert!((summary.max_ms - 30.0).abs() < 0.1, "{summary:?}");
        assert!((summary.mean_ms - 58.0 / 3.0).abs() < 0.1, "{summary:?}");
    }

    #[test]
    fn an_update_before_the_answer_is_instant_and_a_missing_one_is_counted() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let booked = [ms(10), ms(11), ms(12)];
        // One update carrying 8 (two bookings) that beat both answers; nothing after.
        let updates = [(ms(1), 8)];
        let mut latencies = Latencies::new();
        assert_eq!(delivery(10, 1, &booked, &updates, &mut latencies), 1);
        let summary = latencies.summary();
        assert_eq!(summary.count, 2);
        assert!(summary.max_ms < 0.01, "{summary:?}");
    }

    #[test]
    fn message_counts_summarise_watchers() {
        let counts = message_counts(&[3, 5, 10]);
        assert_eq!((counts.min, counts.max), (3, 10));
        assert!((counts.mean - 6.0).abs() < f64::EPSILON);
    }
}
