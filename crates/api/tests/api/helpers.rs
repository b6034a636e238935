use std::net::SocketAddr;
use std::time::Duration;

use booking_api::config::Config;
use booking_api::startup::Application;
use booking_dto::{AuthResponse, Problem};
use booking_persistence::pool::{PoolSettings, build_pool};
use booking_persistence::test_db::TestDatabase;
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
    pub db: TestDatabase,
}

pub fn test_config(database_url: &str, static_dir: &std::path::Path) -> Config {
    let mut config = Config::from_lookup(|name| match name {
        "JWT_SECRET" => Some(JWT_SECRET.to_owned()),
        // The cheapest cost bcrypt allows: tests check behaviour, not hashing strength.
        "BCRYPT_COST" => Some("4".to_owned()),
        _ => None,
    })
    .expect("test configuration");
    config.database_url = Some(database_url.to_owned());
    config.bind_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    config.static_dir = static_dir.to_path_buf();
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
    let db = TestDatabase::create().await.expect("test database");
    let static_dir = tempfile::tempdir().expect("static dir");
    std::fs::write(
        static_dir.path().join("index.html"),
        "<!doctype html><title>Booking</title>",
    )
    .expect("index.html");
    let config = test_config(db.url(), static_dir.path());
    let address = start_server(&config).await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        _static_dir: static_dir,
        db,
    }
}

/// Builds and spawns the application; returns its base URL.
pub async fn start_server(config: &Config) -> String {
    let pool = build_pool(&pool_settings(config)).expect("pool");
    let application = Application::build(config, pool).expect("application");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    address
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
    set_cookie_header(response).and_then(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("refresh_token="))
            .map(str::to_owned)
    })
}

pub fn set_cookie_header(response: &Response) -> Option<String> {
    response
        .headers()
        .get(SET_COOKIE)
        .and_then(|value| value.to_str().ok())
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
