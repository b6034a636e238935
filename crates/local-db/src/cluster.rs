//! Creating, starting and stopping one local cluster.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uuid::Uuid;

use super::location;
use super::run_as::ServerUser;
use super::{LauncherError, PgBinaries};

/// The cluster's superuser; the application connects as it.
const SUPERUSER: &str = "booking";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const PORT_ATTEMPTS: usize = 3;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Folder holding the cluster: created on first use, reused after.
    pub root: PathBuf,
    /// Whether committed data must survive a power cut (fsync). Throwaway test clusters
    /// turn this off: it makes them several times faster.
    pub durable: bool,
    pub max_connections: u32,
    /// Where to keep the cluster, in a folder of its own, when the server user (root
    /// hands the server to an unprivileged one) cannot enter `root`. `None`: refuse.
    pub relocate_to: Option<PathBuf>,
}

/// A running server. Dropping it stops the server (fast shutdown).
#[derive(Debug)]
pub struct LocalCluster {
    child: Option<Child>,
    port: u16,
    password: String,
    root: PathBuf,
    /// For `start_again`.
    binaries: PgBinaries,
    options: ClusterOptions,
}

impl LocalCluster {
    /// Initialises the cluster under `options.root` if needed and starts it on a free
    /// loopback port.
    ///
    /// The server dies with the thread that started it (Linux parent-death signal), so
    /// a crashed or killed caller leaves no server behind: start it from a thread that
    /// lives as long as the cluster is needed, such as `main`.
    pub fn start(binaries: &PgBinaries, options: &ClusterOptions) -> Result<Self, LauncherError> {
        let user = ServerUser::for_current_process()?;
        let root = location::resolve(&user, options)?;
        let password = ensure_initialized(binaries, &user, &root)?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            match spawn_server(binaries, &user, &root, options, port) {
                Ok(child) => {
                    tracing::info!(port, root = %root.display(), "local PostgreSQL is ready");
                    return Ok(Self {
                        child: Some(child),
                        port,
                        password,
                        root,
                        binaries: binaries.clone(),
                        options: options.clone(),
                    });
                }
                // Another process may grab the port between our probe and the server's bind.
                Err(LauncherError::Exited { log, .. })
                    if attempt < PORT_ATTEMPTS && log.contains("could not bind") =>
                {
                    tracing::warn!(port, "port was taken; trying another");
                }
                Err(LauncherError::Exited { log, .. })
                    if log.contains("lock file \"postmaster.pid\" already exists") =>
                {
                    return Err(LauncherError::InUse { root });
                }
                Err(error) => return Err(error),
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A connection URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(mut self) -> Result<(), LauncherError> {
        self.shutdown()
    }

    /// Stops the server but keeps its folder and port: a database outage, as clients
    /// see one. [`start_again`](Self::start_again) ends it.
    pub fn stop_for_now(&mut self) -> Result<(), LauncherError> {
        self.shutdown()
    }

    /// Starts a server stopped by [`stop_for_now`](Self::stop_for_now) again, on the
    /// same port, so the same URLs reach it.
    pub fn start_again(&mut self) -> Result<(), LauncherError> {
        if self.child.is_none() {
            let user = ServerUser::for_current_process()?;
            let child = spawn_server(&self.binaries, &user, &self.root, &self.options, self.port)?;
            self.child = Some(child);
        }
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), LauncherError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        stop_child(&mut child)?;
        tracing::info!(root = %self.root.display(), "local PostgreSQL stopped");
        Ok(())
    }
}

/// SIGINT is PostgreSQL's fast shutdown (roll back, checkpoint, exit); SIGQUIT its
/// immediate one; SIGKILL only as the last resort, since it orphans the backends.
fn stop_child(child: &mut Child) -> Result<(), LauncherError> {
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    for signal in [Signal::SIGINT, Signal::SIGQUIT] {
        let _ = kill(pid, signal);
        if wait_for_exit(child, STOP_TIMEOUT)? {
            return Ok(());
        }
        tracing::warn!(?signal, "local PostgreSQL did not stop; escalating");
    }
    child
        .kill()
        .map_err(LauncherError::io("killing PostgreSQL"))?;
    child
        .wait()
        .map_err(LauncherError::io("reaping PostgreSQL"))?;
    Ok(())
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            tracing::error!(%error, "could not stop local PostgreSQL");
        }
    }
}

fn data_dir(root: &Path) -> PathBuf {
    root.join("pgdata")
}

fn log_path(root: &Path) -> PathBuf {
    root.join("postgres.log")
}

/// Creates the cluster unless it exists; returns the superuser's password.
///
/// A marker written before `initdb` and removed after the password file is written tells
/// an interrupted initialisation (safe to redo) from a finished cluster whose password
/// file went missing (refused: its data is never deleted).
fn ensure_initialized(
    binaries: &PgBinaries,
    user: &ServerUser,
    root: &Path,
) -> Result<String, LauncherError> {
    let data = data_dir(root);
    let password_file = root.join("password");
    let marker = root.join("initdb-in-progress");
    if password_file.is_file() && !marker.exists() {
        let password = fs::read_to_string(&password_file).map_err(LauncherError::io(format!(
            "reading {}",
            password_file.display()
        )))?;
        return Ok(password.trim().to_owned());
    }
    // An error here (a folder we may not read) stops us: a cluster is never wiped unseen.
    let initialized = data
        .join("PG_VERSION")
        .try_exists()
        .map_err(LauncherError::io(format!(
            "looking into {}",
            data.display()
        )))?;
    if initialized && !marker.exists() {
        return Err(LauncherError::MissingPassword {
            root: root.to_path_buf(),
        });
    }

    write_private(&marker, "")?;
    if data.exists() {
        // Left by an initdb that did not finish.
        fs::remove_dir_all(&data)
            .map_err(LauncherError::io(format!("clearing {}", data.display())))?;
    }
    fs::create_dir_all(&data).map_err(LauncherError::io(format!("creating {}", data.display())))?;
    fs::set_permissions(&data, fs::Permissions::from_mode(0o700))
        .map_err(LauncherError::io(format!("restricting {}", data.display())))?;
    user.take_ownership(&data)?;

    let password = Uuid::new_v4().simple().to_string();
    let initdb_password = root.join("initdb-password");
    write_private(&initdb_password, &password)?;
    user.take_ownership(&initdb_password)?;
    let mut initdb = Command::new(binaries.tool("initdb"));
    initdb
        .arg("--pgdata")
        .arg(&data)
        .arg("--username")
        .arg(SUPERUSER)
        .arg(format!("--pwfile={}", initdb_password.display()))
        .args([
            "--encoding=UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ])
        .current_dir(root);
    let result = run_to_completion(&mut initdb, user, "initdb");
    let _ = fs::remove_file(&initdb_password);
    result?;

    write_private(&password_file, &password)?;
    fs::remove_file(&marker)
        .map_err(LauncherError::io(format!("removing {}", marker.display())))?;
    Ok(password)
}

/// Writes a file readable by its owner only, from the moment it exists.
fn write_private(path: &Path, contents: &str) -> Result<(), LauncherError> {
    let _ = fs::remove_file(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(LauncherError::io(format!("creating {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .map_err(LauncherError::io(format!("writing {}", path.display())))
}

fn run_to_completion(
    command: &mut Command,
    user: &ServerUser,
    tool: &str,
) -> Result<(), LauncherError> {
    as_server_user(command, user);
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(LauncherError::io(format!("running {tool}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(LauncherError::Tool {
        tool: tool.to_owned(),
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}

fn as_server_user(command: &mut Command, user: &ServerUser) {
    if let Some((uid, gid)) = user.ids() {
        command.uid(uid.as_raw()).gid(gid.as_raw());
    }
}

fn spawn_server(
    binaries: &PgBinaries,
    user: &ServerUser,
    root: &Path,
    options: &ClusterOptions,
    port: u16,
) -> Result<Child, LauncherError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(root))
        .map_err(LauncherError::io("opening the PostgreSQL log"))?;
    let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut command = Command::new(binaries.tool("postgres"));
    command
        .arg("-D")
        .arg(data_dir(root))
        .arg("-p")
        .arg(port.to_string())
        // Loopback TCP only: no Unix socket, so no dependence on a system socket folder.
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
        ])
        .arg("-c")
        .arg(format!("max_connections={}", options.max_connections));
    if !options.durable {
        command.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    command
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(clone_log(&log)?)
        .stderr(clone_log(&log)?)
        // Its own process group: a Ctrl-C in the terminal reaches us, and we stop the
        // server after the application has let go of it, not in the middle of a request.
        .process_group(0);
    as_server_user(&mut command, user);
    die_with_parent(&mut command);
    let mut child = command
        .spawn()
        .map_err(LauncherError::io("starting postgres"))?;
    match wait_until_ready(&mut child, root, port, log_offset) {
        Ok(()) => Ok(child),
        Err(error) => {
            stop_child(&mut child)?;
            Err(error)
        }
    }
}

fn clone_log(log: &File) -> Result<File, LauncherError> {
    log.try_clone()
        .map_err(LauncherError::io("sharing the PostgreSQL log"))
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    #[expect(
        unsafe_code,
        reason = "pre_exec runs in the forked child; prctl is async-signal-safe"
    )]
    unsafe {
        command
            .pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(io::Error::from));
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn wait_until_ready(
    child: &mut Child,
    root: &Path,
    port: u16,
    log_offset: u64,
) -> Result<(), LauncherError> {
    let started = Instant::now();
    let pid_file = data_dir(root).join("postmaster.pid");
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(LauncherError::io("watching postgres"))?
        {
            return Err(LauncherError::Exited {
                status: status.to_string(),
                log: log_tail(root, log_offset),
            });
        }
        if fs::read_to_string(&pid_file).is_ok_and(|contents| is_ready(&contents, child.id(), port))
        {
            return Ok(());
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(LauncherError::NotReady {
                seconds: READY_TIMEOUT.as_secs(),
                log: log_tail(root, log_offset),
            });
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Whether `postmaster.pid` says our server is accepting connections. Line 1 is the
/// postmaster's pid, line 4 its port, line 8 its state; checking the first two ignores a
/// file left by an earlier, killed server or written by another one on this folder.
fn is_ready(pid_file: &str, pid: u32, port: u16) -> bool {
    let lines: Vec<&str> = pid_file.lines().map(str::trim).collect();
    lines.first() == Some(&pid.to_string().as_str())
        && lines.get(3) == Some(&port.to_string().as_str())
        && lines.get(7) == Some(&"ready")
}

/// What the server logged since `offset` (this start), at most the last 30 lines.
fn log_tail(root: &Path, offset: u64) -> String {
    let contents = fs::read(log_path(root)).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(0).min(contents.len());
    let text = String::from_utf8_lossy(contents.get(start..).unwrap_or_default());
    let lines: Vec<&str> = text.lines().collect();
    lines
        .get(lines.len().saturating_sub(30)..)
        .unwrap_or_default()
        .join("\n")
}

fn free_port() -> Result<u16, LauncherError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(LauncherError::io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(LauncherError::io("finding a free port"))?
        .port())
}

fn wait_for_exit(child: &mut Child, timeout: Duration) -> Result<bool, LauncherError> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if child
            .try_wait()
            .map_err(LauncherError::io("waiting for postgres"))?
            .is_some()
        {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PID_FILE: &str = "4242\n/data\n1700000000\n5433\n\n127.0.0.1\n  1234  5678\nready   \n";

    #[test]
    fn readiness_requires_our_pid_our_port_and_the_ready_state() {
        assert!(is_ready(PID_FILE, 4242, 5433));
        assert!(!is_ready(PID_FILE, 4243, 5433), "another server's file");
        assert!(!is_ready(PID_FILE, 4242, 5434), "an earlier start's file");
        assert!(!is_ready(
            &PID_FILE.replace("ready", "starting"),
            4242,
            5433
        ));
        assert!(!is_ready("4242\n", 4242, 5433));
    }
}
