use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use crate::helpers::{expect_problem, spawn_app};

#[tokio::test]
async fn unknown_api_paths_are_problem_documents_not_the_web_app() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/nothing-here",
        "/api/v1/auth/nothing-here",
        "/api/other",
        "/api",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "NotFound").await;
    }
}

#[tokio::test]
async fn malformed_json_is_a_validation_error_on_the_body() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"email": "a@b.co", "password": "#)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "body");
    assert!(problem.errors[0].message.starts_with("malformed JSON"));
}

#[tokio::test]
async fn unknown_fields_are_refused_and_named() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &serde_json::json!({
                "email": "mallory@example.com",
                "password": "Password123",
                "name": "Mallory",
                "role": "admin"
            }),
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "role");
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_named() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({ "email": "a@b.co" }),
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "password");

    let response = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({ "email": 42, "password": "x" }),
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "email");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(CONTENT_TYPE, "text/plain")
        .body("email=a@b.co")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(100 * 1024);
    let response = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({ "email": huge, "password": "x" }),
        )
        .await;
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
}

#[tokio::test]
async fn a_nul_character_is_a_validation_error_not_a_server_error() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/events?search=%C3%B3H%00x"))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "search");
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &serde_json::json!({ "email": "nul@example.com", "password": "Pass\u{0}word1", "name": "Nul" }),
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert_eq!(problem.errors[0].field, "password");
}
