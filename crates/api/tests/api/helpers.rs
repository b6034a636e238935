use std::net::SocketAddr;
use std::time::Duration;

use booking_api::config::Config;
use booking_api::live::Live;
use booking_api::startup::{Application, Stopper};
use booking_dto::{AuthResponse, Problem};
use booking_local_db::test_db::TestDatabase;
use booking_local_db::{ClusterOptions, LocalCluster, PgBinaries};
use booking_persistence::pool::{PoolSettings, build_pool};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "integration-test-secret-of-at-least-32-bytes";
pub const PASSWORD: &str = "Password123";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    // Held so the web app folder lives as long as the server.
    pub _static_dir: tempfile::TempDir,
    // Dropped last: the server's pool must let go before the database is dropped.
    pub db: AppDatabase,
}

/// Where a test server keeps its data.
pub enum AppDatabase {
    /// A fresh database on the suite's shared cluster.
    Shared(TestDatabase),
    /// A cluster of the test's own, which the test may stop and start (fault tests).
    Own {
        cluster: LocalCluster,
        url: String,
        _root: tempfile::TempDir,
    },
}

impl AppDatabase {
    pub fn url(&self) -> &str {
        match self {
            Self::Shared(db) => db.url(),
            Self::Own { url, .. } => url,
        }
    }

    /// The test's own cluster; panics for a shared one, which must never be stopped.
    pub fn cluster(&mut self) -> &mut LocalCluster {
        match self {
            Self::Own { cluster, .. } => cluster,
            Self::Shared(_) => panic!("the shared cluster is not the test's to stop"),
        }
    }
}

pub fn test_config(database_url: &str, static_dir: &std::path::Path) -> Config {
    let mut config = Config::from_lookup(|name| match name {
        "JWT_SECRET" => Some(JWT_SECRET.to_owned()),
        // The cheapest cost bcrypt allows: tests check behaviour, not hashing strength.
        "BCRYPT_COST" => Some("4".to_owned()),
        // Tests sign up hundreds of buyers from one address and fire storms: the abuse
        // limits are off unless a test turns them on (tests/api/limits.rs).
        "RATE_LIMITS" => Some("off".to_owned()),
        _ => None,
    })
    .expect("test configuration");
    config.database_url = Some(database_url.to_owned());
    config.bind_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    config.static_dir = static_dir.to_path_buf();
    // The machine is shared and slow at times: the concurrency tests want real answers,
    // not 503s from a pool wait that ran out.
    config.db_pool_timeout = Duration::from_secs(30);
    config
}

pub fn pool_settings(config: &Config) -> PoolSettings {
    PoolSettings {
        database_url: config.database_url.clone().expect("database url"),
        max_size: config.db_pool_size,
        wait_timeout: config.db_pool_timeout,
        statement_timeout: config.statement_timeout,
        lock_timeout: config.lock_timeout,
        application_name: "booking-api-test".into(),
    }
}

/// Starts a server against a fresh database, serving a minimal web app.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the configuration adjusted first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_stoppable_app_with(adjust).await.0
}

/// Like [`spawn_app_with`], with what stops the server gracefully.
pub async fn spawn_stoppable_app_with(adjust: impl FnOnce(&mut Config)) -> (TestApp, Stopper) {
    let db = AppDatabase::Shared(TestDatabase::create().await.expect("test database"));
    spawn_on(db, adjust).await
}

/// A server on a PostgreSQL cluster of the test's own (`app.db.cluster()`), migrated.
/// Start it from a multi-threaded test: the cluster dies with the thread that started it.
pub async fn spawn_app_on_own_cluster(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let root = tempfile::tempdir().expect("cluster folder");
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries");
    let options = ClusterOptions {
        root: root.path().to_path_buf(),
        durable: false,
        max_connections: 50,
        relocate_to: None,
    };
    let cluster = tokio::task::block_in_place(|| LocalCluster::start(&binaries, &options))
        .expect("own cluster");
    let url = cluster.url("postgres");
    booking_persistence::migrate::run_pending(&url)
        .await
        .expect("migrate");
    let db = AppDatabase::Own {
        cluster,
        url,
        _root: root,
    };
    spawn_on(db, adjust).await.0
}

async fn spawn_on(db: AppDatabase, adjust: impl FnOnce(&mut Config)) -> (TestApp, Stopper) {
    let static_dir = tempfile::tempdir().expect("static dir");
    std::fs::write(
        static_dir.path().join("index.html"),
        "<!doctype html><title>Booking</title>",
    )
    .expect("index.html");
    let mut config = test_config(db.url(), static_dir.path());
    adjust(&mut config);
    let (address, live, stopper) = launch(&config);
    live.until_listening().await;
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        _static_dir: static_dir,
        db,
    };
    (app, stopper)
}

/// Builds and spawns the application; returns its base URL once it listens for other
/// instances' changes. (A listener still connecting when a test ends would hold up the
/// database's drop: this runtime no longer runs it.)
pub async fn start_server(config: &Config) -> String {
    let (address, live, _) = launch(config);
    live.until_listening().await;
    address
}

/// Builds and spawns the application without waiting for anything; for a server whose
/// database is out of reach.
pub fn launch(config: &Config) -> (String, Live, Stopper) {
    let pool = build_pool(&pool_settings(config)).expect("pool");
    let application = Application::build(config, pool).expect("application");
    let address = format!("http://127.0.0.1:{}", application.port());
    let live = application.live().clone();
    let stopper = application.stopper();
    tokio::spawn(application.run_until_stopped());
    (address, live, stopper)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, email: &str, name: &str) -> Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({ "email": email, "password": PASSWORD, "name": name }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Registers a customer and returns the auth body and the refresh cookie value.
    pub async fn signed_up(&self, email: &str) -> (AuthResponse, String) {
        let response = self.register(email, "Test User").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let cookie = refresh_cookie(&response).expect("refresh cookie");
        (response.json().await.expect("auth body"), cookie)
    }

    pub async fn refresh_with(&self, cookie: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/refresh"))
            .header(COOKIE, format!("refresh_token={cookie}"))
            .send()
            .await
            .expect("request")
    }

    pub async fn me(&self, token: &str) -> Response {
        self.client
            .get(self.url("/api/v1/auth/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// The value of the `refresh_token` cookie a response sets, if any.
pub fn refresh_cookie(response: &Response) -> Option<String> {
    set_cookie(response, "refresh_token").and_then(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("refresh_token="))
            .map(str::to_owned)
    })
}

/// The `Set-Cookie` header of the response that sets (or clears) the cookie `name`.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|header| header.starts_with(&prefix))
        .map(str::to_owned)
}

/// Asserts the response is a problem document with `status` and `code`, and returns it.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Problem {
    assert_eq!(response.status(), status);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    serde_json::from_value(body).expect("problem shape")
}

pub fn short_timeout() -> Duration {
    Duration::from_millis(500)
}

/// A signed-in customer.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub token: String,
}

/// A tier to create: name, price in cents, capacity.
pub type TierSpec = (&'static str, i64, i32);

#[derive(Debug, Clone)]
pub struct EventSpec {
    pub title: String,
    pub venue: String,
    pub status: &'static str,
    /// Negative for an event in the past.
    pub starts_in_days: i64,
    pub max_tickets_per_user: i32,
    pub tiers: Vec<TierSpec>,
}

impl EventSpec {
    pub fn published(title: &str, max_tickets_per_user: i32, tiers: Vec<TierSpec>) -> Self {
        Self {
            title: title.to_owned(),
            venue: "Test Hall".to_owned(),
            status: "published",
            starts_in_days: 30,
            max_tickets_per_user,
            tiers,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreatedEvent {
    pub id: uuid::Uuid,
    pub organizer_email: String,
    pub tier_ids: Vec<uuid::Uuid>,
}

#[derive(diesel::QueryableByName)]
struct Scalar {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

impl TestApp {
    /// Registers `count` customers, a few at a time, and returns their tokens.
    pub async fn buyers(&self, count: usize) -> Vec<Buyer> {
        let mut buyers = Vec::with_capacity(count);
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        for chunk in (0..count).collect::<Vec<_>>().chunks(25) {
            let signups = chunk.iter().map(|i| {
                let email = format!("buyer{i}-{}@example.com", &prefix[..8]);
                async move { self.signed_up(&email).await }
            });
            for (session, _) in futures::future::join_all(signups).await {
                buyers.push(Buyer {
                    token: session.access_token,
                });
            }
        }
        buyers
    }

    /// A booking request, built but not sent (see [`all_at_once`]).
    pub fn booking(
        &self,
        token: &str,
        items: &Value,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(self.url("/api/v1/bookings"))
            .bearer_auth(token)
            .json(&json!({ "items": items }));
        match key {
            Some(key) => request.header("Idempotency-Key", key),
            None => request,
        }
    }

    pub async fn book(&self, token: &str, items: &Value, key: Option<&str>) -> Response {
        self.booking(token, items, key)
            .send()
            .await
            .expect("request")
    }

    pub async fn connection(&self) -> booking_persistence::AsyncPgConnection {
        booking_persistence::database_admin::connect(self.db.url())
            .await
            .expect("connect")
    }

    /// Another session that takes `tier`'s row lock and keeps it until `ROLLBACK` is
    /// sent on the connection returned.
    pub async fn hold_tier_lock(&self, tier: uuid::Uuid) -> booking_persistence::AsyncPgConnection {
        use diesel_async::SimpleAsyncConnection;
        let mut holder = self.connection().await;
        holder
            .batch_execute(&format!(
                "BEGIN; SELECT id FROM ticket_tiers WHERE id = '{tier}' FOR UPDATE"
            ))
            .await
            .expect("lock the tier");
        holder
    }

    pub async fn execute(&self, sql: &str) {
        use diesel_async::SimpleAsyncConnection;
        self.connection().await.batch_execute(sql).await.expect(sql);
    }

    /// Runs a query that returns one bigint column named `value`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        let row: Scalar = diesel::sql_query(sql)
            .get_result(&mut self.connection().await)
            .await
            .expect(sql);
        row.value
    }

    /// Inserts an event straight into the database, owned by a fresh organizer.
    pub async fn create_event(&self, spec: &EventSpec) -> CreatedEvent {
        let organizer = uuid::Uuid::new_v4();
        let id = uuid::Uuid::new_v4();
        let tier_ids: Vec<uuid::Uuid> = spec.tiers.iter().map(|_| uuid::Uuid::new_v4()).collect();
        let mut sql = format!(
            "INSERT INTO users (id, email, name, password_hash, role) \
             VALUES ('{organizer}', 'org-{organizer}@example.com', 'Org', 'x', 'organizer'); \
             INSERT INTO events (id, organizer_id, title, venue, starts_at, status, max_tickets_per_user) \
             VALUES ('{id}', '{organizer}', '{}', '{}', now() + interval '{} days', '{}', {});",
            spec.title.replace('\'', "''"),
            spec.venue.replace('\'', "''"),
            spec.starts_in_days,
            spec.status,
            spec.max_tickets_per_user,
        );
        for (position, ((name, price, capacity), tier_id)) in
            spec.tiers.iter().zip(&tier_ids).enumerate()
        {
            sql.push_str(&format!(
                "INSERT INTO ticket_tiers (id, event_id, name, price_cents, currency, capacity, remaining, position) \
                 VALUES ('{tier_id}', '{id}', '{name}', {price}, 'USD', {capacity}, {capacity}, {position});"
            ));
        }
        self.execute(&sql).await;
        CreatedEvent {
            id,
            organizer_email: format!("org-{organizer}@example.com"),
            tier_ids,
        }
    }

    /// An access token for `email` after giving that account `role` (registering it
    /// first if needed): the only way to an organizer or admin is the database.
    pub async fn token_for_role(&self, email: &str, role: &str) -> String {
        let exists = self
            .scalar(&format!(
                "SELECT count(*) AS value FROM users WHERE email = '{email}'"
            ))
            .await;
        if exists == 0 {
            self.signed_up(email).await;
        }
        let hash = booking_api::auth::password::hash_now(PASSWORD, 4).expect("hash");
        self.execute(&format!(
            "UPDATE users SET role = '{role}', password_hash = '{hash}' WHERE email = '{email}'"
        ))
        .await;
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response
            .json::<AuthResponse>()
            .await
            .expect("auth body")
            .access_token
    }

    pub async fn remaining(&self, tier_id: uuid::Uuid) -> i64 {
        self.scalar(&format!(
            "SELECT remaining::bigint AS value FROM ticket_tiers WHERE id = '{tier_id}'"
        ))
        .await
    }

    /// Conservation, for every tier: capacity = remaining + held (pending, offers
    /// included) + sold; nobody waits for a tier with tickets on public sale; and each
    /// buyer's tally of an event equals what their bookings hold and their places wait
    /// for.
    pub async fn assert_conservation(&self) {
        let broken = self
            .scalar(
                "SELECT count(*) AS value FROM ticket_tiers t \
                 WHERE t.capacity <> t.remaining + COALESCE((\
                     SELECT sum(bi.quantity) FROM booking_items bi \
                     JOIN bookings b ON b.id = bi.booking_id \
                     WHERE bi.tier_id = t.id AND b.status IN ('confirmed', 'pending')), 0)",
            )
            .await;
        assert_eq!(broken, 0, "tiers whose tickets do not add up");
        let passed_over = self
            .scalar(
                "SELECT count(*) AS value FROM ticket_tiers t JOIN events e ON e.id = t.event_id \
                 WHERE t.remaining > 0 AND e.status = 'published' AND e.starts_at > now() \
                   AND EXISTS (SELECT 1 FROM waiting_list w WHERE w.tier_id = t.id)",
            )
            .await;
        assert_eq!(passed_over, 0, "tickets on sale while people wait for them");
        // The per-person limit reads this tally; it must equal what the bookings hold
        // and the places wait for.
        let drifted = self
            .scalar(
                "SELECT count(*) AS value FROM ( \
                     SELECT user_id, event_id, sum(quantity)::int AS quantity FROM ( \
                         SELECT bi.user_id, bi.event_id, bi.quantity \
                           FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id \
                          WHERE b.status IN ('confirmed', 'pending') \
                         UNION ALL \
                         SELECT user_id, event_id, quantity FROM waiting_list) claims \
                      GROUP BY user_id, event_id) held \
                 FULL JOIN (SELECT * FROM ticket_holdings WHERE quantity > 0) tally \
                   USING (user_id, event_id) \
                 WHERE held.quantity IS DISTINCT FROM tally.quantity",
            )
            .await;
        assert_eq!(
            drifted, 0,
            "ticket_holdings differs from the bookings and places"
        );
    }
}

/// Sends every request at the same instant: each task waits at a barrier first.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<Response> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request.send().await.expect("request")
            })
        })
        .collect();
    let mut responses = Vec::with_capacity(tasks.len());
    for task in tasks {
        responses.push(task.await.expect("request task"));
    }
    responses
}

/// How many responses had each status.
pub fn count_status(responses: &[Response], status: StatusCode) -> usize {
    responses.iter().filter(|r| r.status() == status).count()
}

impl TestApp {
    /// Books `items` as `token`, expects 201, and returns the booking.
    pub async fn booked(&self, token: &str, items: &Value) -> booking_dto::Booking {
        let response = self.book(token, items, None).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("booking body")
    }

    /// GETs `path` (as `token` when given), expects 200, and decodes the body.
    pub async fn get_ok<T: serde::de::DeserializeOwned>(
        &self,
        token: Option<&str>,
        path: &str,
    ) -> T {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("body")
    }
}

/// The value of the metric `name` (a line `name value`) that the server at `address`
/// reports, or 0 when it reports none.
pub async fn metric(app: &TestApp, address: &str, name: &str) -> f64 {
    let text = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

/// A second server on `app`'s database, and what stops it.
pub async fn stoppable_second_instance(app: &TestApp) -> (String, Stopper) {
    let config = test_config(app.db.url(), app._static_dir.path());
    let (address, live, stopper) = launch(&config);
    live.until_listening().await;
    (address, stopper)
}

/// A second server on `app`'s database, with `adjust` applied to its configuration.
pub async fn second_instance(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> String {
    let mut config = test_config(app.db.url(), app._static_dir.path());
    adjust(&mut config);
    start_server(&config).await
}
