use std::fs;

use super::*;

fn storm_json(rate: f64, mean: f64, p99: f64, server_errors: u64, holds: bool) -> String {
    format!(
        r#"{{"clients":64,"stop":{{"after":20.0}},"events":1,"ticketsPerEvent":1000000,"quantity":1,
            "elapsedS":20.0,"responses":1000,"responsesPerS":{},"bookings":900,"bookingsPerS":{rate},
            "latency":{{"count":1000,"meanMs":{mean},"p50Ms":{mean},"p95Ms":{p99},"p99Ms":{p99},"maxMs":{p99}}},
            "answers":[{{"status":201,"code":null,"count":900}},{{"status":409,"code":"InsufficientTickets","count":90}},
                       {{"status":null,"code":null,"count":{server_errors}}}],
            "serverErrors":{server_errors},"buyersRegisteredBefore":1,"buyersRegisteredDuring":0,
            "buyersSignedInAgain":0,
            "conservation":{{"holds":{holds},"capacity":1000000,"sold":900,"remaining":999100,"booked":900,
                             "oversold":0,"violations":[]}},
            "eventIds":[]}}"#,
        rate * 1.1
    )
}

/// A run folder as bench/run.sh leaves it: per-request pgbench 500/s, hot storm 3,000/s.
fn run_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    write(
        "run.json",
        r#"{"when":"2026-12-02 09:00 UTC","commit":"abc1234","cores":2,"memoryGib":24,
            "postgres":"PostgreSQL 15.14","pool":16,"clients":64,"seconds":20,"spreadEvents":100,
            "batch":64,"peakRssKb":204800,"pgbenchOversold":0}"#,
    );
    write(
        "pgbench.txt",
        "number of failed transactions: 0 (0.000%)\ntps = 500.0 (x)\n",
    );
    // Latencies 1, 2 and 3 ms: mean 2, p50 2, p99 3.
    write(
        "pgbench.77",
        "0 1 1000 0 0 0\n1 1 2000 0 0 0\n2 1 3000 0 0 0\n",
    );
    write("batched.txt", "tps = 100.0 (x)\n");
    write("batched.78", "0 1 8000 0 0 0\n");
    write("hot.json", &storm_json(3_000.0, 10.0, 30.0, 0, true));
    write("spread.json", &storm_json(700.0, 50.0, 120.0, 0, true));
    write("unbatched.json", &storm_json(400.0, 100.0, 400.0, 2, true));
    write(
        "oha-read.json",
        r#"{"summary":{"requestsPerSec":9000.0,"average":0.007},
            "latencyPercentiles":{"p50":0.006,"p99":0.021},"statusCodeDistribution":{"200":180000}}"#,
    );
    write(
        "oha-book.json",
        r#"{"summary":{"requestsPerSec":800.0,"average":0.08},
            "latencyPercentiles":{"p50":0.07,"p99":0.2},"statusCodeDistribution":{"201":9000,"409":1000}}"#,
    );
    write(
        "waits-hot.txt",
        "Lock:tuple\nCPU\nLock:tuple\nClient:ClientRead\n",
    );
    dir
}

#[test]
fn a_run_folder_becomes_the_table_and_the_verdicts() {
    let dir = run_folder();
    let markdown = Bench::read(dir.path()).unwrap().markdown();
    let expected = [
        "## 2026-12-02 09:00 UTC, commit abc1234\n",
        "2 cores, 24 GiB, PostgreSQL 15.14 with fsync on, pool 16 connections, 64 clients, 20 s per run; booking-api peak RSS 200 MB.",
        "| pgbench, per-request transaction, hot event | 64 | 500.00 | 500.00 | 2.00 | 2.00 | 3.00 | 1.50 | 0 failed | - | - |",
        "| pgbench, batches of 64, hot event | 1 | 100.00 | 6400.00 | 8.00 | 8.00 | 8.00 | 1.00 | 0 failed | - | 0 |",
        "| booking-load storm, hot event | 64 | 3300.00 | 3000.00 | 10.00 | 10.00 | 30.00 | 3.00 | 90 | 0 | 0 |",
        "| booking-load storm, 100 events | 64 |",
        "| booking-load storm, hot event, batching off | 64 | 440.00 | 400.00 | 100.00 | 100.00 | 400.00 | 4.00 | 92 | 2 | 0 |",
        "| oha GET /events/{id} | 64 | 9000.00 | - | 7.00 | 6.00 | 21.00 | 3.00 | 0 | 0 | - |",
        "| oha POST /bookings, 1 buyer, 100 events | 64 | 800.00 | 720.00 | 80.00 | 70.00 | 200.00 | 2.50 | 1000 | 0 | - |",
        "- coalesced hot event ÷ per-request pgbench ceiling: **6.00** (target ≥ 5: met)",
        "- coalesced hot event ÷ batched pgbench (this design's ceiling): **0.47**",
        "- coalesced hot event ÷ the same storm with batching off: **7.50**",
        "- hot event p99: 30.00 ms (target ≤ 50: met)",
        "- p99 ÷ mean: hot 3.00, spread 2.40 (target ≤ 2: MISSED)",
        "- spread ÷ per-request pgbench: **1.40** (target ≥ 1.24, the ratio before coalescing: met)",
        "- storms with a 5xx, an oversold tier or a broken invariant: 1 (target 0)",
        "  - storm hot: Lock:tuple 50%, CPU 25%, Client:ClientRead 25%",
        "  - pgbench: -",
    ];
    for line in expected {
        assert!(markdown.contains(line), "missing `{line}` in:\n{markdown}");
    }
}

#[test]
fn a_hold_storm_gets_its_row_and_a_run_from_before_holds_reads_without_one() {
    let dir = run_folder();
    let holds_row = "| booking-load storm --hold, hot event (holds/s) | 64 | 2750.00 | 2500.00 |";
    let before = Bench::read(dir.path()).unwrap().markdown();
    assert!(!before.contains("--hold"), "{before}");
    fs::write(
        dir.path().join("holds.json"),
        storm_json(2_500.0, 12.0, 35.0, 0, true),
    )
    .unwrap();
    let with_holds = Bench::read(dir.path()).unwrap().markdown();
    assert!(with_holds.contains(holds_row), "{with_holds}");
}

#[test]
fn a_door_run_gets_its_row() {
    let dir = run_folder();
    fs::write(
        dir.path().join("door.json"),
        r#"{"clients":64,"tickets":5000,"eventId":"00000000-0000-0000-0000-000000000000",
            "elapsedS":2.0,"scans":5000,"scansPerS":2500.0,
            "latency":{"count":5000,"meanMs":20.0,"p50Ms":18.0,"p95Ms":30.0,"p99Ms":40.0,"maxMs":50.0},
            "answers":[{"status":200,"code":null,"count":5000}],"checkedIn":5000}"#,
    )
    .unwrap();
    let markdown = Bench::read(dir.path()).unwrap().markdown();
    let row = "| booking-load door, 5000 tickets (scans/s) | 64 | 2500.00 | 2500.00 | 20.00 | 18.00 | 40.00 | 2.00 | 0 | 0 | - |";
    assert!(markdown.contains(row), "{markdown}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = run_folder();
    fs::remove_file(dir.path().join("spread.json")).unwrap();
    let error = Bench::read(dir.path()).unwrap_err().to_string();
    assert!(error.contains("spread.json"), "{error}");
}

#[test]
fn verdicts_say_missed_when_a_target_is_missed() {
    let dir = run_folder();
    fs::write(
        dir.path().join("hot.json"),
        storm_json(1_000.0, 40.0, 60.0, 0, false),
    )
    .unwrap();
    let markdown = Bench::read(dir.path()).unwrap().markdown();
    assert!(
        markdown.contains("**2.00** (target ≥ 5: MISSED)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("hot event p99: 60.00 ms (target ≤ 50: MISSED)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("broken invariant: 2 (target 0)"),
        "{markdown}"
    );
}

#[test]
fn ratios_over_nothing_are_zero() {
    assert_eq!(ratio(5.0, 0.0), 0.0);
    assert_eq!(ratio(6.0, 3.0), 2.0);
}

#[test]
fn top_waits_rank_by_share_then_name() {
    let samples: Vec<String> = ["b", "a", "c", "a", "d", "e"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(top_waits(&samples, 3), "a 33%, b 17%, c 17%");
    assert_eq!(top_waits(&[], 4), "-");
}

#[test]
fn numbers_read_back_exactly_as_written() {
    // serde_json's default parser may miss the last digit; reports must not.
    for value in [
        0.957_248_677_428_571_3_f64,
        1.671_622_575_285_714_1,
        0.1 + 0.2,
    ] {
        let text = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<f64>(&text).unwrap(), value, "{text}");
    }
}
