//! What one `just bench` run leaves in its folder, read back: pgbench's summary and
//! per-transaction logs, the storms' and oha's JSON, the wait-event samples, and
//! `run.json`, which describes the run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not what the bench writes: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {what}")]
    Shape { path: PathBuf, what: String },
}

/// `run.json`, written by bench/run.sh: the facts of the run a table cannot compute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    /// When it ran, as printed in the heading (`2026-12-02 05:28 UTC`).
    pub when: String,
    /// Short commit id, `+changes` when the tree differed from it.
    pub commit: String,
    pub cores: u32,
    pub memory_gib: u32,
    /// `PostgreSQL 15.14`.
    pub postgres: String,
    pub pool: u32,
    pub clients: u32,
    pub seconds: u32,
    pub spread_events: u32,
    /// Bookings per transaction in the batched pgbench run.
    pub batch: u32,
    pub peak_rss_kb: u64,
    /// Tiers whose counts do not add up after the pgbench runs.
    pub pgbench_oversold: u64,
}

/// One pgbench run: its summary (`<label>.txt`) and its per-transaction log files
/// (`<label>.<pid>[.<thread>]`, latency in microseconds in the third column).
#[derive(Debug, Clone, PartialEq)]
pub struct PgbenchRun {
    pub tps: f64,
    pub failed: u64,
    /// Milliseconds per transaction.
    pub latency: Percentiles,
}

/// Mean and percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of latencies given in microseconds.
    pub fn of_micros(mut micros: Vec<u64>) -> Option<Self> {
        if micros.is_empty() {
            return None;
        }
        micros.sort_unstable();
        let rank = |q: usize| {
            let index = (micros.len() * q).div_ceil(100).max(1) - 1;
            micros.get(index).copied().unwrap_or_default() as f64 / 1_000.0
        };
        let sum: u64 = micros.iter().sum();
        Some(Self {
            mean: sum as f64 / micros.len() as f64 / 1_000.0,
            p50: rank(50),
            p99: rank(99),
        })
    }
}

impl PgbenchRun {
    pub fn read(dir: &Path, label: &str) -> Result<Self, InputError> {
        let summary_path = dir.join(format!("{label}.txt"));
        let summary = read_text(&summary_path)?;
        let (tps, failed) = parse_summary(&summary).ok_or_else(|| InputError::Shape {
            path: summary_path.clone(),
            what: "no `tps = ...` or `number of failed transactions` line".into(),
        })?;
        let mut micros = Vec::new();
        for log in transaction_logs(dir, label)? {
            micros.extend(
                parse_log(&read_text(&log)?).map_err(|what| InputError::Shape {
                    path: log.clone(),
                    what,
                })?,
            );
        }
        let latency = Percentiles::of_micros(micros).ok_or_else(|| InputError::Shape {
            path: dir.join(format!("{label}.*")),
            what: "no transaction logged".into(),
        })?;
        Ok(Self {
            tps,
            failed,
            latency,
        })
    }
}

/// `tps = 575.123 (without initial connection time)` and
/// `number of failed transactions: 0 (0.000%)`.
fn parse_summary(text: &str) -> Option<(f64, u64)> {
    let tps = text
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let failed = text
        .lines()
        .find_map(|line| line.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        // pgbench before 15 prints no such line: nothing failed.
        .unwrap_or(0);
    Some((tps, failed))
}

fn parse_log(text: &str) -> Result<Vec<u64>, String> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.split_whitespace()
                .nth(2)
                .and_then(|micros| micros.parse().ok())
                .ok_or_else(|| format!("no latency in line `{line}`"))
        })
        .collect()
}

fn transaction_logs(dir: &Path, label: &str) -> Result<Vec<PathBuf>, InputError> {
    let prefix = format!("{label}.");
    let entries = fs::read_dir(dir).map_err(|source| InputError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut logs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_prefix(&prefix))
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    logs.sort();
    Ok(logs)
}

/// The part of `oha --output-format json` the table shows (seconds, as oha writes them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OhaRun {
    pub summary: OhaSummary,
    pub latency_percentiles: OhaPercentiles,
    #[serde(default)]
    pub status_code_distribution: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OhaSummary {
    pub requests_per_sec: f64,
    pub average: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OhaPercentiles {
    pub p50: f64,
    pub p99: f64,
}

impl OhaRun {
    fn count(&self, wanted: impl Fn(&str) -> bool) -> u64 {
        self.status_code_distribution
            .iter()
            .filter(|(code, _)| wanted(code))
            .map(|(_, count)| count)
            .sum()
    }

    pub fn non_2xx(&self) -> u64 {
        self.count(|code| !code.starts_with('2'))
    }

    pub fn server_errors(&self) -> u64 {
        self.count(|code| code.starts_with('5'))
    }

    /// Responses per second that were 201s.
    pub fn created_per_s(&self) -> f64 {
        let all = self.count(|_| true);
        if all == 0 {
            return 0.0;
        }
        self.summary.requests_per_sec * self.count(|code| code == "201") as f64 / all as f64
    }
}

/// Where the database sessions were during a run, from `waits-<label>.txt`: one sample
/// per line, `CPU` or `<wait type>:<wait event>`. A missing file is no samples.
pub fn read_waits(dir: &Path, label: &str) -> Result<Vec<String>, InputError> {
    let path = dir.join(format!("waits-{label}.txt"));
    match fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(InputError::Read { path, source }),
    }
}

pub fn read_json<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<T, InputError> {
    let path = dir.join(file);
    let text = read_text(&path)?;
    serde_json::from_str(&text).map_err(|source| InputError::Json { path, source })
}

/// `file` when the run left it: runs from before a step existed lack its file.
pub fn read_optional<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<Option<T>, InputError> {
    if dir.join(file).exists() {
        read_json(dir, file).map(Some)
    } else {
        Ok(None)
    }
}

fn read_text(path: &Path) -> Result<String, InputError> {
    fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_s_summary_gives_the_rate_and_the_failures() {
        let text = "transaction type: booking.pgbench\nnumber of failed transactions: 3 (0.010%)\n\
                    latency average = 73.1 ms\ntps = 575.123456 (without initial connection time)\n";
        assert_eq!(parse_summary(text), Some((575.123456, 3)));
        assert_eq!(parse_summary("tps = 10.5 (x)\n"), Some((10.5, 0)));
        assert_eq!(parse_summary("nothing here"), None);
    }

    #[test]
    fn the_third_column_of_a_transaction_log_is_its_latency() {
        let log = "0 1 7302 0 1700000000 123\n1 1 15 0 1700000000 456\n\n";
        assert_eq!(parse_log(log).unwrap(), vec![7302, 15]);
        assert!(parse_log("0 1\n").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank_in_milliseconds() {
        let micros: Vec<u64> = (1..=100).rev().map(|i| i * 1_000).collect();
        let p = Percentiles::of_micros(micros).unwrap();
        assert_eq!(p.p50, 50.0);
        assert_eq!(p.p99, 99.0);
        assert_eq!(p.mean, 50.5);
        let single = Percentiles::of_micros(vec![2_500]).unwrap();
        assert_eq!((single.p50, single.p99, single.mean), (2.5, 2.5, 2.5));
        assert_eq!(Percentiles::of_micros(Vec::new()), None);
    }

    #[test]
    fn a_pgbench_run_is_read_from_its_summary_and_every_log_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hot.txt"), "tps = 100.0 (x)\n").unwrap();
        fs::write(dir.path().join("hot.4242"), "0 1 1000 0 0 0\n").unwrap();
        fs::write(dir.path().join("hot.4242.1"), "1 1 3000 0 0 0\n").unwrap();
        // Another run's files and the latency list are not this run's log.
        fs::write(dir.path().join("hotter.4242"), "0 1 9000000 0 0 0\n").unwrap();
        fs::write(dir.path().join("hot-latency.txt"), "9\n").unwrap();
        let run = PgbenchRun::read(dir.path(), "hot").unwrap();
        assert_eq!(run.tps, 100.0);
        assert_eq!(run.failed, 0);
        assert_eq!(run.latency.mean, 2.0);
        assert_eq!(run.latency.p99, 3.0);
    }

    #[test]
    fn oha_s_answers_are_split_by_class() {
        let run: OhaRun = serde_json::from_str(
            r#"{"summary":{"requestsPerSec":1000.0,"average":0.004,"extra":1},
                "latencyPercentiles":{"p50":0.003,"p99":0.02},
                "statusCodeDistribution":{"201":750,"409":200,"503":50}}"#,
        )
        .unwrap();
        assert_eq!(run.non_2xx(), 250);
        assert_eq!(run.server_errors(), 50);
        assert_eq!(run.created_per_s(), 750.0);
    }

    #[test]
    fn missing_wait_samples_are_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_waits(dir.path(), "hot").unwrap().is_empty());
        fs::write(dir.path().join("waits-hot.txt"), "CPU\n\nLock:tuple\n").unwrap();
        assert_eq!(
            read_waits(dir.path(), "hot").unwrap(),
            ["CPU", "Lock:tuple"]
        );
    }
}
