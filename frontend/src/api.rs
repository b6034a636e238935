//! Every HTTP call of the app, in the shapes of `booking-dto`. Authenticated calls carry
//! the in-memory access token; on a 401 they refresh once through the httpOnly cookie and
//! retry.

use booking_dto::{
    AuthResponse, Booking, BookingListParams, BookingStatus, CheckIn, CheckInRequest,
    CheckInSummary, CreateBookingRequest, CreateEventRequest, ErrorCode, Event, EventListParams,
    FieldProblem, LoginRequest, OrganizerEvent, Page, PayRequest, Problem, QueueStatus,
    RegisterRequest, Tier, TierRequest, UpdateEventRequest, UpdateTierRequest, WaitingListPlace,
};
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::browser;
use crate::state::Session;

const BASE: &str = "/api/v1";
/// Every tab of this origin refreshes under this lock: the refresh token rotates, and two
/// tabs sending the same one at once would look like theft and revoke the whole sign-in.
const REFRESH_LOCK: &str = "booking-refresh";

/// A card declined while paying a hold.
pub const DECLINED: &str =
    "Your card was declined. Nothing was charged, and the tickets were released.";
/// A hold that ran out before it was paid.
pub const HOLD_EXPIRED: &str = "Your hold ran out before payment, so the tickets were released.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The server answered with a problem document.
    Problem {
        problem: Problem,
        /// Seconds from `Retry-After`, on 429 and 503.
        retry_after: Option<u64>,
    },
    /// No answer: offline, DNS, connection reset.
    Network,
    /// No session to renew: this browser holds no sign-in (its session hint is absent), so
    /// nothing was asked of the server. Reads as a 401 to the callers.
    SignedOut,
    /// An answer the app cannot read.
    Unexpected(String),
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Problem { problem, .. } => Some(problem.code),
            Self::SignedOut => Some(ErrorCode::Unauthorized),
            Self::Network | Self::Unexpected(_) => None,
        }
    }

    pub fn field_errors(&self) -> &[FieldProblem] {
        match self {
            Self::Problem { problem, .. } => &problem.errors,
            _ => &[],
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Self::Problem { problem, .. } => &problem.detail,
            _ => "",
        }
    }

    /// The tier and the event the problem is about, when it names them.
    /// When a ticket refused as already checked in was first admitted.
    pub fn checked_in_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Self::Problem { problem, .. } => problem.checked_in_at,
            _ => None,
        }
    }

    pub fn about(&self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Problem { problem, .. } => (problem.tier_id, problem.event_id),
            _ => (None, None),
        }
    }

    /// A sentence for a person, for errors no page explains better.
    pub fn message(&self) -> String {
        match self {
            Self::Network => "Network problem: check your connection and try again.".to_owned(),
            Self::Unexpected(_) => "Something went wrong. Please try again.".to_owned(),
            Self::SignedOut => "Please sign in.".to_owned(),
            Self::Problem {
                problem,
                retry_after,
            } => match problem.code {
                ErrorCode::RateLimited => format!(
                    "Too many requests. Please try again in {}.",
                    seconds(retry_after.unwrap_or(1))
                ),
                ErrorCode::Unavailable => format!(
                    "The service is busy. Please try again in {}.",
                    seconds(retry_after.unwrap_or(1))
                ),
                ErrorCode::Unauthorized => "Please sign in again.".to_owned(),
                ErrorCode::PaymentDeclined => DECLINED.to_owned(),
                ErrorCode::HoldExpired => HOLD_EXPIRED.to_owned(),
                _ => problem.detail.clone(),
            },
        }
    }
}

fn seconds(count: u64) -> String {
    if count == 1 {
        "1 second".to_owned()
    } else {
        format!("{count} seconds")
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let request = request.map_err(|error| ApiError::Unexpected(error.to_string()))?;
    request.send().await.map_err(|_| ApiError::Network)
}

/// The body of a 2xx answer, or the problem of any other.
async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json()
            .await
            .map_err(|error| ApiError::Unexpected(error.to_string()));
    }
    Err(problem_of(response).await)
}

async fn problem_of(response: Response) -> ApiError {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.trim().parse().ok());
    match response.json::<Problem>().await {
        Ok(problem) => ApiError::Problem {
            problem,
            retry_after,
        },
        Err(_) => ApiError::Unexpected(format!("HTTP {}", response.status())),
    }
}

fn post_json(path: &str, body: &impl Serialize) -> Result<Request, gloo_net::Error> {
    Request::post(&format!("{BASE}{path}")).json(body)
}

/// Sends the request `build` makes with the session's token; on a 401, refreshes once and
/// sends it again. `build` is called again for the retry, with the new token.
async fn authed(
    session: Session,
    build: impl Fn(&str) -> Result<Request, gloo_net::Error>,
) -> Result<Response, ApiError> {
    let token = match session.token() {
        Some(token) => token,
        None => refresh(session, None).await?.access_token,
    };
    let response = send(build(&token)).await?;
    if response.status() != 401 {
        return Ok(response);
    }
    let fresh = refresh(session, Some(token)).await?;
    send(build(&fresh.access_token)).await
}

fn bearer(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

/// An authenticated `method` on `path` (under the API base), with `body` as JSON if any.
async fn call(
    session: Session,
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<Response, ApiError> {
    let url = format!("{BASE}{path}");
    authed(session, |token| {
        let builder = bearer(RequestBuilder::new(&url).method(method.clone()), token);
        match body {
            Some(body) => builder.json(body),
            None => builder.build(),
        }
    })
    .await
}

/// No body to send.
const NONE: Option<&()> = None;

/// A 2xx answer without a body, or the problem of any other.
async fn done(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        Err(problem_of(response).await)
    }
}

pub async fn register(body: &RegisterRequest) -> Result<AuthResponse, ApiError> {
    read(send(post_json("/auth/register", body)).await?).await
}

pub async fn login(body: &LoginRequest) -> Result<AuthResponse, ApiError> {
    read(send(post_json("/auth/login", body)).await?).await
}

/// Trades the refresh cookie for a new access token, in turn with every other tab, and
/// updates the session: signed in with the new token, or signed out when the cookie is
/// gone or revoked. `stale` is the token that just got a 401: if the session already
/// holds another one, a refresh finished meanwhile and that token is used as is. Without
/// the server's session hint there is no cookie to trade, and no request is sent: a
/// visitor who never signed in causes no failed request.
pub async fn refresh(session: Session, stale: Option<String>) -> Result<AuthResponse, ApiError> {
    let outcome = browser::with_tab_lock(REFRESH_LOCK, move || async move {
        if let (Some(user), Some(token)) = (session.user(), session.token())
            && stale.as_ref().is_some_and(|stale| *stale != token)
        {
            return Ok(AuthResponse {
                user,
                access_token: token,
                expires_in: 0,
            });
        }
        // Read inside the lock: another tab may have signed out meanwhile.
        if !browser::has_session_hint() {
            return Err(ApiError::SignedOut);
        }
        let response = send(Request::post(&format!("{BASE}/auth/refresh")).build()).await?;
        read::<AuthResponse>(response).await
    })
    .await
    .unwrap_or(Err(ApiError::Network));
    match &outcome {
        Ok(auth) => session.sign_in(auth.clone()),
        Err(error) if error.code() == Some(ErrorCode::Unauthorized) => session.sign_out(),
        Err(_) => {}
    }
    outcome
}

pub async fn logout() -> Result<(), ApiError> {
    done(send(Request::post(&format!("{BASE}/auth/logout")).build()).await?).await
}

pub async fn events(params: &EventListParams) -> Result<Page<Event>, ApiError> {
    let query = query_string(params);
    read(send(Request::get(&format!("{BASE}/events{query}")).build()).await?).await
}

pub async fn event(id: Uuid) -> Result<Event, ApiError> {
    read(send(Request::get(&format!("{BASE}/events/{id}")).build()).await?).await
}

/// Books everything in `body` at once. The same `idempotency_key` for a retry returns the
/// booking the first attempt made instead of booking again.
/// `queue_pass`: what the events' waiting room gave the buyer, if any.
pub async fn book(
    session: Session,
    body: &CreateBookingRequest,
    idempotency_key: &str,
    queue_pass: Option<&str>,
) -> Result<Booking, ApiError> {
    let response = authed(session, |token| {
        let request = bearer(Request::post(&format!("{BASE}/bookings")), token)
            .header("Idempotency-Key", idempotency_key);
        match queue_pass {
            Some(pass) => request.header("Queue-Pass", pass),
            None => request,
        }
        .json(body)
    })
    .await?;
    read(response).await
}

/// Takes a place in `event`'s waiting room (or answers the one the buyer has).
pub async fn join_queue(session: Session, event: Uuid) -> Result<QueueStatus, ApiError> {
    let path = format!("/events/{event}/queue");
    read(call(session, Method::POST, &path, NONE).await?).await
}

/// Where the buyer stands in `event`'s waiting room.
pub async fn queue_status(session: Session, event: Uuid) -> Result<QueueStatus, ApiError> {
    let path = format!("/events/{event}/queue/me");
    read(call(session, Method::GET, &path, NONE).await?).await
}

pub async fn bookings(
    session: Session,
    params: &BookingListParams,
) -> Result<Page<Booking>, ApiError> {
    let path = format!("/bookings{}", query_string(params));
    read(call(session, Method::GET, &path, NONE).await?).await
}

pub async fn booking(session: Session, id: Uuid) -> Result<Booking, ApiError> {
    read(call(session, Method::GET, &format!("/bookings/{id}"), NONE).await?).await
}

/// Pays for the held booking `id`; a retry after a lost answer is safe (a paid booking
/// is answered as it is, and charged nothing more).
pub async fn pay(session: Session, id: Uuid, body: &PayRequest) -> Result<Booking, ApiError> {
    let path = format!("/bookings/{id}/pay");
    read(call(session, Method::POST, &path, Some(body)).await?).await
}

/// Scans `code` in at the door of `event`.
pub async fn check_in(session: Session, event: Uuid, code: &str) -> Result<CheckIn, ApiError> {
    let body = CheckInRequest {
        code: code.to_owned(),
    };
    let path = format!("/events/{event}/check-ins");
    read(call(session, Method::POST, &path, Some(&body)).await?).await
}

pub async fn check_in_summary(session: Session, event: Uuid) -> Result<CheckInSummary, ApiError> {
    let path = format!("/events/{event}/check-ins/summary");
    read(call(session, Method::GET, &path, NONE).await?).await
}

/// Takes a place for `quantity` tickets of the sold-out `tier` of `event`.
pub async fn join_waiting_list(
    session: Session,
    event: Uuid,
    tier: Uuid,
    quantity: i64,
) -> Result<WaitingListPlace, ApiError> {
    let path = format!("/events/{event}/tiers/{tier}/waiting-list");
    let body = booking_dto::JoinWaitingListRequest { quantity };
    read(call(session, Method::POST, &path, Some(&body)).await?).await
}

pub async fn leave_waiting_list(session: Session, event: Uuid, tier: Uuid) -> Result<(), ApiError> {
    let path = format!("/events/{event}/tiers/{tier}/waiting-list");
    done(call(session, Method::DELETE, &path, NONE).await?).await
}

/// The caller's places in the waiting lists of `event`'s tiers.
pub async fn waiting_list_places(
    session: Session,
    event: Uuid,
) -> Result<Vec<WaitingListPlace>, ApiError> {
    let path = format!("/events/{event}/waiting-list");
    read(call(session, Method::GET, &path, NONE).await?).await
}

pub async fn cancel_booking(session: Session, id: Uuid) -> Result<Booking, ApiError> {
    let path = format!("/bookings/{id}/cancel");
    read(call(session, Method::POST, &path, NONE).await?).await
}

/// The caller's events with their sales (every event for an admin).
pub async fn organizer_events(session: Session) -> Result<Vec<OrganizerEvent>, ApiError> {
    read(call(session, Method::GET, "/organizer/events", NONE).await?).await
}

/// An event as its organizer sees it: drafts included.
pub async fn managed_event(session: Session, id: Uuid) -> Result<Event, ApiError> {
    read(call(session, Method::GET, &format!("/events/{id}"), NONE).await?).await
}

pub async fn create_event(session: Session, body: &CreateEventRequest) -> Result<Event, ApiError> {
    read(call(session, Method::POST, "/events", Some(body)).await?).await
}

pub async fn update_event(
    session: Session,
    id: Uuid,
    body: &UpdateEventRequest,
) -> Result<Event, ApiError> {
    read(call(session, Method::PATCH, &format!("/events/{id}"), Some(body)).await?).await
}

/// `action` is `publish` or `cancel`.
pub async fn event_action(session: Session, id: Uuid, action: &str) -> Result<Event, ApiError> {
    let path = format!("/events/{id}/{action}");
    read(call(session, Method::POST, &path, NONE).await?).await
}

pub async fn delete_event(session: Session, id: Uuid) -> Result<(), ApiError> {
    done(call(session, Method::DELETE, &format!("/events/{id}"), NONE).await?).await
}

pub async fn add_tier(session: Session, event: Uuid, body: &TierRequest) -> Result<Tier, ApiError> {
    let path = format!("/events/{event}/tiers");
    read(call(session, Method::POST, &path, Some(body)).await?).await
}

pub async fn update_tier(
    session: Session,
    event: Uuid,
    tier: Uuid,
    body: &UpdateTierRequest,
) -> Result<Tier, ApiError> {
    let path = format!("/events/{event}/tiers/{tier}");
    read(call(session, Method::PATCH, &path, Some(body)).await?).await
}

pub async fn remove_tier(session: Session, event: Uuid, tier: Uuid) -> Result<(), ApiError> {
    let path = format!("/events/{event}/tiers/{tier}");
    done(call(session, Method::DELETE, &path, NONE).await?).await
}

/// How many confirmed bookings hold tickets of the event: what cancelling it cancels.
pub async fn confirmed_bookings_of(session: Session, event: Uuid) -> Result<i64, ApiError> {
    let params = BookingListParams {
        status: Some(BookingStatus::Confirmed),
        page: None,
        limit: Some(1),
    };
    let path = format!(
        "/organizer/events/{event}/bookings{}",
        query_string(&params)
    );
    let page: Page<Booking> = read(call(session, Method::GET, &path, NONE).await?).await?;
    Ok(page.meta.total)
}

/// `?a=1&b=x` from the fields of `params` that are set, or nothing.
fn query_string(params: &impl Serialize) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(params) else {
        return String::new();
    };
    let pairs: Vec<String> = fields
        .into_iter()
        .filter_map(|(name, value)| {
            let text = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            let encoded = String::from(js_sys::encode_uri_component(&text));
            Some(format!("{name}={encoded}"))
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}
