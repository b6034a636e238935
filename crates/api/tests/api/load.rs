//! The load tester (`booking-load`'s library) against the real server and database: the
//! race verdict can pass and can fail, storms report exactly what the database holds, and
//! an on-sale through a waiting room sells every ticket to the admitted buyers alone.
//! Like `just bench` (`RATE_LIMITS=off` in bench/lib.sh), they run with the abuse limits
//! off (`helpers::test_config`): a storm is one address signing up hundreds of buyers.

use std::time::Duration;

use booking_load::api::ApiClient;
use booking_load::door::{self, DoorOptions};
use booking_load::queue::{self, QueueOptions};
use booking_load::race::{self, RaceOptions, RaceTarget};
use booking_load::storm::{self, Stop, StormOptions};
use booking_load::watch::{self, WatchOptions};
use booking_persistence::seed::{SEED_PASSWORD, seed};
use chrono::Utc;

use crate::helpers::{TestApp, spawn_app_with};

async fn seeded_app() -> (TestApp, ApiClient) {
    seeded_app_with(|_| {}).await
}

async fn seeded_app_with(
    adjust: impl FnOnce(&mut booking_api::config::Config),
) -> (TestApp, ApiClient) {
    let app = spawn_app_with(adjust).await;
    let hash = booking_api::auth::password::hash_now(SEED_PASSWORD, 4).unwrap();
    seed(&mut app.connection().await, &hash, Utc::now())
        .await
        .unwrap();
    let api = ApiClient::new(&app.address).unwrap();
    (app, api)
}

fn race_options(users: usize, event: &str, tier: Option<&str>) -> RaceOptions {
    RaceOptions {
        users,
        target: RaceTarget::Existing {
            event: event.into(),
            tier: tier.map(Into::into),
        },
    }
}

fn fresh_race(users: usize, tickets: u32, organizer_password: &str) -> RaceOptions {
    RaceOptions {
        users,
        target: RaceTarget::Fresh {
            tickets,
            organizer_email: "organizer@example.com".into(),
            organizer_password: organizer_password.into(),
        },
    }
}

fn storm_options(clients: usize, stop: Stop, events: usize, tickets: u32) -> StormOptions {
    StormOptions {
        clients,
        stop,
        tickets,
        events,
        quantity: 1,
        hold: false,
        buyers: None,
        retry_for: None,
        verify: false,
        watch: Vec::new(),
        organizer_email: "organizer@example.com".into(),
        organizer_password: SEED_PASSWORD.into(),
        progress: false,
    }
}

#[tokio::test]
async fn the_race_passes_on_the_seeded_limited_concert() {
    let (app, api) = seeded_app().await;

    let report = race::run(&api, &race_options(10, race::DEFAULT_EVENT, None))
        .await
        .unwrap();

    assert!(report.verdict.pass, "{report}");
    assert_eq!(report.left_before, 2);
    assert_eq!(report.remaining_after, 0);
    let booked = report
        .results
        .iter()
        .filter(|r| r.answer.status == Some(201));
    assert_eq!(booked.count(), 2);
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.answer.status == Some(409))
            .all(|r| r.answer.code.as_deref() == Some("InsufficientTickets")),
        "{report}"
    );
    assert!(report.to_string().ends_with("FINAL VERDICT: PASS"));
    app.assert_conservation().await;

    // The same race again finds nothing left: everyone is told 409, and that holds too.
    let again = race::run(&api, &race_options(5, race::DEFAULT_EVENT, None))
        .await
        .unwrap();
    assert_eq!(again.left_before, 0);
    assert!(again.verdict.pass, "{again}");
}

#[tokio::test]
async fn a_fresh_race_makes_its_own_event_and_passes_every_time() {
    let (app, api) = seeded_app().await;
    let mut events = std::collections::HashSet::new();
    for _ in 0..3 {
        let report = race::run(&api, &fresh_race(10, 3, SEED_PASSWORD))
            .await
            .unwrap();
        assert!(report.verdict.pass, "{report}");
        assert_eq!((report.left_before, report.remaining_after), (3, 0));
        assert!(report.event_title.starts_with("Race "), "{report}");
        events.insert(report.event_id);
    }
    assert_eq!(events.len(), 3, "each race made an event of its own");
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_fresh_race_with_a_wrong_organizer_password_cannot_run_and_says_why() {
    let (_app, api) = seeded_app().await;
    let error = race::run(&api, &fresh_race(3, 2, "not-the-password1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, race::RaceError::OrganizerSignIn { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("cannot sign in as the organizer organizer@example.com"),
        "{message}"
    );
}

#[tokio::test]
async fn the_race_fails_on_an_event_it_cannot_sell_out() {
    let (app, api) = seeded_app().await;

    let report = race::run(
        &api,
        &race_options(5, "Summer Open Air Festival", Some("general admission")),
    )
    .await
    .unwrap();

    assert!(!report.verdict.pass, "{report}");
    assert_eq!(report.left_before - report.remaining_after, 5);
    assert!(report.to_string().ends_with("FINAL VERDICT: FAIL"));
    app.assert_conservation().await;
}

#[tokio::test]
async fn the_race_cannot_run_without_a_tier_it_can_name() {
    let (_app, api) = seeded_app().await;

    let several = race::run(&api, &race_options(3, "Summer Open Air Festival", None)).await;
    assert!(matches!(several, Err(race::RaceError::TierNeeded { .. })));
    let unknown = race::run(&api, &race_options(3, "No Such Event", None)).await;
    assert!(matches!(unknown, Err(race::RaceError::EventNotFound(_))));
}

#[tokio::test]
async fn a_storm_on_one_event_sells_exactly_its_tickets_and_reports_them() {
    let (app, api) = seeded_app().await;

    let report = storm::run(&api, &storm_options(8, Stop::Requests(120), 1, 50))
        .await
        .unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!(report.responses, 120);
    assert_eq!(report.bookings, 50);
    assert_eq!(report.latency.count, 120);
    let sold_out: u64 = report
        .answers
        .iter()
        .filter(|e| {
            e.kind.status == Some(409) && e.kind.code.as_deref() == Some("InsufficientTickets")
        })
        .map(|e| e.count)
        .sum();
    assert_eq!(sold_out, 70, "{report}");
    let c = &report.conservation;
    assert_eq!(
        (c.capacity, c.sold, c.remaining, c.booked, c.oversold),
        (50, 50, 0, 50, 0)
    );
    // `--json` output is what `booking-load report` reads back.
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<storm::StormReport>(&json).unwrap(),
        report
    );
    app.assert_conservation().await;
}

/// The careful client of `just test-cluster`: every booking under an Idempotency-Key,
/// each read back by id after the run, and a WebSocket watcher that hears the final count.
#[tokio::test]
async fn a_retrying_storm_reads_every_booking_back_and_its_watcher_hears_the_final_count() {
    let (app, api) = seeded_app().await;
    let mut options = storm_options(6, Stop::Requests(80), 1, 60);
    options.retry_for = Some(Duration::from_secs(10));
    options.verify = true;
    options.watch = vec![app.address.clone()];

    let report = storm::run(&api, &options).await.unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!(report.bookings, 60);
    let verified = report.verified.as_ref().expect("read back");
    assert_eq!((verified.read_back, verified.missing.len()), (60, 0));
    assert!(
        report.retried.is_empty(),
        "nothing to retry against a healthy server"
    );
    let watcher = &report.watchers[0];
    assert!(watcher.caught_up, "{watcher:?}");
    assert_eq!(
        watcher.last_remaining.values().copied().collect::<Vec<_>>(),
        [0]
    );
    assert!(report.longest_pause.is_some());
    let keyed = app
        .scalar("SELECT count(*) AS value FROM bookings WHERE idempotency_key IS NOT NULL")
        .await;
    assert_eq!(keyed, 60, "every booking was sent under a key");
}

#[tokio::test]
async fn a_storm_outlasting_the_access_tokens_signs_its_buyers_in_again() {
    // Tokens valid for 1 s (and the server's 5 s of leeway for clock skew): the storm
    // starts once every token its set-up got has run out, the organizer's included.
    let (app, api) = seeded_app_with(|config| {
        config.access_token_ttl = chrono::TimeDelta::seconds(1);
    })
    .await;
    let prepared = storm::prepare(&api, &storm_options(4, Stop::Requests(40), 1, 1_000))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(7)).await;
    let report = prepared.run(None).await.unwrap();
    assert!(report.passed(), "{report}");
    assert!(report.buyers_signed_in_again >= 4, "{report}");
    assert!(
        report.answers.iter().all(|e| e.kind.status != Some(401)),
        "no booking was refused for an expired token: {report}"
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_storm_spread_over_events_books_them_all_and_the_report_agrees() {
    let (app, api) = seeded_app().await;
    let mut options = storm_options(6, Stop::Requests(90), 3, 100);
    options.quantity = 2;

    let report = storm::run(&api, &options).await.unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!(report.event_ids.len(), 3);
    assert_eq!(report.bookings, 90);
    assert_eq!(report.conservation.sold, 180);
    assert_eq!(report.conservation.capacity, 300);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["bookings"], 90);
    assert_eq!(json["answers"][0]["status"], 201);
    assert!(json["latency"]["p99Ms"].as_f64().unwrap() > 0.0);
    app.assert_conservation().await;
}

#[tokio::test]
async fn a_timed_storm_stops_on_time() {
    let (app, api) = seeded_app().await;

    let report = storm::run(
        &api,
        &storm_options(4, Stop::After(Duration::from_secs(2)), 1, 100_000),
    )
    .await
    .unwrap();

    assert!(report.passed(), "{report}");
    // Requests in flight at the deadline are awaited, nothing more is sent.
    assert!(
        report.elapsed_s >= 2.0 && report.elapsed_s < 10.0,
        "{report}"
    );
    assert!(report.bookings > 0);
    assert_eq!(
        report.conservation.sold,
        i64::try_from(report.bookings).unwrap()
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn spent_buyers_are_replaced_by_fresh_ones() {
    let (app, api) = seeded_app().await;
    // 50 tickets a booking: a buyer is spent after 2 bookings of the event (limit 100).
    // 20 bookings need 10 buyers; 4 were registered up front.
    let mut options = storm_options(4, Stop::Requests(20), 1, 10_000);
    options.quantity = 50;
    options.buyers = Some(4);

    let report = storm::run(&api, &options).await.unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!(report.bookings, 20, "no buyer ran into the per-buyer limit");
    assert!(report.buyers_registered_during >= 6, "{report}");
    app.assert_conservation().await;
}

#[tokio::test]
async fn watchers_of_a_storm_see_every_booking_and_none_is_lost() {
    let (app, api) = seeded_app().await;
    let options = WatchOptions {
        watchers: 5,
        storm: storm_options(4, Stop::Requests(60), 1, 40),
        settle: Duration::from_secs(2),
        // The server runs in this process.
        server_pid: Some(std::process::id()),
    };

    let report = watch::run(&api, &options).await.unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!((report.connected, report.dropped), (5, 0), "{report}");
    assert_eq!(report.storm.bookings, 40, "{report}");
    assert_eq!(report.undelivered, 0, "{report}");
    // A delivery time for every booking at every watcher.
    assert_eq!(report.delivery.count, 40 * 5, "{report}");
    assert!(report.delivery.p99_ms <= report.delivery.max_ms);
    assert!(report.messages_per_watcher.min >= 1, "{report}");
    assert!(report.server_peak_rss_mib.is_some_and(|mib| mib > 0.0));
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<watch::WatchReport>(&json).unwrap(),
        report
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn the_door_load_admits_every_ticket_once_and_a_storm_of_holds_keeps_the_invariant() {
    let (app, api) = seeded_app().await;
    let door = door::run(
        &api,
        &DoorOptions {
            clients: 8,
            tickets: 150,
            organizer_email: "organizer@example.com".into(),
            organizer_password: SEED_PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    assert!(door.passed(), "{door}");
    assert_eq!((door.scans, door.checked_in), (150, 150));
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM check_ins").await,
        150
    );

    let holds = storm::run(
        &api,
        &StormOptions {
            hold: true,
            ..storm_options(8, Stop::Requests(200), 1, 150)
        },
    )
    .await
    .unwrap();
    assert!(holds.passed(), "{holds}");
    assert_eq!(holds.bookings, 150);
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings WHERE status = 'pending'")
            .await,
        150
    );
    app.assert_conservation().await;
}

#[tokio::test]
async fn an_on_sale_through_the_waiting_room_sells_to_the_admitted_alone_and_tells_the_rest() {
    let (app, api) = seeded_app().await;
    let options = QueueOptions {
        buyers: 40,
        tickets: 10,
        skippers: 5,
        // Ten a second: the sale takes a second of rounds, not one.
        admit_per_minute: Some(600),
        lead: Duration::from_secs(3),
        deadline: Duration::from_secs(60),
        // Speed is measured by `just bench-queue`, not here.
        p99_target_ms: f64::MAX,
        server_pid: Some(std::process::id()),
        organizer_email: "organizer@example.com".into(),
        organizer_password: SEED_PASSWORD.into(),
        progress: false,
    };

    let report = queue::run(&api, &options).await.unwrap();

    assert!(report.passed(), "{report}");
    assert_eq!((report.joined_before_start, report.failed_joins), (40, 0));
    assert_eq!((report.booked, report.told_sold_out), (10, 30), "{report}");
    assert_eq!(report.skippers_refused, 5, "{report}");
    assert!(report.draw_is_permutation, "{report}");
    assert_eq!(report.conservation.sold, 10);
    assert!(
        report.position_observations >= 40,
        "every buyer read a place"
    );
    assert_eq!(
        report.admissions_per_s.iter().sum::<i64>(),
        10,
        "every admission heard live: {report}"
    );
    assert!(report.last_ticket_s.is_some() && report.sold_out_heard_s.is_some());
    // The database agrees: ten passes used, one booking each, nobody else booked.
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS value FROM queue_entries WHERE event_id = '{}' AND admitted_at IS NOT NULL",
            report.event_id
        ))
        .await,
        10
    );
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<queue::QueueReport>(&json).unwrap(),
        report
    );
    app.assert_conservation().await;
}
