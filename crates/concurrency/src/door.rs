//! `booking-load door`: the check-in path under load. Before the clock starts it makes an
//! event, books `tickets` tickets of it (buyers of 100 each) and collects their codes;
//! then `clients` door staff scan distinct tickets back to back until every one is in.
//! It reports scans per second, latency and every kind of answer, and reads the door's
//! count back: PASS when every ticket was admitted exactly once and nothing failed.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError, BookingOutcome};
use crate::buyers::{self, BuyerNames};
use crate::latency::{Latencies, LatencySummary};
use crate::storm::report::write_latency_and_answers;
use crate::storm::setup::{self, EventPlan, TICKETS_PER_BUYER};
use crate::tally::{AnswerKind, TallyEntry};

#[derive(Debug, Clone)]
pub struct DoorOptions {
    pub clients: usize,
    pub tickets: u32,
    pub organizer_email: String,
    pub organizer_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoorReport {
    pub clients: usize,
    pub tickets: u32,
    pub event_id: Uuid,
    pub elapsed_s: f64,
    pub scans: u64,
    /// Distinct tickets scanned per second.
    pub scans_per_s: f64,
    pub latency: LatencySummary,
    pub answers: Vec<TallyEntry>,
    /// What the door's own count says once the run is over.
    pub checked_in: i64,
}

impl DoorReport {
    /// Every ticket admitted, once: each scan answered 200 and the count agrees.
    pub fn passed(&self) -> bool {
        let admitted = self
            .answers
            .iter()
            .filter(|entry| entry.kind.status == Some(200))
            .map(|entry| entry.count)
            .sum::<u64>();
        admitted == u64::from(self.tickets)
            && self.scans == u64::from(self.tickets)
            && self.checked_in == i64::from(self.tickets)
    }
}

impl std::fmt::Display for DoorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "door: {} clients scanning {} distinct tickets",
            self.clients, self.tickets
        )?;
        writeln!(
            f,
            "  scans         {:>9} in {:.2} s = {:.1}/s",
            self.scans, self.elapsed_s, self.scans_per_s
        )?;
        write_latency_and_answers(f, &self.latency, &self.answers)?;
        writeln!(f, "  checked in    {} of {}", self.checked_in, self.tickets)?;
        write!(
            f,
            "RESULT: {}",
            if self.passed() {
                "PASS (every ticket admitted once, nothing failed)"
            } else {
                "FAIL"
            }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DoorError {
    #[error("clients and tickets must be at least 1")]
    Zero,
    #[error("a booking of the run was refused: {0}")]
    NotBooked(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

pub async fn run(api: &ApiClient, options: &DoorOptions) -> Result<DoorReport, DoorError> {
    if options.clients == 0 || options.tickets == 0 {
        return Err(DoorError::Zero);
    }
    let organizer = api
        .login(&options.organizer_email, &options.organizer_password)
        .await?
        .access_token;
    let names = BuyerNames::new("door");
    let title = format!("Door {}", names.run());
    let target = setup::create_events(
        api,
        &organizer,
        &EventPlan {
            title: &title,
            count: 1,
            tickets: options.tickets,
            per_person: TICKETS_PER_BUYER,
            sale: None,
        },
    )
    .await?
    .remove(0);
    let codes = book_all(api, &names, target.tier_id, options.tickets).await?;
    let queue = Arc::new(Mutex::new(codes));
    let started = Instant::now();
    let clients: Vec<_> = (0..options.clients)
        .map(|_| {
            let (api, queue, organizer) = (api.clone(), Arc::clone(&queue), organizer.clone());
            tokio::spawn(async move {
                let mut latencies = Latencies::new();
                let mut answers = Vec::new();
                loop {
                    let Some(code) = queue.lock().await.pop() else {
                        return (latencies, answers);
                    };
                    let (answer, latency) = api.check_in(&organizer, target.event_id, &code).await;
                    latencies.record(latency);
                    answers.push(AnswerKind::of_scan(&answer));
                }
            })
        })
        .collect();
    let mut latencies = Latencies::new();
    let mut kinds = std::collections::BTreeMap::<AnswerKind, u64>::new();
    for client in clients {
        let (client_latencies, answers) = client.await.map_err(|error| ApiError::Shape {
            what: format!("a door client ended abnormally: {error}"),
        })?;
        latencies.merge(&client_latencies);
        for answer in answers {
            *kinds.entry(answer).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    // Counts stay far below 2^52: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let per_second = |count: u64| count as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    let summary = api.check_in_summary(&organizer, target.event_id).await?;
    let scans = latencies.len();
    Ok(DoorReport {
        clients: options.clients,
        tickets: options.tickets,
        event_id: target.event_id,
        elapsed_s: elapsed.as_secs_f64(),
        scans,
        scans_per_s: per_second(scans),
        latency: latencies.summary(),
        answers: kinds
            .into_iter()
            .map(|(kind, count)| TallyEntry { kind, count })
            .collect(),
        checked_in: summary.checked_in,
    })
}

/// Books `tickets` tickets of `tier`, 100 per buyer, and returns every ticket's code.
async fn book_all(
    api: &ApiClient,
    names: &BuyerNames,
    tier: Uuid,
    tickets: u32,
) -> Result<Vec<String>, DoorError> {
    let mut codes = Vec::with_capacity(usize::try_from(tickets).unwrap_or(0));
    let mut left = tickets;
    let mut n = 0;
    while left > 0 {
        let quantity = left.min(TICKETS_PER_BUYER);
        let buyer = buyers::register(api, names, n).await?;
        n += 1;
        match api
            .book(&buyer.token, tier, i64::from(quantity), None)
            .await
            .0
        {
            BookingOutcome::Booked(booking) => {
                codes.extend(booking.tickets.into_iter().map(|ticket| ticket.code));
            }
            other => return Err(DoorError::NotBooked(format!("{other:?}"))),
        }
        left -= quantity;
    }
    Ok(codes)
}
