use std::process::Command;

use crate::helpers::spawn_app;

#[tokio::test]
async fn production_without_a_strong_jwt_secret_refuses_to_start() {
    let app = spawn_app().await;
    for secret in [None, Some("too-short")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_booking-api"));
        command
            .arg("serve")
            .env_clear()
            .env("APP_ENV", "production")
            .env("DATABASE_URL", app.db.url())
            .env("BIND_ADDR", "127.0.0.1:0");
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success(), "started with secret {secret:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("JWT_SECRET must be set"), "{stderr}");
    }
}

#[tokio::test]
async fn migrate_and_seed_commands_are_idempotent() {
    let app = spawn_app().await;
    let run = |command: &str| {
        Command::new(env!("CARGO_BIN_EXE_booking-api"))
            .arg(command)
            .env("DATABASE_URL", app.db.url())
            .env("BCRYPT_COST", "4")
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    };
    assert!(run("migrate").status.success());
    let first = run("seed");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("seeded demo data"));
    let second = run("seed");
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("seed skipped"));

    // The seeded accounts sign in with the documented password.
    for email in [
        "alice@example.com",
        "organizer@example.com",
        "admin@example.com",
    ] {
        let response = app.login(email, "Password123").await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{email}");
    }
}

/// Replicas started together each migrate on start: they take turns, the first applies
/// every migration and the others find none pending, where two at once would collide.
#[tokio::test]
async fn replicas_migrating_an_empty_database_at_once_all_succeed() {
    use booking_persistence::database_admin::{self, connect, database_url};
    let server = std::env::var("TEST_DATABASE_URL").expect("run under with-postgres");
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = connect(&server).await.unwrap();
    database_admin::create_database_if_missing(&mut admin, &name)
        .await
        .unwrap();
    let url = database_url(&server, &name);

    let runs =
        futures::future::join_all((0..3).map(|_| booking_persistence::migrate::run_pending(&url)))
            .await;

    let applied: Vec<usize> = runs
        .into_iter()
        .map(|run| run.expect("every replica's migration succeeds").len())
        .collect();
    let all = booking_persistence::migrate::embedded_versions()
        .unwrap()
        .len();
    let mut sorted = applied.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 0, all], "one applied them all: {applied:?}");
    database_admin::drop_database(&mut admin, &name)
        .await
        .unwrap();
}
