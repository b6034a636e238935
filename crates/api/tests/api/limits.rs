//! Abuse limits: a client address over its sign-in limit, a buyer over their booking
//! limit, each answered 429 with Retry-After, and served again once that has passed.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::json;

use crate::helpers::{EventSpec, PASSWORD, TestApp, expect_problem, spawn_app_with};

/// The seconds a 429 asks the client to wait, after checking its problem document.
async fn refused(response: reqwest::Response) -> u64 {
    let retry_after: u64 = response
        .headers()
        .get(RETRY_AFTER)
        .expect("a 429 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "RateLimited").await;
    retry_after
}

async fn login_as(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }));
    match forwarded_for {
        Some(address) => request.header("X-Forwarded-For", address),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address_and_served_again_after_retry_after() {
    let app = spawn_app_with(|config| {
        config.rate_limits.auth = Some("3/3s".parse().unwrap());
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            login_as(&app, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let wait = refused(login_as(&app, None).await).await;
    assert_eq!(wait, 1, "one attempt comes back every second");
    // Register and refresh share the address's allowance.
    let response = app.register("late@example.com", "Late Comer").await;
    refused(response).await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    refused(response).await;

    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(
        login_as(&app, None).await.status(),
        StatusCode::UNAUTHORIZED,
        "served again after Retry-After"
    );
    // Without a configured proxy header, a forged one changes nothing.
    refused(login_as(&app, Some("203.0.113.9")).await).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_allowance() {
    let app = spawn_app_with(|config| {
        config.rate_limits.auth = Some("2/60s".parse().unwrap());
        config.rate_limits.client_ip_header = Some("x-forwarded-for".parse().unwrap());
    })
    .await;
    for _ in 0..2 {
        let response = login_as(&app, Some("198.51.100.1, 203.0.113.1")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    refused(login_as(&app, Some("198.51.100.1, 203.0.113.1")).await).await;
    // The proxy's own entry (the last) is the client; what came before it is not.
    refused(login_as(&app, Some("192.0.2.77, 203.0.113.1")).await).await;
    let response = login_as(&app, Some("203.0.113.2")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bookings_are_limited_per_buyer_and_served_again_after_retry_after() {
    let app = spawn_app_with(|config| {
        config.rate_limits.bookings = Some("2/2s".parse().unwrap());
    })
    .await;
    let event = app
        .create_event(&EventSpec::published(
            "Limited",
            10,
            vec![("GA", 1_000, 50)],
        ))
        .await;
    let buyers = app.buyers(2).await;
    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]);
    for _ in 0..2 {
        app.booked(&buyers[0].token, &items).await;
    }
    let wait = refused(app.book(&buyers[0].token, &items, None).await).await;
    assert_eq!(wait, 1);
    // Another buyer is not held back by the first.
    app.booked(&buyers[1].token, &items).await;

    tokio::time::sleep(Duration::from_secs(wait)).await;
    app.booked(&buyers[0].token, &items).await;
    assert_eq!(app.remaining(event.tier_ids[0]).await, 46);
    app.assert_conservation().await;
}
