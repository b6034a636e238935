//! The embedded PostgreSQL launcher against the machine's real binaries.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code, helpers included, fails loudly"
)]

use std::net::TcpStream;

use booking_persistence::database_admin;
use booking_persistence::local_pg::{ClusterOptions, LauncherError, LocalCluster, PgBinaries};
use diesel_async::SimpleAsyncConnection;

fn options(root: &std::path::Path) -> ClusterOptions {
    ClusterOptions {
        root: root.to_path_buf(),
        durable: false,
        max_connections: 20,
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
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();
    LocalCluster::start(&binaries, &options(folder.path()))
        .unwrap()
        .stop()
        .unwrap();
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
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let folder = tempfile::tempdir().unwrap();
    LocalCluster::start(&binaries, &options(folder.path()))
        .unwrap()
        .stop()
        .unwrap();
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
