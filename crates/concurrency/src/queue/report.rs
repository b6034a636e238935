//! The on-sale's report: what was measured, and the verdict on it.

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::buyer::{End, Journey};
use super::fairness::{self, admissions_per_second};
use super::{CallTally, Observed, QueueOptions, booking_latencies};
use crate::latency::{Latencies, LatencySummary};
use crate::storm::{Conservation, EventCounts, check_conservation};
use crate::tally::AnswerKind;

/// The pre-start draw passes when arriving early says nothing of the admission order:
/// the rank correlation stays within this, or within four standard deviations of a fair
/// draw's (1 / sqrt(n - 1)) when so few came that chance alone goes further.
pub const FAIRNESS_BOUND: f64 = 0.05;

pub fn fairness_bound(drawn: usize) -> f64 {
    let spread = 4.0 / (drawn.saturating_sub(1).max(1) as f64).sqrt();
    FAIRNESS_BOUND.max(spread)
}

/// How often one call of the run got one kind of answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallAnswers {
    pub call: String,
    #[serde(flatten)]
    pub kind: AnswerKind,
    pub count: u64,
}

/// Also read back from JSON, by `booking-load report queue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueReport {
    pub buyers: usize,
    pub tickets: u32,
    pub skippers: usize,
    pub admit_per_minute: i64,
    pub event_id: Uuid,
    pub sales_start_at: DateTime<Utc>,
    /// From the first place asked for to the last answered.
    pub join_s: f64,
    pub joined: usize,
    pub joined_before_start: usize,
    pub failed_joins: usize,
    pub booked: usize,
    /// Still in line when it sold out, and told so.
    pub told_sold_out: usize,
    /// Admitted, but the booking did not go through.
    pub not_booked: usize,
    pub expired: usize,
    pub timed_out: usize,
    pub dropped: usize,
    /// From the sale start to the last ticket's 201.
    pub last_ticket_s: Option<f64>,
    /// From the sale start to the `queue` message saying sold out.
    pub sold_out_heard_s: Option<f64>,
    /// Admissions heard in each second from the start.
    pub admissions_per_s: Vec<i64>,
    /// Spearman's rank correlation of arrival and drawn place, buyers who came before
    /// the start.
    pub rank_correlation: Option<f64>,
    /// The places of those buyers are 1 to n, each once.
    pub draw_is_permutation: bool,
    pub position_observations: u64,
    /// A place that changed, or more people ahead than a buyer saw before.
    pub position_violations: u64,
    /// `POST /bookings` of the admitted buyers who booked.
    pub booking_latency: LatencySummary,
    /// The same, p99 by the second from the start its 201 came in.
    pub booking_p99_ms_per_s: Vec<f64>,
    pub p99_target_ms: f64,
    /// Skippers answered 403 `QueuePassRequired`.
    pub skippers_refused: usize,
    pub answers: Vec<CallAnswers>,
    pub conservation: Conservation,
    /// The server's resident memory with every buyer's WebSocket open, and its peak.
    pub server_rss_mib: Option<f64>,
    pub server_peak_rss_mib: Option<f64>,
}

pub(super) struct Inputs<'a> {
    pub options: &'a QueueOptions,
    pub admit_per_minute: i64,
    pub event_id: Uuid,
    pub sales_start_at: DateTime<Utc>,
    pub start: Instant,
    pub join_s: f64,
    pub failed_joins: usize,
    /// Per buyer with a place, aligned with `ended`: arrival order, and whether before
    /// the start.
    pub arrivals: &'a [(usize, bool)],
    pub ended: &'a [Journey],
    pub skipped: &'a [AnswerKind],
    pub observed: &'a Observed,
    pub calls: CallTally,
    pub counts: EventCounts,
    pub server_rss_mib: Option<f64>,
    pub server_peak_rss_mib: Option<f64>,
}

pub(super) fn assemble(inputs: Inputs<'_>) -> QueueReport {
    let Inputs {
        options,
        ended,
        arrivals,
        ..
    } = inputs;
    let count = |keep: fn(&End) -> bool| ended.iter().filter(|j| keep(&j.end)).count();
    let last_ticket = ended
        .iter()
        .filter_map(|journey| match journey.end {
            End::Booked { at, .. } => Some(at.saturating_duration_since(inputs.start)),
            _ => None,
        })
        .max();
    // The draw: buyers who came before the start, their arrival and their place.
    let drawn: Vec<(usize, Option<i64>)> = arrivals
        .iter()
        .zip(ended)
        .filter(|((_, before), _)| *before)
        .map(|((arrival, _), journey)| (*arrival, journey.watch.position()))
        .collect();
    let positions: Option<Vec<i64>> = drawn.iter().map(|(_, position)| *position).collect();
    let (rank_correlation, draw_is_permutation) = match positions {
        Some(positions) => {
            let arrival: Vec<i64> = drawn
                .iter()
                .map(|(arrival, _)| i64::try_from(*arrival).unwrap_or(i64::MAX))
                .collect();
            let pairs: Vec<(usize, usize)> = fairness::ranks(&arrival)
                .into_iter()
                .zip(fairness::ranks(&positions))
                .collect();
            (
                fairness::rank_correlation(&pairs),
                fairness::is_permutation(&positions),
            )
        }
        None => (None, false),
    };
    let skippers_refused = inputs
        .skipped
        .iter()
        .filter(|kind| {
            kind.status == Some(403) && kind.code.as_deref() == Some("QueuePassRequired")
        })
        .count();
    QueueReport {
        buyers: options.buyers,
        tickets: options.tickets,
        skippers: options.skippers,
        admit_per_minute: inputs.admit_per_minute,
        event_id: inputs.event_id,
        sales_start_at: inputs.sales_start_at,
        join_s: inputs.join_s,
        joined: ended.len(),
        joined_before_start: arrivals.iter().filter(|(_, before)| *before).count(),
        failed_joins: inputs.failed_joins,
        booked: count(|end| matches!(end, End::Booked { .. })),
        told_sold_out: count(|end| *end == End::SoldOut),
        not_booked: count(|end| *end == End::NotBooked),
        expired: count(|end| *end == End::Expired),
        timed_out: count(|end| *end == End::TimedOut),
        dropped: count(|end| *end == End::Dropped),
        last_ticket_s: last_ticket.map(|at| at.as_secs_f64()),
        sold_out_heard_s: inputs.observed.sold_out.map(|at| at.as_secs_f64()),
        admissions_per_s: admissions_per_second(&inputs.observed.admitted),
        rank_correlation,
        draw_is_permutation,
        position_observations: ended.iter().map(|j| u64::from(j.watch.observations)).sum(),
        position_violations: ended.iter().map(|j| u64::from(j.watch.violations)).sum(),
        booking_latency: booking_latencies(ended).summary(),
        booking_p99_ms_per_s: p99_per_second(ended, inputs.start),
        p99_target_ms: options.p99_target_ms,
        skippers_refused,
        answers: inputs
            .calls
            .0
            .into_iter()
            .map(|((call, kind), count)| CallAnswers {
                call: call.label().to_owned(),
                kind,
                count,
            })
            .collect(),
        conservation: check_conservation(&[inputs.counts]),
        server_rss_mib: inputs.server_rss_mib,
        server_peak_rss_mib: inputs.server_peak_rss_mib,
    }
}

fn p99_per_second(ended: &[Journey], start: Instant) -> Vec<f64> {
    let mut seconds: Vec<Latencies> = Vec::new();
    for journey in ended {
        if let End::Booked { latency, at } = journey.end {
            let second = usize::try_from(at.saturating_duration_since(start).as_secs())
                .unwrap_or(usize::MAX);
            if second >= seconds.len() {
                seconds.resize_with(second + 1, Latencies::new);
            }
            if let Some(latencies) = seconds.get_mut(second) {
                latencies.record(latency);
            }
        }
    }
    seconds
        .iter()
        .map(|latencies| latencies.summary().p99_ms)
        .collect()
}

impl QueueReport {
    /// What kept the run from passing; empty when it passed.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(what);
            }
        };
        check(
            self.failed_joins == 0 && self.joined_before_start == self.buyers,
            format!(
                "{} of {} buyers had a place before the start ({} could not join): raise --lead",
                self.joined_before_start, self.buyers, self.failed_joins
            ),
        );
        check(
            self.conservation.holds
                && self.conservation.oversold == 0
                && self.conservation.sold == i64::from(self.tickets),
            format!(
                "{} of {} tickets sold, {} oversold, conservation {}",
                self.conservation.sold,
                self.tickets,
                self.conservation.oversold,
                if self.conservation.holds {
                    "holds"
                } else {
                    "broken"
                }
            ),
        );
        check(
            self.booked == self.tickets as usize && self.booked + self.told_sold_out == self.joined,
            format!(
                "{} booked and {} told sold out, of {} in line",
                self.booked, self.told_sold_out, self.joined
            ),
        );
        let failed: u64 = self
            .answers
            .iter()
            .filter(|a| a.kind.status.is_none() || a.kind.is_server_error())
            .map(|a| a.count)
            .sum();
        check(
            failed == 0,
            format!("{failed} requests got a 5xx or no answer"),
        );
        check(
            self.skippers_refused == self.skippers,
            format!(
                "{} of {} skippers refused with 403 QueuePassRequired",
                self.skippers_refused, self.skippers
            ),
        );
        check(
            self.position_violations == 0,
            format!("{} places moved backwards", self.position_violations),
        );
        check(
            self.draw_is_permutation,
            "the pre-start places are not one permutation".into(),
        );
        let bound = fairness_bound(self.joined_before_start);
        check(
            self.rank_correlation.is_some_and(|rho| rho.abs() <= bound),
            format!(
                "rank correlation {:?} beyond ±{bound:.3}",
                self.rank_correlation
            ),
        );
        check(
            self.booking_latency.p99_ms <= self.p99_target_ms,
            format!(
                "booking p99 {:.1} ms over the {} ms target",
                self.booking_latency.p99_ms, self.p99_target_ms
            ),
        );
        failures
    }

    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    /// The most admissions heard in one second.
    pub fn peak_admissions(&self) -> i64 {
        self.admissions_per_s.iter().copied().max().unwrap_or(0)
    }
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "never".to_owned(), |s| format!("{s:.2} s"))
}

impl fmt::Display for QueueReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.booking_latency;
        writeln!(
            f,
            "queue: {} buyers for {} tickets, {} skippers, admitting {}/min",
            self.buyers, self.tickets, self.skippers, self.admit_per_minute
        )?;
        writeln!(
            f,
            "  places        {} taken in {:.1} s, {} before the start, {} could not join",
            self.joined, self.join_s, self.joined_before_start, self.failed_joins
        )?;
        writeln!(
            f,
            "  outcome       {} booked, {} told sold out, {} not booked, {} passes expired, {} timed out, {} dropped",
            self.booked,
            self.told_sold_out,
            self.not_booked,
            self.expired,
            self.timed_out,
            self.dropped
        )?;
        writeln!(
            f,
            "  sold out      last ticket {} after the start; sold out heard at {}",
            seconds(self.last_ticket_s),
            seconds(self.sold_out_heard_s)
        )?;
        writeln!(
            f,
            "  admissions/s  {:?} (peak {})",
            self.admissions_per_s,
            self.peak_admissions()
        )?;
        writeln!(
            f,
            "  fairness      rank correlation arrival/place {}; draw one permutation: {}",
            self.rank_correlation
                .map_or_else(|| "n/a".to_owned(), |rho| format!("{rho:+.4}")),
            self.draw_is_permutation
        )?;
        writeln!(
            f,
            "  places seen   {} observations, {} moved backwards",
            self.position_observations, self.position_violations
        )?;
        writeln!(
            f,
            "  booking (ms)  mean {:.2}  p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}  ({} bookings; target p99 <= {})",
            l.mean_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.count, self.p99_target_ms
        )?;
        writeln!(
            f,
            "  booking p99 by second from the start (ms): {:.1?}",
            self.booking_p99_ms_per_s
        )?;
        writeln!(
            f,
            "  skippers      {} of {} refused (403 QueuePassRequired)",
            self.skippers_refused, self.skippers
        )?;
        for answer in &self.answers {
            writeln!(f, "  {:>9} × {} {}", answer.count, answer.kind, answer.call)?;
        }
        let c = &self.conservation;
        writeln!(
            f,
            "  invariant     capacity {} = remaining {} + sold {}; oversold {}",
            c.capacity, c.remaining, c.sold, c.oversold
        )?;
        if let (Some(open), Some(peak)) = (self.server_rss_mib, self.server_peak_rss_mib) {
            writeln!(
                f,
                "  server        RSS {open:.1} MiB with {} sockets open, peak {peak:.1} MiB",
                self.joined
            )?;
        }
        for failure in self.failures() {
            writeln!(f, "  FAILED: {failure}")?;
        }
        write!(f, "RESULT: {}", if self.passed() { "PASS" } else { "FAIL" })
    }
}
