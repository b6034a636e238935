//! A graceful stop: bookings in flight finish, WebSocket clients are told to reconnect,
//! and nothing new is taken in.

use std::time::Duration;

use booking_load::live::{LiveClient, LiveError};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{EventSpec, spawn_stoppable_app_with};

#[tokio::test]
async fn a_stop_finishes_bookings_in_flight_and_tells_websockets_to_reconnect() {
    // A payment that takes a while keeps the booking in flight when the stop comes.
    let (app, stopper) = spawn_stoppable_app_with(|config| {
        config.payment_latency = Duration::from_millis(1_500);
    })
    .await;
    let event = app
        .create_event(&EventSpec::published(
            "Last Call",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let (mut watcher, _) = LiveClient::connect(&app.address).await.unwrap();
    watcher.subscribe(&[event.id]).await.unwrap();

    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 2 }]);
    let booking = app.book(&buyer.token, &items, None);
    let stop = async {
        // Let the booking reach its payment first.
        tokio::time::sleep(Duration::from_millis(500)).await;
        stopper.stop().await;
    };
    let (response, ()) = tokio::join!(booking, stop);
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the booking in flight finished"
    );

    // The watcher may see the booking's update first; then the goodbye.
    let goodbye = loop {
        match watcher.next().await {
            Ok(_) => {}
            Err(error) => break error,
        }
    };
    assert!(
        matches!(goodbye, LiveError::Closed(Some(1012))),
        "expected close code 1012, got {goodbye}"
    );
    // Stopped: nothing new is served.
    let after = app.client.get(app.url("/health")).send().await;
    assert!(after.is_err(), "the stopped server still answered");
    assert_eq!(app.remaining(event.tier_ids[0]).await, 8);
    app.assert_conservation().await;
}
