//! `with-postgres [--durable] <command> [args...]`: starts a throwaway PostgreSQL cluster
//! in a temporary folder, runs the command with `TEST_DATABASE_URL` pointing at it, then
//! stops the cluster, removes the folder and exits with the command's status. `just test`
//! runs the whole test suite under it (fsync off: tests need no crash safety);
//! `just bench` passes `--durable`, so commits cost what they cost in production.

use std::ffi::OsString;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use booking_local_db::test_db::TEST_DATABASE_URL;
use booking_local_db::{ClusterOptions, LocalCluster, PgBinaries};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, kill, sigaction};
use nix::unistd::Pid;

/// Room for the concurrency tests, which open hundreds of connections at once.
const MAX_CONNECTIONS: u32 = 500;

/// The running command, for the signal handler to pass signals on to (0: none yet).
static COMMAND_PID: AtomicI32 = AtomicI32::new(0);
/// Set when a stop signal arrived before the command started: then it never starts.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    let durable = args.next_if(|arg| arg == "--durable").is_some();
    let Some(program) = args.next() else {
        eprintln!("usage: with-postgres [--durable] <command> [args...]");
        return ExitCode::from(2);
    };
    // Before anything is created, so no signal can leave the cluster or its folder behind.
    forward_stop_signals();
    match run(program, args.collect(), durable) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("with-postgres: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(program: OsString, args: Vec<OsString>, durable: bool) -> Result<ExitCode, String> {
    let binaries = PgBinaries::locate().map_err(|e| e.to_string())?;
    let folder = tempfile::Builder::new()
        .prefix("booking-pg-")
        .tempdir()
        .map_err(|e| format!("creating a temporary folder: {e}"))?;
    let cluster = LocalCluster::start(
        &binaries,
        &ClusterOptions {
            root: folder.path().to_path_buf(),
            durable,
            max_connections: MAX_CONNECTIONS,
            // A temporary folder: always reachable.
            relocate_to: None,
        },
    )
    .map_err(|e| e.to_string())?;
    eprintln!(
        "with-postgres: throwaway PostgreSQL on 127.0.0.1:{} ({})",
        cluster.port(),
        binaries.bindir().display()
    );

    let status = if INTERRUPTED.load(Ordering::SeqCst) {
        Err("interrupted before the command started".to_owned())
    } else {
        Command::new(&program)
            .args(&args)
            .env(TEST_DATABASE_URL, cluster.url("postgres"))
            .spawn()
            .and_then(|mut child| {
                COMMAND_PID.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
                child.wait()
            })
            .map_err(|e| format!("running {}: {e}", program.to_string_lossy()))
    };
    cluster.stop().map_err(|e| e.to_string())?;
    drop(folder);

    Ok(status?
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .map_or(ExitCode::FAILURE, ExitCode::from))
}

/// Passes a stop signal on to the command and keeps this process alive until the command
/// has exited, so the cluster is stopped and its folder removed. Touches only atomics and
/// kill(2), both async-signal-safe.
extern "C" fn on_stop_signal(signal: nix::libc::c_int) {
    let pid = COMMAND_PID.load(Ordering::SeqCst);
    if pid > 0 {
        if let Ok(signal) = Signal::try_from(signal) {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    } else {
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
}

/// A handler rather than SIG_IGN: an ignored signal stays ignored in the child after
/// exec, a handled one is reset to its default there.
fn forward_stop_signals() {
    let action = SigAction::new(
        SigHandler::Handler(on_stop_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        #[expect(
            unsafe_code,
            reason = "the handler only touches atomics and calls kill(2)"
        )]
        let installed = unsafe { sigaction(signal, &action) };
        if let Err(error) = installed {
            eprintln!(
                "with-postgres: cannot handle {signal} ({error}); it may leave the cluster running"
            );
        }
    }
}
