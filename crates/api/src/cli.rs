use clap::{Parser, Subcommand};

/// The booking system's server. Configuration comes from the environment (see `.env.example`).
#[derive(Debug, Parser)]
#[command(name = "booking-api", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Migrate the database, then serve the API and the web app (the default).
    Serve {
        /// Also load the demo data into an empty database.
        #[arg(long)]
        seed: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo accounts and events into an empty database; a seeded one is left alone.
    Seed {
        /// Bring the demo events back to their seeded state, dated ahead of today: their
        /// bookings go, other events and bookings stay.
        #[arg(long)]
        reset: bool,
        /// With --reset: delete every account, event and booking, then seed afresh.
        #[arg(long, requires = "reset")]
        all: bool,
    },
}

impl Cli {
    pub fn command(&self) -> Command {
        self.command.unwrap_or(Command::Serve { seed: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_is_the_default() {
        let cli = Cli::try_parse_from(["booking-api"]).unwrap();
        assert_eq!(cli.command(), Command::Serve { seed: false });
    }

    #[test]
    fn subcommands_parse() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|cli| cli.command());
        assert_eq!(
            parse(&["booking-api", "serve", "--seed"]).unwrap(),
            Command::Serve { seed: true }
        );
        assert_eq!(
            parse(&["booking-api", "migrate"]).unwrap(),
            Command::Migrate
        );
        assert_eq!(
            parse(&["booking-api", "seed"]).unwrap(),
            Command::Seed {
                reset: false,
                all: false
            }
        );
        assert_eq!(
            parse(&["booking-api", "seed", "--reset", "--all"]).unwrap(),
            Command::Seed {
                reset: true,
                all: true
            }
        );
        assert!(
            parse(&["booking-api", "seed", "--all"]).is_err(),
            "--all only widens a reset"
        );
        assert!(parse(&["booking-api", "drop-everything"]).is_err());
    }
}
