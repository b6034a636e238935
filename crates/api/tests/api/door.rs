//! Tickets on confirmed bookings, and checking them in at the door
//! (`POST /events/{id}/check-ins`, `GET /events/{id}/check-ins/summary`).

use booking_dto::{Booking, CheckIn, CheckInSummary};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    CreatedEvent, EventSpec, TestApp, all_at_once, count_status, expect_problem, second_instance,
    spawn_app,
};

/// A published event with a GA tier of 10 and a VIP tier of 5.
async fn event(app: &TestApp, title: &str) -> CreatedEvent {
    app.create_event(&EventSpec::published(
        title,
        4,
        vec![("GA", 2_000, 10), ("VIP", 9_000, 5)],
    ))
    .await
}

impl TestApp {
    /// A scan of `code` at the door of `event`, as `token`, built but not sent.
    pub fn scanning(
        &self,
        base: &str,
        token: &str,
        event: Uuid,
        code: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{base}/api/v1/events/{event}/check-ins"))
            .bearer_auth(token)
            .json(&json!({ "code": code }))
    }

    pub async fn scan(&self, token: &str, event: Uuid, code: &str) -> reqwest::Response {
        self.scanning(&self.url(""), token, event, code)
            .send()
            .await
            .expect("request")
    }
}

/// `ga` GA and `vip` VIP tickets of `event` (a tier asked none of is left out).
fn items(event: &CreatedEvent, ga: i64, vip: i64) -> Value {
    let lines: Vec<Value> = [(event.tier_ids[0], ga), (event.tier_ids[1], vip)]
        .into_iter()
        .filter(|&(_, quantity)| quantity > 0)
        .map(|(tier, quantity)| json!({ "tierId": tier, "quantity": quantity }))
        .collect();
    Value::Array(lines)
}

#[tokio::test]
async fn a_confirmed_booking_has_one_signed_ticket_per_unit_and_a_hold_none() {
    let app = spawn_app().await;
    let event = event(&app, "Tickets").await;
    let (buyer, _) = app.signed_up("ticketed@example.com").await;

    let booking = app.booked(&buyer.access_token, &items(&event, 2, 1)).await;

    assert_eq!(booking.tickets.len(), 3);
    let tiers: Vec<&str> = booking
        .tickets
        .iter()
        .map(|t| t.tier_name.as_str())
        .collect();
    assert_eq!(tiers, ["GA", "GA", "VIP"]);
    let mut ids: Vec<Uuid> = booking.tickets.iter().map(|t| t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert!(
        booking
            .tickets
            .iter()
            .all(|t| t.holder_name == buyer.user.name
                && t.checked_in_at.is_none()
                && t.code.starts_with("BKT1."))
    );
    // A read shows the same tickets with the same codes.
    let read: Booking = app
        .get_ok(
            Some(&buyer.access_token),
            &format!("/api/v1/bookings/{}", booking.id),
        )
        .await;
    assert_eq!(read.tickets, booking.tickets);
    let hold = app
        .held(
            &buyer.access_token,
            &json!([{ "tierId": event.tier_ids[0], "quantity": 1 }]),
        )
        .await;
    assert!(hold.tickets.is_empty());
}

#[tokio::test]
async fn a_ticket_is_admitted_once_then_refused_with_the_first_scans_time() {
    let app = spawn_app().await;
    let event = event(&app, "Door").await;
    let organizer = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    let (buyer, _) = app.signed_up("guest@example.com").await;
    let booking = app.booked(&buyer.access_token, &items(&event, 1, 1)).await;
    let ticket = &booking.tickets[1];

    let first = app.scan(&organizer, event.id, &ticket.code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let admitted: CheckIn = first.json().await.unwrap();
    assert_eq!(
        (
            admitted.ticket_id,
            admitted.holder_name.as_str(),
            admitted.tier_name.as_str()
        ),
        (ticket.id, buyer.user.name.as_str(), "VIP")
    );

    let again = app.scan(&organizer, event.id, &ticket.code).await;
    let problem = expect_problem(again, StatusCode::CONFLICT, "AlreadyCheckedIn").await;
    assert_eq!(problem.checked_in_at, Some(admitted.checked_in_at));

    let read: Booking = app
        .get_ok(
            Some(&buyer.access_token),
            &format!("/api/v1/bookings/{}", booking.id),
        )
        .await;
    assert_eq!(read.tickets[1].checked_in_at, Some(admitted.checked_in_at));
    assert_eq!(read.tickets[0].checked_in_at, None);
    let summary: CheckInSummary = app
        .get_ok(
            Some(&organizer),
            &format!("/api/v1/events/{}/check-ins/summary", event.id),
        )
        .await;
    assert_eq!((summary.checked_in, summary.total), (1, 2));
    let per_tier: Vec<(&str, i64, i64)> = summary
        .tiers
        .iter()
        .map(|t| (t.tier_name.as_str(), t.checked_in, t.total))
        .collect();
    assert_eq!(per_tier, [("GA", 0, 1), ("VIP", 1, 1)]);
    let logged = app
        .scalar("SELECT count(*) AS value FROM check_in_scans WHERE result = 'admitted'")
        .await;
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn forged_foreign_and_cancelled_tickets_are_refused_and_every_scan_is_logged() {
    let app = spawn_app().await;
    let door = event(&app, "Door A").await;
    let elsewhere = app
        .create_event(&EventSpec::published("Door B", 4, vec![("GA", 1_000, 10)]))
        .await;
    let organizer = app.token_for_role(&door.organizer_email, "organizer").await;
    let (buyer, _) = app.signed_up("forger@example.com").await;
    let mine = app.booked(&buyer.access_token, &items(&door, 2, 0)).await;
    let other = app
        .booked(
            &buyer.access_token,
            &json!([{ "tierId": elsewhere.tier_ids[0], "quantity": 1 }]),
        )
        .await;

    // One character of a genuine code changed: refused without a lookup.
    let code = &mine.tickets[0].code;
    let mut altered: Vec<char> = code.chars().collect();
    let last = altered.len() - 3;
    altered[last] = if altered[last] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    for forged in [altered.as_str(), "BKT1.AAAAAAAA", "hello"] {
        let refused = app.scan(&organizer, door.id, forged).await;
        expect_problem(refused, StatusCode::BAD_REQUEST, "InvalidTicketCode").await;
    }
    // Another event's ticket, genuine, at this door.
    let foreign = app.scan(&organizer, door.id, &other.tickets[0].code).await;
    expect_problem(foreign, StatusCode::NOT_FOUND, "TicketNotFound").await;
    // Cancelling voids the booking's tickets.
    let cancelled = app
        .client
        .post(app.url(&format!("/api/v1/bookings/{}/cancel", mine.id)))
        .bearer_auth(&buyer.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert!(
        cancelled
            .json::<Booking>()
            .await
            .unwrap()
            .tickets
            .is_empty()
    );
    let void = app.scan(&organizer, door.id, code).await;
    expect_problem(void, StatusCode::CONFLICT, "TicketVoid").await;
    // A buyer is not the door.
    let buyer_scan = app.scan(&buyer.access_token, door.id, code).await;
    expect_problem(buyer_scan, StatusCode::FORBIDDEN, "Forbidden").await;

    let logged = app
        .scalar(
            "SELECT count(*) AS value FROM check_in_scans \
             WHERE result IN ('invalid', 'notFound', 'void')",
        )
        .await;
    assert_eq!(logged, 5);
}

/// Two doors (two api instances) scan one ticket 50 times at the same instant: it is
/// admitted exactly once.
#[tokio::test]
async fn fifty_simultaneous_scans_across_two_instances_admit_a_ticket_once() {
    let app = spawn_app().await;
    let other_door = second_instance(&app, |_| {}).await;
    let event = event(&app, "Rush").await;
    let organizer = app
        .token_for_role(&event.organizer_email, "organizer")
        .await;
    let (buyer, _) = app.signed_up("rush@example.com").await;
    let booking = app.booked(&buyer.access_token, &items(&event, 1, 0)).await;
    let code = &booking.tickets[0].code;

    let scans = (0..50)
        .map(|n| {
            let base = if n % 2 == 0 {
                app.url("")
            } else {
                other_door.clone()
            };
            app.scanning(&base, &organizer, event.id, code)
        })
        .collect();
    let answers = all_at_once(scans).await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1);
    assert_eq!(count_status(&answers, StatusCode::CONFLICT), 49);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM check_ins").await,
        1
    );
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM check_in_scans")
            .await,
        50
    );
}
