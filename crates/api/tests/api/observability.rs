//! What operators see: `/metrics` after a small storm, and the request id that ties a
//! response to its log lines.

use std::time::Duration;

use diesel_async::SimpleAsyncConnection as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{EventSpec, all_at_once, count_status, metric, spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_count_a_small_storm_by_route_status_and_reason() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Scraped", 1, vec![("GA", 1_000, 10)]))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(30).await;
    let items = json!([{ "tierId": tier, "quantity": 1 }]);
    // One booking and its retry: the retry books nothing and is no new booking.
    let first = &buyers[0].token;
    for _ in 0..2 {
        let response = app.book(first, &items, Some("once")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // 29 buyers for the 9 tickets left.
    let requests = buyers[1..]
        .iter()
        .map(|buyer| app.booking(&buyer.token, &items, None))
        .collect();
    let responses = all_at_once(requests).await;
    assert_eq!(count_status(&responses, StatusCode::CREATED), 9);
    assert_eq!(count_status(&responses, StatusCode::CONFLICT), 20);
    // One ticket per person: the first buyer's second booking is over the limit.
    let response = app.book(first, &items, None).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    let value = |series: &'static str| metric(&app, &app.address, series);
    assert_eq!(value("booking_bookings_confirmed_total").await, 10.0);
    assert_eq!(
        value(r#"booking_bookings_rejected_total{reason="InsufficientTickets"}"#).await,
        20.0
    );
    assert_eq!(
        value(r#"booking_bookings_rejected_total{reason="TicketLimitExceeded"}"#).await,
        1.0
    );
    assert_eq!(
        value(
            r#"booking_http_requests_total{route="/api/v1/bookings",method="POST",status="201"}"#
        )
        .await,
        11.0
    );
    assert_eq!(
        value(
            r#"booking_http_requests_total{route="/api/v1/bookings",method="POST",status="409"}"#
        )
        .await,
        21.0
    );
    assert_eq!(
        value(
            r#"booking_http_request_duration_seconds_count{route="/api/v1/bookings",method="POST"}"#
        )
        .await,
        32.0
    );
    // Ids in paths do not make series of their own.
    app.get_ok::<serde_json::Value>(None, &format!("/api/v1/events/{}", event.id))
        .await;
    assert_eq!(
        value(
            r#"booking_http_requests_total{route="/api/v1/events/{id}",method="GET",status="200"}"#
        )
        .await,
        1.0
    );
    assert_eq!(value("booking_db_pool_max_connections").await, 16.0);
    assert!(value("booking_db_pool_connections").await >= 1.0);
    assert_eq!(value("booking_db_pool_waiting").await, 0.0);
    assert_eq!(value("booking_ws_clients").await, 0.0);
}

#[tokio::test]
async fn a_statement_cancelled_by_its_timeout_is_a_503_and_is_counted() {
    let app = spawn_app_with(|config| {
        config.statement_timeout = Duration::from_millis(300);
        config.batching.max = 0;
    })
    .await;
    let event = app
        .create_event(&EventSpec::published("Slow", 4, vec![("GA", 1_000, 5)]))
        .await;
    let tier = event.tier_ids[0];
    let buyer = &app.buyers(1).await[0];
    // The lock wait (5 s allowed) outlasts the statement's 300 ms.
    let mut holder = app.hold_tier_lock(tier).await;
    let response = app
        .book(
            &buyer.token,
            &json!([{ "tierId": tier, "quantity": 1 }]),
            None,
        )
        .await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(
        metric(&app, &app.address, "booking_db_statements_cancelled_total").await,
        1.0
    );
    assert_eq!(
        metric(&app, &app.address, "booking_db_lock_timeouts_total").await,
        0.0
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_keeping_a_well_formed_one_of_the_client() {
    let app = spawn_app().await;
    let get = |id: Option<&'static str>| {
        let request = app.client.get(app.url("/api/v1/events"));
        let request = match id {
            Some(id) => request.header("X-Request-Id", id),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(get(Some("checkout-7f3k.1")).await, "checkout-7f3k.1");
    let generated = get(None).await;
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    let replaced = get(Some("<script>")).await;
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    // Errors too, the problem documents of unknown paths included.
    let response = app
        .client
        .get(app.url("/api/v1/nowhere"))
        .header("X-Request-Id", "lost-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "lost-1");
}
