//! `booking-load`: load tests against a running booking-api (SPEC section 7).
//!
//! Exit codes: 0 the verdict passed, 1 it failed, 2 the test could not run.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use booking_load::api::ApiClient;
use booking_load::door::{self, DoorOptions};
use booking_load::queue::{self, QueueOptions};
use booking_load::race::{self, RaceOptions, RaceTarget};
use booking_load::report::Bench;
use booking_load::report::live::LiveBench;
use booking_load::report::queue::QueueBench;
use booking_load::storm::{self, Stop, StormOptions};
use booking_load::watch::{self, WatchOptions};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(
    name = "booking-load",
    version,
    about = "Load tests for a running booking-api"
)]
struct Cli {
    /// Base URL of the server under test.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8080",
        env = "BOOKING_BASE_URL"
    )]
    base_url: String,
    /// Print the result as JSON on stdout (progress and messages go to stderr).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that the server answers GET /health, and print its version.
    Health,
    /// N fresh buyers ask for one ticket of the same tier at the same instant. PASS only
    /// when exactly the tickets left are sold, the rest get 409 and none remain.
    Race(RaceArgs),
    /// C clients book back to back against events made for the run; rates, latency
    /// percentiles, every kind of answer, and the invariant read back. PASS when the
    /// invariant holds and no request got a 5xx or no answer.
    Storm(StormArgs),
    /// W WebSocket clients watch one event while a storm books it: how soon each booking
    /// reaches every watcher (201 -> update with a count at or below it), watchers
    /// dropped, messages per watcher. PASS when the storm passes, every watcher
    /// connected and stayed, and every booking reached every watcher.
    Ws(WsArgs),
    /// C door staff scan distinct tickets of an event made for the run (booked before
    /// the clock starts) until every one is in: scans per second, latency, every kind of
    /// answer. PASS when every ticket was admitted once and nothing failed.
    Door(DoorArgs),
    /// The on-sale of a big event through its waiting room: N buyers take places over
    /// WebSockets before the sale start, are let in at the room's pace and book with
    /// their pass; skippers book without one. PASS when every ticket sold once, every
    /// skipper was refused, every place only moved forward, the draw was fair
    /// (|rank correlation| <= 0.05) and the admitted buyers' booking p99 met its target.
    /// 10,000 buyers need as many open files on each side: see the README.
    Queue(QueueArgs),
    /// The markdown of a benchmark run, from the folder its script filled (pgbench
    /// output and logs, storm, ws and oha JSON, wait samples, run.json). Exit code 2
    /// when a file is missing or malformed.
    #[command(subcommand)]
    Report(ReportKind),
}

#[derive(Debug, Subcommand)]
enum ReportKind {
    /// `just bench` (bench/run.sh): the table, the ratios and their verdicts.
    Bench {
        /// The run's folder.
        dir: PathBuf,
    },
    /// `just bench-live` (bench/live.sh): NOTIFY's cost and the delivery times.
    Live {
        /// The run's folder.
        dir: PathBuf,
    },
    /// `just bench-queue` (bench/queue.sh): the on-sale's figures and verdicts.
    Queue {
        /// The run's folder.
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
struct DoorArgs {
    /// Door staff scanning at once, each the next ticket as soon as the last is answered.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Tickets booked before the clock starts, each scanned once.
    #[arg(long, default_value_t = 5_000)]
    tickets: u32,
    #[command(flatten)]
    organizer: OrganizerArgs,
}

#[derive(Debug, Args)]
struct QueueArgs {
    /// Buyers who take a place before the sale starts, each booking one ticket.
    #[arg(long, default_value_t = 10_000)]
    buyers: usize,
    /// Tickets on sale (fewer than buyers).
    #[arg(long, default_value_t = 2_000)]
    tickets: u32,
    /// Clients that book without a pass as the sale opens.
    #[arg(long, default_value_t = 100)]
    skippers: usize,
    /// The room's pace (default: the server's).
    #[arg(long)]
    admit_per_minute: Option<i64>,
    /// From the event's creation to its sale start; every buyer takes a place in between.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    lead: Duration,
    /// Buyers still in line this long after the start give up.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2m")]
    deadline: Duration,
    /// The admitted buyers' booking p99 to stay within, in milliseconds.
    #[arg(long, default_value_t = 100.0)]
    p99_target_ms: f64,
    /// The server's process id, to report its memory (same machine only).
    #[arg(long)]
    server_pid: Option<u32>,
    #[command(flatten)]
    organizer: OrganizerArgs,
}

#[derive(Debug, Args)]
struct WsArgs {
    /// WebSocket clients watching the storm's event.
    #[arg(long, default_value_t = 1_000)]
    watchers: usize,
    /// How long watchers keep listening after the storm ends.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    settle: Duration,
    /// The server's process id, to report its memory (same machine only).
    #[arg(long)]
    server_pid: Option<u32>,
    #[command(flatten)]
    storm: StormArgs,
}

#[derive(Debug, Args)]
struct RaceArgs {
    /// How many buyers race.
    #[arg(long, default_value_t = 10)]
    users: usize,
    /// The event: its id, or the exact title of a published upcoming event.
    #[arg(long, default_value = race::DEFAULT_EVENT, conflicts_with = "fresh")]
    event: String,
    /// The tier's name, when the event has several.
    #[arg(long, conflicts_with = "fresh")]
    tier: Option<String>,
    /// Race for an event made for this race (signed in as the organizer), so the race
    /// can be run again on any server.
    #[arg(long)]
    fresh: bool,
    /// With --fresh: tickets of the new event (one per person).
    #[arg(long, default_value_t = 2, requires = "fresh")]
    tickets: u32,
    #[command(flatten)]
    organizer: OrganizerArgs,
}

/// The organizer who creates a load test's own events.
#[derive(Debug, Args)]
struct OrganizerArgs {
    #[arg(
        long,
        default_value = "organizer@example.com",
        env = "BOOKING_ORGANIZER_EMAIL"
    )]
    organizer_email: String,
    #[arg(
        long,
        default_value = "Password123",
        env = "BOOKING_ORGANIZER_PASSWORD"
    )]
    organizer_password: String,
}

#[derive(Debug, Args)]
struct StormArgs {
    /// Concurrent clients, each sending its next booking when the last is answered.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// How long to run (e.g. `20s`, `2m`).
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with = "requests")]
    duration: Option<Duration>,
    /// How many booking requests to send in all, instead of a duration.
    #[arg(long)]
    requests: Option<u64>,
    /// Tickets of each event made for the run.
    #[arg(long, default_value_t = 10_000)]
    tickets: u32,
    /// Events made for the run: 1 is a hot event, more spread the load at random.
    #[arg(long, default_value_t = 1)]
    events: usize,
    /// Tickets per booking.
    #[arg(long, default_value_t = 1)]
    quantity: u32,
    /// Check out with a hold (`"checkout": "hold"`) instead of booking and paying at
    /// once: measures holds created per second.
    #[arg(long)]
    hold: bool,
    /// Buyers to register before the clock starts (default: enough for --requests, or
    /// two per client for a timed run; more are registered if they run out).
    #[arg(long)]
    buyers: Option<usize>,
    /// Book under an Idempotency-Key and ask again after a 503 (its Retry-After) or no
    /// answer, for up to this long per booking: a client riding out a database failover
    /// or an instance going away. The booking lands at most once.
    #[arg(long, value_parser = humantime::parse_duration)]
    retry_for: Option<Duration>,
    /// After the run, read every booking answered 201 back by its id (PASS needs all).
    #[arg(long)]
    verify: bool,
    /// A WebSocket watcher of the storm's events at this base URL (an api instance or the
    /// proxy), reconnecting when dropped; repeat for more. PASS needs each to have heard
    /// the final counts.
    #[arg(long = "watch", value_name = "BASE_URL")]
    watch: Vec<String>,
    #[command(flatten)]
    organizer: OrganizerArgs,
}

/// A storm that names neither a duration nor a request count runs this long.
const DEFAULT_STORM: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let api = match ApiClient::new(&cli.base_url) {
        Ok(api) => api,
        Err(error) => return cannot_run(&error),
    };
    match cli.command {
        Command::Report(kind) => {
            let markdown = match kind {
                ReportKind::Bench { dir } => Bench::read(&dir).map(|bench| bench.markdown()),
                ReportKind::Live { dir } => LiveBench::read(&dir).map(|live| live.markdown()),
                ReportKind::Queue { dir } => QueueBench::read(&dir).map(|queue| queue.markdown()),
            };
            match markdown {
                Ok(markdown) => {
                    print!("{markdown}");
                    ExitCode::SUCCESS
                }
                Err(error) => cannot_run(&error),
            }
        }
        Command::Health => match api.health().await {
            Ok(health) => {
                println!(
                    "{} is {} (version {})",
                    cli.base_url, health.status, health.version
                );
                ExitCode::SUCCESS
            }
            Err(error) => cannot_run(&error),
        },
        Command::Race(args) => {
            let target = if args.fresh {
                RaceTarget::Fresh {
                    tickets: args.tickets,
                    organizer_email: args.organizer.organizer_email,
                    organizer_password: args.organizer.organizer_password,
                }
            } else {
                RaceTarget::Existing {
                    event: args.event,
                    tier: args.tier,
                }
            };
            let options = RaceOptions {
                users: args.users,
                target,
            };
            match race::run(&api, &options).await {
                Ok(report) => finish(cli.json, &report, report.verdict.pass),
                Err(error) => cannot_run(&error),
            }
        }
        Command::Storm(args) => {
            let options = storm_options(args, !cli.json && std::io::stderr().is_terminal());
            match storm::run(&api, &options).await {
                Ok(report) => finish(cli.json, &report, report.passed()),
                Err(error) => cannot_run(&error),
            }
        }
        Command::Door(args) => {
            let options = DoorOptions {
                clients: args.clients,
                tickets: args.tickets,
                organizer_email: args.organizer.organizer_email,
                organizer_password: args.organizer.organizer_password,
            };
            match door::run(&api, &options).await {
                Ok(report) => finish(cli.json, &report, report.passed()),
                Err(error) => cannot_run(&error),
            }
        }
        Command::Queue(args) => {
            let options = QueueOptions {
                buyers: args.buyers,
                tickets: args.tickets,
                skippers: args.skippers,
                admit_per_minute: args.admit_per_minute,
                lead: args.lead,
                deadline: args.deadline,
                p99_target_ms: args.p99_target_ms,
                server_pid: args.server_pid,
                organizer_email: args.organizer.organizer_email,
                organizer_password: args.organizer.organizer_password,
                progress: !cli.json,
            };
            match queue::run(&api, &options).await {
                Ok(report) => finish(cli.json, &report, report.passed()),
                Err(error) => cannot_run(&error),
            }
        }
        Command::Ws(args) => {
            let options = WatchOptions {
                watchers: args.watchers,
                settle: args.settle,
                server_pid: args.server_pid,
                storm: storm_options(args.storm, !cli.json && std::io::stderr().is_terminal()),
            };
            match watch::run(&api, &options).await {
                Ok(report) => finish(cli.json, &report, report.passed()),
                Err(error) => cannot_run(&error),
            }
        }
    }
}

fn storm_options(args: StormArgs, progress: bool) -> StormOptions {
    let stop = match (args.duration, args.requests) {
        (_, Some(requests)) => Stop::Requests(requests),
        (Some(duration), None) => Stop::After(duration),
        (None, None) => Stop::After(DEFAULT_STORM),
    };
    StormOptions {
        clients: args.clients,
        stop,
        tickets: args.tickets,
        events: args.events,
        quantity: args.quantity,
        hold: args.hold,
        buyers: args.buyers,
        retry_for: args.retry_for,
        verify: args.verify,
        watch: args.watch,
        organizer_email: args.organizer.organizer_email,
        organizer_password: args.organizer.organizer_password,
        progress,
    }
}

fn finish<R: Serialize + std::fmt::Display>(json: bool, report: &R, passed: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(text) => println!("{text}"),
            Err(error) => return cannot_run(&error),
        }
    } else {
        println!("{report}");
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn cannot_run(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("booking-load: {error}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn base_url_defaults_to_the_local_server() {
        let cli = Cli::try_parse_from(["booking-load", "health"]).unwrap();
        assert_eq!(cli.base_url, "http://127.0.0.1:8080");
        let cli =
            Cli::try_parse_from(["booking-load", "health", "--base-url", "http://127.0.0.1:9"])
                .unwrap();
        assert_eq!(cli.base_url, "http://127.0.0.1:9");
    }

    fn storm(args: &[&str]) -> StormOptions {
        let cli = Cli::try_parse_from(["booking-load", "storm"].iter().chain(args)).unwrap();
        let Command::Storm(args) = cli.command else {
            panic!("not a storm");
        };
        storm_options(args, false)
    }

    #[test]
    fn race_defaults_to_ten_buyers_on_the_limited_concert() {
        let cli = Cli::try_parse_from(["booking-load", "race"]).unwrap();
        let Command::Race(args) = cli.command else {
            panic!("not a race");
        };
        assert_eq!((args.users, args.event.as_str()), (10, "Limited Concert"));
        assert!(args.tier.is_none());
        assert!(!args.fresh);
    }

    #[test]
    fn a_fresh_race_takes_its_tickets_and_no_event() {
        let cli =
            Cli::try_parse_from(["booking-load", "race", "--fresh", "--tickets", "5"]).unwrap();
        let Command::Race(args) = cli.command else {
            panic!("not a race");
        };
        assert!(args.fresh);
        assert_eq!(args.tickets, 5);
        assert_eq!(args.organizer.organizer_email, "organizer@example.com");
        for refused in [
            &["race", "--fresh", "--event", "Limited Concert"][..],
            &["race", "--tickets", "5"][..],
        ] {
            let argv = std::iter::once("booking-load").chain(refused.iter().copied());
            assert!(Cli::try_parse_from(argv).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn storm_runs_for_a_duration_or_a_request_count() {
        assert_eq!(
            storm(&["--duration", "20s"]).stop,
            Stop::After(Duration::from_secs(20))
        );
        assert_eq!(
            storm(&["--duration", "1m 30s"]).stop,
            Stop::After(Duration::from_secs(90))
        );
        assert_eq!(storm(&["--requests", "500"]).stop, Stop::Requests(500));
        assert_eq!(storm(&[]).stop, Stop::After(DEFAULT_STORM));
        assert!(
            Cli::try_parse_from([
                "booking-load",
                "storm",
                "--duration",
                "5s",
                "--requests",
                "5"
            ])
            .is_err(),
            "a duration and a count together are ambiguous"
        );
        assert!(Cli::try_parse_from(["booking-load", "storm", "--duration", "soon"]).is_err());
    }

    #[test]
    fn storm_options_carry_the_shape_of_the_run() {
        let options = storm(&[
            "--clients",
            "8",
            "--events",
            "100",
            "--tickets",
            "50",
            "--quantity",
            "2",
            "--buyers",
            "300",
        ]);
        assert_eq!(
            (
                options.clients,
                options.events,
                options.tickets,
                options.quantity,
                options.buyers
            ),
            (8, 100, 50, 2, Some(300))
        );
        assert_eq!(options.organizer_email, "organizer@example.com");
    }

    #[test]
    fn json_is_a_global_flag() {
        let cli = Cli::try_parse_from(["booking-load", "race", "--json"]).unwrap();
        assert!(cli.json);
    }
}
