//! Checkout holds and paying for them (`"checkout": "hold"`, `POST /bookings/{id}/pay`).

use std::time::{Duration, Instant};

use booking_dto::{Booking, BookingStatus};
use chrono::Utc;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    EventSpec, TestApp, all_at_once, count_status, expect_problem, metric, spawn_app,
};

const APPROVES: &str = "4242424242424242";
const DECLINES: &str = "4000000000000002";

impl TestApp {
    /// A hold request, built but not sent.
    pub fn holding(&self, token: &str, items: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/api/v1/bookings"))
            .bearer_auth(token)
            .json(&json!({ "items": items, "checkout": "hold" }))
    }

    /// Holds `items` as `token`, expects 201, and returns the pending booking.
    pub async fn held(&self, token: &str, items: &Value) -> Booking {
        let response = self.holding(token, items).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("booking body")
    }

    /// A payment of booking `id` with the card `number`, built but not sent.
    pub fn paying(&self, token: &str, id: Uuid, number: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(&format!("/api/v1/bookings/{id}/pay")))
            .bearer_auth(token)
            .json(&json!({ "card": { "number": number, "expiry": "12/40", "cvc": "123" } }))
    }

    pub async fn pay(&self, token: &str, id: Uuid, number: &str) -> Response {
        self.paying(token, id, number)
            .send()
            .await
            .expect("request")
    }

    /// Waits (up to 10 s) until `tier` has `remaining` tickets: the sweeper's work.
    pub async fn until_remaining(&self, tier: Uuid, remaining: i64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.remaining(tier).await != remaining {
            assert!(
                Instant::now() < deadline,
                "tier {tier} never got to {remaining}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn one(tier: Uuid, quantity: i64) -> Value {
    json!([{ "tierId": tier, "quantity": quantity }])
}

#[tokio::test]
async fn a_hold_is_pending_until_its_events_hold_length_and_counts_as_held() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Held", 4, vec![("GA", 2_500, 10)]))
        .await;
    app.execute(&format!(
        "UPDATE events SET hold_minutes = 3 WHERE id = '{}'",
        event.id
    ))
    .await;
    let (buyer, _) = app.signed_up("holder@example.com").await;

    let before = Utc::now();
    let hold = app
        .held(&buyer.access_token, &one(event.tier_ids[0], 2))
        .await;

    assert_eq!(hold.status, BookingStatus::Pending);
    let expires_at = hold.expires_at.expect("a hold says until when");
    let length = expires_at - before;
    assert!(
        length > chrono::TimeDelta::seconds(175) && length <= chrono::TimeDelta::seconds(181),
        "{length}"
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 8);
    // Counted as a hold, not as a booking made.
    assert_eq!(
        metric(&app, &app.address, "booking_bookings_held_total").await,
        1.0
    );
    assert_eq!(
        metric(&app, &app.address, "booking_bookings_confirmed_total").await,
        0.0
    );
    // The per-person limit counts what is held: 2 held + 3 more is over 4.
    let over = app
        .holding(&buyer.access_token, &one(event.tier_ids[0], 3))
        .send()
        .await
        .unwrap();
    expect_problem(over, StatusCode::CONFLICT, "TicketLimitExceeded").await;
    let read: Booking = app
        .get_ok(
            Some(&buyer.access_token),
            &format!("/api/v1/bookings/{}", hold.id),
        )
        .await;
    assert_eq!(
        (read.status, read.expires_at),
        (BookingStatus::Pending, Some(expires_at))
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn paying_confirms_once_and_paying_again_charges_nothing() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Pay", 4, vec![("GA", 2_500, 10)]))
        .await;
    let (buyer, _) = app.signed_up("payer@example.com").await;
    let hold = app
        .held(&buyer.access_token, &one(event.tier_ids[0], 2))
        .await;

    let paid = app.pay(&buyer.access_token, hold.id, APPROVES).await;
    assert_eq!(paid.status(), StatusCode::OK);
    let paid: Booking = paid.json().await.unwrap();
    assert_eq!(paid.status, BookingStatus::Confirmed);
    assert_eq!(paid.expires_at, None);

    let again = app
        .pay(&buyer.access_token, hold.id, "5555555555554444")
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.json::<Booking>().await.unwrap().status,
        BookingStatus::Confirmed
    );
    assert_eq!(app.remaining(event.tier_ids[0]).await, 8);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_declined_card_leaves_no_booking_and_returns_the_tickets_at_once() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Decline", 4, vec![("GA", 2_500, 5)]))
        .await;
    let (buyer, _) = app.signed_up("declined@example.com").await;
    let hold = app
        .held(&buyer.access_token, &one(event.tier_ids[0], 3))
        .await;
    assert_eq!(app.remaining(event.tier_ids[0]).await, 2);

    let declined = app.pay(&buyer.access_token, hold.id, DECLINES).await;

    expect_problem(declined, StatusCode::PAYMENT_REQUIRED, "PaymentDeclined").await;
    assert_eq!(app.remaining(event.tier_ids[0]).await, 5);
    let gone = app
        .client
        .get(app.url(&format!("/api/v1/bookings/{}", hold.id)))
        .bearer_auth(&buyer.access_token)
        .send()
        .await
        .unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, "BookingNotFound").await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_expired_hold_reads_expired_refuses_payment_and_returns_its_tickets() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Lapse", 4, vec![("GA", 2_500, 5)]))
        .await;
    let (buyer, _) = app.signed_up("late@example.com").await;
    let hold = app
        .held(&buyer.access_token, &one(event.tier_ids[0], 2))
        .await;
    app.execute(&format!(
        "UPDATE bookings SET expires_at = now() - interval '1 millisecond' WHERE id = '{}'",
        hold.id
    ))
    .await;

    let read: Booking = app
        .get_ok(
            Some(&buyer.access_token),
            &format!("/api/v1/bookings/{}", hold.id),
        )
        .await;
    assert_eq!(read.status, BookingStatus::Expired);
    assert!(!read.can_cancel);
    let late = app.pay(&buyer.access_token, hold.id, APPROVES).await;
    expect_problem(late, StatusCode::CONFLICT, "HoldExpired").await;
    app.until_remaining(event.tier_ids[0], 5).await;
    let stored = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings WHERE id = '{}' AND status = 'expired'",
            hold.id
        ))
        .await;
    assert_eq!(stored, 1);
    app.assert_conservation().await;
}

#[tokio::test]
async fn only_the_buyer_pays_and_only_with_a_well_formed_card() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Cards", 4, vec![("GA", 2_500, 5)]))
        .await;
    let (buyer, _) = app.signed_up("owner@example.com").await;
    let (stranger, _) = app.signed_up("stranger@example.com").await;
    let hold = app
        .held(&buyer.access_token, &one(event.tier_ids[0], 1))
        .await;

    let theirs = app.pay(&stranger.access_token, hold.id, APPROVES).await;
    expect_problem(theirs, StatusCode::NOT_FOUND, "BookingNotFound").await;
    let bad = app
        .client
        .post(app.url(&format!("/api/v1/bookings/{}/pay", hold.id)))
        .bearer_auth(&buyer.access_token)
        .json(&json!({ "card": { "number": "4242424242424241", "expiry": "13/40", "cvc": "1" } }))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(bad, StatusCode::BAD_REQUEST, "ValidationError").await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["card.number", "card.expiry", "card.cvc"]);
    // Neither touched the hold.
    let paid = app.pay(&buyer.access_token, hold.id, APPROVES).await;
    assert_eq!(paid.status(), StatusCode::OK);
}

#[tokio::test]
async fn holds_race_for_the_last_tickets_exactly_as_bookings_do() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Last two", 1, vec![("GA", 2_500, 2)]))
        .await;
    let buyers = app.buyers(10).await;

    let responses = all_at_once(
        buyers
            .iter()
            .map(|buyer| app.holding(&buyer.token, &one(event.tier_ids[0], 1)))
            .collect(),
    )
    .await;

    assert_eq!(count_status(&responses, StatusCode::CREATED), 2);
    assert_eq!(count_status(&responses, StatusCode::CONFLICT), 8);
    assert_eq!(app.remaining(event.tier_ids[0]).await, 0);
    app.assert_conservation().await;
}

/// A hold on the last ticket lapses while its buyer pays and another buyer books: the
/// payment and the resale can never both win, whatever the interleaving.
#[tokio::test]
async fn an_expiring_hold_and_its_payment_never_both_take_the_last_ticket() {
    let app = spawn_app().await;
    let buyers = app.buyers(2).await;
    let (holder, rival) = (&buyers[0].token, &buyers[1].token);
    let mut paid_first = 0;
    let mut resold = 0;
    for round in 0..12_i64 {
        let event = app
            .create_event(&EventSpec::published(
                &format!("Last ticket {round}"),
                1,
                vec![("GA", 2_500, 1)],
            ))
            .await;
        let tier = event.tier_ids[0];
        let hold = app.held(holder, &one(tier, 1)).await;
        // The hold lapses 150 ms from now; the payment and the rival's bookings leave
        // anywhere from 60 ms before to 50 ms after.
        app.execute(&format!(
            "UPDATE bookings SET expires_at = now() + interval '150 milliseconds' WHERE id = '{}'",
            hold.id
        ))
        .await;
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(90 + round * 10).unwrap(),
        ))
        .await;
        let mut requests = vec![app.paying(holder, hold.id, APPROVES)];
        requests.extend((0..4).map(|_| app.booking(rival, &one(tier, 1), None)));
        let answers = all_at_once(requests).await;
        let paid = answers[0].status() == StatusCode::OK;
        // Once the sweeper has run, the rival can have the ticket only if it was not paid.
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let rival_later = app.book(rival, &one(tier, 1), None).await;
        let rival_won = count_status(&answers[1..], StatusCode::CREATED)
            + usize::from(rival_later.status() == StatusCode::CREATED);
        assert_eq!(
            usize::from(paid) + rival_won,
            1,
            "round {round}: paid {paid}, rival booked {rival_won}"
        );
        if paid {
            paid_first += 1;
        } else {
            assert_eq!(answers[0].status(), StatusCode::CONFLICT, "round {round}");
            resold += 1;
        }
        app.assert_conservation().await;
    }
    println!("{paid_first} rounds paid in time, {resold} lapsed and resold");
}

#[tokio::test]
async fn the_hold_length_is_an_event_setting_from_one_to_sixty_minutes() {
    let app = spawn_app().await;
    let organizer = app
        .token_for_role("holds-organizer@example.com", "organizer")
        .await;
    let created = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&organizer)
        .json(&json!({
            "title": "Short holds",
            "venue": "Hall",
            "startsAt": Utc::now() + chrono::TimeDelta::days(5),
            "holdMinutes": 2,
            "tiers": [{ "name": "GA", "priceCents": 1000, "currency": "USD", "capacity": 5 }]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let event: booking_dto::Event = created.json().await.unwrap();
    assert_eq!((event.hold_minutes, event.offer_minutes), (2, 30));

    for minutes in [0, 61] {
        let refused = app
            .client
            .patch(app.url(&format!("/api/v1/events/{}", event.id)))
            .bearer_auth(&organizer)
            .json(&json!({ "holdMinutes": minutes }))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(refused, StatusCode::BAD_REQUEST, "ValidationError").await;
        assert_eq!(problem.errors[0].field, "holdMinutes");
    }
    let changed = app
        .client
        .patch(app.url(&format!("/api/v1/events/{}", event.id)))
        .bearer_auth(&organizer)
        .json(&json!({ "holdMinutes": 60, "offerMinutes": 240 }))
        .send()
        .await
        .unwrap();
    let changed: booking_dto::Event = changed.json().await.unwrap();
    assert_eq!((changed.hold_minutes, changed.offer_minutes), (60, 240));
}
