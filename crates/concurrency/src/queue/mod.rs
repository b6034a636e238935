//! `booking-load queue`: the on-sale of a big event through its waiting room. N buyers
//! (registered before the clock starts) each open a WebSocket and take a place before
//! the sale start; at the start the room draws their order, lets them in at its pace,
//! and each books one ticket with their pass when their turn comes, or hears that it
//! sold out. Skippers book without a pass the moment the sale opens. The report says
//! what a fair, exact on-sale must: every ticket sold and none twice, every skipper
//! refused, places that only moved forward, no link between arriving early and being
//! let in early, the pace, the time to sell out and the admitted buyers' booking times.

mod buyer;
pub mod fairness;
mod report;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use booking_dto::{ClientMessage, ServerMessage, WaitingRoomRequest};
use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use tokio::sync::{Semaphore, watch};
use uuid::Uuid;

use self::buyer::{Call, End, Journey, Sale};
pub use self::report::{CallAnswers, FAIRNESS_BOUND, QueueReport, fairness_bound};
use crate::api::{ApiClient, ApiError};
use crate::buyers::{self, Buyer, BuyerNames};
use crate::latency::Latencies;
use crate::live::{LiveClient, LiveError};
use crate::memory;
use crate::storm::setup::{self, EventPlan, Target};
use crate::storm::{self, Told};
use crate::tally::AnswerKind;

/// Sign-ups and joins in flight at once, as a crowd of browsers would send them.
const PARALLEL_SETUP: usize = 64;
/// Reads of a place in flight at once (each buyer reads theirs at the draw).
const READS_IN_FLIGHT: usize = 512;
/// Skippers try this long after the sale opens, when the first passes are out.
const SKIP_AFTER: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct QueueOptions {
    pub buyers: usize,
    pub tickets: u32,
    pub skippers: usize,
    /// The room's pace; `None` takes the server's default.
    pub admit_per_minute: Option<i64>,
    /// From the event's creation to its sale start: every buyer must have a place by then.
    pub lead: Duration,
    /// After the sale start, buyers still waiting give up.
    pub deadline: Duration,
    /// The admitted buyers' booking p99 the run must stay within.
    pub p99_target_ms: f64,
    pub server_pid: Option<u32>,
    pub organizer_email: String,
    pub organizer_password: String,
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("buyers and tickets must be at least 1, and fewer tickets than buyers")]
    Shape,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the sale's observer could not connect: {0}")]
    Observer(#[from] LiveError),
}

/// A buyer with a place: their arrival (order of the answers, and when), and the socket
/// the room's messages come on.
struct Entrant {
    buyer: Buyer,
    arrival: usize,
    arrived_at: DateTime<Utc>,
    live: LiveClient,
}

pub async fn run(api: &ApiClient, options: &QueueOptions) -> Result<QueueReport, QueueError> {
    if options.buyers == 0 || options.tickets == 0 || options.tickets as usize >= options.buyers {
        return Err(QueueError::Shape);
    }
    let say = |what: String| {
        if options.progress {
            eprintln!("booking-load queue: {what}");
        }
    };
    let organizer = api
        .login(&options.organizer_email, &options.organizer_password)
        .await?
        .access_token;
    let names = BuyerNames::new("queue");
    say(format!(
        "registering {} buyers and {} skippers",
        options.buyers, options.skippers
    ));
    let mut people = buyers::register_many(
        api,
        &names,
        0,
        options.buyers + options.skippers,
        PARALLEL_SETUP,
        || {},
    )
    .await?;
    let skippers = people.split_off(options.buyers);

    let sales_start_at = Utc::now() + options.lead;
    let target = setup::create_events(
        api,
        &organizer,
        &EventPlan {
            title: &format!("On-sale {}", names.run()),
            count: 1,
            tickets: options.tickets,
            per_person: 1,
            sale: Some(setup::Sale {
                starts_at: sales_start_at,
                waiting_room: Some(WaitingRoomRequest {
                    admit_per_minute: options.admit_per_minute,
                    opens_minutes: None,
                }),
            }),
        },
    )
    .await?
    .remove(0);
    let admit_per_minute = api
        .event(target.event_id)
        .await?
        .waiting_room
        .map_or(0, |room| i64::from(room.admit_per_minute));

    say(format!(
        "{} buyers taking places before the sale starts at {sales_start_at}",
        options.buyers
    ));
    let mut calls = CallTally::default();
    let joining = Instant::now();
    let (entrants, failed_joins) = join_all(api, target.event_id, people, &mut calls).await;
    let join_s = joining.elapsed().as_secs_f64();
    let (_, server_rss_mib) = options.server_pid.map_or((None, None), memory::of);

    let (mut observer, _) = LiveClient::connect(api.base_url()).await?;
    observer.subscribe(&[target.event_id]).await?;
    let until_start = (sales_start_at - Utc::now()).to_std().unwrap_or_default();
    let start = Instant::now() + until_start;
    let sale = Arc::new(Sale {
        api: api.clone(),
        event_id: target.event_id,
        tier_id: target.tier_id,
        reads: Semaphore::new(READS_IN_FLIGHT),
        deadline: (start + options.deadline).into(),
    });
    let (stop, stopped) = watch::channel(false);
    let observing = tokio::spawn(observe(observer, target.event_id, start, stopped));

    let before_start = entrants
        .iter()
        .filter(|entrant| entrant.arrived_at < sales_start_at)
        .count();
    say(format!(
        "{} places taken in {join_s:.1} s ({before_start} before the start); waiting {:.1} s for it",
        entrants.len(),
        until_start.as_secs_f64()
    ));
    let arrivals: Vec<(usize, bool)> = entrants
        .iter()
        .map(|entrant| (entrant.arrival, entrant.arrived_at < sales_start_at))
        .collect();
    let journeys: Vec<_> = entrants
        .into_iter()
        .map(|entrant| {
            let sale = Arc::clone(&sale);
            tokio::spawn(async move {
                buyer::wait_and_book(&sale, &entrant.buyer.token, entrant.live).await
            })
        })
        .collect();
    let skipping = {
        let sale = Arc::clone(&sale);
        tokio::spawn(async move {
            tokio::time::sleep_until((start + SKIP_AFTER).into()).await;
            let tries = skippers
                .iter()
                .map(|skipper| buyer::skip_the_line(&sale, &skipper.token));
            futures::future::join_all(tries).await
        })
    };

    let mut ended = Vec::with_capacity(journeys.len());
    for journey in journeys {
        ended.push(journey.await.unwrap_or(Journey {
            watch: fairness::Watch::default(),
            answers: Vec::new(),
            end: End::Dropped,
        }));
    }
    let skipped = skipping.await.unwrap_or_default();
    let _ = stop.send(true);
    let observed = observing.await.unwrap_or_default();
    say("the sale is over; reading the event back".into());

    let (server_peak_rss_mib, _) = options.server_pid.map_or((None, None), memory::of);
    let booked = ended
        .iter()
        .filter(|journey| matches!(journey.end, End::Booked { .. }))
        .count();
    let sales = api.organizer_events(&organizer).await?;
    let counts = storm::counts_of(
        &sales,
        Target {
            event_id: target.event_id,
            tier_id: target.tier_id,
        },
        Told {
            booked: i64::try_from(booked).unwrap_or(i64::MAX),
            unknown: unknown_bookings(&ended),
        },
    )?;

    for journey in &ended {
        for (call, kind) in &journey.answers {
            calls.add(*call, kind.clone());
        }
    }
    for kind in &skipped {
        calls.add(Call::BookWithoutPass, kind.clone());
    }
    Ok(report::assemble(report::Inputs {
        options,
        admit_per_minute,
        event_id: target.event_id,
        sales_start_at,
        start,
        join_s,
        failed_joins,
        arrivals: &arrivals,
        ended: &ended,
        skipped: &skipped,
        observed: &observed,
        calls,
        counts,
        server_rss_mib,
        server_peak_rss_mib,
    }))
}

/// Answers of every call of the run, by call.
#[derive(Debug, Default)]
pub struct CallTally(BTreeMap<(Call, AnswerKind), u64>);

impl CallTally {
    fn add(&mut self, call: Call, kind: AnswerKind) {
        *self.0.entry((call, kind)).or_default() += 1;
    }
}

/// Every buyer opens the room's WebSocket as the page does (signed in, watching the
/// event) and takes a place. Returns the buyers with a place, in the order their places
/// were answered, and how many could not get one.
async fn join_all(
    api: &ApiClient,
    event_id: Uuid,
    people: Vec<Buyer>,
    calls: &mut CallTally,
) -> (Vec<Entrant>, usize) {
    let answered = AtomicUsize::new(0);
    let joined: Vec<(Option<Entrant>, Option<AnswerKind>)> = stream::iter(people)
        .map(|buyer| {
            let answered = &answered;
            async move {
                let Ok(live) = open_socket(api.base_url(), event_id, &buyer.token).await else {
                    return (None, None);
                };
                let answer = api.join_queue(&buyer.token, event_id).await;
                let arrived_at = Utc::now();
                let arrival = answered.fetch_add(1, Ordering::Relaxed);
                match answer {
                    Ok((status, _)) => {
                        let entrant = Entrant {
                            buyer,
                            arrival,
                            arrived_at,
                            live,
                        };
                        (Some(entrant), Some(AnswerKind::success(status.as_u16())))
                    }
                    Err(error) => (None, Some(AnswerKind::of_error(&error))),
                }
            }
        })
        .buffer_unordered(PARALLEL_SETUP)
        .collect()
        .await;
    let mut entrants = Vec::with_capacity(joined.len());
    let mut failed = 0;
    for (entrant, answer) in joined {
        if let Some(kind) = answer {
            calls.add(Call::Join, kind);
        }
        match entrant {
            Some(entrant) => entrants.push(entrant),
            None => failed += 1,
        }
    }
    entrants.sort_by_key(|entrant| entrant.arrival);
    (entrants, failed)
}

async fn open_socket(base_url: &str, event_id: Uuid, token: &str) -> Result<LiveClient, LiveError> {
    let (mut live, _) = LiveClient::connect(base_url).await?;
    live.send(&ClientMessage::Authenticate {
        token: token.to_owned(),
    })
    .await?;
    live.subscribe(&[event_id]).await?;
    Ok(live)
}

/// What one watcher of the sale heard: each `queue` message's admissions, as time since
/// the start, and when it first said sold out.
#[derive(Debug, Default)]
pub struct Observed {
    pub admitted: Vec<(Duration, i64)>,
    pub sold_out: Option<Duration>,
}

async fn observe(
    mut live: LiveClient,
    event: Uuid,
    start: Instant,
    mut stopped: watch::Receiver<bool>,
) -> Observed {
    let mut observed = Observed::default();
    loop {
        tokio::select! {
            message = live.next() => match message {
                Ok(ServerMessage::Queue { event_id, admitted_through, sold_out }) if event_id == event => {
                    let at = Instant::now().saturating_duration_since(start);
                    observed.admitted.push((at, admitted_through));
                    if sold_out && observed.sold_out.is_none() {
                        observed.sold_out = Some(at);
                    }
                }
                Ok(_) => {}
                Err(_) => return observed,
            },
            _ = stopped.changed() => return observed,
        }
    }
}

/// Tickets whose booking the buyer never heard the fate of (no answer, or a 5xx).
fn unknown_bookings(ended: &[Journey]) -> i64 {
    let unknown = ended
        .iter()
        .flat_map(|journey| &journey.answers)
        .filter(|(call, kind)| {
            *call == Call::BookWithPass && (kind.status.is_none() || kind.is_server_error())
        })
        .count();
    i64::try_from(unknown).unwrap_or(i64::MAX)
}

/// Booking latencies of the admitted buyers who booked.
fn booking_latencies(ended: &[Journey]) -> Latencies {
    let mut latencies = Latencies::new();
    for journey in ended {
        if let End::Booked { latency, .. } = journey.end {
            latencies.record(latency);
        }
    }
    latencies
}
