//! `with-postgres <command> [args...]`: starts a throwaway PostgreSQL cluster in a
//! temporary folder, runs the command with `TEST_DATABASE_URL` pointing at it, then stops
//! the cluster, removes the folder and exits with the command's status. `just test` runs
//! the whole test suite under it.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use booking_persistence::local_pg::{ClusterOptions, LocalCluster, PgBinaries};
use booking_persistence::test_db::TEST_DATABASE_URL;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// Room for the concurrency tests, which open hundreds of connections at once.
const MAX_CONNECTIONS: u32 = 500;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: with-postgres <command> [args...]");
        return ExitCode::from(2);
    };
    match run(program, args.collect()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("with-postgres: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(program: OsString, args: Vec<OsString>) -> Result<ExitCode, String> {
    let binaries = PgBinaries::locate().map_err(|e| e.to_string())?;
    let folder = tempfile::Builder::new()
        .prefix("booking-pg-")
        .tempdir()
        .map_err(|e| format!("creating a temporary folder: {e}"))?;
    let cluster = LocalCluster::start(
        &binaries,
        &ClusterOptions {
            root: folder.path().to_path_buf(),
            durable: false,
            max_connections: MAX_CONNECTIONS,
        },
    )
    .map_err(|e| e.to_string())?;
    eprintln!(
        "with-postgres: throwaway PostgreSQL on 127.0.0.1:{} ({})",
        cluster.port(),
        binaries.bindir().display()
    );

    // Ctrl-C reaches the command too; outlive it so the cluster and folder are cleaned up.
    keep_running_on_interrupt();
    let status = Command::new(&program)
        .args(&args)
        .env(TEST_DATABASE_URL, cluster.url("postgres"))
        .status();
    cluster.stop().map_err(|e| e.to_string())?;
    drop(folder);

    let status = status.map_err(|e| format!("running {}: {e}", program.to_string_lossy()))?;
    Ok(status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .map_or(ExitCode::FAILURE, ExitCode::from))
}

extern "C" fn ignore_signal(_: nix::libc::c_int) {}

/// A handler that does nothing, rather than SIG_IGN: an ignored signal stays ignored in
/// the child after exec, a handled one is reset to its default there.
fn keep_running_on_interrupt() {
    let action = SigAction::new(
        SigHandler::Handler(ignore_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    #[expect(
        unsafe_code,
        reason = "installing a handler that touches no state is sound"
    )]
    let installed = unsafe { sigaction(Signal::SIGINT, &action) };
    if let Err(error) = installed {
        eprintln!(
            "with-postgres: cannot watch Ctrl-C ({error}); an interrupt may leave the cluster running"
        );
    }
}
