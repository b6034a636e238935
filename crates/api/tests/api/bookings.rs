//! Booking under contention, against a real database, with requests released together.

use booking_dto::{Booking, BookingStatus, Page};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{EventSpec, all_at_once, count_status, expect_problem, spawn_app};

#[tokio::test]
async fn ten_buyers_racing_for_two_tickets_get_exactly_two_twenty_times_over() {
    let app = spawn_app().await;
    let buyers = app.buyers(10).await;
    for round in 0..20 {
        let event = app
            .create_event(&EventSpec::published(
                &format!("Limited Concert {round}"),
                1,
                vec![("General Admission", 4_500, 2)],
            ))
            .await;
        let tier = event.tier_ids[0];
        let requests = buyers
            .iter()
            .map(|b| app.booking(&b.token, &json!([{ "tierId": tier, "quantity": 1 }]), None))
            .collect();
        let responses = all_at_once(requests).await;
        assert_eq!(
            count_status(&responses, StatusCode::CREATED),
            2,
            "round {round}"
        );
        assert_eq!(
            count_status(&responses, StatusCode::CONFLICT),
            8,
            "round {round}"
        );
        for response in responses
            .into_iter()
            .filter(|r| r.status() == StatusCode::CONFLICT)
        {
            expect_problem(response, StatusCode::CONFLICT, "InsufficientTickets").await;
        }
        assert_eq!(app.remaining(tier).await, 0, "round {round}");
    }
    app.assert_conservation().await;
}

#[tokio::test]
async fn three_hundred_buyers_racing_for_a_hundred_tickets_get_exactly_a_hundred() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Hot Show",
            4,
            vec![("GA", 1_000, 100)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(300).await;
    let requests = buyers
        .iter()
        .map(|b| app.booking(&b.token, &json!([{ "tierId": tier, "quantity": 1 }]), None))
        .collect();
    let responses = all_at_once(requests).await;
    assert_eq!(count_status(&responses, StatusCode::CREATED), 100);
    assert_eq!(count_status(&responses, StatusCode::CONFLICT), 200);
    assert_eq!(app.remaining(tier).await, 0);
    app.assert_conservation().await;
}

#[tokio::test]
async fn one_buyer_sending_eight_requests_at_once_gets_only_the_limit_of_two() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Limit Two",
            2,
            vec![("GA", 1_000, 50), ("VIP", 5_000, 50)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    // Spread over both tiers: the limit is per event, not per tier.
    let requests = (0..8)
        .map(|i| {
            let tier = event.tier_ids[i % 2];
            app.booking(
                &buyer.token,
                &json!([{ "tierId": tier, "quantity": 1 }]),
                None,
            )
        })
        .collect();
    let responses = all_at_once(requests).await;
    assert_eq!(count_status(&responses, StatusCode::CREATED), 2);
    for response in responses
        .into_iter()
        .filter(|r| r.status() != StatusCode::CREATED)
    {
        let problem = expect_problem(response, StatusCode::CONFLICT, "TicketLimitExceeded").await;
        assert_eq!(problem.event_id, Some(event.id));
        assert_eq!(problem.tier_id, None);
    }
    app.assert_conservation().await;
}

#[tokio::test]
async fn forty_two_event_bookings_in_opposite_orders_all_succeed_without_deadlock() {
    let app = spawn_app().await;
    let first = app
        .create_event(&EventSpec::published(
            "Day One",
            4,
            vec![("GA", 1_000, 500)],
        ))
        .await;
    let second = app
        .create_event(&EventSpec::published(
            "Day Two",
            4,
            vec![("GA", 1_000, 500)],
        ))
        .await;
    let (a, b) = (first.tier_ids[0], second.tier_ids[0]);
    let buyers = app.buyers(40).await;
    let requests = buyers
        .iter()
        .enumerate()
        .map(|(i, buyer)| {
            let items = if i % 2 == 0 {
                json!([{ "tierId": a, "quantity": 1 }, { "tierId": b, "quantity": 1 }])
            } else {
                json!([{ "tierId": b, "quantity": 1 }, { "tierId": a, "quantity": 1 }])
            };
            app.booking(&buyer.token, &items, None)
        })
        .collect();
    let responses = all_at_once(requests).await;
    assert_eq!(count_status(&responses, StatusCode::CREATED), 40);
    assert_eq!(app.remaining(a).await, 460);
    assert_eq!(app.remaining(b).await, 460);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_multi_item_booking_with_one_item_over_capacity_changes_nothing() {
    let app = spawn_app().await;
    let plenty = app
        .create_event(&EventSpec::published("Plenty", 4, vec![("GA", 1_000, 10)]))
        .await;
    let scarce = app
        .create_event(&EventSpec::published("Scarce", 4, vec![("GA", 1_000, 1)]))
        .await;
    let buyer = &app.buyers(1).await[0];
    let response = app
        .book(
            &buyer.token,
            &json!([
                { "tierId": plenty.tier_ids[0], "quantity": 2 },
                { "tierId": scarce.tier_ids[0], "quantity": 2 }
            ]),
            None,
        )
        .await;
    let problem = expect_problem(response, StatusCode::CONFLICT, "InsufficientTickets").await;
    // The tier that ran short, by id: a client names it without reading `detail`.
    assert_eq!(problem.tier_id, Some(scarce.tier_ids[0]));
    assert_eq!(app.remaining(plenty.tier_ids[0]).await, 10);
    assert_eq!(app.remaining(scarce.tier_ids[0]).await, 1);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        0
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn five_simultaneous_retries_with_one_idempotency_key_make_one_booking() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Retry", 4, vec![("GA", 1_000, 10)]))
        .await;
    let buyer = &app.buyers(1).await[0];
    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 2 }]);
    let requests = (0..5)
        .map(|_| app.booking(&buyer.token, &items, Some("checkout-42")))
        .collect();
    let responses = all_at_once(requests).await;
    let mut ids = Vec::new();
    let mut replays = 0;
    for response in responses {
        assert_eq!(response.status(), StatusCode::CREATED);
        if response.headers().get("idempotent-replayed").is_some() {
            replays += 1;
        }
        ids.push(response.json::<Booking>().await.unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry returns the one booking");
    assert_eq!(
        replays, 4,
        "only the request that booked is not marked a replay"
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 8);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        1
    );

    // The same key with another body is refused.
    let other = json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]);
    let response = app.book(&buyer.token, &other, Some("checkout-42")).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IdempotencyKeyReused",
    )
    .await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_booking_records_prices_totals_and_a_readable_reference() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Festival",
            4,
            vec![
                ("VIP", 10_000, 5),
                ("Front Row", 5_000, 5),
                ("GA", 1_000, 5),
            ],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let response = app
        .book(
            &buyer.token,
            &json!([
                { "tierId": event.tier_ids[0], "quantity": 1 },
                { "tierId": event.tier_ids[2], "quantity": 3 }
            ]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let booking: Booking = response.json().await.unwrap();
    assert_eq!(booking.status, BookingStatus::Confirmed);
    assert_eq!(booking.total_cents, 13_000);
    assert_eq!(booking.currency, "USD");
    assert!(
        booking.reference.starts_with("BK-") && booking.reference.len() == 9,
        "{}",
        booking.reference
    );
    let lines: Vec<(&str, &str, i32, i64)> = booking
        .items
        .iter()
        .map(|i| {
            (
                i.event_title.as_str(),
                i.tier_name.as_str(),
                i.quantity,
                i.unit_price_cents,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("Festival", "VIP", 1, 10_000), ("Festival", "GA", 3, 1_000)]
    );

    // A later price change does not alter the booking.
    app.execute(&format!(
        "UPDATE ticket_tiers SET price_cents = 99 WHERE id = '{}'",
        event.tier_ids[0]
    ))
    .await;
    let by_reference: Booking = app
        .get_ok(
            Some(&buyer.token),
            &format!("/api/v1/bookings/{}", booking.reference.to_lowercase()),
        )
        .await;
    assert_eq!(by_reference, booking);
}

#[tokio::test]
async fn an_event_with_one_tier_can_be_booked_by_event_id() {
    let app = spawn_app().await;
    let single = app
        .create_event(&EventSpec::published("Single", 4, vec![("GA", 1_000, 5)]))
        .await;
    let multi = app
        .create_event(&EventSpec::published(
            "Multi",
            4,
            vec![("A", 1_000, 5), ("B", 1_000, 5)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let response = app
        .book(
            &buyer.token,
            &json!([{ "eventId": single.id, "quantity": 2 }]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.remaining(single.tier_ids[0]).await, 3);
    let response = app
        .book(
            &buyer.token,
            &json!([{ "eventId": multi.id, "quantity": 1 }]),
            None,
        )
        .await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    assert!(problem.errors[0].message.contains("tierId"));
}

#[tokio::test]
async fn bad_booking_requests_get_the_right_status_and_code() {
    let app = spawn_app().await;
    let open = app
        .create_event(&EventSpec::published("Open", 2, vec![("GA", 1_000, 10)]))
        .await;
    let draft = app
        .create_event(&EventSpec {
            status: "draft",
            ..EventSpec::published("Draft", 2, vec![("GA", 1, 10)])
        })
        .await;
    let cancelled = app
        .create_event(&EventSpec {
            status: "cancelled",
            ..EventSpec::published("Off", 2, vec![("GA", 1, 10)])
        })
        .await;
    let past = app
        .create_event(&EventSpec {
            starts_in_days: -1,
            ..EventSpec::published("Past", 2, vec![("GA", 1, 10)])
        })
        .await;
    let buyer = &app.buyers(1).await[0];
    let tier = open.tier_ids[0];
    let cases = [
        (
            json!([{ "tierId": tier, "quantity": 0 }]),
            StatusCode::BAD_REQUEST,
            "ValidationError",
        ),
        (
            json!([{ "tierId": tier, "quantity": -3 }]),
            StatusCode::BAD_REQUEST,
            "ValidationError",
        ),
        (
            json!([{ "tierId": tier, "quantity": 3 }]),
            StatusCode::CONFLICT,
            "TicketLimitExceeded",
        ),
        (
            json!([{ "tierId": tier, "quantity": 1 }, { "tierId": tier, "quantity": 1 }]),
            StatusCode::BAD_REQUEST,
            "ValidationError",
        ),
        (json!([]), StatusCode::BAD_REQUEST, "ValidationError"),
        (
            json!([{ "eventId": uuid::Uuid::new_v4(), "quantity": 1 }]),
            StatusCode::NOT_FOUND,
            "EventNotFound",
        ),
        (
            json!([{ "tierId": uuid::Uuid::new_v4(), "quantity": 1 }]),
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        (
            json!([{ "tierId": draft.tier_ids[0], "quantity": 1 }]),
            StatusCode::CONFLICT,
            "EventNotBookable",
        ),
        (
            json!([{ "tierId": cancelled.tier_ids[0], "quantity": 1 }]),
            StatusCode::CONFLICT,
            "EventNotBookable",
        ),
        (
            json!([{ "tierId": past.tier_ids[0], "quantity": 1 }]),
            StatusCode::CONFLICT,
            "EventNotBookable",
        ),
        (
            json!([{ "tierId": tier, "quantity": 1, "price": 0 }]),
            StatusCode::BAD_REQUEST,
            "ValidationError",
        ),
        (
            json!([{ "tierId": "not-a-uuid", "quantity": 1 }]),
            StatusCode::BAD_REQUEST,
            "ValidationError",
        ),
    ];
    for (items, status, code) in cases {
        let response = app.book(&buyer.token, &items, None).await;
        expect_problem(response, status, code).await;
    }
    let malformed = app
        .client
        .post(app.url("/api/v1/bookings"))
        .bearer_auth(&buyer.token)
        .header("content-type", "application/json")
        .body("{\"items\": [")
        .send()
        .await
        .unwrap();
    expect_problem(malformed, StatusCode::BAD_REQUEST, "ValidationError").await;
    let unauthenticated = app
        .client
        .post(app.url("/api/v1/bookings"))
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    expect_problem(unauthenticated, StatusCode::UNAUTHORIZED, "Unauthorized").await;
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        0
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn buyers_list_their_own_bookings_and_cannot_see_others() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Mine", 4, vec![("GA", 1_000, 10)]))
        .await;
    let buyers = app.buyers(2).await;
    let items = json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]);
    for _ in 0..3 {
        assert_eq!(
            app.book(&buyers[0].token, &items, None).await.status(),
            StatusCode::CREATED
        );
    }
    let theirs: Booking = app.booked(&buyers[1].token, &items).await;

    let page: Page<Booking> = app
        .get_ok(
            Some(&buyers[0].token),
            "/api/v1/bookings?limit=2&status=confirmed",
        )
        .await;
    assert_eq!(
        (page.data.len(), page.meta.total, page.meta.total_pages),
        (2, 3, 2)
    );
    assert!(
        page.data[0].created_at >= page.data[1].created_at,
        "newest first"
    );

    let response = app
        .client
        .get(app.url(&format!("/api/v1/bookings/{}", theirs.id)))
        .bearer_auth(&buyers[0].token)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "BookingNotFound").await;
}

async fn cancel(app: &crate::helpers::TestApp, token: &str, id: uuid::Uuid) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/bookings/{id}/cancel")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cancelling_returns_the_tickets_and_a_second_cancel_is_409_as_can_cancel_said() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Cancel Me",
            4,
            vec![("GA", 1_000, 5)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let booking: Booking = app
        .booked(
            &buyer.token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 3 }]),
        )
        .await;
    assert_eq!(app.remaining(event.tier_ids[0]).await, 2);
    // What the buyer may do next travels with the booking: the web app asks this.
    assert!(booking.can_cancel);

    let response = cancel(&app, &buyer.token, booking.id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cancelled: Booking = response.json().await.unwrap();
    assert_eq!(cancelled.status, BookingStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    assert!(!cancelled.can_cancel);
    assert_eq!(app.remaining(event.tier_ids[0]).await, 5);

    let again = cancel(&app, &buyer.token, booking.id).await;
    expect_problem(again, StatusCode::CONFLICT, "BookingAlreadyCancelled").await;
    assert_eq!(app.remaining(event.tier_ids[0]).await, 5);
    app.assert_conservation().await;
}

#[tokio::test]
async fn two_simultaneous_cancels_return_the_tickets_once() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Twice", 4, vec![("GA", 1_000, 5)]))
        .await;
    let buyer = &app.buyers(1).await[0];
    for round in 0..5 {
        let booking: Booking = app
            .booked(
                &buyer.token,
                &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
            )
            .await;
        let requests = (0..2)
            .map(|_| {
                app.client
                    .post(app.url(&format!("/api/v1/bookings/{}/cancel", booking.id)))
                    .bearer_auth(&buyer.token)
            })
            .collect();
        let responses = all_at_once(requests).await;
        assert_eq!(count_status(&responses, StatusCode::OK), 1, "round {round}");
        assert_eq!(
            count_status(&responses, StatusCode::CONFLICT),
            1,
            "round {round}"
        );
        assert_eq!(app.remaining(event.tier_ids[0]).await, 5, "round {round}");
    }
    app.assert_conservation().await;
}

#[tokio::test]
async fn only_the_buyer_the_organizer_or_an_admin_may_cancel() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Guarded", 4, vec![("GA", 1_000, 5)]))
        .await;
    let buyers = app.buyers(2).await;
    let booking: Booking = app
        .booked(
            &buyers[0].token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
        )
        .await;
    // Another customer cannot, and is not even told the booking exists.
    let response = cancel(&app, &buyers[1].token, booking.id).await;
    expect_problem(response, StatusCode::NOT_FOUND, "BookingNotFound").await;
    // The event's organizer can.
    let organizer = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    assert_eq!(
        cancel(&app, &organizer, booking.id).await.status(),
        StatusCode::OK
    );

    let second: Booking = app
        .booked(
            &buyers[0].token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
        )
        .await;
    let admin = app.token_for_role("root@example.com", "admin").await;
    assert_eq!(
        cancel(&app, &admin, second.id).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 5);
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_organizer_may_not_cancel_a_booking_that_holds_another_organizers_tickets() {
    let app = spawn_app().await;
    let mine = app
        .create_event(&EventSpec::published("Mine", 4, vec![("GA", 1_000, 5)]))
        .await;
    let theirs = app
        .create_event(&EventSpec::published("Theirs", 4, vec![("GA", 2_000, 5)]))
        .await;
    let buyer = &app.buyers(1).await[0];
    let booking: Booking = app
        .booked(
            &buyer.token,
            &json!([
                { "tierId": mine.tier_ids[0], "quantity": 1 },
                { "tierId": theirs.tier_ids[0], "quantity": 2 },
            ]),
        )
        .await;
    let organizer = app.token_for_role(&mine.organizer_email, "organizer").await;
    let response = cancel(&app, &organizer, booking.id).await;
    expect_problem(response, StatusCode::NOT_FOUND, "BookingNotFound").await;
    assert_eq!(
        app.remaining(theirs.tier_ids[0]).await,
        3,
        "their tickets stay sold"
    );
    assert_eq!(app.remaining(mine.tier_ids[0]).await, 4);

    let admin = app.token_for_role("root@example.com", "admin").await;
    assert_eq!(
        cancel(&app, &admin, booking.id).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.remaining(theirs.tier_ids[0]).await, 5);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_lock_wait_past_the_timeout_is_a_503_with_retry_after_and_books_nothing() {
    use diesel_async::SimpleAsyncConnection;
    let app = crate::helpers::spawn_app_with(|config| {
        config.lock_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let event = app
        .create_event(&EventSpec::published("Stuck", 4, vec![("GA", 1_000, 10)]))
        .await;
    let buyer = &app.buyers(1).await[0];
    // Another session holds the tier's row lock and does not let go.
    let mut holder = app.hold_tier_lock(event.tier_ids[0]).await;

    let started = std::time::Instant::now();
    let response = app
        .book(
            &buyer.token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
            None,
        )
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no hang"
    );
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "Unavailable").await;

    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        0
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 10);
    // Once the lock is free the same request succeeds.
    let retry = app
        .book(
            &buyer.token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
            None,
        )
        .await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_declined_payment_leaves_no_booking_and_no_missing_tickets() {
    let app = crate::helpers::spawn_app_with(|config| config.payment_decline_rate = 1.0).await;
    let event = app
        .create_event(&EventSpec::published(
            "Declined",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let response = app
        .book(
            &buyer.token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 2 }]),
            None,
        )
        .await;
    expect_problem(response, StatusCode::PAYMENT_REQUIRED, "PaymentDeclined").await;
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings").await,
        0
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 10);
    app.assert_conservation().await;
}

#[tokio::test]
async fn with_half_of_payments_declined_sales_still_add_up() {
    let app = crate::helpers::spawn_app_with(|config| config.payment_decline_rate = 0.5).await;
    let event = app
        .create_event(&EventSpec::published(
            "Coin Flip",
            4,
            vec![("GA", 1_000, 20)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(40).await;
    let requests = buyers
        .iter()
        .map(|b| app.booking(&b.token, &json!([{ "tierId": tier, "quantity": 1 }]), None))
        .collect();
    let responses = all_at_once(requests).await;
    let booked = count_status(&responses, StatusCode::CREATED);
    let declined = count_status(&responses, StatusCode::PAYMENT_REQUIRED);
    let sold_out = count_status(&responses, StatusCode::CONFLICT);
    assert_eq!(booked + declined + sold_out, 40, "no other answers");
    assert!(booked <= 20);
    assert_eq!(
        app.remaining(tier).await,
        20 - i64::try_from(booked).unwrap()
    );
    let confirmed = app
        .scalar("SELECT count(*) AS value FROM bookings WHERE status = 'confirmed'")
        .await;
    assert_eq!(confirmed, i64::try_from(booked).unwrap());
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings WHERE status <> 'confirmed'")
            .await,
        0
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn no_row_lock_is_held_while_the_payment_is_under_way() {
    use diesel_async::SimpleAsyncConnection;
    let app = crate::helpers::spawn_app_with(|config| {
        config.payment_latency = std::time::Duration::from_millis(1_500);
    })
    .await;
    let event = app
        .create_event(&EventSpec::published(
            "Slow Pay",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let buyer = &app.buyers(1).await[0];
    let paying = tokio::spawn(
        app.booking(
            &buyer.token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
            None,
        )
        .send(),
    );
    // Wait until the booking is reserved and its payment has started.
    let mut waited = 0;
    while app
        .scalar("SELECT count(*) AS value FROM bookings WHERE status = 'pending'")
        .await
        == 0
    {
        assert!(waited < 100, "the booking was never reserved");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    assert_eq!(
        app.remaining(event.tier_ids[0]).await,
        9,
        "the tickets are held while paying"
    );
    // NOWAIT fails at once if anyone holds the tier's row lock.
    app.connection()
        .await
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM ticket_tiers WHERE id = '{}' FOR UPDATE NOWAIT; ROLLBACK",
            event.tier_ids[0]
        ))
        .await
        .expect("the tier row is not locked during the payment");
    let response = paying.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.json::<Booking>().await.unwrap().status,
        BookingStatus::Confirmed
    );
}

#[tokio::test]
async fn abandoned_pending_bookings_expire_and_return_their_tickets() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Abandoned",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let (session, _) = app.signed_up("gone@example.com").await;
    let request = booking_domain::BookingRequest::parse(&[booking_domain::RawItem {
        tier_id: Some(event.tier_ids[0]),
        event_id: None,
        quantity: 3,
    }])
    .unwrap();
    let mut conn = app.connection().await;
    // Reserved as a request would, then the process "died" before paying.
    let order = booking_persistence::bookings::Order {
        user_id: session.user.id,
        request,
        idempotency: None,
        checkout: booking_domain::lifecycle::Checkout::Instant,
        admitted_to: None,
    };
    let created = booking_persistence::bookings::create_batch(
        &mut conn,
        &[order],
        true,
        chrono::Utc::now(),
        || booking_domain::BookingReference::from_random(*b"abcdef"),
    )
    .await
    .unwrap()
    .answers
    .remove(0)
    .unwrap();
    assert_eq!(app.remaining(event.tier_ids[0]).await, 7);
    app.execute("UPDATE bookings SET expires_at = now() - interval '1 second'")
        .await;

    // The server's own sweeper gives the tickets back, within about a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.remaining(event.tier_ids[0]).await != 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never expired it"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings WHERE id = '{}' AND status = 'expired'",
            created.booking.id
        ))
        .await;
    assert_eq!(status, 1);
    app.assert_conservation().await;
}
