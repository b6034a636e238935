//! The on-sale: a sale start, and a waiting room that admits buyers at a set pace, against
//! real servers (two of them where it matters) and a real database.

use std::time::Duration;

use booking_dto::{ClientMessage, Event, QueueState, QueueStatus, ServerMessage};
use booking_load::live::LiveClient;
use chrono::{TimeDelta, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Buyer, CreatedEvent, EventSpec, TestApp, expect_problem, spawn_app, stoppable_second_instance,
};

fn one(tier: Uuid) -> Value {
    json!([{ "tierId": tier, "quantity": 1 }])
}

impl TestApp {
    /// An event on sale from `sales_in` from now, its waiting room admitting
    /// `per_minute` buyers a minute.
    async fn room_event(
        &self,
        capacity: i32,
        per_minute: i32,
        sales_in: TimeDelta,
    ) -> CreatedEvent {
        let event = self
            .create_event(&EventSpec::published(
                "On sale",
                4,
                vec![("GA", 5_000, capacity)],
            ))
            .await;
        let sales_start = Utc::now() + sales_in;
        self.execute(&format!(
            "UPDATE events SET sales_start_at = '{}' WHERE id = '{}'; \
             INSERT INTO waiting_rooms (event_id, admit_per_minute, opens_minutes) \
             VALUES ('{}', {per_minute}, 15)",
            sales_start.to_rfc3339(),
            event.id,
            event.id,
        ))
        .await;
        event
    }

    async fn take_place(&self, token: &str, event: Uuid) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/events/{event}/queue")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    async fn standing(&self, token: &str, event: Uuid) -> QueueStatus {
        self.get_ok(Some(token), &format!("/api/v1/events/{event}/queue/me"))
            .await
    }

    /// Waits (up to 20 s) until the buyer's standing is `state`.
    async fn until_standing(&self, token: &str, event: Uuid, state: QueueState) -> QueueStatus {
        for _ in 0..200 {
            let standing = self.standing(token, event).await;
            if standing.status == state {
                return standing;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never {state:?}");
    }

    fn booking_with_pass(
        &self,
        token: &str,
        tier: Uuid,
        pass: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self.booking(token, &one(tier), None);
        match pass {
            Some(pass) => request.header("Queue-Pass", pass),
            None => request,
        }
    }
}

async fn send(request: reqwest::RequestBuilder) -> Response {
    request.send().await.expect("request")
}

#[tokio::test]
async fn booking_waits_for_the_sale_start_which_the_event_shows() {
    let app = spawn_app().await;
    let organizer = app.token_for_role("org@example.com", "organizer").await;
    let starts_at = Utc::now() + TimeDelta::days(7);
    let create = |body: Value| {
        app.client
            .post(app.url("/api/v1/events"))
            .bearer_auth(&organizer)
            .json(&body)
            .send()
    };
    let base = json!({
        "title": "Big on-sale", "venue": "Arena", "startsAt": starts_at,
        "tiers": [{ "name": "GA", "priceCents": 5000, "currency": "USD", "capacity": 10 }]
    });
    let mut late = base.clone();
    late["salesStartAt"] = json!(starts_at);
    let refused = expect_problem(
        create(late).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "ValidationError",
    )
    .await;
    assert_eq!(refused.errors[0].field, "salesStartAt");
    let mut roomless = base.clone();
    roomless["waitingRoom"] = json!({ "admitPerMinute": 600 });
    let refused = expect_problem(
        create(roomless).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "ValidationError",
    )
    .await;
    assert_eq!(refused.errors[0].field, "waitingRoom");

    let sales_start = Utc::now() + TimeDelta::seconds(3);
    let mut timed = base.clone();
    timed["salesStartAt"] = json!(sales_start);
    let created: Event = create(timed).await.unwrap().json().await.unwrap();
    assert!(created.sales_start_at.is_some());
    assert_eq!(created.waiting_room, None);
    let published = app
        .client
        .post(app.url(&format!("/api/v1/events/{}/publish", created.id)))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);
    let shown: Event = app
        .get_ok(None, &format!("/api/v1/events/{}", created.id))
        .await;
    assert_eq!(
        shown.sales_start_at.map(|at| at.timestamp_micros()),
        Some(sales_start.timestamp_micros())
    );

    let buyer = &app.buyers(1).await[0];
    let tier = created.tiers[0].id;
    let early = app.book(&buyer.token, &one(tier), None).await;
    let problem = expect_problem(early, StatusCode::CONFLICT, "SalesNotStarted").await;
    assert_eq!(problem.event_id, Some(created.id));
    tokio::time::sleep((sales_start - Utc::now()).to_std().unwrap_or_default()).await;
    app.booked(&buyer.token, &one(tier)).await;

    // An edit can move the start, and `null` removes it.
    let edit = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/events/{}", created.id)))
            .bearer_auth(&organizer)
            .json(&body)
            .send()
    };
    let moved: Event = edit(json!({ "salesStartAt": starts_at - TimeDelta::days(1) }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(moved.sales_start_at.is_some());
    let cleared: Event = edit(json!({ "salesStartAt": null }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared.sales_start_at, None);
    app.booked(&buyer.token, &one(tier)).await;
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_pass_is_required_and_bound_to_its_account_and_its_event() {
    let app = spawn_app().await;
    let event = app.room_event(10, 600, TimeDelta::seconds(2)).await;
    let other = app.room_event(10, 600, TimeDelta::seconds(2)).await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(3).await;
    let (alice, bob, carol) = (&buyers[0].token, &buyers[1].token, &buyers[2].token);
    assert_eq!(
        app.take_place(alice, event.id).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.take_place(alice, event.id).await.status(),
        StatusCode::OK,
        "one place per account"
    );
    assert_eq!(
        app.take_place(bob, event.id).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.take_place(carol, other.id).await.status(),
        StatusCode::CREATED
    );
    let before = app.standing(alice, event.id).await;
    assert_eq!(
        (before.status, before.position, before.pass),
        (QueueState::Waiting, None, None)
    );

    let admitted = app
        .until_standing(alice, event.id, QueueState::Admitted)
        .await;
    let pass = admitted.pass.expect("a pass");
    let expires = admitted.pass_expires_at.expect("until when");
    assert!(expires > Utc::now() + TimeDelta::minutes(4));
    let bobs = app
        .until_standing(bob, event.id, QueueState::Admitted)
        .await
        .pass
        .unwrap();
    let carols = app
        .until_standing(carol, other.id, QueueState::Admitted)
        .await
        .pass
        .unwrap();

    for (who, pass) in [
        ("no pass", None),
        ("another account's", Some(bobs.as_str())),
        ("another event's", Some(carols.as_str())),
        ("a forged one", Some("QP1.AAAA")),
    ] {
        let refused = send(app.booking_with_pass(alice, tier, pass)).await;
        let problem = expect_problem(refused, StatusCode::FORBIDDEN, "QueuePassRequired").await;
        assert_eq!(problem.event_id, Some(event.id), "{who}");
    }
    // Carol's pass is hers, but not for this event: she cannot book it either.
    let carol_here = send(app.booking_with_pass(carol, tier, Some(&carols))).await;
    expect_problem(carol_here, StatusCode::FORBIDDEN, "QueuePassRequired").await;
    let booked = send(app.booking_with_pass(alice, tier, Some(&pass))).await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let held = app
        .holding(bob, &one(tier))
        .header("Queue-Pass", &bobs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.status(),
        StatusCode::CREATED,
        "a hold takes the pass too"
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn the_pre_start_draw_is_one_random_permutation_and_later_arrivals_queue_behind() {
    let app = spawn_app().await;
    // Slow enough that nobody is admitted while the test reads the places.
    let event = app.room_event(1_000, 1, TimeDelta::seconds(4)).await;
    let early = app.buyers(120).await;
    for chunk in early.chunks(20) {
        let places = chunk
            .iter()
            .map(|buyer| app.take_place(&buyer.token, event.id));
        for answer in futures::future::join_all(places).await {
            assert_eq!(answer.status(), StatusCode::CREATED);
        }
    }
    // The draw happens at the start whether or not anyone is admitted yet.
    let mut positions = Vec::new();
    for _ in 0..100 {
        positions.clear();
        for buyer in &early {
            positions.push(app.standing(&buyer.token, event.id).await.position);
        }
        if positions.iter().all(Option::is_some) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut drawn: Vec<i64> = positions.iter().map(|p| p.expect("drawn")).collect();
    let in_arrival_order = drawn.clone();
    drawn.sort_unstable();
    assert_eq!(
        drawn,
        (1..=120).collect::<Vec<_>>(),
        "every place once, none missing"
    );
    assert_ne!(in_arrival_order, drawn, "not arrival order");
    // The draw is kept: reading again changes nothing.
    let again = app.standing(&early[7].token, event.id).await.position;
    assert_eq!(again, positions[7]);
    let late = &app.buyers(1).await[0];
    let place: QueueStatus = app
        .take_place(&late.token, event.id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(place.position, Some(121), "a later arrival queues behind");
}

/// When each admitted place of the event's room was admitted, in order.
async fn admission_times(app: &TestApp, event: Uuid) -> Vec<chrono::DateTime<Utc>> {
    use booking_persistence::schema::queue_entries;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut times: Vec<chrono::DateTime<Utc>> = queue_entries::table
        .filter(queue_entries::event_id.eq(event))
        .filter(queue_entries::admitted_at.is_not_null())
        .select(queue_entries::admitted_at.assume_not_null())
        .load(&mut app.connection().await)
        .await
        .expect("admissions");
    times.sort_unstable();
    times
}

#[tokio::test]
async fn two_instances_never_admit_faster_than_the_set_rate_and_a_restart_loses_no_place() {
    let app = spawn_app().await;
    let (other, stopper) = stoppable_second_instance(&app).await;
    // Two a second.
    let event = app.room_event(1_000, 120, TimeDelta::seconds(2)).await;
    let buyers: Vec<Buyer> = app.buyers(24).await;
    for (index, buyer) in buyers.iter().enumerate() {
        let answer = if index % 2 == 0 {
            app.take_place(&buyer.token, event.id).await
        } else {
            app.client
                .post(format!("{other}/api/v1/events/{}/queue", event.id))
                .bearer_auth(&buyer.token)
                .send()
                .await
                .unwrap()
        };
        assert_eq!(answer.status(), StatusCode::CREATED);
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    // One instance stops mid-sale; the room lives on in the database.
    let places_before: Vec<Option<i64>> = {
        let mut places = Vec::new();
        for buyer in &buyers {
            places.push(app.standing(&buyer.token, event.id).await.position);
        }
        places
    };
    stopper.stop().await;
    for buyer in &buyers {
        app.until_standing(&buyer.token, event.id, QueueState::Admitted)
            .await;
    }
    for (buyer, before) in buyers.iter().zip(&places_before) {
        assert_eq!(app.standing(&buyer.token, event.id).await.position, *before);
    }
    let times = admission_times(&app, event.id).await;
    assert_eq!(times.len(), 24);
    for (index, start) in times.iter().enumerate() {
        let within_a_second = times[index..]
            .iter()
            .take_while(|at| **at < *start + TimeDelta::seconds(1))
            .count();
        assert!(
            within_a_second <= 2,
            "{within_a_second} admitted within a second of {start}"
        );
    }
}

#[tokio::test]
async fn selling_out_stops_admission_and_tells_everyone_at_once() {
    let app = spawn_app().await;
    let event = app.room_event(2, 6_000, TimeDelta::seconds(2)).await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(6).await;
    for buyer in &buyers {
        app.take_place(&buyer.token, event.id).await;
    }
    let (mut watcher, _) = LiveClient::connect(&app.address).await.unwrap();
    watcher
        .send(&ClientMessage::Subscribe {
            event_ids: vec![event.id],
        })
        .await
        .unwrap();
    // Two tickets: two passes at once, not six.
    let mut admitted = Vec::new();
    for _ in 0..100 {
        admitted.clear();
        for buyer in &buyers {
            let standing = app.standing(&buyer.token, event.id).await;
            if let Some(pass) = standing.pass {
                admitted.push((buyer.token.clone(), pass));
            }
        }
        if admitted.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(admitted.len(), 2);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for (token, pass) in &admitted {
        let booked = send(app.booking_with_pass(token, tier, Some(pass))).await;
        assert_eq!(booked.status(), StatusCode::CREATED);
    }
    let told = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(ServerMessage::Queue {
                sold_out: true,
                admitted_through,
                ..
            }) = watcher.next().await
            {
                return admitted_through;
            }
        }
    })
    .await
    .expect("a queue message saying sold out");
    assert_eq!(told, 2, "nobody more was let in");
    for buyer in &buyers {
        let standing = app.standing(&buyer.token, event.id).await;
        assert!(
            matches!(standing.status, QueueState::SoldOut | QueueState::Admitted),
            "{standing:?}"
        );
        if standing.status == QueueState::SoldOut {
            assert_eq!(standing.pass, None);
        }
    }
    app.assert_conservation().await;
}
