//! The embedded PostgreSQL launcher against the machine's real binaries.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code, helpers included, fails loudly"
)]

use std::net::TcpStream;

use booking_local_db::{ClusterOptions, LauncherError, LocalCluster, PgBinaries};
use booking_persistence::database_admin;
use diesel_async::SimpleAsyncConnection;

/// A folder holding a cluster that was initialised, started and stopped again.
fn a_cluster_made_and_stopped() -> (PgBinaries, tempfile::TempDir) {
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();
    LocalCluster::start(&binaries, &options(folder.path()))
        .unwrap()
        .stop()
        .unwrap();
    (binaries, folder)
}

fn options(root: &std::path::Path) -> ClusterOptions {
    ClusterOptions {
        root: root.to_path_buf(),
        durable: false,
        max_connections: 20,
        relocate_to: None,
    }
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test]
async fn a_cluster_is_created_reused_and_stopped_without_leftovers() {
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();

    let cluster = LocalCluster::start(&binaries, &options(folder.path())).unwrap();
    let first_port = cluster.port();
    let mut conn = database_admin::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    conn.batch_execute("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')")
        .await
        .unwrap();
    drop(conn);
    let pid_file = cluster.root().join("pgdata/postmaster.pid");
    assert!(pid_file.exists());
    cluster.stop().unwrap();
    assert!(
        !pid_file.exists(),
        "a clean shutdown removes postmaster.pid"
    );
    assert!(!accepts_connections(first_port));

    // The second start reuses the data folder and its password.
    let cluster = LocalCluster::start(&binaries, &options(folder.path())).unwrap();
    let mut conn = database_admin::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    conn.batch_execute("SELECT note FROM kept").await.unwrap();
    drop(conn);
    let port = cluster.port();
    // Dropping the handle stops the server too.
    drop(cluster);
    assert!(!pid_file.exists());
    assert!(!accepts_connections(port));
}

#[tokio::test]
async fn an_interrupted_initialisation_is_redone() {
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();
    // What an interrupted first start leaves: the marker and a partial data folder.
    std::fs::write(folder.path().join("initdb-in-progress"), "").unwrap();
    std::fs::create_dir_all(folder.path().join("pgdata")).unwrap();
    std::fs::write(folder.path().join("pgdata/PG_VERSION"), "15\n").unwrap();
    let cluster = LocalCluster::start(&binaries, &options(folder.path())).unwrap();
    database_admin::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    cluster.stop().unwrap();
    assert!(!folder.path().join("initdb-in-progress").exists());
}

#[test]
fn a_finished_cluster_without_its_password_is_refused_not_wiped() {
    let (binaries, folder) = a_cluster_made_and_stopped();
    std::fs::remove_file(folder.path().join("password")).unwrap();
    let error = LocalCluster::start(&binaries, &options(folder.path())).unwrap_err();
    assert!(
        matches!(error, LauncherError::MissingPassword { .. }),
        "{error}"
    );
    assert!(
        folder.path().join("pgdata/PG_VERSION").exists(),
        "the data is kept"
    );
}

#[test]
fn the_password_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_, folder) = a_cluster_made_and_stopped();
    let mode = std::fs::metadata(folder.path().join("password"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_folder_without_postgresql_says_how_to_get_it() {
    let empty = tempfile::tempdir().unwrap();
    let error = PgBinaries::in_dir(empty.path()).unwrap_err();
    assert!(matches!(error, LauncherError::BinariesNotFound));
    let message = error.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
}

/// A folder only its owner may enter, like root's home, with `checkout/.data/postgres`
/// inside; and a folder anyone may enter for relocated clusters.
fn private_checkout() -> (tempfile::TempDir, std::path::PathBuf, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let asked = home.path().join("checkout/.data/postgres");
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    (home, asked, shared)
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Only root hands the server to another user; as anyone else the folder is always ours.
fn running_as_root() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    if !root {
        eprintln!("skipped: only a root caller runs PostgreSQL as another user");
    }
    root
}

#[tokio::test]
async fn a_folder_the_server_user_cannot_enter_keeps_its_cluster_elsewhere_and_finds_it_again() {
    if !running_as_root() {
        return;
    }
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let (home, asked, shared) = private_checkout();
    let relocating = ClusterOptions {
        relocate_to: Some(shared.path().join("clusters")),
        ..options(&asked)
    };

    // Without a place to go, the launcher says why it cannot start.
    let error = LocalCluster::start(&binaries, &options(&asked)).unwrap_err();
    assert!(
        matches!(error, LauncherError::Unreachable { .. }),
        "{error}"
    );

    let cluster = LocalCluster::start(&binaries, &relocating).unwrap();
    let root = cluster.root().to_path_buf();
    assert!(
        root.starts_with(shared.path().canonicalize().unwrap()),
        "{}",
        root.display()
    );
    let mut conn = database_admin::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    conn.batch_execute("CREATE TABLE kept (note text)")
        .await
        .unwrap();
    drop(conn);
    cluster.stop().unwrap();

    assert_eq!(
        mode(home.path()),
        0o700,
        "the owner's folder is not opened up"
    );
    let pointer = std::fs::read_to_string(asked.join("cluster-location")).unwrap();
    assert_eq!(pointer.trim(), root.to_str().unwrap());
    let owner = std::fs::read_to_string(root.join("belongs-to")).unwrap();
    assert_eq!(
        owner.trim(),
        asked.canonicalize().unwrap().to_str().unwrap()
    );
    assert!(
        !asked.join("pgdata").exists(),
        "nothing half made in the private folder"
    );

    // The next start, even without the option, follows the note to the same data.
    let cluster = LocalCluster::start(&binaries, &options(&asked)).unwrap();
    assert_eq!(cluster.root(), root);
    let mut conn = database_admin::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    conn.batch_execute("SELECT note FROM kept").await.unwrap();
}

#[test]
fn a_cluster_its_server_user_can_no_longer_reach_is_refused_not_replaced() {
    if !running_as_root() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let (home, asked, shared) = private_checkout();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    LocalCluster::start(&binaries, &options(&asked))
        .unwrap()
        .stop()
        .unwrap();
    // The owner closes the folder afterwards.
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let relocating = ClusterOptions {
        relocate_to: Some(shared.path().join("clusters")),
        ..options(&asked)
    };
    let error = LocalCluster::start(&binaries, &relocating).unwrap_err();
    assert!(
        matches!(error, LauncherError::Unreachable { .. }),
        "{error}"
    );
    assert!(asked.join("pgdata/PG_VERSION").exists(), "the data is kept");
    assert!(
        !shared.path().join("clusters").exists(),
        "no second cluster is started beside it"
    );
}

#[test]
fn a_cluster_already_running_is_reported_as_in_use() {
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();
    let running = LocalCluster::start(&binaries, &options(folder.path())).unwrap();
    let error = LocalCluster::start(&binaries, &options(folder.path())).unwrap_err();
    assert!(matches!(error, LauncherError::InUse { .. }), "{error}");
    assert!(error.to_string().contains("just run"), "{error}");
    assert!(
        accepts_connections(running.port()),
        "the running one is untouched"
    );
}
