//! Watchers beside a storm: WebSocket clients of given instances (or of a proxy) that
//! follow the storm's events and, when their connection drops (an instance killed, a
//! database failover), connect again, as the web app does. At the end each says the last
//! count it heard per event, to be held against the counts read back.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use booking_dto::ServerMessage;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::live::{LiveClient, LiveError};

/// Between a dropped connection and the next try.
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

/// What one watcher heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatcherLog {
    pub base_url: String,
    pub updates: u64,
    /// Connections after the first: each drop that was followed by a new connection.
    pub reconnects: u64,
    /// Seconds from the storm's start to the last update heard.
    pub last_update_s: Option<f64>,
    /// The last `eventRemaining` heard per event.
    pub last_remaining: HashMap<Uuid, i64>,
    /// Every event's last count heard equals the count read back after the run.
    #[serde(default)]
    pub caught_up: bool,
}

pub struct Watchers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<WatcherLog>>,
}

impl Watchers {
    /// One watcher per URL in `base_urls`, following `events` from now on.
    pub fn start(base_urls: &[String], events: &[Uuid], started: Instant) -> Self {
        let (stop, stopped) = watch::channel(false);
        let tasks = base_urls
            .iter()
            .map(|url| {
                tokio::spawn(follow(
                    url.clone(),
                    events.to_vec(),
                    started,
                    stopped.clone(),
                ))
            })
            .collect();
        Self { stop, tasks }
    }

    /// Stops every watcher; what each heard, each checked against `remaining`.
    pub async fn finish(self, remaining: &HashMap<Uuid, i64>) -> Vec<WatcherLog> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            if let Ok(mut log) = task.await {
                log.caught_up = remaining
                    .iter()
                    .all(|(event, count)| log.last_remaining.get(event) == Some(count));
                logs.push(log);
            }
        }
        logs
    }
}

async fn follow(
    base_url: String,
    events: Vec<Uuid>,
    started: Instant,
    mut stopped: watch::Receiver<bool>,
) -> WatcherLog {
    let mut log = WatcherLog {
        base_url: base_url.clone(),
        updates: 0,
        reconnects: 0,
        last_update_s: None,
        last_remaining: HashMap::new(),
        caught_up: false,
    };
    let mut connections = 0u64;
    while !*stopped.borrow() {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = listen(&base_url, &events, started, &mut log, &mut connections) => {
                tokio::time::sleep(RECONNECT_PAUSE).await;
            }
        }
    }
    log.reconnects = connections.saturating_sub(1);
    log
}

/// One connection, followed until it drops.
async fn listen(
    base_url: &str,
    events: &[Uuid],
    started: Instant,
    log: &mut WatcherLog,
    connections: &mut u64,
) -> Result<Infallible, LiveError> {
    let (mut client, _) = LiveClient::connect(base_url).await?;
    *connections += 1;
    client.subscribe(events).await?;
    loop {
        if let ServerMessage::TicketUpdate {
            event_id,
            event_remaining,
            ..
        } = client.next().await?
        {
            log.updates += 1;
            log.last_update_s = Some(started.elapsed().as_secs_f64());
            log.last_remaining.insert(event_id, event_remaining);
        }
    }
}
