//! The markdown of one `just bench-live` run (bench/live.sh): what NOTIFY costs the
//! booking transaction in pgbench, then `booking-load ws`'s delivery times.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::inputs::{InputError, PgbenchRun, read_json};
use crate::watch::WatchReport;

/// Where the NOTIFY goes, as bench/live.sh names its pgbench runs `<shape>-<notify>`.
const NOTIFY_VARIANTS: [(&str, &str); 3] = [
    ("none", "none"),
    ("in-transaction", "inside the transaction"),
    ("after-commit", "after COMMIT, one per booking"),
];

/// `run.json` of a live bench.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveInfo {
    pub when: String,
    pub commit: String,
    pub clients: u32,
    pub seconds: u32,
    /// The server's `WS_MIN_INTERVAL_MS`, as set or `100 (default)`.
    pub ws_min_interval: String,
    /// The pgbench shapes run: `hot`, `spread`, or neither.
    pub shapes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct LiveBench {
    pub info: LiveInfo,
    /// Per NOTIFY variant, the hot and the spread run when they ran.
    pub notify: Vec<(&'static str, Option<PgbenchRun>, Option<PgbenchRun>)>,
    pub ws: WatchReport,
    /// The server's live-update metrics after the run, as scraped.
    pub metrics: String,
}

impl LiveBench {
    pub fn read(dir: &Path) -> Result<Self, InputError> {
        let info: LiveInfo = read_json(dir, "run.json")?;
        let run = |shape: &str, variant: &str| -> Result<Option<PgbenchRun>, InputError> {
            if info.shapes.iter().any(|s| s == shape) {
                PgbenchRun::read(dir, &format!("{shape}-{variant}")).map(Some)
            } else {
                Ok(None)
            }
        };
        let notify = NOTIFY_VARIANTS
            .into_iter()
            .map(|(variant, name)| Ok((name, run("hot", variant)?, run("spread", variant)?)))
            .collect::<Result<_, InputError>>()?;
        let metrics = std::fs::read_to_string(dir.join("metrics.txt")).unwrap_or_default();
        Ok(Self {
            notify,
            ws: read_json(dir, "ws.json")?,
            metrics,
            info,
        })
    }

    pub fn markdown(&self) -> String {
        let (info, ws) = (&self.info, &self.ws);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## Live availability, {}, commit {}\n",
            info.when, info.commit
        );
        if !info.shapes.is_empty() {
            let _ = writeln!(
                out,
                "pgbench, the server's booking transaction, {} clients, {}s each, fsync on:\n",
                info.clients, info.seconds
            );
            out.push_str(
                "| NOTIFY | hot tps | hot p99 ms | spread (100 events) tps | spread p99 ms |\n\
                 |---|---|---|---|---|\n",
            );
            for (name, hot, spread) in &self.notify {
                let _ = writeln!(out, "| {name} | {} | {} |", cells(hot), cells(spread));
            }
            out.push('\n');
        }
        let storm = &ws.storm;
        let _ = writeln!(
            out,
            "booking-load ws: {}/{} watchers connected, {} dropped;\n\
             storm {} clients, {:.0} bookings/s, booking p99 {:.1} ms;\n\
             WS_MIN_INTERVAL_MS={}.\n",
            ws.connected,
            ws.watchers,
            ws.dropped,
            storm.clients,
            storm.bookings_per_s.floor(),
            storm.latency.p99_ms,
            info.ws_min_interval
        );
        let d = &ws.delivery;
        let _ = writeln!(
            out,
            "| delivery 201 -> update | mean | p50 | p95 | p99 | max | samples | undelivered |\n\
             |---|---|---|---|---|---|---|---|\n\
             | ms | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |\n",
            d.mean_ms, d.p50_ms, d.p95_ms, d.p99_ms, d.max_ms, d.count, ws.undelivered
        );
        let m = ws.messages_per_watcher;
        let _ = writeln!(
            out,
            "Messages per watcher: min {}, mean {:.0}, max {}.",
            m.min,
            m.mean.floor(),
            m.max
        );
        let _ = writeln!(
            out,
            "booking-api RSS: peak {:.1} MiB, at the end {:.1} MiB.\n",
            ws.server_peak_rss_mib.unwrap_or(0.0),
            ws.server_rss_mib.unwrap_or(0.0)
        );
        let _ = writeln!(out, "```\n{}\n```", self.metrics.trim_end());
        out
    }
}

/// `tps | p99 ms` of one pgbench run, blank when it did not run.
fn cells(run: &Option<PgbenchRun>) -> String {
    run.as_ref().map_or_else(
        || " | ".to_owned(),
        |run| format!("{:.0} | {:.1}", run.tps, run.latency.p99),
    )
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    const WS: &str = r#"{"watchers":1000,"connected":1000,"dropped":0,
        "messagesPerWatcher":{"min":180,"mean":195.6,"max":210},
        "delivery":{"count":5000,"meanMs":12.34,"p50Ms":10.0,"p95Ms":30.0,"p99Ms":44.44,"maxMs":120.0},
        "undelivered":0,"serverPeakRssMib":61.25,"serverRssMib":40.0,
        "storm":{"clients":64,"stop":{"after":20.0},"events":1,"ticketsPerEvent":10,"quantity":1,
          "elapsedS":20.0,"responses":9,"responsesPerS":900.0,"bookings":9,"bookingsPerS":812.7,
          "buyersRegisteredBefore":2,"buyersRegisteredDuring":0,"buyersSignedInAgain":0,"eventIds":[],
          "latency":{"count":9,"meanMs":20.0,"p50Ms":18.0,"p95Ms":40.0,"p99Ms":55.55,"maxMs":90.0},
          "answers":[{"status":201,"code":null,"count":9}],"serverErrors":0,
          "conservation":{"holds":true,"capacity":10,"sold":9,"remaining":1,"booked":9,"oversold":0,"violations":[]}}}"#;

    fn folder(shapes: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
        write(
            "run.json",
            &format!(
                r#"{{"when":"09:30Z","commit":"abc1234","clients":64,"seconds":20,
                    "wsMinInterval":"100 (default)","shapes":[{shapes}]}}"#
            ),
        );
        for (variant, tps) in [
            ("none", 600.4),
            ("in-transaction", 590.0),
            ("after-commit", 420.0),
        ] {
            write(&format!("hot-{variant}.txt"), &format!("tps = {tps} (x)\n"));
            write(
                &format!("hot-{variant}.99"),
                "0 1 2000 0 0 0\n1 1 4500 0 0 0\n",
            );
        }
        write("ws.json", WS);
        write("metrics.txt", "booking_ws_connections 0\n");
        dir
    }

    #[test]
    fn a_live_run_folder_becomes_its_report() {
        let dir = folder(r#""hot""#);
        let markdown = LiveBench::read(dir.path()).unwrap().markdown();
        for line in [
            "## Live availability, 09:30Z, commit abc1234",
            "| none | 600 | 4.5 |  |  |",
            "| after COMMIT, one per booking | 420 | 4.5 |  |  |",
            "booking-load ws: 1000/1000 watchers connected, 0 dropped;",
            "storm 64 clients, 812 bookings/s, booking p99 55.5 ms;",
            "WS_MIN_INTERVAL_MS=100 (default).",
            "| ms | 12.3 | 10.0 | 30.0 | 44.4 | 120.0 | 5000 | 0 |",
            "Messages per watcher: min 180, mean 195, max 210.",
            "booking-api RSS: peak 61.2 MiB, at the end 40.0 MiB.",
            "```\nbooking_ws_connections 0\n```",
        ] {
            assert!(markdown.contains(line), "missing `{line}` in:\n{markdown}");
        }
    }

    #[test]
    fn without_pgbench_runs_there_is_no_notify_table() {
        let dir = folder("");
        let markdown = LiveBench::read(dir.path()).unwrap().markdown();
        assert!(!markdown.contains("| NOTIFY |"), "{markdown}");
        assert!(markdown.contains("watchers connected"), "{markdown}");
    }

    #[test]
    fn a_shape_that_ran_must_have_its_files() {
        let dir = folder(r#""hot","spread""#);
        let error = LiveBench::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("spread-none.txt"), "{error}");
    }
}
