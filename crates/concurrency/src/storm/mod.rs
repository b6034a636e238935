//! `storm`: C clients book back to back, for a while or for a number of requests, against
//! one hot event or a spread of events made for the run; then the rates, the latency
//! distribution, every kind of answer, and the invariant read back through the API.

mod conservation;
pub(crate) mod report;
pub(crate) mod setup;
mod watchers;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use booking_dto::{Checkout, OrganizerEvent};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use uuid::Uuid;

pub use self::conservation::{Conservation, EventCounts, check as check_conservation};
use self::setup::{BuyerPool, PRICE_CENTS, TICKETS_PER_BUYER, Target};
pub use self::watchers::WatcherLog;
use self::watchers::Watchers;
use crate::api::{ApiClient, ApiError, BookingOutcome};
use crate::buyers::{self, BuyerNames};
use crate::latency::{Latencies, LatencySummary};
use crate::tally::{AnswerKind, Tally, TallyEntry};

/// When the clients stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stop {
    After(#[serde(with = "seconds")] Duration),
    Requests(u64),
}

#[derive(Debug, Clone)]
pub struct StormOptions {
    pub clients: usize,
    pub stop: Stop,
    pub tickets: u32,
    pub events: usize,
    pub quantity: u32,
    /// Check out with a hold (`"checkout": "hold"`): each 201 holds tickets for a buyer
    /// who does not pay during the run.
    pub hold: bool,
    /// Buyers registered before the clock starts; more are registered if they run out.
    pub buyers: Option<usize>,
    /// Book under an Idempotency-Key and ask again after a 503 or no answer, for up to
    /// this long per booking (a database failover, an instance going away).
    pub retry_for: Option<Duration>,
    /// After the run, read every booking that was answered 201 back by its id.
    pub verify: bool,
    /// WebSocket watchers of the storm's events, one per base URL (an instance or the
    /// proxy), reconnecting when dropped.
    pub watch: Vec<String>,
    pub organizer_email: String,
    pub organizer_password: String,
    /// Draw progress bars on the terminal.
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StormError {
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error("quantity {0} is above the per-buyer limit of {TICKETS_PER_BUYER}")]
    QuantityTooLarge(u32),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Also read back from JSON, by `booking-load report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StormReport {
    pub clients: usize,
    pub stop: Stop,
    pub events: usize,
    pub tickets_per_event: u32,
    pub quantity: u32,
    /// Each 201 was a hold, not a paid booking.
    #[serde(default)]
    pub hold: bool,
    pub elapsed_s: f64,
    pub responses: u64,
    pub responses_per_s: f64,
    pub bookings: u64,
    pub bookings_per_s: f64,
    pub latency: LatencySummary,
    pub answers: Vec<TallyEntry>,
    pub server_errors: u64,
    pub buyers_registered_before: usize,
    pub buyers_registered_during: u64,
    /// Times a buyer's access token ran out mid-run and the buyer signed in again.
    pub buyers_signed_in_again: u64,
    pub conservation: Conservation,
    pub event_ids: Vec<Uuid>,
    /// Answers that were asked again under the same Idempotency-Key (`retry_for`).
    #[serde(default)]
    pub retried: Vec<TallyEntry>,
    /// The longest stretch without a 201 while the clients were booking.
    #[serde(default)]
    pub longest_pause: Option<Pause>,
    /// The bookings answered 201, read back by id after the run (`verify`).
    #[serde(default)]
    pub verified: Option<Verified>,
    #[serde(default)]
    pub watchers: Vec<WatcherLog>,
}

/// From the last 201 before a stretch without one to the first 201 after it, in seconds
/// from the start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    pub from_s: f64,
    pub to_s: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub read_back: u64,
    /// Answered 201, yet not found (or not readable) after the run.
    pub missing: Vec<Uuid>,
}

impl StormReport {
    /// The run is clean: the invariant holds, the server never failed a request, every
    /// booking read back was found (`verify`) and every watcher heard the final counts.
    pub fn passed(&self) -> bool {
        self.conservation.holds
            && self.server_errors == 0
            && self.unanswered() == 0
            && self
                .verified
                .as_ref()
                .is_none_or(|verified| verified.missing.is_empty())
            && self.watchers.iter().all(|watcher| watcher.caught_up)
    }

    /// Answers other than 201, requests that got no answer included.
    pub fn refused(&self) -> u64 {
        self.answers
            .iter()
            .filter(|entry| entry.kind.status != Some(201))
            .map(|entry| entry.count)
            .sum()
    }

    fn unanswered(&self) -> u64 {
        self.answers
            .iter()
            .filter(|entry| entry.kind.status.is_none())
            .map(|entry| entry.count)
            .sum()
    }
}

/// What one client saw.
#[derive(Debug, Default)]
struct ClientLog {
    latencies: Latencies,
    tally: Tally,
    /// Per target: tickets booked, and tickets of requests whose fate is unknown.
    booked: HashMap<usize, i64>,
    unknown: HashMap<usize, i64>,
    /// Buyers whose access token ran out and who signed in again.
    signed_in_again: u64,
    retried: Tally,
    /// When each 201 came, from the start.
    booked_at: Vec<Duration>,
    /// Each booking answered 201 with its buyer's token, to read it back (`verify`).
    confirmed: Vec<(Uuid, String)>,
}

struct Shared {
    api: ApiClient,
    targets: Vec<Target>,
    quantity: u32,
    checkout: Option<Checkout>,
    stop: Stop,
    started: Instant,
    issued: AtomicU64,
    answered: AtomicU64,
    booked: AtomicU64,
    pool: BuyerPool,
    on_booked: Option<mpsc::UnboundedSender<Instant>>,
    retry_for: Option<Duration>,
    verify: bool,
}

pub async fn run(api: &ApiClient, options: &StormOptions) -> Result<StormReport, StormError> {
    prepare(api, options).await?.run(None).await
}

/// A storm with its events made and its buyers registered, ready to start the clock.
pub struct Prepared {
    api: ApiClient,
    options: StormOptions,
    targets: Vec<Target>,
    buyer_count: usize,
    pool: BuyerPool,
}

/// Everything a storm does before the clock starts.
pub async fn prepare(api: &ApiClient, options: &StormOptions) -> Result<Prepared, StormError> {
    validate(options)?;
    let organizer = api
        .login(&options.organizer_email, &options.organizer_password)
        .await?;
    let names = BuyerNames::new("storm");
    let title = format!("Storm {}", names.run());
    let plan = setup::EventPlan {
        title: &title,
        count: options.events,
        tickets: options.tickets,
        per_person: TICKETS_PER_BUYER,
        sale: None,
    };
    let targets = setup::create_events(api, &organizer.access_token, &plan).await?;

    let buyer_count = options
        .buyers
        .unwrap_or_else(|| default_buyers(options))
        .max(options.clients);
    let bar = progress_bar(options.progress, buyer_count as u64, "registering buyers");
    let ready = buyers::register_many(api, &names, 0, buyer_count, options.clients, || {
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    Ok(Prepared {
        api: api.clone(),
        options: options.clone(),
        targets,
        buyer_count,
        pool: BuyerPool::new(names, ready),
    })
}

impl Prepared {
    /// The events the storm books, made for this run.
    pub fn event_ids(&self) -> Vec<Uuid> {
        self.targets.iter().map(|target| target.event_id).collect()
    }

    /// Runs the storm. Every 201 sends the instant its response arrived to `booked`.
    pub async fn run(
        self,
        booked: Option<mpsc::UnboundedSender<Instant>>,
    ) -> Result<StormReport, StormError> {
        let Self {
            api,
            options,
            targets,
            buyer_count,
            pool,
        } = self;
        let shared = Arc::new(Shared {
            api: api.clone(),
            targets,
            quantity: options.quantity,
            checkout: options.hold.then_some(Checkout::Hold),
            stop: options.stop,
            started: Instant::now(),
            issued: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            booked: AtomicU64::new(0),
            pool,
            on_booked: booked,
            retry_for: options.retry_for,
            verify: options.verify,
        });
        let event_ids: Vec<Uuid> = shared.targets.iter().map(|t| t.event_id).collect();
        let watchers = Watchers::start(&options.watch, &event_ids, shared.started);
        let bar = progress_bar(options.progress, progress_length(options.stop), "booking");
        let ticker = tokio::spawn(tick(Arc::clone(&shared), bar.clone()));
        let clients: Vec<_> = (0..options.clients)
            .map(|client| tokio::spawn(client_loop(Arc::clone(&shared), client)))
            .collect();
        let mut log = ClientLog::default();
        for client in clients {
            let client_log = client.await.map_err(|error| ApiError::Shape {
                what: format!("a client task ended abnormally: {error}"),
            })??;
            merge(&mut log, client_log);
        }
        let elapsed = shared.started.elapsed();
        ticker.abort();
        bar.finish_and_clear();

        // Read back as the organizer signed in afresh: a long run outlives a token.
        let organizer_token = api
            .login(&options.organizer_email, &options.organizer_password)
            .await?
            .access_token;
        let counts = read_back(&api, &organizer_token, &shared.targets, &log).await?;
        let verified = if options.verify {
            Some(verify(&api, std::mem::take(&mut log.confirmed)).await)
        } else {
            None
        };
        // The last updates are on their way (coalesced, crossing instances).
        if !options.watch.is_empty() {
            tokio::time::sleep(WATCHERS_SETTLE).await;
        }
        let remaining = counts
            .iter()
            .map(|event| (event.event_id, event.remaining))
            .collect();
        let watchers = watchers.finish(&remaining).await;
        let responses = log.tally.total();
        let bookings = log.tally.booked();
        let per_second = |count: u64| count as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
        Ok(StormReport {
            clients: options.clients,
            stop: options.stop,
            events: options.events,
            tickets_per_event: options.tickets,
            quantity: options.quantity,
            hold: options.hold,
            elapsed_s: elapsed.as_secs_f64(),
            responses,
            responses_per_s: per_second(responses),
            bookings,
            bookings_per_s: per_second(bookings),
            latency: log.latencies.summary(),
            answers: log.tally.entries(),
            server_errors: log.tally.server_errors(),
            buyers_registered_before: buyer_count,
            buyers_registered_during: shared.pool.registered_late().await,
            buyers_signed_in_again: log.signed_in_again,
            conservation: conservation::check(&counts),
            event_ids,
            retried: log.retried.entries(),
            longest_pause: longest_pause(&mut log.booked_at),
            verified,
            watchers,
        })
    }
}

fn validate(options: &StormOptions) -> Result<(), StormError> {
    if options.clients == 0 {
        return Err(StormError::Zero("clients"));
    }
    if options.events == 0 {
        return Err(StormError::Zero("events"));
    }
    if options.quantity == 0 {
        return Err(StormError::Zero("quantity"));
    }
    if options.quantity > TICKETS_PER_BUYER {
        return Err(StormError::QuantityTooLarge(options.quantity));
    }
    if options.stop == Stop::Requests(0) || options.stop == Stop::After(Duration::ZERO) {
        return Err(StormError::Zero("the run's length"));
    }
    Ok(())
}

/// Enough buyers that none runs out for a fixed number of requests; for a timed run, two
/// per client (more are registered on demand).
fn default_buyers(options: &StormOptions) -> usize {
    let bookings_per_buyer = u64::from(TICKETS_PER_BUYER / options.quantity.max(1)).max(1);
    match options.stop {
        Stop::Requests(requests) => {
            usize::try_from(requests.div_ceil(bookings_per_buyer)).unwrap_or(usize::MAX)
                + options.clients
        }
        Stop::After(_) => options.clients * 2,
    }
}

async fn client_loop(shared: Arc<Shared>, client: usize) -> Result<ClientLog, ApiError> {
    let mut log = ClientLog::default();
    let mut rng = fastrand::Rng::with_seed(client as u64);
    let mut buyer = shared.pool.take(&shared.api).await?;
    // Tickets the current buyer holds per target: a buyer is retired before the event's
    // per-buyer limit would refuse it.
    let mut held: HashMap<usize, u32> = HashMap::new();
    let quantity = shared.quantity;
    loop {
        let go_on = match shared.stop {
            Stop::After(duration) => shared.started.elapsed() < duration,
            Stop::Requests(requests) => shared.issued.fetch_add(1, Ordering::Relaxed) < requests,
        };
        if !go_on {
            return Ok(log);
        }
        let target = rng.usize(..shared.targets.len());
        let Some(Target { tier_id, .. }) = shared.targets.get(target).copied() else {
            return Ok(log);
        };
        if held.get(&target).copied().unwrap_or(0) + quantity > TICKETS_PER_BUYER {
            buyer = shared.pool.take(&shared.api).await?;
            held.clear();
        }
        let mut answer = shared.book(&buyer.token, tier_id, &mut log).await;
        if matches!(answer.0, BookingOutcome::Refused { status: 401, .. }) {
            // The buyer's access token expired during a long run: not the server's doing,
            // so not an answer to count. Sign in again and ask once more.
            buyers::sign_in_again(&shared.api, &mut buyer).await?;
            log.signed_in_again += 1;
            answer = shared.book(&buyer.token, tier_id, &mut log).await;
        }
        let (outcome, latency) = answer;
        log.latencies.record(latency);
        log.tally.add(&outcome);
        shared.answered.fetch_add(1, Ordering::Relaxed);
        match &outcome {
            BookingOutcome::Booked(booking) => {
                log.booked_at.push(shared.started.elapsed());
                if shared.verify {
                    log.confirmed.push((booking.id, buyer.token.clone()));
                }
                if let Some(booked) = &shared.on_booked {
                    // The watcher may have stopped listening; the storm goes on.
                    let _ = booked.send(Instant::now());
                }
                shared.booked.fetch_add(1, Ordering::Relaxed);
                *held.entry(target).or_default() += quantity;
                *log.booked.entry(target).or_default() += i64::from(quantity);
            }
            _ if is_unknown(&outcome) => {
                *log.unknown.entry(target).or_default() += i64::from(quantity);
            }
            _ => {}
        }
    }
}

impl Shared {
    /// One booking of the buyer's, asked again after a 503 or no answer when the storm
    /// retries (the answers asked again are counted apart).
    async fn book(
        &self,
        token: &str,
        tier_id: Uuid,
        log: &mut ClientLog,
    ) -> (BookingOutcome, Duration) {
        let quantity = i64::from(self.quantity);
        let Some(retry_for) = self.retry_for else {
            return self.api.book(token, tier_id, quantity, self.checkout).await;
        };
        let retried = self
            .api
            .book_retrying(token, tier_id, quantity, self.checkout, retry_for)
            .await;
        for earlier in &retried.retried {
            log.retried.add(earlier);
        }
        (retried.outcome, retried.latency)
    }
}

/// After the last updates of a run, before the watchers are asked what they heard.
const WATCHERS_SETTLE: Duration = Duration::from_secs(2);
/// Bookings read back at once by `verify`.
const VERIFY_IN_FLIGHT: usize = 16;

/// Reads every booking in `confirmed` back by id, as its buyer.
async fn verify(api: &ApiClient, confirmed: Vec<(Uuid, String)>) -> Verified {
    let read_back = confirmed.len() as u64;
    let missing = futures::stream::iter(confirmed)
        .map(|(id, token)| async move { api.booking(&token, id).await.err().map(|_| id) })
        .buffer_unordered(VERIFY_IN_FLIGHT)
        .filter_map(|missing| async move { missing })
        .collect()
        .await;
    Verified { read_back, missing }
}

/// The widest gap between consecutive 201s.
fn longest_pause(booked_at: &mut [Duration]) -> Option<Pause> {
    booked_at.sort_unstable();
    booked_at
        .iter()
        .zip(booked_at.iter().skip(1))
        .max_by_key(|&(before, after)| *after - *before)
        .map(|(before, after)| Pause {
            from_s: before.as_secs_f64(),
            to_s: after.as_secs_f64(),
        })
}

fn is_unknown(outcome: &BookingOutcome) -> bool {
    let kind = AnswerKind::of(outcome);
    kind.status.is_none() || kind.is_server_error()
}

fn merge(into: &mut ClientLog, from: ClientLog) {
    into.latencies.merge(&from.latencies);
    into.signed_in_again += from.signed_in_again;
    into.tally.merge(&from.tally);
    into.retried.merge(&from.retried);
    into.booked_at.extend(from.booked_at);
    into.confirmed.extend(from.confirmed);
    for (target, tickets) in from.booked {
        *into.booked.entry(target).or_default() += tickets;
    }
    for (target, tickets) in from.unknown {
        *into.unknown.entry(target).or_default() += tickets;
    }
}

/// Each event's counts from the public event and the organizer's sales.
async fn read_back(
    api: &ApiClient,
    organizer_token: &str,
    targets: &[Target],
    log: &ClientLog,
) -> Result<Vec<EventCounts>, ApiError> {
    let sales = api.organizer_events(organizer_token).await?;
    let mut counts = Vec::with_capacity(targets.len());
    for (n, target) in targets.iter().enumerate() {
        let told = Told {
            booked: log.booked.get(&n).copied().unwrap_or(0),
            unknown: log.unknown.get(&n).copied().unwrap_or(0),
        };
        counts.push(counts_of(&sales, *target, told)?);
    }
    Ok(counts)
}

/// Tickets of one event the clients were told they got, and tickets asked for by
/// requests whose fate they never learned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Told {
    pub booked: i64,
    pub unknown: i64,
}

/// One event's counts, read back after a run: the tier counter from the public event,
/// the tickets in bookings from the organizer's `sales`, and what the clients were told.
pub fn counts_of(
    sales: &[OrganizerEvent],
    target: Target,
    told: Told,
) -> Result<EventCounts, ApiError> {
    // The organizer's view, not the public page: it is read from the primary, where a
    // public read may come from a standby.
    let sale = sales
        .iter()
        .find(|sale| sale.event.id == target.event_id)
        .ok_or_else(|| ApiError::Shape {
            what: format!("event {} is not among the organizer's", target.event_id),
        })?;
    let tier = sale
        .event
        .tiers
        .iter()
        .find(|tier| tier.id == target.tier_id)
        .ok_or_else(|| ApiError::Shape {
            what: format!("event {} lost its tier", target.event_id),
        })?;
    let (revenue, held) = (sale.revenue_cents, sale.held);
    Ok(EventCounts {
        event_id: target.event_id,
        capacity: i64::from(tier.capacity),
        remaining: i64::from(tier.remaining),
        in_bookings: revenue / PRICE_CENTS + held,
        booked: told.booked,
        unknown: told.unknown,
    })
}

fn progress_length(stop: Stop) -> u64 {
    match stop {
        Stop::After(duration) => u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        Stop::Requests(requests) => requests,
    }
}

fn progress_bar(visible: bool, length: u64, what: &'static str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length).with_message(what);
    if let Ok(style) = ProgressStyle::with_template("{msg:>18} [{wide_bar}] {percent:>3}% {prefix}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

async fn tick(shared: Arc<Shared>, bar: ProgressBar) {
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    loop {
        interval.tick().await;
        let position = match shared.stop {
            Stop::After(_) => u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(0),
            Stop::Requests(_) => shared.answered.load(Ordering::Relaxed),
        };
        bar.set_position(position);
        bar.set_prefix(format!(
            "{} answered, {} booked",
            shared.answered.load(Ordering::Relaxed),
            shared.booked.load(Ordering::Relaxed)
        ));
    }
}

/// `Duration` as fractional seconds in JSON.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Duration::try_from_secs_f64(f64::deserialize(deserializer)?)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(stop: Stop, quantity: u32) -> StormOptions {
        StormOptions {
            clients: 64,
            stop,
            tickets: 1_000,
            events: 1,
            quantity,
            hold: false,
            buyers: None,
            retry_for: None,
            verify: false,
            watch: Vec::new(),
            organizer_email: String::new(),
            organizer_password: String::new(),
            progress: false,
        }
    }

    #[test]
    fn a_counted_run_registers_enough_buyers_up_front() {
        // 10,000 single tickets at 100 per buyer: 100 buyers, plus one spare per client.
        assert_eq!(default_buyers(&options(Stop::Requests(10_000), 1)), 164);
        // Three tickets a booking: 33 bookings per buyer.
        assert_eq!(default_buyers(&options(Stop::Requests(100), 3)), 4 + 64);
        assert_eq!(
            default_buyers(&options(Stop::After(Duration::from_secs(5)), 1)),
            128
        );
    }

    #[test]
    fn the_longest_pause_is_the_widest_gap_between_201s() {
        let ms = Duration::from_millis;
        // Out of order, as the clients' logs merge.
        let mut booked = vec![ms(300), ms(100), ms(9_300), ms(200), ms(9_400)];
        assert_eq!(
            longest_pause(&mut booked),
            Some(Pause {
                from_s: 0.3,
                to_s: 9.3
            })
        );
        assert_eq!(longest_pause(&mut [ms(5)]), None, "one 201 has no gap");
    }

    #[test]
    fn degenerate_runs_are_refused() {
        let mut zero_clients = options(Stop::Requests(1), 1);
        zero_clients.clients = 0;
        assert!(matches!(
            validate(&zero_clients),
            Err(StormError::Zero("clients"))
        ));
        assert!(validate(&options(Stop::Requests(0), 1)).is_err());
        assert!(validate(&options(Stop::After(Duration::ZERO), 1)).is_err());
        assert!(matches!(
            validate(&options(Stop::Requests(1), 101)),
            Err(StormError::QuantityTooLarge(101))
        ));
        assert!(validate(&options(Stop::Requests(1), 100)).is_ok());
    }
}
