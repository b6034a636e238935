use std::process::ExitCode;

use booking_api::cli::{Cli, Command};
use booking_api::commands;
use booking_api::config::Config;
use booking_api::database::Database;
use booking_api::telemetry;
use booking_persistence::seed::ResetScope;
use clap::Parser;

fn main() -> ExitCode {
    if let Err(error) = telemetry::init_logging() {
        eprintln!("booking-api: {error}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    match run(cli.command()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    // Started before the async runtime, on the main thread: the embedded PostgreSQL dies
    // with the thread that started it, and this one lives until the end.
    let database = Database::open(&config)?;
    let result = actix_web::rt::System::new().block_on(async {
        match command {
            Command::Serve { seed } => commands::serve(&config, &database, seed).await,
            Command::Migrate => commands::migrate(&database).await,
            Command::Seed { reset: false, .. } => commands::seed(&config, &database).await,
            Command::Seed { reset: true, all } => {
                let scope = if all {
                    ResetScope::Everything
                } else {
                    ResetScope::DemoEvents
                };
                commands::reset_seed(&config, &database, scope).await
            }
        }
    });
    // The server has let go of every connection; now the embedded cluster may stop.
    drop(database);
    result
}
