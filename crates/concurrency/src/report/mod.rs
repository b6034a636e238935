//! `booking-load report`: the markdown table and verdicts of one `just bench` run, from
//! the files the run left in its folder (see [`inputs`]); [`live`] does the same for
//! `just bench-live`.

pub mod inputs;
pub mod live;
pub mod queue;

use std::fmt::Write as _;
use std::path::Path;

use self::inputs::{InputError, OhaRun, PgbenchRun, RunInfo, read_json, read_optional, read_waits};
use crate::door::DoorReport;
use crate::storm::StormReport;

/// The bench's targets (README, "Benchmark").
const HOT_OVER_PGBENCH_TARGET: f64 = 5.0;
const HOT_P99_TARGET_MS: f64 = 50.0;
const TAIL_TARGET: f64 = 2.0;
/// Before coalescing (bench/results/2026-11-22.md) the spread storm ran at 1.24 times the
/// per-request pgbench of its run: batching must not cost the spread anything.
const SPREAD_OVER_PGBENCH_BEFORE: f64 = 1.24;

/// Every run of one bench.
#[derive(Debug, Clone)]
pub struct Bench {
    pub info: RunInfo,
    pub pgbench: PgbenchRun,
    pub batched: PgbenchRun,
    pub hot: StormReport,
    /// The hot storm checking out with holds; absent from runs before holds existed.
    pub holds: Option<StormReport>,
    /// Door staff scanning distinct tickets; absent from runs before the door existed.
    pub door: Option<DoorReport>,
    pub spread: StormReport,
    pub unbatched: StormReport,
    pub oha_read: OhaRun,
    pub oha_book: OhaRun,
    /// Wait samples per run label, in the order listed.
    pub waits: Vec<(&'static str, Vec<String>)>,
}

impl Bench {
    /// Reads the run folder bench/run.sh fills.
    pub fn read(dir: &Path) -> Result<Self, InputError> {
        let waits = [
            ("pgbench", "pgbench"),
            ("pgbench batched", "batched"),
            ("storm hot", "hot"),
            ("storm hot, holds", "holds"),
            ("storm spread", "spread"),
            ("storm hot, batching off", "unbatched"),
            ("oha bookings", "oha-book"),
        ]
        .into_iter()
        .map(|(name, label)| Ok((name, read_waits(dir, label)?)))
        .collect::<Result<_, InputError>>()?;
        Ok(Self {
            info: read_json(dir, "run.json")?,
            pgbench: PgbenchRun::read(dir, "pgbench")?,
            batched: PgbenchRun::read(dir, "batched")?,
            hot: read_json(dir, "hot.json")?,
            holds: read_optional(dir, "holds.json")?,
            door: read_optional(dir, "door.json")?,
            spread: read_json(dir, "spread.json")?,
            unbatched: read_json(dir, "unbatched.json")?,
            oha_read: read_json(dir, "oha-read.json")?,
            oha_book: read_json(dir, "oha-book.json")?,
            waits,
        })
    }

    /// Bookings per second of the batched pgbench: each transaction books a batch.
    fn batched_rate(&self) -> f64 {
        self.batched.tps * f64::from(self.info.batch)
    }

    /// Storms that sold beyond capacity, broke the invariant or failed a request.
    fn bad_storms(&self) -> usize {
        [&self.hot, &self.spread, &self.unbatched]
            .into_iter()
            .chain(&self.holds)
            .filter(|storm| {
                storm.server_errors > 0
                    || storm.conservation.oversold > 0
                    || !storm.conservation.holds
            })
            .count()
    }

    pub fn markdown(&self) -> String {
        let info = &self.info;
        let mut out = String::new();
        let _ = writeln!(out, "## {}, commit {}\n", info.when, info.commit);
        let _ = writeln!(
            out,
            "{} cores, {} GiB, {} with fsync on, pool {} connections, {} clients, {} s per \
             run; booking-api peak RSS {} MB.\n",
            info.cores,
            info.memory_gib,
            info.postgres,
            info.pool,
            info.clients,
            info.seconds,
            info.peak_rss_kb / 1024
        );
        out.push_str(
            "| run | clients | responses/s | bookings/s | mean ms | p50 ms | p99 ms | p99 ÷ mean \
             | non-2xx | 5xx | oversold |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        let rows = [
            pgbench_row(
                "pgbench, per-request transaction, hot event",
                info.clients,
                &self.pgbench,
                self.pgbench.tps,
                "-",
            ),
            pgbench_row(
                &format!("pgbench, batches of {}, hot event", info.batch),
                1,
                &self.batched,
                self.batched_rate(),
                &info.pgbench_oversold.to_string(),
            ),
            storm_row("booking-load storm, hot event", &self.hot),
        ];
        let holds = self
            .holds
            .iter()
            .map(|holds| storm_row("booking-load storm --hold, hot event (holds/s)", holds))
            .chain(self.door.iter().map(door_row));
        let rest = [
            storm_row(
                &format!("booking-load storm, {} events", info.spread_events),
                &self.spread,
            ),
            storm_row(
                "booking-load storm, hot event, batching off",
                &self.unbatched,
            ),
            oha_row("oha GET /events/{id}", info.clients, &self.oha_read, false),
            oha_row(
                &format!("oha POST /bookings, 1 buyer, {} events", info.spread_events),
                info.clients,
                &self.oha_book,
                true,
            ),
        ];
        for row in rows.into_iter().chain(holds).chain(rest) {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out.push('\n');
        self.write_verdicts(&mut out);
        out
    }

    fn write_verdicts(&self, out: &mut String) {
        let hot = self.hot.bookings_per_s;
        let hot_ratio = ratio(hot, self.pgbench.tps);
        let spread_ratio = ratio(self.spread.bookings_per_s, self.pgbench.tps);
        let hot_p99 = self.hot.latency.p99_ms;
        let hot_tail = ratio(hot_p99, self.hot.latency.mean_ms);
        let spread_tail = ratio(self.spread.latency.p99_ms, self.spread.latency.mean_ms);
        let lines = [
            format!(
                "coalesced hot event ÷ per-request pgbench ceiling: **{hot_ratio:.2}** (target ≥ {HOT_OVER_PGBENCH_TARGET}: {})",
                verdict(hot_ratio >= HOT_OVER_PGBENCH_TARGET)
            ),
            format!(
                "coalesced hot event ÷ batched pgbench (this design's ceiling): **{:.2}**",
                ratio(hot, self.batched_rate())
            ),
            format!(
                "coalesced hot event ÷ the same storm with batching off: **{:.2}**",
                ratio(hot, self.unbatched.bookings_per_s)
            ),
            format!(
                "hot event p99: {hot_p99:.2} ms (target ≤ {HOT_P99_TARGET_MS}: {})",
                verdict(hot_p99 <= HOT_P99_TARGET_MS)
            ),
            format!(
                "p99 ÷ mean: hot {hot_tail:.2}, spread {spread_tail:.2} (target ≤ {TAIL_TARGET}: {})",
                verdict(hot_tail.max(spread_tail) <= TAIL_TARGET)
            ),
            format!(
                "spread ÷ per-request pgbench: **{spread_ratio:.2}** (target ≥ {SPREAD_OVER_PGBENCH_BEFORE}, the ratio before coalescing: {})",
                verdict(spread_ratio >= SPREAD_OVER_PGBENCH_BEFORE)
            ),
            format!(
                "storms with a 5xx, an oversold tier or a broken invariant: {} (target 0)",
                self.bad_storms()
            ),
            "where the database sessions were (share of samples, `CPU` = running):".to_owned(),
        ];
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
        for (name, samples) in &self.waits {
            let _ = writeln!(out, "  - {name}: {}", top_waits(samples, 4));
        }
    }
}

fn pgbench_row(
    name: &str,
    clients: u32,
    run: &PgbenchRun,
    bookings_per_s: f64,
    oversold: &str,
) -> Vec<String> {
    let latency = run.latency;
    vec![
        name.to_owned(),
        clients.to_string(),
        two(run.tps),
        two(bookings_per_s),
        two(latency.mean),
        two(latency.p50),
        two(latency.p99),
        two(ratio(latency.p99, latency.mean)),
        format!("{} failed", run.failed),
        "-".to_owned(),
        oversold.to_owned(),
    ]
}

fn storm_row(name: &str, run: &StormReport) -> Vec<String> {
    let latency = run.latency;
    vec![
        name.to_owned(),
        run.clients.to_string(),
        two(run.responses_per_s),
        two(run.bookings_per_s),
        two(latency.mean_ms),
        two(latency.p50_ms),
        two(latency.p99_ms),
        two(ratio(latency.p99_ms, latency.mean_ms)),
        run.refused().to_string(),
        run.server_errors.to_string(),
        run.conservation.oversold.to_string(),
    ]
}

/// Scans per second in the bookings/s column: distinct tickets admitted.
fn door_row(run: &DoorReport) -> Vec<String> {
    let latency = run.latency;
    let not_admitted: u64 = run
        .answers
        .iter()
        .filter(|entry| entry.kind.status != Some(200))
        .map(|entry| entry.count)
        .sum();
    let server_errors: u64 = run
        .answers
        .iter()
        .filter(|entry| entry.kind.is_server_error())
        .map(|entry| entry.count)
        .sum();
    vec![
        format!("booking-load door, {} tickets (scans/s)", run.tickets),
        run.clients.to_string(),
        two(run.scans_per_s),
        two(run.scans_per_s),
        two(latency.mean_ms),
        two(latency.p50_ms),
        two(latency.p99_ms),
        two(ratio(latency.p99_ms, latency.mean_ms)),
        not_admitted.to_string(),
        server_errors.to_string(),
        "-".to_owned(),
    ]
}

fn oha_row(name: &str, clients: u32, run: &OhaRun, books: bool) -> Vec<String> {
    let ms = |seconds: f64| two(seconds * 1_000.0);
    vec![
        name.to_owned(),
        clients.to_string(),
        two(run.summary.requests_per_sec),
        if books {
            two(run.created_per_s())
        } else {
            "-".to_owned()
        },
        ms(run.summary.average),
        ms(run.latency_percentiles.p50),
        ms(run.latency_percentiles.p99),
        two(ratio(run.latency_percentiles.p99, run.summary.average)),
        run.non_2xx().to_string(),
        run.server_errors().to_string(),
        "-".to_owned(),
    ]
}

fn two(value: f64) -> String {
    format!("{value:.2}")
}

/// `a ÷ b`, 0 when there is nothing to divide by.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// The `top` most frequent samples with their share, most frequent first (ties by name).
fn top_waits(samples: &[String], top: usize) -> String {
    if samples.is_empty() {
        return "-".to_owned();
    }
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for sample in samples {
        *counts.entry(sample).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(top)
        .map(|(name, count)| format!("{name} {:.0}%", 100.0 * count as f64 / samples.len() as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
