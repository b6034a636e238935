//! Organizers' operations through the API, with roles and ownership enforced.

use booking_dto::{Booking, BookingStatus, Event, EventStatus, OrganizerEvent, Page, Tier};
use chrono::{TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, all_at_once, count_status, expect_problem, spawn_app};

fn festival() -> Value {
    json!({
        "title": "Summer Festival",
        "description": "Three stages.",
        "venue": "Riverside Park",
        "startsAt": Utc::now() + TimeDelta::days(20),
        "maxTicketsPerUser": 4,
        "tiers": [
            { "name": "VIP", "priceCents": 10000, "currency": "USD", "capacity": 5 },
            { "name": "GA", "priceCents": 1000, "currency": "usd", "capacity": 50 }
        ]
    })
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn published_event(app: &TestApp, organizer: &str) -> Event {
    let created: Event = call(
        app,
        Method::POST,
        "/api/v1/events",
        organizer,
        Some(festival()),
    )
    .await
    .json()
    .await
    .unwrap();
    let response = call(
        app,
        Method::POST,
        &format!("/api/v1/events/{}/publish", created.id),
        organizer,
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_event_is_created_as_a_draft_and_sells_once_published() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("olivia@example.com", "organizer").await;
    let response = call(
        &app,
        Method::POST,
        "/api/v1/events",
        &organizer,
        Some(festival()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let draft: Event = response.json().await.unwrap();
    assert_eq!(draft.status, EventStatus::Draft);
    assert_eq!((draft.total_tickets, draft.remaining_tickets), (55, 55));
    assert_eq!(draft.tiers[1].currency, "USD");

    let public: Page<Event> = app.get_ok(None, "/api/v1/events").await;
    assert!(public.data.is_empty(), "drafts are not public");
    let buyer = &app.buyers(1).await[0];
    let items = json!([{ "tierId": draft.tiers[0].id, "quantity": 1 }]);
    expect_problem(
        app.book(&buyer.token, &items, None).await,
        StatusCode::CONFLICT,
        "EventNotBookable",
    )
    .await;

    let published: Event = call(
        &app,
        Method::POST,
        &format!("/api/v1/events/{}/publish", draft.id),
        &organizer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(published.status, EventStatus::Published);
    assert_eq!(
        app.book(&buyer.token, &items, None).await.status(),
        StatusCode::CREATED
    );
    let again = call(
        &app,
        Method::POST,
        &format!("/api/v1/events/{}/publish", draft.id),
        &organizer,
        None,
    )
    .await;
    expect_problem(again, StatusCode::CONFLICT, "EventStateConflict").await;
}

#[tokio::test]
async fn roles_and_ownership_are_enforced() {
    let app = spawn_app().await;
    let owner = app.token_for_role("owner@example.com", "organizer").await;
    let rival = app.token_for_role("rival@example.com", "organizer").await;
    let admin = app.token_for_role("boss@example.com", "admin").await;
    let customer = &app.buyers(1).await[0];
    let forbidden = call(
        &app,
        Method::POST,
        "/api/v1/events",
        &customer.token,
        Some(festival()),
    )
    .await;
    expect_problem(forbidden, StatusCode::FORBIDDEN, "Forbidden").await;

    let event = published_event(&app, &owner).await;
    let path = format!("/api/v1/events/{}", event.id);
    let rename = json!({ "title": "Renamed" });
    let response = call(&app, Method::PATCH, &path, &rival, Some(rename.clone())).await;
    expect_problem(response, StatusCode::FORBIDDEN, "Forbidden").await;
    let response = call(&app, Method::PATCH, &path, &admin, Some(rename)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Event>().await.unwrap().title, "Renamed");
    let mine: Vec<OrganizerEvent> =
        call(&app, Method::GET, "/api/v1/organizer/events", &rival, None)
            .await
            .json()
            .await
            .unwrap();
    assert!(mine.is_empty(), "an organizer sees only their own events");
}

#[tokio::test]
async fn bad_event_input_is_a_validation_error() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("val@example.com", "organizer").await;
    let mut past = festival();
    past["startsAt"] = json!(Utc::now() - TimeDelta::days(1));
    past["tiers"] = json!([]);
    let response = call(&app, Method::POST, "/api/v1/events", &organizer, Some(past)).await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["startsAt", "tiers"]);
}

#[tokio::test]
async fn capacity_changes_never_go_below_what_is_sold_and_prices_keep_old_bookings() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("cap@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let vip = &event.tiers[0];
    let buyer = &app.buyers(1).await[0];
    let booking: Booking = app
        .booked(&buyer.token, &json!([{ "tierId": vip.id, "quantity": 3 }]))
        .await;
    let path = format!("/api/v1/events/{}/tiers/{}", event.id, vip.id);
    let response = call(
        &app,
        Method::PATCH,
        &path,
        &organizer,
        Some(json!({ "capacity": 2 })),
    )
    .await;
    expect_problem(response, StatusCode::CONFLICT, "CapacityBelowSold").await;
    let tier: Tier = call(
        &app,
        Method::PATCH,
        &path,
        &organizer,
        Some(json!({ "capacity": 3 })),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!((tier.capacity, tier.remaining), (3, 0));
    let tier: Tier = call(
        &app,
        Method::PATCH,
        &path,
        &organizer,
        Some(json!({ "capacity": 10, "priceCents": 1 })),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (tier.capacity, tier.remaining, tier.price_cents),
        (10, 7, 1)
    );

    let kept: Booking = app
        .get_ok(
            Some(&buyer.token),
            &format!("/api/v1/bookings/{}", booking.id),
        )
        .await;
    assert_eq!(
        (kept.total_cents, kept.items[0].unit_price_cents),
        (30_000, 10_000)
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn cancelling_an_event_cancels_its_bookings_and_returns_every_ticket() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("off@example.com", "organizer").await;
    let doomed = published_event(&app, &organizer).await;
    let other = published_event(&app, &organizer).await;
    let buyer = &app.buyers(1).await[0];
    let mixed: Booking = app
        .booked(
            &buyer.token,
            &json!([
                { "tierId": doomed.tiers[1].id, "quantity": 2 },
                { "tierId": other.tiers[1].id, "quantity": 1 }
            ]),
        )
        .await;
    let cancel_path = format!("/api/v1/events/{}/cancel", doomed.id);
    let cancelled: Event = call(&app, Method::POST, &cancel_path, &organizer, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled.status, EventStatus::Cancelled);
    assert_eq!(cancelled.remaining_tickets, cancelled.total_tickets);
    assert_eq!(
        app.remaining(other.tiers[1].id).await,
        50,
        "the whole purchase is refunded"
    );
    let booking: Booking = app
        .get_ok(
            Some(&buyer.token),
            &format!("/api/v1/bookings/{}", mixed.id),
        )
        .await;
    assert_eq!(booking.status, BookingStatus::Cancelled);

    let late = app
        .book(
            &buyer.token,
            &json!([{ "tierId": doomed.tiers[1].id, "quantity": 1 }]),
            None,
        )
        .await;
    expect_problem(late, StatusCode::CONFLICT, "EventNotBookable").await;
    let twice = call(&app, Method::POST, &cancel_path, &organizer, None).await;
    expect_problem(twice, StatusCode::CONFLICT, "EventStateConflict").await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn cancelling_an_event_while_buyers_race_for_it_leaves_nothing_sold() {
    let app = spawn_app().await;
    let organizer = app
        .token_for_role("race-off@example.com", "organizer")
        .await;
    let event = published_event(&app, &organizer).await;
    let ga = event.tiers[1].id;
    let buyers = app.buyers(40).await;
    let mut requests: Vec<_> = buyers
        .iter()
        .map(|b| app.booking(&b.token, &json!([{ "tierId": ga, "quantity": 1 }]), None))
        .collect();
    requests.insert(
        20,
        app.client
            .post(app.url(&format!("/api/v1/events/{}/cancel", event.id)))
            .bearer_auth(&organizer),
    );
    let responses = all_at_once(requests).await;
    assert_eq!(
        count_status(&responses, StatusCode::INTERNAL_SERVER_ERROR),
        0
    );
    assert_eq!(count_status(&responses, StatusCode::SERVICE_UNAVAILABLE), 0);
    assert_eq!(
        app.remaining(ga).await,
        50,
        "every ticket sold before the cancel came back"
    );
    let holding = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings b JOIN booking_items i ON i.booking_id = b.id \
             WHERE i.event_id = '{}' AND b.status IN ('confirmed', 'pending')",
            event.id
        ))
        .await;
    assert_eq!(holding, 0);
    app.assert_conservation().await;
}

#[tokio::test]
async fn only_a_draft_without_bookings_can_be_deleted() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("del@example.com", "organizer").await;
    let draft: Event = call(
        &app,
        Method::POST,
        "/api/v1/events",
        &organizer,
        Some(festival()),
    )
    .await
    .json()
    .await
    .unwrap();
    let published = published_event(&app, &organizer).await;
    let response = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{}", published.id),
        &organizer,
        None,
    )
    .await;
    expect_problem(response, StatusCode::CONFLICT, "EventStateConflict").await;
    let response = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{}", draft.id),
        &organizer,
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{}", draft.id),
        &organizer,
        None,
    )
    .await;
    expect_problem(response, StatusCode::NOT_FOUND, "EventNotFound").await;
}

#[tokio::test]
async fn organizers_see_sold_remaining_and_revenue() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("sales@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let buyers = app.buyers(2).await;
    app.book(
        &buyers[0].token,
        &json!([{ "tierId": event.tiers[0].id, "quantity": 2 }]),
        None,
    )
    .await;
    let refunded: Booking = app
        .booked(
            &buyers[1].token,
            &json!([{ "tierId": event.tiers[1].id, "quantity": 3 }]),
        )
        .await;
    app.book(
        &buyers[1].token,
        &json!([{ "tierId": event.tiers[1].id, "quantity": 1 }]),
        None,
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/bookings/{}/cancel", refunded.id),
        &buyers[1].token,
        None,
    )
    .await;
    let mine: Vec<OrganizerEvent> = call(
        &app,
        Method::GET,
        "/api/v1/organizer/events",
        &organizer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (
            mine[0].sold,
            mine[0].event.remaining_tickets,
            mine[0].revenue_cents
        ),
        (3, 52, 21_000)
    );
}

#[tokio::test]
async fn the_sweeper_finishes_an_event_cancellation_a_crash_interrupted() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("crash@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let buyer = &app.buyers(1).await[0];
    let booking: Booking = app
        .booked(
            &buyer.token,
            &json!([{ "tierId": event.tiers[1].id, "quantity": 2 }]),
        )
        .await;
    // The cancellation's first transaction committed, then the process died.
    app.execute(&format!(
        "UPDATE events SET status = 'cancelled' WHERE id = '{}'",
        event.id
    ))
    .await;
    let mut conn = app.connection().await;
    let changes =
        booking_persistence::events::release_bookings_of_cancelled_events(&mut conn, Utc::now())
            .await
            .unwrap();
    assert_eq!(changes.changes.len(), 1);
    assert_eq!(app.remaining(event.tiers[1].id).await, 50);
    let status = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings WHERE id = '{}' AND status = 'cancelled'",
            booking.id
        ))
        .await;
    assert_eq!(status, 1);
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_organizer_adds_a_tier_in_the_events_currency_and_it_goes_on_sale() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("add@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let path = format!("/api/v1/events/{}/tiers", event.id);
    let balcony =
        json!({ "name": "Balcony", "priceCents": 2500, "currency": "usd", "capacity": 20 });
    let response = call(&app, Method::POST, &path, &organizer, Some(balcony.clone())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let tier: Tier = response.json().await.unwrap();
    assert_eq!(
        (tier.currency.as_str(), tier.capacity, tier.remaining),
        ("USD", 20, 20)
    );

    let shown: Event = app
        .get_ok(None, &format!("/api/v1/events/{}", event.id))
        .await;
    assert_eq!(
        shown.tiers.last().map(|t| t.id),
        Some(tier.id),
        "added last"
    );
    assert_eq!(shown.total_tickets, 75);
    let buyer = &app.buyers(1).await[0];
    app.booked(&buyer.token, &json!([{ "tierId": tier.id, "quantity": 2 }]))
        .await;
    assert_eq!(app.remaining(tier.id).await, 18);

    // The same name (any case), another currency: field errors; another organizer: 403.
    for (body, field) in [
        (
            json!({ "name": "balcony", "priceCents": 1, "currency": "USD", "capacity": 1 }),
            "name",
        ),
        (
            json!({ "name": "Box", "priceCents": 1, "currency": "EUR", "capacity": 1 }),
            "currency",
        ),
    ] {
        let response = call(&app, Method::POST, &path, &organizer, Some(body)).await;
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
        assert_eq!(problem.errors[0].field, field);
    }
    let stranger = app.token_for_role("other@example.com", "organizer").await;
    let response = call(&app, Method::POST, &path, &stranger, Some(balcony)).await;
    expect_problem(response, StatusCode::FORBIDDEN, "Forbidden").await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn only_a_never_booked_tier_that_is_not_the_last_can_be_removed() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("remove@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let (vip, general) = (&event.tiers[0], &event.tiers[1]);
    let buyer = &app.buyers(1).await[0];
    let booking: Booking = app
        .booked(&buyer.token, &json!([{ "tierId": vip.id, "quantity": 1 }]))
        .await;
    // Cancelled or not, a booked tier stays: its items name it.
    let cancelled = call(
        &app,
        Method::POST,
        &format!("/api/v1/bookings/{}/cancel", booking.id),
        &buyer.token,
        None,
    )
    .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let tier_path = |id| format!("/api/v1/events/{}/tiers/{id}", event.id);
    let response = call(&app, Method::DELETE, &tier_path(vip.id), &organizer, None).await;
    expect_problem(response, StatusCode::CONFLICT, "EventStateConflict").await;

    let response = call(
        &app,
        Method::DELETE,
        &tier_path(general.id),
        &organizer,
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let shown: Event = app
        .get_ok(None, &format!("/api/v1/events/{}", event.id))
        .await;
    assert_eq!(
        shown.tiers.iter().map(|t| t.id).collect::<Vec<_>>(),
        [vip.id]
    );
    assert_eq!(
        shown.lowest_price_cents,
        Some(10_000),
        "the cheapest tier went"
    );

    let response = call(
        &app,
        Method::DELETE,
        &tier_path(general.id),
        &organizer,
        None,
    )
    .await;
    expect_problem(response, StatusCode::NOT_FOUND, "NotFound").await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_events_last_tier_stays() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("last@example.com", "organizer").await;
    let mut one_tier = festival();
    one_tier["tiers"] =
        json!([{ "name": "GA", "priceCents": 500, "currency": "USD", "capacity": 5 }]);
    let created: Event = call(
        &app,
        Method::POST,
        "/api/v1/events",
        &organizer,
        Some(one_tier),
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!(
        "/api/v1/events/{}/tiers/{}",
        created.id, created.tiers[0].id
    );
    let response = call(&app, Method::DELETE, &path, &organizer, None).await;
    let problem = expect_problem(response, StatusCode::CONFLICT, "EventStateConflict").await;
    assert!(
        problem.detail.contains("at least one tier"),
        "{}",
        problem.detail
    );
}

#[tokio::test]
async fn an_organizer_reads_the_bookings_of_their_event_and_no_others() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("reader@example.com", "organizer").await;
    let event = published_event(&app, &organizer).await;
    let elsewhere = published_event(&app, &organizer).await;
    let buyers = app.buyers(2).await;
    let kept: Booking = app
        .booked(
            &buyers[0].token,
            &json!([{ "tierId": event.tiers[0].id, "quantity": 1 }]),
        )
        .await;
    let dropped: Booking = app
        .booked(
            &buyers[1].token,
            &json!([{ "tierId": event.tiers[1].id, "quantity": 2 }]),
        )
        .await;
    app.booked(
        &buyers[1].token,
        &json!([{ "tierId": elsewhere.tiers[0].id, "quantity": 1 }]),
    )
    .await;
    let cancelled = call(
        &app,
        Method::POST,
        &format!("/api/v1/bookings/{}/cancel", dropped.id),
        &organizer,
        None,
    )
    .await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    let path = format!("/api/v1/organizer/events/{}/bookings", event.id);
    let all: Page<Booking> = app.get_ok(Some(&organizer), &path).await;
    let ids: Vec<_> = all.data.iter().map(|booking| booking.id).collect();
    assert_eq!(ids, [dropped.id, kept.id], "newest first, this event only");
    assert_eq!(all.meta.total, 2);
    let confirmed: Page<Booking> = app
        .get_ok(Some(&organizer), &format!("{path}?status=confirmed"))
        .await;
    assert_eq!(
        confirmed.data.iter().map(|b| b.id).collect::<Vec<_>>(),
        [kept.id]
    );

    let stranger = app.token_for_role("nosy@example.com", "organizer").await;
    let response = call(&app, Method::GET, &path, &stranger, None).await;
    expect_problem(response, StatusCode::FORBIDDEN, "Forbidden").await;
    let response = call(&app, Method::GET, &path, &buyers[0].token, None).await;
    expect_problem(response, StatusCode::FORBIDDEN, "Forbidden").await;
}
