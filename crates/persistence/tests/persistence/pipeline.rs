//! The booking pipeline decides the same whether requests come alone or together: the same
//! requests, sent one transaction each to one database and as one batch to another that
//! holds the same rows, get the same verdicts and leave the same state. Requests mix
//! tiers, events, multi-item carts, sold-out and draft events, per-person limits and
//! repeated idempotency keys (replays and reuses).

use std::collections::HashMap;

use booking_domain::lifecycle::Checkout;
use booking_domain::{BookingReference, BookingRequest, BookingStatus, RawItem};
use booking_local_db::test_db::TestDatabase;
use booking_persistence::bookings::{BatchOutcome, CreateBookingError, Idempotency, Order};
use booking_persistence::database_admin;
use chrono::Utc;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use proptest::prelude::*;
use uuid::Uuid;

const ORGANIZER: Uuid = Uuid::from_u128(0x100);
const BUYERS: [Uuid; 3] = [
    Uuid::from_u128(0x101),
    Uuid::from_u128(0x102),
    Uuid::from_u128(0x103),
];
/// A published event with two tiers and a limit of 3 per person, a published one-tier
/// event with a limit of 2, and a draft.
const EVENTS: [Uuid; 3] = [
    Uuid::from_u128(0x201),
    Uuid::from_u128(0x202),
    Uuid::from_u128(0x203),
];
/// (tier, its event, tickets): few enough that requests run out of them.
const TIERS: [(Uuid, Uuid, i32); 4] = [
    (Uuid::from_u128(0x301), EVENTS[0], 4),
    (Uuid::from_u128(0x302), EVENTS[0], 2),
    (Uuid::from_u128(0x303), EVENTS[1], 3),
    (Uuid::from_u128(0x304), EVENTS[2], 10),
];

async fn database_with_the_fixture() -> (TestDatabase, AsyncPgConnection) {
    let db = TestDatabase::create().await.expect("test database");
    let mut conn = database_admin::connect(db.url()).await.expect("connect");
    let mut sql = format!(
        "INSERT INTO users (id, email, name, password_hash, role) VALUES \
         ('{ORGANIZER}', 'organizer@example.com', 'Organizer', 'x', 'organizer');"
    );
    for (index, buyer) in BUYERS.iter().enumerate() {
        sql += &format!(
            "INSERT INTO users (id, email, name, password_hash) VALUES \
             ('{buyer}', 'buyer{index}@example.com', 'Buyer {index}', 'x');"
        );
    }
    for (event, status, limit) in [
        (EVENTS[0], "published", 3),
        (EVENTS[1], "published", 2),
        (EVENTS[2], "draft", 4),
    ] {
        sql += &format!(
            "INSERT INTO events (id, organizer_id, title, venue, starts_at, status, \
             max_tickets_per_user) VALUES ('{event}', '{ORGANIZER}', 'Event {event}', \
             'Hall', now() + interval '1 day', '{status}', {limit});"
        );
    }
    for (position, (tier, event, tickets)) in TIERS.iter().enumerate() {
        sql += &format!(
            "INSERT INTO ticket_tiers (id, event_id, name, price_cents, currency, capacity, \
             remaining, position) VALUES ('{tier}', '{event}', 'Tier {position}', \
             {price}, 'USD', {tickets}, {tickets}, {position});",
            price = 1_000 * (position + 1)
        );
    }
    conn.batch_execute(&sql).await.expect("the fixture");
    (db, conn)
}

/// What a request asks for, by index into the fixture.
#[derive(Debug, Clone)]
struct Spec {
    buyer: usize,
    /// (target, quantity): a tier by index 0..4, or an event by index 4..7.
    items: Vec<(usize, i64)>,
    /// One of two keys, or none.
    key: Option<u8>,
    /// Checks out with a hold (pending until paid) rather than instantly.
    hold: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..BUYERS.len(),
        prop::collection::vec((0..7_usize, 1..=3_i64), 1..=2),
        prop::option::weighted(0.5, 0..2_u8),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(buyer, items, key, hold)| Spec {
            buyer,
            items,
            key,
            hold,
        })
}

fn order(spec: &Spec) -> Option<Order> {
    let raw: Vec<RawItem> = spec
        .items
        .iter()
        .map(|&(target, quantity)| {
            let (tier_id, event_id) = match TIERS.get(target) {
                Some((tier, _, _)) => (Some(*tier), None),
                None => (None, Some(EVENTS[target - TIERS.len()])),
            };
            RawItem {
                tier_id,
                event_id,
                quantity,
            }
        })
        .collect();
    // Requests the handler would refuse before the pipeline (a target twice) are skipped.
    let request = BookingRequest::parse(&raw).ok()?;
    let idempotency = spec.key.map(|key| Idempotency {
        key: format!("key-{key}"),
        // The same key with the same items replays; with others it is a reuse.
        request_hash: format!("{:?}", spec.items).into_bytes(),
    });
    Some(Order {
        user_id: BUYERS[spec.buyer],
        request,
        idempotency,
        checkout: if spec.hold {
            Checkout::Hold
        } else {
            Checkout::Instant
        },
        admitted_to: None,
    })
}

/// A request's answer with what differs between databases (ids, references) taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Booked {
        items: Vec<(Uuid, i32)>,
        total: i64,
        status: BookingStatus,
    },
    /// The booking request number `n` made.
    Replays(usize),
    Refused(CreateBookingError),
}

fn verdicts(
    answers: Vec<Result<booking_persistence::bookings::CreatedBooking, CreateBookingError>>,
) -> Vec<Verdict> {
    let mut made_by: HashMap<Uuid, usize> = HashMap::new();
    answers
        .into_iter()
        .enumerate()
        .map(|(index, answer)| match answer {
            Ok(created) if created.replayed => Verdict::Replays(made_by[&created.booking.id]),
            Ok(created) => {
                made_by.insert(created.booking.id, index);
                Verdict::Booked {
                    items: created
                        .booking
                        .items
                        .iter()
                        .map(|item| (item.tier_id, item.quantity))
                        .collect(),
                    total: created.booking.total_cents,
                    status: created.booking.status,
                }
            }
            Err(refusal) => Verdict::Refused(refusal),
        })
        .collect()
}

fn reference() -> BookingReference {
    let random = Uuid::new_v4();
    let mut bytes = [0_u8; booking_domain::reference::REFERENCE_CHARS];
    let length = bytes.len();
    bytes.copy_from_slice(&random.as_bytes()[..length]);
    BookingReference::from_random(bytes)
}

async fn batch(conn: &mut AsyncPgConnection, orders: &[Order]) -> BatchOutcome {
    booking_persistence::bookings::create_batch(conn, orders, false, Utc::now(), reference)
        .await
        .expect("the batch commits")
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Row {
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// Every count the bookings change: tiers' remaining, each buyer's tickets per tier and
/// their holdings per event, bookings per status.
async fn state(conn: &mut AsyncPgConnection) -> Vec<Row> {
    diesel::sql_query(
        "SELECT 'remaining ' || id AS what, remaining::bigint AS value FROM ticket_tiers \
         UNION ALL SELECT 'sold ' || user_id || ' ' || tier_id, sum(quantity) \
           FROM booking_items GROUP BY user_id, tier_id \
         UNION ALL SELECT 'held ' || user_id || ' ' || event_id, quantity \
           FROM ticket_holdings WHERE quantity > 0 \
         UNION ALL SELECT 'bookings ' || status, count(*) FROM bookings GROUP BY status \
         ORDER BY what",
    )
    .load(conn)
    .await
    .unwrap()
}

/// Runs `specs` both ways, checks they agree, and returns the verdicts.
async fn lone_and_batched_agree(specs: Vec<Spec>) -> Vec<Verdict> {
    let orders: Vec<Order> = specs.iter().filter_map(order).collect();
    let (_lone_db, mut lone) = database_with_the_fixture().await;
    let (_batched_db, mut batched) = database_with_the_fixture().await;

    let mut one_by_one = Vec::new();
    for order in &orders {
        one_by_one.extend(batch(&mut lone, std::slice::from_ref(order)).await.answers);
    }
    let together = batch(&mut batched, &orders).await.answers;

    let together = verdicts(together);
    assert_eq!(verdicts(one_by_one), together, "{orders:#?}");
    assert_eq!(state(&mut lone).await, state(&mut batched).await);
    together
}

proptest! {
    // Each case makes two databases: enough cases to meet every rule, few enough to stay
    // quick on two cores.
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn requests_get_the_same_verdicts_and_state_alone_as_in_one_batch(
        specs in prop::collection::vec(spec(), 1..=12)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(lone_and_batched_agree(specs));
    }
}

fn spec_of(buyer: usize, items: &[(usize, i64)], key: Option<u8>) -> Spec {
    Spec {
        buyer,
        items: items.to_vec(),
        key,
        hold: false,
    }
}

/// The generator's space holds every rule: one fixed mix shows each verdict once, alone
/// and batched alike.
#[tokio::test]
async fn a_mix_meeting_every_rule_agrees_alone_and_batched() {
    let specs = vec![
        spec_of(0, &[(0, 2), (1, 1)], Some(0)), // books two tiers of one event
        spec_of(0, &[(0, 2), (1, 1)], Some(0)), // the same key and body: a replay
        spec_of(0, &[(0, 1)], Some(0)),         // the same key, another body
        Spec {
            hold: true, // holds the second event, pending until paid
            ..spec_of(0, &[(2, 1)], None)
        },
        spec_of(1, &[(1, 2)], None),         // one left of two: sold out
        spec_of(1, &[(0, 2), (2, 2)], None), // books a cart across events
        spec_of(1, &[(5, 1)], None),         // eventId of the one-tier event: over 2
        spec_of(2, &[(4, 1)], None),         // eventId of an event with two tiers
        spec_of(2, &[(3, 1)], None),         // a draft
        spec_of(2, &[(6, 1)], None),         // eventId of the draft
    ];
    let verdicts = lone_and_batched_agree(specs).await;
    let kinds: Vec<String> = verdicts
        .iter()
        .map(|verdict| match verdict {
            Verdict::Booked { status, .. } => format!("booked {}", status.as_str()),
            Verdict::Replays(n) => format!("replays {n}"),
            Verdict::Refused(CreateBookingError::Rejected(rejection)) => format!("{rejection:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap_or_default()
                .to_owned(),
            Verdict::Refused(refusal) => format!("{refusal:?}")
                .split(['(', ' '])
                .next()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "booked confirmed",
            "replays 0",
            "IdempotencyKeyReused",
            "booked pending",
            "InsufficientTickets",
            "booked confirmed",
            "TicketLimitExceeded",
            "Unresolved",
            "EventNotBookable",
            "EventNotBookable",
        ]
    );
}
