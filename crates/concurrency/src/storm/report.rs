//! The storm report as a person reads it.

use std::fmt;

use super::{Stop, StormReport};
use crate::latency::LatencySummary;
use crate::tally::TallyEntry;

/// The latency line and one line per kind of answer, as every load report prints them.
pub fn write_latency_and_answers(
    f: &mut fmt::Formatter<'_>,
    latency: &LatencySummary,
    answers: &[TallyEntry],
) -> fmt::Result {
    let l = latency;
    writeln!(
        f,
        "  latency (ms)  mean {:.2}  p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        l.mean_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
    )?;
    for (n, entry) in answers.iter().enumerate() {
        let label = if n == 0 { "answers" } else { "" };
        writeln!(f, "  {label:<13} {:>9} × {}", entry.count, entry.kind)?;
    }
    Ok(())
}

impl fmt::Display for StormReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let length = match self.stop {
            Stop::After(duration) => format!("{} s", duration.as_secs_f64()),
            Stop::Requests(requests) => format!("{requests} requests"),
        };
        let spread = if self.events == 1 {
            "1 hot event".to_owned()
        } else {
            format!("{} events", self.events)
        };
        writeln!(
            f,
            "storm: {} clients, {length}, {spread} of {} tickets, {} per booking",
            self.clients, self.tickets_per_event, self.quantity
        )?;
        writeln!(
            f,
            "  responses     {:>9} in {:.2} s = {:.1}/s",
            self.responses, self.elapsed_s, self.responses_per_s
        )?;
        writeln!(
            f,
            "  {:<13} {:>9} = {:.1}/s",
            if self.hold { "holds" } else { "bookings" },
            self.bookings,
            self.bookings_per_s
        )?;
        write_latency_and_answers(f, &self.latency, &self.answers)?;
        writeln!(
            f,
            "  buyers        {} registered before, {} during the run, {} signed in again (token expired)",
            self.buyers_registered_before,
            self.buyers_registered_during,
            self.buyers_signed_in_again
        )?;
        for entry in &self.retried {
            writeln!(f, "  asked again   {:>9} × {}", entry.count, entry.kind)?;
        }
        if let Some(pause) = self.longest_pause {
            writeln!(
                f,
                "  longest pause {:.2} s without a 201 (from {:.2} s to {:.2} s)",
                pause.to_s - pause.from_s,
                pause.from_s,
                pause.to_s
            )?;
        }
        if let Some(verified) = &self.verified {
            writeln!(
                f,
                "  read back     {} bookings answered 201, {} missing{}",
                verified.read_back,
                verified.missing.len(),
                verified
                    .missing
                    .first()
                    .map(|id| format!(" (first: {id})"))
                    .unwrap_or_default()
            )?;
        }
        for watcher in &self.watchers {
            writeln!(
                f,
                "  watcher       {}: {} updates, {} reconnects, last at {}, final counts {}",
                watcher.base_url,
                watcher.updates,
                watcher.reconnects,
                watcher
                    .last_update_s
                    .map_or_else(|| "never".to_owned(), |s| format!("{s:.2} s")),
                if watcher.caught_up {
                    "heard"
                } else {
                    "NOT heard"
                }
            )?;
        }
        let c = &self.conservation;
        writeln!(
            f,
            "  invariant     capacity {} = remaining {} + sold {}; clients were told {}; oversold {}",
            c.capacity, c.remaining, c.sold, c.booked, c.oversold
        )?;
        for violation in &c.violations {
            writeln!(f, "    VIOLATED: {violation}")?;
        }
        write!(
            f,
            "RESULT: {}",
            if self.passed() {
                "PASS (invariant holds, no 5xx, every request answered, every check above met)"
            } else {
                "FAIL"
            }
        )
    }
}
