use booking_dto::{Health, Readiness};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::helpers::{expect_problem, launch, short_timeout, spawn_app, test_config};

#[tokio::test]
async fn health_says_ok_without_touching_the_database() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let health: Health = response.json().await.unwrap();
    assert_eq!(health.status, "ok");
}

#[tokio::test]
async fn ready_reports_a_reachable_database() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ready: Readiness = response.json().await.unwrap();
    assert_eq!(ready.database, "up");
}

#[tokio::test]
async fn ready_is_503_with_retry_after_when_the_database_is_unreachable() {
    let static_dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let mut config = test_config("postgres://nobody:x@127.0.0.1:1/none", static_dir.path());
    config.db_pool_timeout = short_timeout();
    let (address, _, _) = launch(&config);
    let response = reqwest::get(format!("{address}/ready")).await.unwrap();
    assert_eq!(response.headers().get(RETRY_AFTER).unwrap(), "1");
    let problem = expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "Unavailable").await;
    assert!(!problem.detail.contains("127.0.0.1"), "{}", problem.detail);
}

#[tokio::test]
async fn the_web_app_is_served_at_the_root_and_for_its_own_routes() {
    let app = spawn_app().await;
    for path in ["/", "/events/123", "/login"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<title>Booking</title>"),
            "{path}"
        );
    }
}
