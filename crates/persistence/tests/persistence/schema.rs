//! What the database itself guarantees, whatever the application code does.

use booking_local_db::test_db::TestDatabase;
use booking_persistence::database_admin;
use booking_persistence::seed::{self, SeedOutcome};
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

async fn fresh() -> (TestDatabase, AsyncPgConnection) {
    let db = TestDatabase::create().await.expect("test database");
    let conn = database_admin::connect(db.url()).await.expect("connect");
    (db, conn)
}

async fn seeded() -> (TestDatabase, AsyncPgConnection) {
    let (db, mut conn) = fresh().await;
    let outcome = seed::seed(
        &mut conn,
        "$2b$04$notarealhashnotarealhashnotarealhashnotarealhas",
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        SeedOutcome::Seeded {
            users: 5,
            events: 5
        }
    );
    (db, conn)
}

#[derive(QueryableByName, Debug, PartialEq)]
struct TierRow {
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    price_cents: i64,
    #[diesel(sql_type = Integer)]
    capacity: i32,
    #[diesel(sql_type = Integer)]
    remaining: i32,
    #[diesel(sql_type = Integer)]
    max_tickets_per_user: i32,
}

async fn tiers(conn: &mut AsyncPgConnection) -> Vec<TierRow> {
    diesel::sql_query(
        "SELECT e.title, t.name, t.price_cents, t.capacity, t.remaining, e.max_tickets_per_user \
         FROM ticket_tiers t JOIN events e ON e.id = t.event_id \
         WHERE e.status = 'published' AND e.starts_at > now() ORDER BY e.title, t.position",
    )
    .load(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn seed_creates_the_documented_accounts_and_events() {
    let (_db, mut conn) = seeded().await;
    let rows = tiers(&mut conn).await;
    let titles: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles.len(), 5, "five published future events");

    let limited: Vec<&TierRow> = rows
        .iter()
        .filter(|r| r.title == "Limited Concert")
        .collect();
    assert_eq!(limited.len(), 1);
    assert_eq!(
        (
            limited[0].capacity,
            limited[0].remaining,
            limited[0].max_tickets_per_user
        ),
        (2, 2, 1)
    );

    let tiered: Vec<(&str, i64)> = rows
        .iter()
        .filter(|r| r.title == "Summer Open Air Festival")
        .map(|r| (r.name.as_str(), r.price_cents))
        .collect();
    assert_eq!(
        tiered,
        [
            ("VIP", 10_000),
            ("Front Row", 5_000),
            ("General Admission", 1_000)
        ]
    );

    #[derive(QueryableByName)]
    struct Account {
        #[diesel(sql_type = Text)]
        email: String,
        #[diesel(sql_type = Text)]
        role: String,
    }
    let accounts: Vec<Account> = diesel::sql_query("SELECT email, role FROM users ORDER BY email")
        .load(&mut conn)
        .await
        .unwrap();
    let accounts: Vec<(String, String)> = accounts.into_iter().map(|a| (a.email, a.role)).collect();
    assert_eq!(
        accounts,
        [
            ("admin@example.com".into(), "admin".into()),
            ("alice@example.com".into(), "customer".into()),
            ("bob@example.com".into(), "customer".into()),
            ("charlie@example.com".into(), "customer".into()),
            ("organizer@example.com".into(), "organizer".into()),
        ]
    );
}

#[tokio::test]
async fn seeding_twice_leaves_the_data_alone() {
    let (_db, mut conn) = seeded().await;
    let before = tiers(&mut conn).await;
    let again = seed::seed(&mut conn, "other", Utc::now()).await.unwrap();
    assert_eq!(again, SeedOutcome::AlreadySeeded);
    assert_eq!(tiers(&mut conn).await, before);
}

#[tokio::test]
async fn the_database_refuses_negative_or_excess_remaining_tickets() {
    let (_db, mut conn) = seeded().await;
    for sql in [
        "UPDATE ticket_tiers SET remaining = -1",
        "UPDATE ticket_tiers SET remaining = capacity + 1",
        "UPDATE ticket_tiers SET capacity = -1, remaining = 0",
        "UPDATE ticket_tiers SET price_cents = -1",
        "UPDATE ticket_tiers SET currency = 'usd'",
        "UPDATE events SET status = 'sold'",
        "UPDATE events SET max_tickets_per_user = 0",
    ] {
        let error = conn.batch_execute(sql).await.unwrap_err();
        assert!(
            error.to_string().contains("violates check constraint"),
            "{sql}: {error}"
        );
    }
}

#[tokio::test]
async fn a_booking_item_names_the_same_buyer_as_its_booking() {
    let (_db, mut conn) = seeded().await;
    let error = conn
        .batch_execute(
            "WITH b AS (\
                 INSERT INTO bookings (reference, user_id, status, total_cents, currency) \
                 SELECT 'BK-AAAAAA', id, 'confirmed', 1000, 'USD' FROM users \
                  WHERE email = 'alice@example.com' RETURNING id) \
             INSERT INTO booking_items (booking_id, user_id, tier_id, event_id, quantity, unit_price_cents) \
             SELECT b.id, (SELECT id FROM users WHERE email = 'bob@example.com'), t.id, t.event_id, 1, 1000 \
               FROM b, ticket_tiers t LIMIT 1",
        )
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("booking_items_booking_user_fkey"),
        "{error}"
    );
}

#[tokio::test]
async fn the_database_refuses_mixed_case_and_duplicate_emails() {
    let (_db, mut conn) = seeded().await;
    let mixed = conn
        .batch_execute(
            "INSERT INTO users (email, name, password_hash) VALUES ('Eve@example.com', 'Eve', 'x')",
        )
        .await
        .unwrap_err();
    assert!(
        mixed.to_string().contains("users_email_lowercase"),
        "{mixed}"
    );
    let duplicate = conn
        .batch_execute("INSERT INTO users (email, name, password_hash) VALUES ('alice@example.com', 'Alice 2', 'x')")
        .await
        .unwrap_err();
    assert!(
        duplicate.to_string().contains("users_email_key"),
        "{duplicate}"
    );
}

#[derive(QueryableByName)]
struct Num {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn number(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    let row: Num = diesel::sql_query(sql).get_result(conn).await.unwrap();
    row.n
}

#[tokio::test]
async fn the_lowest_price_follows_tier_prices_but_bookings_never_touch_the_event_row() {
    let (_db, mut conn) = seeded().await;
    let festival = "(SELECT id FROM events WHERE title = 'Summer Open Air Festival')";
    let lowest = format!("SELECT lowest_price_cents AS n FROM events WHERE id = {festival}");
    assert_eq!(number(&mut conn, &lowest).await, 1_000);

    conn.batch_execute(&format!(
        "UPDATE ticket_tiers SET price_cents = 700 WHERE event_id = {festival} AND name = 'VIP'"
    ))
    .await
    .unwrap();
    assert_eq!(number(&mut conn, &lowest).await, 700);
    conn.batch_execute(&format!(
        "DELETE FROM ticket_tiers WHERE event_id = {festival} AND name = 'VIP'"
    ))
    .await
    .unwrap();
    assert_eq!(number(&mut conn, &lowest).await, 1_000);

    // A booking's decrement must not rewrite (or lock) the event row: same row version.
    let version = format!("SELECT xmin::text::bigint AS n FROM events WHERE id = {festival}");
    let before = number(&mut conn, &version).await;
    conn.batch_execute(&format!(
        "UPDATE ticket_tiers SET remaining = remaining - 1 WHERE event_id = {festival}"
    ))
    .await
    .unwrap();
    assert_eq!(number(&mut conn, &version).await, before);
}

#[derive(QueryableByName)]
struct Ids {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    tier_id: uuid::Uuid,
}

static DRAWS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// BK-000000 on the first two draws, then BK-111111.
fn taken_then_fresh() -> booking_domain::BookingReference {
    let draw = DRAWS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    booking_domain::BookingReference::from_random([u8::from(draw >= 2); 6])
}

#[tokio::test]
async fn a_taken_booking_reference_is_drawn_again_and_nothing_is_booked_twice() {
    let (_db, mut conn) = seeded().await;
    let ids: Ids = diesel::sql_query(
        "SELECT (SELECT id FROM users WHERE email = 'alice@example.com') AS user_id, \
                (SELECT t.id FROM ticket_tiers t JOIN events e ON e.id = t.event_id \
                  WHERE e.title = 'Summer Open Air Festival' AND t.name = 'VIP') AS tier_id",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    let request = booking_domain::BookingRequest::parse(&[booking_domain::RawItem {
        tier_id: Some(ids.tier_id),
        event_id: None,
        quantity: 1,
    }])
    .unwrap();
    let order = booking_persistence::bookings::Order {
        user_id: ids.user_id,
        request,
        idempotency: None,
        checkout: booking_domain::lifecycle::Checkout::Hold,
        admitted_to: None,
    };
    let book = async |conn: &mut AsyncPgConnection| {
        let outcome = booking_persistence::bookings::create_batch(
            conn,
            std::slice::from_ref(&order),
            false,
            Utc::now(),
            taken_then_fresh,
        )
        .await
        .unwrap();
        let booking = outcome.answers.into_iter().next().unwrap().unwrap();
        (booking, outcome.changes)
    };

    let first = book(&mut conn).await;
    let second = book(&mut conn).await;

    assert_eq!(first.0.booking.reference, "BK-000000");
    assert_eq!(second.0.booking.reference, "BK-111111");
    // Spelled out: diesel's RunQueryDsl also has a `load`.
    let draws = std::sync::atomic::AtomicUsize::load(&DRAWS, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(draws, 3);
    let sold: i64 = diesel::sql_query(
        "SELECT (capacity - remaining)::bigint AS value FROM ticket_tiers WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(ids.tier_id)
    .get_result::<Value>(&mut conn)
    .await
    .unwrap()
    .value;
    assert_eq!(sold, 2, "the rolled-back attempt took no ticket");
    assert_eq!(
        second.1.iter().map(|c| c.remaining).collect::<Vec<_>>(),
        [48]
    );
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = BigInt)]
    value: i64,
}
