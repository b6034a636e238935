//! `booking-load`: the load tester for a running booking-api.
//!
//! Today it checks that a target is up (`health`); the race, storm and WebSocket
//! commands of SPEC section 7 are built on this skeleton in Step 3.

use std::process::ExitCode;
use std::time::Duration;

use booking_dto::Health;
use clap::{Parser, Subcommand};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that the server answers GET /health, and print its version.
    Health,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Health => match health(&cli.base_url).await {
            Ok(health) => {
                println!(
                    "{} is {} (version {})",
                    cli.base_url, health.status, health.version
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{}: {error}", cli.base_url);
                ExitCode::FAILURE
            }
        },
    }
}

async fn health(base_url: &str) -> Result<Health, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?
        .get(format!("{}/health", base_url.trim_end_matches('/')))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
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
}
