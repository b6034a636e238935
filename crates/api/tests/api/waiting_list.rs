//! Waiting lists of sold-out tiers, and the offers returned tickets become, against real
//! servers and a real database.

use std::time::Duration;

use booking_dto::{
    Booking, BookingOrigin, BookingStatus, ClientMessage, OrganizerEvent, ServerMessage,
    WaitingListPlace,
};
use booking_load::live::LiveClient;
use chrono::{TimeDelta, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    EventSpec, TestApp, all_at_once, count_status, expect_problem, metric, second_instance,
    spawn_app,
};

const APPROVES: &str = "4242424242424242";
const DECLINES: &str = "4000000000000002";

fn one(tier: Uuid, quantity: i64) -> Value {
    json!([{ "tierId": tier, "quantity": quantity }])
}

impl TestApp {
    /// A request to take a place for `quantity` tickets of `tier`, built but not sent.
    pub fn joining(
        &self,
        token: &str,
        event: Uuid,
        tier: Uuid,
        quantity: i64,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(&format!("/api/v1/events/{event}/tiers/{tier}/waiting-list")))
            .bearer_auth(token)
            .json(&json!({ "quantity": quantity }))
    }

    pub async fn join(&self, token: &str, event: Uuid, tier: Uuid, quantity: i64) -> Response {
        self.joining(token, event, tier, quantity)
            .send()
            .await
            .expect("request")
    }

    /// Takes a place, expects 201, and returns it.
    pub async fn waits(
        &self,
        token: &str,
        event: Uuid,
        tier: Uuid,
        quantity: i64,
    ) -> WaitingListPlace {
        let response = self.join(token, event, tier, quantity).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("place body")
    }

    pub async fn leave(&self, token: &str, event: Uuid, tier: Uuid) -> Response {
        self.client
            .delete(self.url(&format!("/api/v1/events/{event}/tiers/{tier}/waiting-list")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn cancel(&self, token: &str, booking: Uuid) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/bookings/{booking}/cancel")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// The bookings of `token`'s buyer that are waiting-list offers, newest first.
    pub async fn offers_of(&self, token: &str) -> Vec<Booking> {
        let page: booking_dto::Page<Booking> =
            self.get_ok(Some(token), "/api/v1/bookings?limit=50").await;
        page.data
            .into_iter()
            .filter(|booking| booking.origin == BookingOrigin::WaitingList)
            .collect()
    }
}

/// A live connection to `address` that speaks for the holder of `token`.
async fn signed_in_socket(address: &str, token: &str) -> LiveClient {
    let (mut client, _) = LiveClient::connect(address).await.expect("connect");
    client
        .send(&ClientMessage::Authenticate {
            token: token.to_owned(),
        })
        .await
        .expect("authenticate");
    loop {
        match next(&mut client, Duration::from_secs(5)).await {
            Some(ServerMessage::Authenticated { user_id: Some(_) }) => return client,
            Some(ServerMessage::Error { message }) => panic!("refused: {message}"),
            Some(_) => {}
            None => panic!("no answer to authenticate"),
        }
    }
}

async fn next(client: &mut LiveClient, within: Duration) -> Option<ServerMessage> {
    tokio::time::timeout(within, client.next())
        .await
        .ok()
        .map(|message| message.expect("an open connection"))
}

/// The next offer the client hears of within `within`, as (booking, expires at).
async fn offer_heard(
    client: &mut LiveClient,
    within: Duration,
) -> Option<(Uuid, chrono::DateTime<Utc>)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next(client, left).await? {
            ServerMessage::Offer {
                booking_id,
                expires_at,
            } => return Some((booking_id, expires_at)),
            _ => continue,
        }
    }
}

#[tokio::test]
async fn a_signed_in_buyer_joins_a_sold_out_tier_once_within_the_per_person_limit() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Limited",
            4,
            vec![("GA", 5_000, 2), ("VIP", 9_000, 10)],
        ))
        .await;
    let (ga, vip) = (event.tier_ids[0], event.tier_ids[1]);
    let buyers = app.buyers(3).await;
    let (alice, bob, carol) = (&buyers[0].token, &buyers[1].token, &buyers[2].token);

    let anonymous = app
        .client
        .post(app.url(&format!(
            "/api/v1/events/{}/tiers/{ga}/waiting-list",
            event.id
        )))
        .json(&json!({ "quantity": 1 }))
        .send()
        .await
        .expect("request");
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "Unauthorized").await;
    let on_sale = app.join(bob, event.id, ga, 1).await;
    expect_problem(on_sale, StatusCode::CONFLICT, "NotSoldOut").await;

    app.booked(alice, &one(ga, 2)).await;
    let none = app.join(bob, event.id, ga, 0).await;
    expect_problem(none, StatusCode::BAD_REQUEST, "ValidationError").await;
    let too_many = app.join(bob, event.id, ga, 5).await;
    expect_problem(too_many, StatusCode::CONFLICT, "TicketLimitExceeded").await;
    let other_event_tier = app.join(bob, event.id, Uuid::new_v4(), 1).await;
    expect_problem(other_event_tier, StatusCode::NOT_FOUND, "NotFound").await;

    let first = app.waits(bob, event.id, ga, 2).await;
    assert_eq!((first.tier_id, first.quantity, first.position), (ga, 2, 1));
    let again = app.join(bob, event.id, ga, 1).await;
    expect_problem(again, StatusCode::CONFLICT, "AlreadyOnWaitingList").await;
    let second = app.waits(carol, event.id, ga, 1).await;
    assert_eq!(second.position, 2);

    // A place counts against the limit like a ticket held: 2 waited for + 3 > 4.
    let over = app.book(bob, &one(vip, 3), None).await;
    expect_problem(over, StatusCode::CONFLICT, "TicketLimitExceeded").await;
    app.booked(bob, &one(vip, 2)).await;

    let mine: Vec<WaitingListPlace> = app
        .get_ok(
            Some(carol.as_str()),
            &format!("/api/v1/events/{}/waiting-list", event.id),
        )
        .await;
    assert_eq!(mine, vec![second]);

    let organizer = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    let events: Vec<OrganizerEvent> = app
        .get_ok(Some(&organizer), "/api/v1/organizer/events")
        .await;
    let lines = &events[0].waiting_lists;
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].tier_id, lines[0].people, lines[0].tickets),
        (ga, 2, 3)
    );

    assert_eq!(
        app.leave(bob, event.id, ga).await.status(),
        StatusCode::NO_CONTENT
    );
    let gone = app.leave(bob, event.id, ga).await;
    expect_problem(gone, StatusCode::NOT_FOUND, "NotOnWaitingList").await;
    let moved_up: Vec<WaitingListPlace> = app
        .get_ok(
            Some(carol.as_str()),
            &format!("/api/v1/events/{}/waiting-list", event.id),
        )
        .await;
    assert_eq!(moved_up[0].position, 1);
    app.assert_conservation().await;
}

#[tokio::test]
async fn returned_tickets_go_to_the_first_in_line_as_offers_each_told_alone_on_any_instance() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let event = app
        .create_event(&EventSpec::published(
            "Limited Concert",
            4,
            vec![("GA", 5_000, 2)],
        ))
        .await;
    app.execute(&format!(
        "UPDATE events SET offer_minutes = 7 WHERE id = '{}'",
        event.id
    ))
    .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(4).await;
    let (alice, bob, carol, dave) = (
        &buyers[0].token,
        &buyers[1].token,
        &buyers[2].token,
        &buyers[3].token,
    );
    let sold = app.booked(alice, &one(tier, 2)).await;
    app.waits(bob, event.id, tier, 1).await;
    app.waits(carol, event.id, tier, 1).await;
    app.waits(dave, event.id, tier, 2).await;
    // Bob listens on the other instance; Carol and Dave on this one.
    let mut bob_socket = signed_in_socket(&other, bob).await;
    let mut carol_socket = signed_in_socket(&app.address, carol).await;
    let mut dave_socket = signed_in_socket(&app.address, dave).await;

    let cancelled_at = Utc::now();
    assert_eq!(app.cancel(alice, sold.id).await.status(), StatusCode::OK);

    let (bob_offer, bob_expires) = offer_heard(&mut bob_socket, Duration::from_secs(2))
        .await
        .expect("Bob hears of his offer on the other instance");
    let (carol_offer, _) = offer_heard(&mut carol_socket, Duration::from_secs(2))
        .await
        .expect("Carol hears of hers");
    assert_ne!(bob_offer, carol_offer);
    assert_eq!(
        metric(&app, &app.address, "booking_waiting_list_offers_total").await,
        2.0
    );
    let offer_length = bob_expires - cancelled_at;
    assert!(
        offer_length > TimeDelta::minutes(7)
            && offer_length < TimeDelta::minutes(7) + TimeDelta::seconds(5),
        "{offer_length}"
    );
    assert_eq!(app.remaining(tier).await, 0, "nothing went back on sale");
    let offered: Booking = app
        .get_ok(Some(bob.as_str()), &format!("/api/v1/bookings/{bob_offer}"))
        .await;
    assert_eq!(offered.status, BookingStatus::Pending);
    assert_eq!(offered.origin, BookingOrigin::WaitingList);
    assert_eq!(offered.expires_at, Some(bob_expires));
    assert_eq!(offered.items[0].quantity, 1);
    assert_eq!(offered.total_cents, 5_000);
    // An offer is the buyer's alone: nobody else can see or pay it.
    let stranger = app.pay(dave, bob_offer, APPROVES).await;
    expect_problem(stranger, StatusCode::NOT_FOUND, "BookingNotFound").await;
    assert!(
        offer_heard(&mut dave_socket, Duration::from_millis(500))
            .await
            .is_none()
    );

    let paid = app.pay(bob, bob_offer, APPROVES).await;
    assert_eq!(paid.status(), StatusCode::OK);
    assert_eq!(paid.json::<Booking>().await.expect("body").tickets.len(), 1);

    // Carol lets hers go: the ticket passes to Dave, who wants 2, gets the 1 there is,
    // and keeps his place for the other.
    assert_eq!(
        app.cancel(carol, carol_offer).await.status(),
        StatusCode::OK
    );
    let (dave_offer, _) = offer_heard(&mut dave_socket, Duration::from_secs(2))
        .await
        .expect("Dave hears of his offer");
    let dave_offers = app.offers_of(dave).await;
    assert_eq!(dave_offers.len(), 1);
    assert_eq!(dave_offers[0].id, dave_offer);
    assert_eq!(dave_offers[0].items[0].quantity, 1);
    let dave_place: Vec<WaitingListPlace> = app
        .get_ok(
            Some(dave.as_str()),
            &format!("/api/v1/events/{}/waiting-list", event.id),
        )
        .await;
    assert_eq!((dave_place[0].quantity, dave_place[0].position), (1, 1));
    let carol_place: Vec<WaitingListPlace> = app
        .get_ok(
            Some(carol.as_str()),
            &format!("/api/v1/events/{}/waiting-list", event.id),
        )
        .await;
    assert!(carol_place.is_empty(), "an offer let go costs the place");
    assert!(
        offer_heard(&mut carol_socket, Duration::from_millis(300))
            .await
            .is_none()
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_declined_payment_an_expired_hold_and_a_larger_capacity_all_go_to_the_line_first() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Returns", 4, vec![("GA", 5_000, 2)]))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(6).await;
    let tokens: Vec<&str> = buyers.iter().map(|buyer| buyer.token.as_str()).collect();
    let first = app.held(tokens[0], &one(tier, 1)).await;
    let second = app.held(tokens[1], &one(tier, 1)).await;
    for waiter in &tokens[2..6] {
        app.waits(waiter, event.id, tier, 1).await;
    }

    let declined = app.pay(tokens[0], first.id, DECLINES).await;
    expect_problem(declined, StatusCode::PAYMENT_REQUIRED, "PaymentDeclined").await;
    assert_eq!(
        app.offers_of(tokens[2]).await.len(),
        1,
        "declined: to the first"
    );

    app.execute(&format!(
        "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = '{}'",
        second.id
    ))
    .await;
    for _ in 0..100 {
        if !app.offers_of(tokens[3]).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.offers_of(tokens[3]).await.len(),
        1,
        "expired: to the second"
    );

    let organizer = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    let resized = app
        .client
        .patch(app.url(&format!("/api/v1/events/{}/tiers/{tier}", event.id)))
        .bearer_auth(&organizer)
        .json(&json!({ "capacity": 5 }))
        .send()
        .await
        .expect("request");
    assert_eq!(resized.status(), StatusCode::OK);
    let tier_after: booking_dto::Tier = resized.json().await.expect("tier");
    assert_eq!(
        tier_after.remaining, 1,
        "two of three new tickets were offered"
    );
    assert_eq!(app.offers_of(tokens[4]).await.len(), 1);
    assert_eq!(app.offers_of(tokens[5]).await.len(), 1);
    // The line is empty: the third new ticket is on public sale.
    app.booked(tokens[0], &one(tier, 1)).await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_unclaimed_offer_passes_down_the_line_and_an_empty_line_returns_it_to_sale() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Unclaimed",
            4,
            vec![("GA", 5_000, 1)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(3).await;
    let (alice, bob, carol) = (&buyers[0].token, &buyers[1].token, &buyers[2].token);
    let sold = app.booked(alice, &one(tier, 1)).await;
    app.waits(bob, event.id, tier, 1).await;
    app.waits(carol, event.id, tier, 1).await;
    app.cancel(alice, sold.id).await;

    let lapse = |booking: Uuid| {
        format!(
            "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = '{booking}'"
        )
    };
    let bob_offer = app.offers_of(bob).await[0].id;
    app.execute(&lapse(bob_offer)).await;
    for _ in 0..100 {
        if !app.offers_of(carol).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let carol_offers = app.offers_of(carol).await;
    assert_eq!(carol_offers.len(), 1, "Bob's lapsed offer passed to Carol");
    let bob_offers = app.offers_of(bob).await;
    assert_eq!(bob_offers[0].status, BookingStatus::Expired);
    assert_eq!(app.offers_of(bob).await.len(), 1, "and never back to Bob");

    app.execute(&lapse(carol_offers[0].id)).await;
    app.until_remaining(tier, 1).await;
    app.booked(alice, &one(tier, 1)).await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_waiting_list_storm_offers_returned_tickets_in_order_and_to_nobody_else() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published("Storm", 4, vec![("GA", 5_000, 20)]))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(170).await;
    let (holders, rest) = buyers.split_at(20);
    let (waiters, others) = rest.split_at(50);
    let mut sold = Vec::new();
    for holder in holders {
        sold.push(app.booked(&holder.token, &one(tier, 1)).await.id);
    }
    for waiter in waiters {
        app.waits(&waiter.token, event.id, tier, 1).await;
    }

    let mut requests: Vec<reqwest::RequestBuilder> = holders
        .iter()
        .zip(&sold)
        .map(|(holder, booking)| {
            app.client
                .post(app.url(&format!("/api/v1/bookings/{booking}/cancel")))
                .bearer_auth(&holder.token)
        })
        .collect();
    requests.extend(
        others
            .iter()
            .map(|other| app.booking(&other.token, &one(tier, 1), None)),
    );
    let answers = all_at_once(requests).await;
    let (cancels, bookings) = answers.split_at(20);
    assert_eq!(count_status(cancels, StatusCode::OK), 20);
    assert_eq!(
        count_status(bookings, StatusCode::CONFLICT),
        100,
        "none of the 100 got a returned ticket"
    );

    for (index, waiter) in waiters.iter().enumerate() {
        let offers = app.offers_of(&waiter.token).await;
        if index < 20 {
            assert_eq!(offers.len(), 1, "waiter {index} is offered one");
            assert_eq!(offers[0].items[0].quantity, 1);
            assert_eq!(offers[0].status, BookingStatus::Pending);
        } else {
            assert!(offers.is_empty(), "waiter {index} is not reached yet");
            let place: Vec<WaitingListPlace> = app
                .get_ok(
                    Some(&waiter.token),
                    &format!("/api/v1/events/{}/waiting-list", event.id),
                )
                .await;
            assert_eq!(place[0].position, i64::try_from(index).unwrap() - 19);
        }
    }
    let offered = app
        .scalar(
            "SELECT count(*) AS value FROM bookings b JOIN booking_items bi ON bi.booking_id = b.id \
             WHERE b.origin = 'waitingList'",
        )
        .await;
    assert_eq!(
        offered, 20,
        "every returned ticket offered once, to one waiter"
    );
    let sold_directly = app
        .scalar(
            "SELECT count(*) AS value FROM bookings \
             WHERE origin = 'direct' AND status IN ('pending', 'confirmed')",
        )
        .await;
    assert_eq!(
        sold_directly, 0,
        "no ticket reached public sale in the storm"
    );
    assert_eq!(app.remaining(tier).await, 0);
    app.assert_conservation().await;
}
