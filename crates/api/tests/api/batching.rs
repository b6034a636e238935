//! Group commit: requests for one tier that arrive together are decided and written in
//! shared transactions, with the same verdicts one transaction per booking would give.

use std::collections::HashSet;

use diesel_async::SimpleAsyncConnection as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    EventSpec, TestApp, all_at_once, count_status, metric, second_instance, spawn_app,
    spawn_app_with,
};

/// Booking transactions and the requests they carried, summed over `addresses`.
async fn batch_counts(app: &TestApp, addresses: &[&str]) -> (f64, f64) {
    let mut batches = 0.0;
    let mut requests = 0.0;
    for address in addresses {
        batches += metric(app, address, "booking_batches_total").await;
        requests += metric(app, address, "booking_batched_requests_total").await;
    }
    (batches, requests)
}

#[tokio::test]
async fn five_hundred_buyers_on_two_instances_get_exactly_the_hundred_tickets() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let event = app
        .create_event(&EventSpec::published(
            "Hot Batch",
            4,
            vec![("GA", 1_000, 100)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(500).await;
    let requests = buyers
        .iter()
        .enumerate()
        .map(|(index, buyer)| {
            let base = if index % 2 == 0 {
                app.address.as_str()
            } else {
                other.as_str()
            };
            app.client
                .post(format!("{base}/api/v1/bookings"))
                .bearer_auth(&buyer.token)
                .json(&json!({ "items": [{ "tierId": tier, "quantity": 1 }] }))
        })
        .collect();
    let responses = all_at_once(requests).await;

    assert_eq!(count_status(&responses, StatusCode::CREATED), 100);
    assert_eq!(count_status(&responses, StatusCode::CONFLICT), 400);
    assert!(responses.iter().all(|r| !r.status().is_server_error()));
    assert_eq!(app.remaining(tier).await, 0);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings WHERE status = 'confirmed'")
            .await,
        100
    );
    app.assert_conservation().await;
    // Batches did form: fewer transactions than requests.
    let (batches, batched) = batch_counts(&app, &[&app.address, &other]).await;
    assert!((batched - 500.0).abs() < f64::EPSILON, "{batched} batched");
    assert!(batches < batched, "{batches} transactions for {batched}");
    println!("{batched} requests in {batches} booking transactions");
}

#[tokio::test]
async fn one_key_sent_twenty_times_at_once_books_once() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Retry Storm",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 2 }]);
    let requests = (0..20)
        .map(|_| app.booking(&buyer.token, &items, Some("same-click")))
        .collect();
    let responses = all_at_once(requests).await;

    assert_eq!(count_status(&responses, StatusCode::CREATED), 20);
    let mut ids = HashSet::new();
    for response in responses {
        let booking: booking_dto::Booking = response.json().await.unwrap();
        ids.insert(booking.id);
    }
    assert_eq!(ids.len(), 1, "every answer is the one booking");
    assert_eq!(app.remaining(event.tier_ids[0]).await, 8);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_batch_that_times_out_answers_every_request_503_and_writes_nothing() {
    let app = spawn_app_with(|config| {
        config.lock_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let event = app
        .create_event(&EventSpec::published(
            "Stuck Batch",
            4,
            vec![("GA", 1_000, 50)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(30).await;
    // Another session holds the tier's row lock: the whole batch waits, then gives up.
    let mut holder = app.hold_tier_lock(tier).await;
    let items = json!([{ "tierId": tier, "quantity": 1 }]);
    let requests = buyers
        .iter()
        .map(|buyer| app.booking(&buyer.token, &items, None))
        .collect();
    let responses = all_at_once(requests).await;
    holder.batch_execute("ROLLBACK").await.unwrap();

    assert_eq!(
        count_status(&responses, StatusCode::SERVICE_UNAVAILABLE),
        30
    );
    assert!(
        responses
            .iter()
            .all(|r| r.headers().get("retry-after").is_some())
    );
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        0
    );
    assert_eq!(app.remaining(tier).await, 50);
    // Operators see why.
    assert_eq!(
        metric(&app, &app.address, "booking_db_lock_timeouts_total").await,
        30.0
    );
    assert_eq!(
        metric(
            &app,
            &app.address,
            r#"booking_bookings_rejected_total{reason="Unavailable"}"#
        )
        .await,
        30.0
    );
    // The tier is free again: the next request books.
    app.booked(&buyers[0].token, &items).await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn with_batching_off_every_booking_has_its_own_transaction() {
    let app = spawn_app_with(|config| config.batching.max = 0).await;
    let event = app
        .create_event(&EventSpec::published("Serial", 1, vec![("GA", 1_000, 5)]))
        .await;
    let buyers = app.buyers(10).await;
    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]);
    let requests = buyers
        .iter()
        .map(|buyer| app.booking(&buyer.token, &items, None))
        .collect();
    let responses = all_at_once(requests).await;
    assert_eq!(count_status(&responses, StatusCode::CREATED), 5);
    assert_eq!(count_status(&responses, StatusCode::CONFLICT), 5);
    assert_eq!(batch_counts(&app, &[&app.address]).await, (0.0, 0.0));
    app.assert_conservation().await;
}

#[tokio::test]
async fn crossed_carts_over_many_events_share_batches_in_several_lanes_and_sell_what_exists() {
    let app = spawn_app_with(|config| config.batching.lanes = 3).await;
    let mut tiers = Vec::new();
    for index in 0..6 {
        let event = app
            .create_event(&EventSpec::published(
                &format!("Spread {index}"),
                4,
                vec![("GA", 1_000, 4)],
            ))
            .await;
        tiers.push(event.tier_ids[0]);
    }
    let buyers = app.buyers(90).await;
    // Each cart takes two events' tiers, written in either order: the carts cross, and
    // only the lock order keeps them from deadlocking. Every third request is one ticket.
    let requests = buyers
        .iter()
        .enumerate()
        .map(|(index, buyer)| {
            let first = tiers[index % tiers.len()];
            let second = tiers[(index + 1 + index / tiers.len()) % tiers.len()];
            let items = if index % 3 == 0 || first == second {
                json!([{ "tierId": first, "quantity": 1 }])
            } else if index % 2 == 0 {
                json!([{ "tierId": first, "quantity": 1 }, { "tierId": second, "quantity": 1 }])
            } else {
                json!([{ "tierId": second, "quantity": 1 }, { "tierId": first, "quantity": 1 }])
            };
            app.booking(&buyer.token, &items, None)
        })
        .collect();
    let responses = all_at_once(requests).await;

    assert!(responses.iter().all(|r| !r.status().is_server_error()));
    let created = count_status(&responses, StatusCode::CREATED);
    assert_eq!(
        created + count_status(&responses, StatusCode::CONFLICT),
        90,
        "every request booked or refused for want of tickets"
    );
    let sold: i64 = app
        .scalar(
            "SELECT coalesce(sum(i.quantity), 0)::bigint AS value FROM booking_items i \
             JOIN bookings b ON b.id = i.booking_id WHERE b.status = 'confirmed'",
        )
        .await;
    // 24 tickets in all, and the 30 single tickets alone want more than tiers 0 and 3
    // hold: some sell whatever order the batches took.
    assert!((1..=24).contains(&sold), "{sold} sold");
    app.assert_conservation().await;
    let (batches, batched) = batch_counts(&app, &[&app.address]).await;
    assert!((batched - 90.0).abs() < f64::EPSILON, "{batched} batched");
    assert!(batches < batched, "{batches} transactions for {batched}");
    println!("{created} of 90 carts booked, {sold} tickets, in {batches} transactions");
}
