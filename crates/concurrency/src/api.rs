//! A typed client of the booking API: just the calls the load tests make, in the wire
//! shapes of `booking-dto`.

use std::time::{Duration, Instant};

use booking_dto::{
    AuthResponse, Booking, BookingItemRequest, CheckInRequest, CheckInSummary, Checkout,
    CreateBookingRequest, CreateEventRequest, ErrorCode, Event, Health, LoginRequest,
    OrganizerEvent, Page, Problem, QueueStatus, RegisterRequest,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A request that waits longer than this has failed, whatever the server says later.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{method} {path}: {source}")]
    Transport {
        method: Method,
        path: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{method} {path} answered {status}{}{}", detail(.problem), hint(.status))]
    Status {
        method: Method,
        path: String,
        status: StatusCode,
        problem: Option<Box<Problem>>,
    },
    #[error("unexpected answer: {what}")]
    Shape { what: String },
}

fn detail(problem: &Option<Box<Problem>>) -> String {
    problem
        .as_ref()
        .map(|problem| format!(": {} (problem {:?})", problem.detail, problem.code))
        .unwrap_or_default()
}

/// A load test is abuse to a server with its limits on; say how to run one.
fn hint(status: &StatusCode) -> &'static str {
    if *status == StatusCode::TOO_MANY_REQUESTS {
        " (the server's abuse limits refused it: start the server with RATE_LIMITS=off for a load test)"
    } else {
        ""
    }
}

/// What one scan at the door came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    Answered {
        status: u16,
        code: Option<ErrorCode>,
    },
    /// No HTTP answer (connection error or timeout).
    Failed(String),
}

/// What one booking request came to, as a load test counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked(Booking),
    /// An HTTP answer other than 201, with the problem's code when the body had one.
    Refused {
        status: u16,
        code: Option<ErrorCode>,
    },
    /// No HTTP answer at all (connection refused or reset, timeout).
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    base_url: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(base_url: &str) -> Result<Self, reqwest::Error> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                // Load tests open one connection per concurrent client and keep it.
                .pool_max_idle_per_host(usize::MAX)
                .build()?,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `path` is below `/api/v1`, except the operations endpoints (`/health`, `/ready`).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let prefix = if path == "/health" || path == "/ready" {
            ""
        } else {
            "/api/v1"
        };
        self.http
            .request(method, format!("{}{prefix}{path}", self.base_url))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, ApiError> {
        Ok(self.send_answered(method, path, build).await?.1)
    }

    /// [`send`](Self::send), also saying which success status came back.
    async fn send_answered<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<(StatusCode, T), ApiError> {
        let transport = |source| ApiError::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source,
        };
        let response = build(self.request(method.clone(), path))
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(ApiError::Status {
                method,
                path: path.to_owned(),
                status,
                problem: response.json().await.ok(),
            });
        }
        Ok((status, response.json().await.map_err(transport)?))
    }

    pub async fn health(&self) -> Result<Health, ApiError> {
        self.send(Method::GET, "/health", |r| r).await
    }

    pub async fn register(&self, request: &RegisterRequest) -> Result<AuthResponse, ApiError> {
        self.send(Method::POST, "/auth/register", |r| r.json(request))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<AuthResponse, ApiError> {
        let request = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        self.send(Method::POST, "/auth/login", |r| r.json(&request))
            .await
    }

    pub async fn event(&self, id: Uuid) -> Result<Event, ApiError> {
        self.send(Method::GET, &format!("/events/{id}"), |r| r)
            .await
    }

    /// One of the buyer's bookings, read back (from the primary: a booking is never
    /// read off a standby).
    pub async fn booking(&self, token: &str, id: Uuid) -> Result<Booking, ApiError> {
        self.send(Method::GET, &format!("/bookings/{id}"), |r| {
            r.bearer_auth(token)
        })
        .await
    }

    /// The published, upcoming event titled exactly `title` (case-insensitive).
    pub async fn event_titled(&self, title: &str) -> Result<Option<Event>, ApiError> {
        let page: Page<Event> = self
            .send(Method::GET, "/events", |r| {
                r.query(&[("search", title), ("limit", "50")])
            })
            .await?;
        Ok(page
            .data
            .into_iter()
            .find(|event| event.title.eq_ignore_ascii_case(title)))
    }

    pub async fn create_event(
        &self,
        token: &str,
        request: &CreateEventRequest,
    ) -> Result<Event, ApiError> {
        self.send(Method::POST, "/events", |r| {
            r.bearer_auth(token).json(request)
        })
        .await
    }

    pub async fn publish_event(&self, token: &str, id: Uuid) -> Result<Event, ApiError> {
        self.send(Method::POST, &format!("/events/{id}/publish"), |r| {
            r.bearer_auth(token)
        })
        .await
    }

    pub async fn organizer_events(&self, token: &str) -> Result<Vec<OrganizerEvent>, ApiError> {
        self.send(Method::GET, "/organizer/events", |r| r.bearer_auth(token))
            .await
    }

    /// Scans `code` in at the door of `event`; the answer and its latency.
    pub async fn check_in(&self, token: &str, event: Uuid, code: &str) -> (ScanOutcome, Duration) {
        let started = Instant::now();
        let sent = self
            .request(Method::POST, &format!("/events/{event}/check-ins"))
            .bearer_auth(token)
            .json(&CheckInRequest {
                code: code.to_owned(),
            })
            .send()
            .await;
        let outcome = match sent {
            Err(error) => ScanOutcome::Failed(error.to_string()),
            Ok(response) if response.status().is_success() => ScanOutcome::Answered {
                status: response.status().as_u16(),
                code: None,
            },
            Ok(response) => ScanOutcome::Answered {
                status: response.status().as_u16(),
                code: response
                    .json::<Problem>()
                    .await
                    .ok()
                    .map(|problem| problem.code),
            },
        };
        (outcome, started.elapsed())
    }

    pub async fn check_in_summary(
        &self,
        token: &str,
        event: Uuid,
    ) -> Result<CheckInSummary, ApiError> {
        self.send(
            Method::GET,
            &format!("/events/{event}/check-ins/summary"),
            |r| r.bearer_auth(token),
        )
        .await
    }

    /// Takes a place in `event`'s waiting room (201), or answers the one there is (200).
    pub async fn join_queue(
        &self,
        token: &str,
        event: Uuid,
    ) -> Result<(StatusCode, QueueStatus), ApiError> {
        self.send_answered(Method::POST, &format!("/events/{event}/queue"), |r| {
            r.bearer_auth(token)
        })
        .await
    }

    /// Where the caller stands in `event`'s waiting room, with a pass once admitted.
    pub async fn queue_status(&self, token: &str, event: Uuid) -> Result<QueueStatus, ApiError> {
        self.send(Method::GET, &format!("/events/{event}/queue/me"), |r| {
            r.bearer_auth(token)
        })
        .await
    }

    /// Books `quantity` tickets of one tier (or holds them, with `Checkout::Hold`) and
    /// reports the outcome with its latency. Every answer is an outcome here, not an
    /// error: counting them is the point.
    pub async fn book(
        &self,
        token: &str,
        tier_id: Uuid,
        quantity: i64,
        checkout: Option<Checkout>,
    ) -> (BookingOutcome, Duration) {
        self.book_through(token, tier_id, quantity, checkout, None)
            .await
    }

    /// [`book`](Self::book) for an event behind a waiting room: `queue_pass` goes in the
    /// `Queue-Pass` header when given.
    pub async fn book_through(
        &self,
        token: &str,
        tier_id: Uuid,
        quantity: i64,
        checkout: Option<Checkout>,
        queue_pass: Option<&str>,
    ) -> (BookingOutcome, Duration) {
        let started = Instant::now();
        let request = booking_request(tier_id, quantity, checkout);
        let (outcome, _) = self.send_booking(token, &request, queue_pass, None).await;
        (outcome, started.elapsed())
    }

    /// [`book`](Self::book) as a careful client does it: under one `Idempotency-Key`, a
    /// 503 (after its Retry-After) or a request that got no answer is sent again until
    /// another answer comes or `retry_for` has passed. The booking lands at most once;
    /// the answers that were retried come back too, in order.
    pub async fn book_retrying(
        &self,
        token: &str,
        tier_id: Uuid,
        quantity: i64,
        checkout: Option<Checkout>,
        retry_for: Duration,
    ) -> Retried {
        let started = Instant::now();
        let request = booking_request(tier_id, quantity, checkout);
        let key = Uuid::new_v4().to_string();
        let mut retried = Vec::new();
        loop {
            let (outcome, retry_after) = self.send_booking(token, &request, None, Some(&key)).await;
            let again = matches!(
                outcome,
                BookingOutcome::Failed(_) | BookingOutcome::Refused { status: 503, .. }
            );
            if !again || started.elapsed() >= retry_for {
                return Retried {
                    outcome,
                    latency: started.elapsed(),
                    retried,
                };
            }
            retried.push(outcome);
            tokio::time::sleep(retry_after.unwrap_or(RETRY_PAUSE).min(MAX_RETRY_PAUSE)).await;
        }
    }

    /// One `POST /bookings`, and the Retry-After of a 503.
    async fn send_booking(
        &self,
        token: &str,
        request: &CreateBookingRequest,
        queue_pass: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> (BookingOutcome, Option<Duration>) {
        let mut builder = self
            .request(Method::POST, "/bookings")
            .bearer_auth(token)
            .json(request);
        if let Some(pass) = queue_pass {
            builder = builder.header("Queue-Pass", pass);
        }
        if let Some(key) = idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        match builder.send().await {
            Err(error) => (BookingOutcome::Failed(error.to_string()), None),
            Ok(response) if response.status() == StatusCode::CREATED => {
                match response.json::<Booking>().await {
                    Ok(booking) => (BookingOutcome::Booked(booking), None),
                    Err(error) => (
                        BookingOutcome::Failed(format!("unreadable booking: {error}")),
                        None,
                    ),
                }
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
                    .map(Duration::from_secs);
                let code = response.json::<Problem>().await.ok().map(|p| p.code);
                (BookingOutcome::Refused { status, code }, retry_after)
            }
        }
    }
}

/// A retried booking's end: its last answer, the time from the first try to it, and the
/// answers before it that were asked again.
#[derive(Debug)]
pub struct Retried {
    pub outcome: BookingOutcome,
    pub latency: Duration,
    pub retried: Vec<BookingOutcome>,
}

/// Between tries of a request that got no answer (a 503 says its own pause).
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// A Retry-After longer than this is not waited out in full: the storm is timed.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(2);

fn booking_request(
    tier_id: Uuid,
    quantity: i64,
    checkout: Option<Checkout>,
) -> CreateBookingRequest {
    CreateBookingRequest {
        items: vec![BookingItemRequest {
            tier_id: Some(tier_id),
            event_id: None,
            quantity,
        }],
        checkout,
    }
}
