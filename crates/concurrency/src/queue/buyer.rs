//! One buyer's on-sale, as the waiting room's page lives it: wait for the live `queue`
//! messages, read the place once the draw gives it and again when the line reaches it,
//! then book with the pass; or hear that it sold out.

use std::time::{Duration, Instant};

use booking_dto::{QueueState, QueueStatus, ServerMessage};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::fairness::Watch;
use crate::api::{ApiClient, BookingOutcome};
use crate::live::LiveClient;
use crate::tally::AnswerKind;

/// The calls a run makes, for its table of answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Call {
    Join,
    Status,
    BookWithPass,
    BookWithoutPass,
}

impl Call {
    pub fn label(self) -> &'static str {
        match self {
            Self::Join => "POST /events/{id}/queue",
            Self::Status => "GET /events/{id}/queue/me",
            Self::BookWithPass => "POST /bookings with the pass",
            Self::BookWithoutPass => "POST /bookings without a pass",
        }
    }
}

/// What every buyer of the run shares.
pub struct Sale {
    pub api: ApiClient,
    pub event_id: Uuid,
    pub tier_id: Uuid,
    /// Reads of a place in flight at once: the start sends every buyer to read theirs.
    pub reads: Semaphore,
    /// Buyers still waiting then give up.
    pub deadline: tokio::time::Instant,
}

/// How a buyer's sale ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Admitted and booked; the booking's latency and when its 201 came.
    Booked { latency: Duration, at: Instant },
    /// Admitted, but the booking was refused or failed.
    NotBooked,
    /// Told it sold out while still in line.
    SoldOut,
    /// Admitted, but the pass ran out.
    Expired,
    /// Still waiting at the deadline.
    TimedOut,
    /// The server closed the WebSocket.
    Dropped,
}

#[derive(Debug)]
pub struct Journey {
    pub watch: Watch,
    pub answers: Vec<(Call, AnswerKind)>,
    pub end: End,
}

pub async fn wait_and_book(sale: &Sale, token: &str, mut live: LiveClient) -> Journey {
    let mut watch = Watch::default();
    let mut answers = Vec::new();
    let end = loop {
        let (through, sold_out) = match tokio::time::timeout_at(sale.deadline, live.next()).await {
            Err(_) => break End::TimedOut,
            Ok(Err(_)) => break End::Dropped,
            Ok(Ok(ServerMessage::Queue {
                event_id,
                admitted_through,
                sold_out,
            })) if event_id == sale.event_id => (admitted_through, sold_out),
            Ok(Ok(_)) => continue,
        };
        watch.heard(through);
        let due = watch.position().is_none_or(|position| through >= position);
        if !(due || sold_out) {
            continue;
        }
        let Some(status) = read_place(sale, token, &mut answers).await else {
            continue;
        };
        if let (Some(position), Some(ahead)) = (status.position, status.ahead) {
            watch.saw(position, ahead, status.admitted_through);
        }
        match (status.status, status.pass) {
            (QueueState::Waiting, _) => {}
            (QueueState::Admitted, Some(pass)) => {
                break book(sale, token, &pass, &mut answers).await;
            }
            (QueueState::Admitted, None) | (QueueState::Expired, _) => break End::Expired,
            (QueueState::SoldOut, _) => break End::SoldOut,
        }
    };
    Journey {
        watch,
        answers,
        end,
    }
}

async fn read_place(
    sale: &Sale,
    token: &str,
    answers: &mut Vec<(Call, AnswerKind)>,
) -> Option<QueueStatus> {
    let _permit = sale.reads.acquire().await.ok()?;
    match sale.api.queue_status(token, sale.event_id).await {
        Ok(status) => {
            answers.push((Call::Status, AnswerKind::success(200)));
            Some(status)
        }
        Err(error) => {
            answers.push((Call::Status, AnswerKind::of_error(&error)));
            None
        }
    }
}

async fn book(sale: &Sale, token: &str, pass: &str, answers: &mut Vec<(Call, AnswerKind)>) -> End {
    let (outcome, latency) = sale
        .api
        .book_through(token, sale.tier_id, 1, None, Some(pass))
        .await;
    answers.push((Call::BookWithPass, AnswerKind::of(&outcome)));
    match outcome {
        BookingOutcome::Booked(_) => End::Booked {
            latency,
            at: Instant::now(),
        },
        BookingOutcome::Refused { .. } | BookingOutcome::Failed(_) => End::NotBooked,
    }
}

/// A client that skips the page and books as soon as the sale starts.
pub async fn skip_the_line(sale: &Sale, token: &str) -> AnswerKind {
    let (outcome, _) = sale
        .api
        .book_through(token, sale.tier_id, 1, None, None)
        .await;
    AnswerKind::of(&outcome)
}
