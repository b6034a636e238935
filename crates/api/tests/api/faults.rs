//! Faults survived: each test breaks something under load, against real PostgreSQL and
//! real HTTP, and ends with the conservation check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use booking_dto::ServerMessage;
use booking_load::live::LiveClient;
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Mutex;

use crate::helpers::{Buyer, EventSpec, TestApp, metric, spawn_app, spawn_app_on_own_cluster};

/// What one booking request of a storm came to, and when.
#[derive(Debug, Clone, Copy)]
struct Answer {
    at: Instant,
    /// `None`: no HTTP answer at all.
    status: Option<StatusCode>,
}

/// Clients booking one ticket at a time, back to back, until `running` is cleared;
/// each client takes turns among its share of the buyers, so no one reaches the
/// per-person limit.
struct Storm {
    running: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<Answer>>>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Storm {
    fn start(app: &TestApp, buyers: &[Buyer], clients: usize, tier: uuid::Uuid) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let answers = Arc::new(Mutex::new(Vec::new()));
        let clients = buyers
            .chunks(buyers.len().div_ceil(clients))
            .map(|share| {
                let requests: Vec<_> = share
                    .iter()
                    .map(|buyer| {
                        app.client
                            .post(app.url("/api/v1/bookings"))
                            .bearer_auth(&buyer.token)
                            .timeout(Duration::from_secs(10))
                            .json(&json!({ "items": [{ "tierId": tier, "quantity": 1 }] }))
                    })
                    .collect();
                let (running, answers) = (running.clone(), answers.clone());
                tokio::spawn(async move {
                    for request in requests.iter().cycle() {
                        if !running.load(Ordering::Relaxed) {
                            break;
                        }
                        let sent = request.try_clone().unwrap().send().await;
                        let status = sent.ok().map(|response| response.status());
                        answers.lock().await.push(Answer {
                            at: Instant::now(),
                            status,
                        });
                        if status != Some(StatusCode::CREATED) {
                            // As a client told to retry would: not in a tight loop.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                })
            })
            .collect();
        Self {
            running,
            answers,
            clients,
        }
    }

    async fn stop(self) -> Vec<Answer> {
        self.running.store(false, Ordering::Relaxed);
        for client in self.clients {
            client.await.unwrap();
        }
        Arc::try_unwrap(self.answers).unwrap().into_inner()
    }
}

/// A hot event of 100,000 tickets, 256 buyers, a watcher of the event, and 16 clients
/// storming it for a second already.
async fn storm_under_way(app: &TestApp) -> (uuid::Uuid, Vec<Buyer>, LiveClient, Storm) {
    let event = app
        .create_event(&EventSpec::published(
            "Under Fire",
            100,
            vec![("GA", 1_000, 100_000)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(256).await;
    let (mut watcher, _) = LiveClient::connect(&app.address).await.unwrap();
    watcher.subscribe(&[event.id]).await.unwrap();
    let storm = Storm::start(app, &buyers, 16, tier);
    tokio::time::sleep(Duration::from_secs(1)).await;
    (tier, buyers, watcher, storm)
}

/// Reads updates until one says `tier` has `remaining` left; panics after `limit`.
async fn until_watcher_sees(
    watcher: &mut LiveClient,
    tier: uuid::Uuid,
    remaining: i64,
    limit: Duration,
) {
    tokio::time::timeout(limit, async {
        loop {
            if let ServerMessage::TicketUpdate {
                tier_id,
                remaining: now,
                ..
            } = watcher.next().await.unwrap()
                && tier_id == tier
                && i64::from(now) == remaining
            {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the watcher never saw {remaining} left"));
}

/// The verdict on a storm through a fault from `broken` to `repaired`: every request
/// answered, no server error but 503, bookings before, and bookings again within 5 s of
/// the repair.
fn assert_served_through(answers: &[Answer], broken: Instant, repaired: Instant) {
    let count = |wanted: StatusCode, from: Instant, to: Instant| {
        answers
            .iter()
            .filter(|a| a.status == Some(wanted) && a.at >= from && a.at < to)
            .count()
    };
    let end = Instant::now();
    let unanswered = answers.iter().filter(|a| a.status.is_none()).count();
    let errors: Vec<_> = answers
        .iter()
        .filter_map(|a| a.status)
        .filter(|s| s.is_server_error() && *s != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    println!(
        "{} answers: {} booked before the fault, {} x 503 during it, {} booked after",
        answers.len(),
        count(StatusCode::CREATED, answers[0].at, broken),
        count(StatusCode::SERVICE_UNAVAILABLE, broken, repaired),
        count(StatusCode::CREATED, repaired, end)
    );
    assert_eq!(unanswered, 0, "every request got an answer");
    assert!(
        errors.is_empty(),
        "server errors other than 503: {errors:?}"
    );
    assert!(count(StatusCode::CREATED, answers[0].at, broken) > 0);
    let first_after = answers
        .iter()
        .filter(|a| a.status == Some(StatusCode::CREATED) && a.at >= repaired)
        .map(|a| a.at)
        .min()
        .expect("bookings succeed again once repaired");
    let recovery = first_after - repaired;
    println!("first booking {recovery:?} after the repair");
    assert!(recovery < Duration::from_secs(5), "{recovery:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_storm_means_503s_then_service_again_without_a_restart() {
    let mut app = spawn_app_on_own_cluster(|config| {
        // A request waits this long for a connection before its 503.
        config.db_pool_timeout = Duration::from_millis(500);
    })
    .await;
    let (tier, buyers, mut watcher, storm) = storm_under_way(&app).await;
    let down_at = Instant::now();
    tokio::task::block_in_place(|| app.db.cluster().stop_for_now()).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().get("retry-after").is_some());
    let up_at = Instant::now();
    tokio::task::block_in_place(|| app.db.cluster().start_again()).unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let answers = storm.stop().await;

    assert_served_through(&answers, down_at, up_at);
    let refused_while_down = answers
        .iter()
        .filter(|a| a.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .filter(|a| a.at >= down_at && a.at < up_at)
        .count();
    assert!(refused_while_down > 0);

    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    app.assert_conservation().await;
    assert_nothing_left_open(&app).await;
    assert_live_caught_up(&app, &mut watcher, &buyers[0], tier).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pools_connections_terminated_mid_storm_are_replaced_without_a_restart() {
    let app = spawn_app().await;
    let (tier, buyers, mut watcher, storm) = storm_under_way(&app).await;
    let killed_at = Instant::now();
    // Every session of the server on this database: the pool's and the listener's.
    let killed = app
        .scalar(
            "SELECT count(pg_terminate_backend(pid)) AS value FROM pg_stat_activity \
              WHERE datname = current_database() AND pid <> pg_backend_pid() \
                AND application_name LIKE 'booking-api%'",
        )
        .await;
    let repaired = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let answers = storm.stop().await;
    println!("terminated {killed} sessions");
    assert!(killed > 1);
    assert_served_through(&answers, killed_at, repaired);
    assert_nothing_left_open(&app).await;
    app.assert_conservation().await;
    assert_live_caught_up(&app, &mut watcher, &buyers[0], tier).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_clients_hanging_up_mid_booking_leave_whole_bookings_or_none() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Hang Up",
            4,
            vec![("GA", 1_000, 1_000)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(300).await;
    // Nine clients in ten give up after 1 to 40 ms: before, during or after their
    // transaction. The tenth waits for its answer.
    let items = json!([{ "tierId": tier, "quantity": 2 }]);
    let requests = buyers.iter().enumerate().map(|(n, buyer)| {
        let patience = if n % 10 == 0 {
            Duration::from_secs(30)
        } else {
            Duration::from_millis(1 + (n as u64 * 7) % 40)
        };
        app.booking(&buyer.token, &items, None)
            .timeout(patience)
            .send()
    });
    let results = futures::future::join_all(requests).await;
    let hung_up = results.iter().filter(|r| r.is_err()).count();
    let answered_201 = results
        .iter()
        .filter(|r| matches!(r, Ok(response) if response.status() == StatusCode::CREATED))
        .count();
    println!("{hung_up} of 300 clients hung up; {answered_201} got their 201");
    assert!(hung_up >= 100, "only {hung_up} hung up");
    assert!(answered_201 >= 30, "the patient clients were booked");
    // Let whatever was under way finish.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_nothing_left_open(&app).await;
    app.assert_conservation().await;
    let booked = app
        .scalar("SELECT count(*) AS value FROM bookings WHERE status = 'confirmed'")
        .await;
    let whole = app
        .scalar(
            "SELECT count(*) AS value FROM bookings b \
              WHERE (SELECT sum(quantity) FROM booking_items WHERE booking_id = b.id) = 2",
        )
        .await;
    println!("{booked} bookings made");
    assert_eq!(booked, whole, "every booking holds both of its tickets");
    assert_eq!(app.remaining(tier).await, 1_000 - 2 * booked);
    assert!(usize::try_from(booked).unwrap() >= answered_201);
}

/// No session of the server is left inside a transaction.
async fn assert_nothing_left_open(app: &TestApp) {
    let open = app
        .scalar(
            "SELECT count(*) AS value FROM pg_stat_activity \
              WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .await;
    assert_eq!(open, 0, "sessions left idle in transaction");
}

/// The live listener is up and a watcher sees the count after one more booking.
async fn assert_live_caught_up(
    app: &TestApp,
    watcher: &mut LiveClient,
    buyer: &Buyer,
    tier: uuid::Uuid,
) {
    let listening = async {
        loop {
            if metric(app, &app.address, "booking_availability_listening").await == 1.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .expect("the live listener came back");
    app.booked(&buyer.token, &json!([{ "tierId": tier, "quantity": 1 }]))
        .await;
    let remaining = app.remaining(tier).await;
    until_watcher_sees(watcher, tier, remaining, Duration::from_secs(10)).await;
}

/// `booking-api serve` as its own process on `app`'s database, killable.
struct ServerProcess {
    child: std::process::Child,
    address: String,
}

impl ServerProcess {
    fn start(app: &TestApp, payment_latency_ms: u64) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_booking-api"))
            .arg("serve")
            .env("DATABASE_URL", app.db.url())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", crate::helpers::JWT_SECRET)
            .env("RATE_LIMITS", "off")
            .env("PAYMENT_LATENCY_MS", payment_latency_ms.to_string())
            .env("STATIC_DIR", "/nonexistent")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn until_ready(&self, client: &reqwest::Client) {
        for _ in 0..100 {
            let ready = client.get(format!("{}/ready", self.address)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("booking-api never became ready");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_killed_mid_storm_leaves_exactly_the_bookings_it_answered_and_holds_released() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Killed",
            100,
            vec![("GA", 1_000, 100_000)],
        ))
        .await;
    let tier = event.tier_ids[0];
    let buyers = app.buyers(64).await;
    // Payments take 200 ms: at the kill, bookings are pending, paid, or being confirmed.
    let mut server = ServerProcess::start(&app, 200);
    server.until_ready(&app.client).await;

    let booked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = buyers
        .iter()
        .map(|buyer| {
            let request = app
                .client
                .post(format!("{}/api/v1/bookings", server.address))
                .bearer_auth(&buyer.token)
                .json(&json!({ "items": [{ "tierId": tier, "quantity": 1 }] }));
            let booked = booked.clone();
            tokio::spawn(async move {
                // Until the server is gone.
                while let Ok(response) = request.try_clone().unwrap().send().await {
                    if response.status() == StatusCode::CREATED {
                        let booking: booking_dto::Booking = response.json().await.unwrap();
                        booked.lock().await.push(booking.id);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let answered: Vec<uuid::Uuid> = booked.lock().await.clone();
    assert!(!answered.is_empty());

    // Every 201 a client received is a confirmed booking.
    let ids = answered
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let confirmed_answered = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings WHERE status = 'confirmed' AND id IN ({ids})"
        ))
        .await;
    assert_eq!(usize::try_from(confirmed_answered).unwrap(), answered.len());
    // Nothing else is confirmed, but for bookings whose 201 was on its way when the
    // process died (one per client at most).
    let confirmed = app
        .scalar("SELECT count(*) AS value FROM bookings WHERE status = 'confirmed'")
        .await;
    let unanswered = usize::try_from(confirmed).unwrap() - answered.len();
    let pending = app
        .scalar("SELECT count(*) AS value FROM bookings WHERE status = 'pending'")
        .await;
    println!(
        "{} answered 201, {unanswered} confirmed without an answer, {pending} pending at the kill",
        answered.len()
    );
    assert!(unanswered <= buyers.len(), "{unanswered}");
    assert!(pending > 0, "the kill came while payments were under way");
    app.assert_conservation().await;

    // Restarted, it serves again; the sweeper releases the killed process's holds once
    // they are older than the hold's time-to-live.
    let server = ServerProcess::start(&app, 200);
    server.until_ready(&app.client).await;
    let response = app
        .client
        .post(format!("{}/api/v1/bookings", server.address))
        .bearer_auth(&buyers[0].token)
        .json(&json!({ "items": [{ "tierId": tier, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let later = chrono::Utc::now() + booking_domain::lifecycle::HOLD_TTL;
    booking_persistence::bookings::expire_stale(&mut app.connection().await, later)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM bookings WHERE status = 'pending'")
            .await,
        0
    );
    assert_nothing_left_open(&app).await;
    app.assert_conservation().await;
}
