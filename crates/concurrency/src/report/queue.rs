//! The markdown of one `just bench-queue` run (bench/queue.sh): the on-sale's figures
//! against what Step 13 asks of them.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::inputs::{InputError, read_json};
use crate::queue::{QueueReport, fairness_bound};

/// `run.json` of a queue bench.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueInfo {
    pub when: String,
    pub commit: String,
    pub cores: u32,
    pub memory_gib: u32,
    pub postgres: String,
    /// The server's `fsync` setting as it answered (`on` for a durable run).
    pub fsync: String,
    pub open_files: u64,
}

#[derive(Debug, Clone)]
pub struct QueueBench {
    pub info: QueueInfo,
    pub queue: QueueReport,
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

impl QueueBench {
    pub fn read(dir: &Path) -> Result<Self, InputError> {
        Ok(Self {
            info: read_json(dir, "run.json")?,
            queue: read_json(dir, "queue.json")?,
        })
    }

    pub fn markdown(&self) -> String {
        let (info, q) = (&self.info, &self.queue);
        let c = &q.conservation;
        let l = &q.booking_latency;
        let secs =
            |value: Option<f64>| value.map_or_else(|| "never".to_owned(), |s| format!("{s:.2} s"));
        let server_errors: u64 = q
            .answers
            .iter()
            .filter(|a| a.kind.is_server_error() || a.kind.status.is_none())
            .map(|a| a.count)
            .sum();
        let bound = fairness_bound(q.joined_before_start);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## On-sale through the waiting room, {}, commit {}\n",
            info.when, info.commit
        );
        let _ = writeln!(
            out,
            "{} cores, {} GiB, {}, release server, fsync {}, {} open files per process. \
             {} buyers for {} tickets (one each), {} skippers, the room admitting {}/min.\n",
            info.cores,
            info.memory_gib,
            info.postgres,
            info.fsync,
            info.open_files,
            q.buyers,
            q.tickets,
            q.skippers,
            q.admit_per_minute
        );
        out.push_str("| What | Measured | Asked | |\n|---|---|---|---|\n");
        let mut row = |what: &str, measured: String, asked: &str, ok: bool| {
            let _ = writeln!(out, "| {what} | {measured} | {asked} | {} |", met(ok));
        };
        row(
            "tickets sold",
            format!(
                "{} of {} ({} booked by admitted buyers)",
                c.sold, q.tickets, q.booked
            ),
            "every one",
            c.sold == i64::from(q.tickets) && q.booked == q.tickets as usize,
        );
        row(
            "oversold",
            c.oversold.to_string(),
            "0",
            c.oversold == 0 && c.holds,
        );
        row(
            "5xx or no answer",
            server_errors.to_string(),
            "0",
            server_errors == 0,
        );
        row(
            "skippers refused (403 QueuePassRequired)",
            format!("{} of {}", q.skippers_refused, q.skippers),
            "all",
            q.skippers_refused == q.skippers,
        );
        row(
            "places that moved backwards",
            format!(
                "{} in {} observations",
                q.position_violations, q.position_observations
            ),
            "0",
            q.position_violations == 0,
        );
        row(
            "pre-start draw",
            format!(
                "rank correlation {}, one permutation: {}",
                q.rank_correlation
                    .map_or_else(|| "n/a".to_owned(), |rho| format!("{rho:+.4}")),
                q.draw_is_permutation
            ),
            &format!("\\|ρ\\| ≤ {bound:.3}"),
            q.draw_is_permutation && q.rank_correlation.is_some_and(|rho| rho.abs() <= bound),
        );
        row(
            "admitted buyers' booking latency",
            format!(
                "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} bookings)",
                l.p50_ms, l.p99_ms, l.max_ms, l.count
            ),
            &format!("p99 ≤ {} ms", q.p99_target_ms),
            l.p99_ms <= q.p99_target_ms,
        );
        row(
            "told sold out while in line",
            format!("{} of {}", q.told_sold_out, q.joined - q.booked),
            "everyone not admitted",
            q.booked + q.told_sold_out == q.joined,
        );
        let _ = writeln!(
            out,
            "\n- Places: {} taken in {:.1} s over WebSockets, {} before the start, {} could not join.",
            q.joined, q.join_s, q.joined_before_start, q.failed_joins
        );
        let _ = writeln!(
            out,
            "- Start to last ticket: {}; start to the `queue` message saying sold out: {}.",
            secs(q.last_ticket_s),
            secs(q.sold_out_heard_s)
        );
        let _ = writeln!(
            out,
            "- Admissions per second from the start (as heard live): {:?}, peak {} (the room's pace: {}/s).",
            q.admissions_per_s,
            q.peak_admissions(),
            q.admit_per_minute.div_euclid(60)
        );
        let by_second: Vec<String> = q
            .booking_p99_ms_per_s
            .iter()
            .map(|ms| format!("{ms:.0}"))
            .collect();
        let _ = writeln!(
            out,
            "- Admitted buyers' booking p99 by second from the start, ms: {}.",
            by_second.join(", ")
        );
        if let (Some(open), Some(peak)) = (q.server_rss_mib, q.server_peak_rss_mib) {
            let _ = writeln!(
                out,
                "- Server memory: {open:.1} MiB resident with {} WebSockets open; peak {peak:.1} MiB.",
                q.joined
            );
        }
        out.push_str("\nEvery answer:\n\n| Call | Answer | Count |\n|---|---|---|\n");
        for answer in &q.answers {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                answer.call, answer.kind, answer.count
            );
        }
        let _ = writeln!(
            out,
            "\nVerdict: **{}**",
            if q.passed() { "PASS" } else { "FAIL" }
        );
        for failure in q.failures() {
            let _ = writeln!(out, "- {failure}");
        }
        out
    }
}
