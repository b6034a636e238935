//! Live availability over `GET /api/v1/ws`, against real servers and a real database.

use std::time::Duration;

use booking_api::live::bus::APPLICATION_NAME;
use booking_dto::ServerMessage;
use booking_load::live::LiveClient;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpSocket;
use uuid::Uuid;

use crate::helpers::{
    CreatedEvent, EventSpec, TestApp, expect_problem, metric, second_instance, spawn_app,
    spawn_app_with,
};

/// The issue's bar: a change shows on every instance within a second.
const WITHIN: Duration = Duration::from_secs(1);

/// A client of the server at `address`; subscribed to `events` (one tier each) when
/// some are named, with their current counts, which come first, read.
async fn connect(address: &str, events: &[Uuid]) -> LiveClient {
    let (mut client, server_time) = LiveClient::connect(address).await.expect("connect");
    assert!((Utc::now() - server_time).num_seconds().abs() < 5);
    if !events.is_empty() {
        client.subscribe(events).await.expect("subscribe");
        for _ in events {
            next_update(&mut client, WITHIN).await;
        }
    }
    client
}

/// The next `ticketUpdate`, as (tier, remaining, event remaining).
async fn next_update(client: &mut LiveClient, within: Duration) -> (Uuid, i32, i64) {
    loop {
        let message = tokio::time::timeout(within, client.next())
            .await
            .expect("an update in time")
            .expect("an open connection");
        if let ServerMessage::TicketUpdate {
            tier_id,
            remaining,
            event_remaining,
            ..
        } = message
        {
            return (tier_id, remaining, event_remaining);
        }
    }
}

/// Reads updates until `tier` shows `remaining`; fails if that takes longer than `within`.
async fn until_count(client: &mut LiveClient, tier: Uuid, remaining: i32, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (tier_id, count, _) = next_update(client, left).await;
        if tier_id == tier && count == remaining {
            return;
        }
    }
}

/// Waits up to 10 s for a metric to reach `value`.
async fn until_metric(app: &TestApp, address: &str, name: &str, value: f64) {
    for _ in 0..100 {
        if (metric(app, address, name).await - value).abs() < f64::EPSILON {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never reached {value}");
}

async fn concert(app: &TestApp, capacity: i32) -> (Uuid, Uuid) {
    let event = concert_event(app, capacity).await;
    (event.id, event.tier_ids[0])
}

async fn concert_event(app: &TestApp, capacity: i32) -> CreatedEvent {
    app.create_event(&EventSpec::published(
        "Live Concert",
        10,
        vec![("General", 5_000, capacity)],
    ))
    .await
}

#[tokio::test]
async fn a_booking_and_its_cancellation_through_one_instance_reach_a_client_of_another() {
    let app = spawn_app().await;
    let (event_id, tier_id) = concert(&app, 10).await;
    let other = second_instance(&app, |_| {}).await;
    let mut client = connect(&other, &[event_id]).await;
    let buyer = &app.buyers(1).await[0];

    let booking = app
        .booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 3 }]))
        .await;
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 7, 7));

    let response = app
        .client
        .post(app.url(&format!("/api/v1/bookings/{}/cancel", booking.id)))
        .bearer_auth(&buyer.token)
        .send()
        .await
        .expect("cancel");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 10, 10));
}

#[tokio::test]
async fn capacity_changes_and_event_cancellations_are_announced() {
    let app = spawn_app().await;
    let event = concert_event(&app, 10).await;
    let (event_id, tier_id) = (event.id, event.tier_ids[0]);
    let mut client = connect(&app.address, &[]).await;
    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 2 }]))
        .await;
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 8, 8));

    let token = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    let resized = app
        .client
        .patch(app.url(&format!("/api/v1/events/{event_id}/tiers/{tier_id}")))
        .bearer_auth(&token)
        .json(&json!({ "capacity": 20 }))
        .send()
        .await
        .expect("resize");
    assert_eq!(resized.status(), StatusCode::OK);
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 18, 18));

    let cancelled = app
        .client
        .post(app.url(&format!("/api/v1/events/{event_id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("cancel event");
    assert_eq!(cancelled.status(), StatusCode::OK);
    // The cancelled event's booking gives its tickets back.
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 20, 20));
}

#[tokio::test]
async fn a_refused_booking_announces_nothing_and_a_subscription_narrows_the_feed() {
    let app = spawn_app().await;
    let (event_id, tier_id) = concert(&app, 5).await;
    let (_, elsewhere) = concert(&app, 5).await;
    let mut client = connect(&app.address, &[event_id]).await;
    let buyer = &app.buyers(1).await[0];

    let refused = app
        .book(
            &buyer.token,
            &json!([{ "tierId": tier_id, "quantity": 6 }]),
            None,
        )
        .await;
    expect_problem(refused, StatusCode::CONFLICT, "InsufficientTickets").await;
    app.booked(
        &buyer.token,
        &json!([{ "tierId": elsewhere, "quantity": 1 }]),
    )
    .await;
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 1 }]))
        .await;
    // The first message is the second booking's: neither the refusal nor the other
    // event's booking sent anything to this client.
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 4, 4));
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_the_others_keep_getting_updates() {
    let app = spawn_app_with(|config| {
        config.live.queue = 64;
        config.live.min_interval = Duration::ZERO;
        // Long enough that only the full queue, not the heartbeat, can explain a drop.
        config.live.client_timeout = Duration::from_secs(120);
    })
    .await;
    let (_, tier_id) = concert(&app, 10).await;
    let mut reader = connect(&app.address, &[]).await;
    // A tiny receive window: the server's writes back up after a few kilobytes.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1024).expect("SO_RCVBUF");
    let (addr, _) = LiveClient::address(&app.address).expect("address");
    let stream = socket
        .connect(addr.parse().expect("socket address"))
        .await
        .expect("connect");
    let (stalled, _) = LiveClient::over(stream, &app.address)
        .await
        .expect("stalled client");
    until_metric(&app, &app.address, "booking_ws_clients", 2.0).await;

    // Another instance's announcements, sent straight through PostgreSQL: 50 tiers a
    // notice, fast enough to fill any stalled socket.
    let origin = Uuid::new_v4();
    let event = Uuid::new_v4();
    let mut dropped = 0.0;
    for round in 1..=400_i64 {
        let changes: Vec<_> = (0..50)
            .map(|n| json!([event, Uuid::from_u128(n), 100, 100 * 50, round]))
            .collect();
        let payload = json!({ "origin": origin, "changes": changes }).to_string();
        app.execute(&format!(
            "SELECT pg_notify('availability', '{}')",
            payload.replace('\'', "''")
        ))
        .await;
        // The reader keeps up.
        for _ in 0..50 {
            next_update(&mut reader, Duration::from_secs(5)).await;
        }
        dropped = metric(
            &app,
            &app.address,
            "booking_ws_clients_dropped_total{reason=\"slow\"}",
        )
        .await;
        if dropped >= 1.0 {
            break;
        }
    }
    assert_eq!(dropped, 1.0, "the stalled client was never dropped");
    assert_eq!(metric(&app, &app.address, "booking_ws_clients").await, 1.0);

    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 1 }]))
        .await;
    until_count(&mut reader, tier_id, 9, WITHIN).await;
    assert_eq!(
        metric(
            &app,
            &app.address,
            "booking_ws_clients_dropped_total{reason=\"slow\"}"
        )
        .await,
        1.0,
        "the reader was never dropped"
    );

    // Reading at last, the stalled client finds its connection ended by the server.
    let mut stalled = stalled;
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if stalled.next().await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server never closed the stalled connection"
    );
}

#[tokio::test]
async fn a_client_that_answers_no_pings_is_dropped() {
    let app = spawn_app_with(|config| {
        config.live.heartbeat = Duration::from_millis(100);
        config.live.client_timeout = Duration::from_millis(400);
    })
    .await;
    // Connected, then never read again: it cannot answer the pings.
    let (_silent, _) = LiveClient::connect(&app.address).await.expect("connect");
    until_metric(
        &app,
        &app.address,
        "booking_ws_clients_dropped_total{reason=\"silent\"}",
        1.0,
    )
    .await;
    assert_eq!(metric(&app, &app.address, "booking_ws_clients").await, 0.0);
}

#[tokio::test]
async fn a_reading_client_answers_pings_and_stays() {
    let app = spawn_app_with(|config| {
        config.live.heartbeat = Duration::from_millis(100);
        config.live.client_timeout = Duration::from_millis(400);
    })
    .await;
    let (event_id, tier_id) = concert(&app, 10).await;
    let mut client = connect(&app.address, &[event_id]).await;
    // Reading (and so answering pings) for well over the timeout.
    let idle = tokio::time::timeout(Duration::from_millis(1_500), client.next()).await;
    assert!(idle.is_err(), "nothing should arrive: {idle:?}");
    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 1 }]))
        .await;
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 9, 9));
}

#[tokio::test]
async fn the_listener_recovers_after_its_connection_is_killed_and_clients_get_fresh_counts() {
    let app = spawn_app().await;
    let (event_id, tier_id) = concert(&app, 10).await;
    let other = second_instance(&app, |_| {}).await;
    let mut client = connect(&other, &[event_id]).await;
    let listeners = format!(
        "SELECT count(*) AS value FROM pg_stat_activity \
          WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()"
    );
    assert_eq!(app.scalar(&listeners).await, 2, "one listener per instance");

    // A change no notice announced (as if it committed while nobody listened) ...
    app.execute(&format!(
        "UPDATE ticket_tiers SET remaining = remaining - 4, version = version + 1 WHERE id = '{tier_id}'"
    ))
    .await;
    // ... then every listener's connection is killed.
    let killed = app
        .scalar(&format!(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS value \
               FROM pg_stat_activity \
              WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()"
        ))
        .await;
    assert_eq!(killed, 2);

    // The reconnected listener reads the watched event's counts and pushes them.
    assert_eq!(
        next_update(&mut client, Duration::from_secs(5)).await,
        (tier_id, 6, 6)
    );
    until_metric(
        &app,
        &other,
        "booking_availability_listener_reconnects_total",
        1.0,
    )
    .await;
    for _ in 0..50 {
        if app.scalar(&listeners).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.scalar(&listeners).await,
        2,
        "both instances listen again"
    );

    // And notices flow again: a booking through the first instance reaches the second.
    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 1 }]))
        .await;
    assert_eq!(next_update(&mut client, WITHIN).await, (tier_id, 5, 5));
}

#[tokio::test]
async fn what_the_server_cannot_use_gets_an_error_message_and_the_connection_stays() {
    let app = spawn_app().await;
    let mut client = connect(&app.address, &[]).await;
    client
        .send_text(r#"{"type":"shout"}"#.into())
        .await
        .expect("send");
    let message = tokio::time::timeout(WITHIN, client.next())
        .await
        .expect("an answer")
        .expect("open");
    assert!(
        matches!(message, ServerMessage::Error { .. }),
        "{message:?}"
    );
    let too_many: Vec<Uuid> = (0..1_001).map(|_| Uuid::new_v4()).collect();
    client.subscribe(&too_many).await.expect("send");
    let message = tokio::time::timeout(WITHIN, client.next())
        .await
        .expect("an answer")
        .expect("open");
    assert!(
        matches!(&message, ServerMessage::Error { message } if message.contains("1000")),
        "{message:?}"
    );
}

#[tokio::test]
async fn a_plain_get_of_the_socket_is_a_problem_document() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/ws"))
        .send()
        .await
        .expect("request");
    expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
}

#[tokio::test]
async fn metrics_count_clients_and_messages() {
    let app = spawn_app().await;
    let (event_id, tier_id) = concert(&app, 10).await;
    let mut client = connect(&app.address, &[event_id]).await;
    until_metric(&app, &app.address, "booking_ws_clients", 1.0).await;
    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier_id, "quantity": 1 }]))
        .await;
    next_update(&mut client, WITHIN).await;
    // The hello, the subscription's current count and the booking's update.
    assert_eq!(
        metric(&app, &app.address, "booking_ws_messages_sent_total").await,
        3.0
    );
    assert_eq!(
        metric(
            &app,
            &app.address,
            "booking_availability_notices_sent_total"
        )
        .await,
        1.0
    );
    drop(client);
    until_metric(&app, &app.address, "booking_ws_clients", 0.0).await;
}

#[tokio::test]
async fn the_hub_lets_go_of_an_event_once_it_is_over() {
    let app = spawn_app_with(|config| {
        config.live.resync = Duration::from_millis(200);
    })
    .await;
    let over = concert_event(&app, 10).await;
    let (_, on_sale) = concert(&app, 10).await;
    let buyer = &app.buyers(1).await[0];
    for tier in [over.tier_ids[0], on_sale] {
        app.booked(&buyer.token, &json!([{ "tierId": tier, "quantity": 1 }]))
            .await;
    }
    until_metric(&app, &app.address, "booking_live_tiers_tracked", 2.0).await;

    let token = app.token_for_role(&over.organizer_email, "organizer").await;
    let cancelled = app
        .client
        .post(app.url(&format!("/api/v1/events/{}/cancel", over.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("cancel event");
    assert_eq!(cancelled.status(), StatusCode::OK);
    // The next resync finds it over and forgets it; the event still on sale stays.
    until_metric(&app, &app.address, "booking_live_tiers_tracked", 1.0).await;
}
