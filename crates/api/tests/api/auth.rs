use booking_api::auth::JwtKeys;
use booking_api::auth::jwt::TokenSubject;
use booking_domain::Role;
use booking_domain::refresh::ACCESS_TOKEN_TTL;
use booking_dto::{AuthResponse, User};
use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::json;

use crate::helpers::{JWT_SECRET, PASSWORD, expect_problem, refresh_cookie, set_cookie, spawn_app};

#[tokio::test]
async fn register_creates_a_customer_and_starts_a_session() {
    let app = spawn_app().await;
    let response = app.register("  New.User@Example.COM ", "New User").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = set_cookie(&response, "refresh_token").unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=604800",
    ] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    // The hint the web app reads before asking for a refresh: no secret, same lifetime.
    let hint = set_cookie(&response, "signed_in").unwrap();
    assert!(hint.starts_with("signed_in=1;"), "{hint}");
    assert!(!hint.contains("HttpOnly"), "{hint}");
    for part in ["SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(hint.contains(part), "{hint} lacks {part}");
    }
    let body: AuthResponse = response.json().await.unwrap();
    assert_eq!(body.user.email, "new.user@example.com");
    assert_eq!(body.user.name, "New User");
    assert_eq!(body.user.role, booking_dto::Role::Customer);
    assert_eq!(body.expires_in, 900);

    let me: User = app.me(&body.access_token).await.json().await.unwrap();
    assert_eq!(me, body.user);
}

#[tokio::test]
async fn register_reports_every_invalid_field() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-email", "password": "short", "name": "X" }),
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["email", "password", "name"]);
}

#[tokio::test]
async fn register_applies_each_password_rule() {
    let app = spawn_app().await;
    for (password, message) in [
        ("abc123", "must be at least 8 characters"),
        ("abcdefghij", "must contain a digit"),
        ("1234567890", "must contain a letter"),
    ] {
        let response = app
            .post_json(
                "/api/v1/auth/register",
                &json!({ "email": "pw@example.com", "password": password, "name": "Pat" }),
            )
            .await;
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
        assert_eq!(problem.errors[0].field, "password");
        assert_eq!(problem.errors[0].message, message);
    }
}

#[tokio::test]
async fn a_taken_email_is_409_whatever_its_case() {
    let app = spawn_app().await;
    app.signed_up("dup@example.com").await;
    let response = app.register("DUP@example.com", "Someone Else").await;
    expect_problem(response, StatusCode::CONFLICT, "EmailTaken").await;
}

#[tokio::test]
async fn simultaneous_sign_ups_with_one_email_create_one_account() {
    let app = spawn_app().await;
    let attempts = (0..8).map(|_| app.register("race@example.com", "Racer"));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        7
    );
}

#[tokio::test]
async fn login_accepts_the_right_password_in_any_email_case() {
    let app = spawn_app().await;
    let (registered, _) = app.signed_up("login@example.com").await;
    let response = app.login("LOGIN@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(refresh_cookie(&response).is_some());
    let body: AuthResponse = response.json().await.unwrap();
    assert_eq!(body.user, registered.user);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.signed_up("known@example.com").await;
    let wrong_password = expect_problem(
        app.login("known@example.com", "Wrong12345").await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    let unknown_email = expect_problem(
        app.login("unknown@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    let malformed_email = expect_problem(
        app.login("not-an-email", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password, malformed_email);
}

#[tokio::test]
async fn me_requires_a_valid_bearer_token() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    expect_problem(response, StatusCode::UNAUTHORIZED, "Unauthorized").await;

    let problem = expect_problem(
        app.me("garbage").await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    assert_eq!(problem.detail, "The access token is invalid.");
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = spawn_app().await;
    let (session, _) = app.signed_up("expired@example.com").await;
    let issued = Utc::now() - TimeDelta::minutes(16);
    let (token, _) = JwtKeys::new(JWT_SECRET.as_bytes(), ACCESS_TOKEN_TTL)
        .issue(
            TokenSubject {
                user_id: session.user.id,
                role: Role::Customer,
            },
            issued,
        )
        .unwrap();
    let problem = expect_problem(
        app.me(&token).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    assert_eq!(problem.detail, "The access token has expired.");
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let app = spawn_app().await;
    let (session, _) = app.signed_up("forged@example.com").await;
    let (token, _) = JwtKeys::new(b"some-other-secret-some-other-secret!!", ACCESS_TOKEN_TTL)
        .issue(
            TokenSubject {
                user_id: session.user.id,
                role: Role::Admin,
            },
            Utc::now(),
        )
        .unwrap();
    expect_problem(
        app.me(&token).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
}

#[tokio::test]
async fn refresh_rotates_the_cookie_and_issues_a_working_access_token() {
    let app = spawn_app().await;
    let (_, first) = app.signed_up("rotate@example.com").await;

    let response = app.refresh_with(&first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = refresh_cookie(&response).unwrap();
    assert_ne!(first, second);
    let body: AuthResponse = response.json().await.unwrap();
    assert_eq!(app.me(&body.access_token).await.status(), StatusCode::OK);

    // The rotated token works in turn.
    let response = app.refresh_with(&second).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(refresh_cookie(&response).unwrap(), second);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let (_, first) = app.signed_up("reuse@example.com").await;
    let second = refresh_cookie(&app.refresh_with(&first).await).unwrap();

    // A thief replays the first token: refused, and the legitimate session ends too.
    expect_problem(
        app.refresh_with(&first).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
    expect_problem(
        app.refresh_with(&second).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;

    // Another login is a new family and is unaffected.
    let fresh = refresh_cookie(&app.login("reuse@example.com", PASSWORD).await).unwrap();
    assert_eq!(app.refresh_with(&fresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn simultaneous_refreshes_with_one_token_let_at_most_one_through() {
    let app = spawn_app().await;
    let (_, token) = app.signed_up("twice@example.com").await;
    let attempts = (0..5).map(|_| app.refresh_with(&token));
    let ok = futures::future::join_all(attempts)
        .await
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn refresh_without_a_cookie_or_with_an_unknown_one_is_401_and_clears_both_cookies() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_clears_the_session(&response);
    expect_problem(response, StatusCode::UNAUTHORIZED, "Unauthorized").await;
    let response = app.refresh_with("made-up").await;
    assert_clears_the_session(&response);
    expect_problem(response, StatusCode::UNAUTHORIZED, "Unauthorized").await;
}

/// The response makes the browser forget the refresh token and the session hint.
fn assert_clears_the_session(response: &reqwest::Response) {
    for name in ["refresh_token", "signed_in"] {
        let cleared = set_cookie(response, name).unwrap_or_else(|| panic!("{name} not cleared"));
        assert!(cleared.starts_with(&format!("{name}=;")), "{cleared}");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }
}

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookies() {
    let app = spawn_app().await;
    let (_, token) = app.signed_up("logout@example.com").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, format!("refresh_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_clears_the_session(&response);

    expect_problem(
        app.refresh_with(&token).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_password_longer_than_bcrypt_reads_never_matches() {
    let app = spawn_app().await;
    let long = format!("a1{}", "b".repeat(70));
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "long@example.com", "password": long, "name": "Long" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // bcrypt would accept any suffix after the first 72 bytes; the server must not.
    let response = app.login("long@example.com", &format!("{long}extra")).await;
    expect_problem(response, StatusCode::UNAUTHORIZED, "Unauthorized").await;
    assert_eq!(
        app.login("long@example.com", &long).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_sweeper_deletes_expired_refresh_tokens_skipping_rows_in_use() {
    use diesel_async::SimpleAsyncConnection as _;

    let app = spawn_app().await;
    let (_, kept) = app.signed_up("kept@example.com").await;
    for email in ["old1@example.com", "old2@example.com"] {
        app.signed_up(email).await;
    }
    app.execute(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' \
          WHERE user_id IN (SELECT id FROM users WHERE email LIKE 'old%')",
    )
    .await;
    // A rotation (or another instance's sweeper) holds one of them.
    let mut holder = app.connection().await;
    holder
        .batch_execute(
            "BEGIN; SELECT 1 FROM refresh_tokens t JOIN users u ON u.id = t.user_id \
              WHERE u.email = 'old1@example.com' FOR UPDATE",
        )
        .await
        .unwrap();
    let mut sweeper = app.connection().await;
    let pruned = booking_persistence::refresh_tokens::prune_expired(&mut sweeper, Utc::now())
        .await
        .unwrap();
    assert_eq!(pruned, 1, "the row in use is skipped, not waited for");
    holder.batch_execute("ROLLBACK").await.unwrap();
    let pruned = booking_persistence::refresh_tokens::prune_expired(&mut sweeper, Utc::now())
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM refresh_tokens")
            .await,
        1
    );
    // The live session is untouched.
    assert_eq!(app.refresh_with(&kept).await.status(), StatusCode::OK);
}
