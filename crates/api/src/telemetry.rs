//! What operators see of each request: an id on every log line it causes and in its
//! response (`X-Request-Id`), a log line when it fails, and its count and duration in
//! `/metrics`. Logs are text, or JSON objects with `LOG_FORMAT=json`.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use uuid::Uuid;

use crate::metrics::{Metrics, RequestLabels, RouteLabels};
use crate::problem::{ApiError, Unavailability};
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-chosen request id kept; a longer or odd one is replaced.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), `LOG_FORMAT=json`
/// writes one JSON object per line with the request's span (its `request_id`) in it.
pub fn init_logging() -> Result<(), String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = std::env::var("LOG_FORMAT").unwrap_or_default();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files or pipes.
        .with_ansi(std::io::stderr().is_terminal());
    match format.as_str() {
        "" | "text" => builder.try_init(),
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        other => return Err(format!("LOG_FORMAT `{other}` is not `text` or `json`")),
    }
    .map_err(|error| error.to_string())
}

/// A client's id is kept when it is short and made of characters safe in any log:
/// letters, digits and `-_.:`. Anything else could forge log lines or flood them.
fn client_request_id(value: &HeaderValue) -> Option<String> {
    let id = value.to_str().ok()?;
    let well_formed = !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    well_formed.then(|| id.to_owned())
}

/// Runs the request inside a span holding its id, answers with the id, and counts it.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(client_request_id)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let method = method_label(req.method());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let mut response = next.call(req).instrument(span.clone()).await?;

    let status = response.status();
    // The declared route, so that ids in paths do not each make a series of their own.
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "other".to_owned());
    let cause = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>());
    if let Some(metrics) = metrics {
        record(&metrics, route, method, status.as_u16(), started, cause);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), elapsed_ms, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), elapsed_ms, "request served");
        }
    });
    Ok(response)
}

/// The method as a metric label: HTTP lets a client invent methods, and each would
/// otherwise make series of its own.
fn method_label(method: &Method) -> String {
    match *method {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::HEAD
        | Method::OPTIONS => method.as_str().to_owned(),
        _ => "OTHER".to_owned(),
    }
}

fn record(
    metrics: &Metrics,
    route: String,
    method: String,
    status: u16,
    started: Instant,
    cause: Option<&ApiError>,
) {
    metrics
        .http
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method: method.clone(),
            status,
        })
        .inc();
    metrics
        .http
        .seconds
        .get_or_create(&RouteLabels { route, method })
        .observe(started.elapsed().as_secs_f64());
    match cause {
        Some(ApiError::Unavailable(Unavailability::LockTimeout)) => {
            metrics.database.lock_timeouts.inc();
        }
        Some(ApiError::Unavailable(Unavailability::StatementCancelled(_))) => {
            metrics.database.statements_cancelled.inc();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for invented in ["FOOBAR", "PURGE", "X1"] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "OTHER");
        }
    }

    #[test]
    fn a_client_request_id_is_kept_only_when_short_and_plain() {
        let id = |raw: &str| client_request_id(&HeaderValue::from_str(raw).unwrap());
        assert_eq!(id("req-42_a.b:c").as_deref(), Some("req-42_a.b:c"));
        assert_eq!(
            id("0f8fad5b-d9cb-469f-a165-70867728950e").as_deref(),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        for refused in ["", "has space", "line\tbreak", "quote\"", &"x".repeat(65)] {
            assert_eq!(id(refused), None, "{refused:?}");
        }
    }
}
