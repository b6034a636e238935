//! `booking-api seed`: demo data that stays useful after its dates pass or a race sells
//! it out.

use std::process::{Command, Output};

use booking_dto::AuthResponse;
use diesel::sql_types::Uuid as SqlUuid;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{EventSpec, PASSWORD, TestApp, spawn_app};

fn booking_api(app: &TestApp, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_booking-api"))
        .args(args)
        .env("DATABASE_URL", app.db.url())
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "booking-api {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn log_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

async fn event_titled(app: &TestApp, title: &str) -> uuid::Uuid {
    let mut conn = app.connection().await;
    let query = diesel::sql_query("SELECT id FROM events WHERE title = $1")
        .bind::<diesel::sql_types::Text, _>(title);
    diesel_async::RunQueryDsl::get_result::<Id>(query, &mut conn)
        .await
        .unwrap()
        .id
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "{email}");
    response.json::<AuthResponse>().await.unwrap().access_token
}

#[tokio::test]
async fn a_reset_brings_the_demo_events_back_and_leaves_other_data_alone() {
    let app = spawn_app().await;
    booking_api(&app, &["seed"]);
    let own_show = app
        .create_event(&EventSpec::published(
            "Own Show",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    let concert = event_titled(&app, "Limited Concert").await;
    let (alice, bob, charlie) = (
        signed_in(&app, "alice@example.com").await,
        signed_in(&app, "bob@example.com").await,
        signed_in(&app, "charlie@example.com").await,
    );
    app.booked(&alice, &json!([{ "eventId": concert, "quantity": 1 }]))
        .await;
    // One purchase across a demo event and another one.
    app.booked(
        &bob,
        &json!([{ "eventId": concert, "quantity": 1 }, { "eventId": own_show.id, "quantity": 2 }]),
    )
    .await;
    app.booked(
        &charlie,
        &json!([{ "eventId": own_show.id, "quantity": 3 }]),
    )
    .await;
    // Time passes for one demo event.
    app.execute(
        "UPDATE events SET starts_at = now() - interval '2 hours' \
         WHERE title = 'Jazz Night at the Harbour'",
    )
    .await;

    let log = log_of(&booking_api(&app, &["seed"]));
    assert!(log.contains("seed skipped"), "{log}");
    assert!(
        log.contains("demo events are past") && log.contains("Jazz Night"),
        "{log}"
    );
    assert!(
        log.contains("sold out") && log.contains("Limited Concert"),
        "{log}"
    );

    let log = log_of(&booking_api(&app, &["seed", "--reset"]));
    assert!(log.contains("demo data reset"), "{log}");
    assert!(log.contains("bookings_removed=2"), "{log}");

    let concert_again = event_titled(&app, "Limited Concert").await;
    assert_ne!(concert_again, concert, "made afresh");
    let on_sale = app
        .scalar(&format!(
            "SELECT sum(remaining)::bigint AS value FROM ticket_tiers WHERE event_id = '{concert_again}'"
        ))
        .await;
    assert_eq!(on_sale, 2);
    let demo_events_ahead = app
        .scalar(
            "SELECT count(*) AS value FROM events e JOIN users u ON u.id = e.organizer_id \
             WHERE u.email = 'organizer@example.com' AND e.starts_at > now() \
               AND e.status = 'published'",
        )
        .await;
    assert_eq!(demo_events_ahead, 5, "every demo event once, all ahead");
    // The other event keeps its own sale and gets back what bob's booking held of it.
    assert_eq!(app.remaining(own_show.tier_ids[0]).await, 7);
    let bookings = app.scalar("SELECT count(*) AS value FROM bookings").await;
    assert_eq!(bookings, 1, "charlie's booking of the other event stays");
    app.assert_conservation().await;
    // Accounts stay as they were.
    signed_in(&app, "alice@example.com").await;

    let log = log_of(&booking_api(&app, &["seed"]));
    assert!(
        !log.contains("demo events are"),
        "nothing stale any more: {log}"
    );
}

#[tokio::test]
async fn a_full_reset_leaves_exactly_the_seed() {
    let app = spawn_app().await;
    booking_api(&app, &["seed"]);
    let (newcomer, _) = app.signed_up("newcomer@example.com").await;
    let own_show = app
        .create_event(&EventSpec::published(
            "Own Show",
            4,
            vec![("GA", 1_000, 10)],
        ))
        .await;
    app.booked(
        &newcomer.access_token,
        &json!([{ "eventId": own_show.id, "quantity": 2 }]),
    )
    .await;

    let log = log_of(&booking_api(&app, &["seed", "--reset", "--all"]));
    assert!(log.contains("demo data reset"), "{log}");

    for (table, rows) in [
        ("users", 5),
        ("events", 5),
        ("bookings", 0),
        ("refresh_tokens", 0),
    ] {
        let count = app
            .scalar(&format!("SELECT count(*) AS value FROM {table}"))
            .await;
        assert_eq!(count, rows, "{table}");
    }
    let response = app.login("newcomer@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    signed_in(&app, "organizer@example.com").await;
}
