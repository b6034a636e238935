use actix_web::{HttpResponse, web};
use booking_dto::Problem;
use booking_dto::{Health, Readiness};
use booking_persistence::pool;

use crate::problem::ApiError;
use crate::state::AppState;

/// The process is up: no dependency is checked, so an orchestrator restarts only a dead process.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "operations",
    summary = "The process is up",
    responses(
        (status = 200, description = "Up", body = Health)
    )
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The process can serve traffic: a connection is free and the database answers.
#[utoipa::path(
    get,
    path = "/ready",
    operation_id = "ready",
    tag = "operations",
    summary = "The database answers",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Database unreachable; retry after Retry-After seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    pool::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        database: "up".into(),
    }))
}

/// Prometheus text: this instance's requests, bookings, pool and live updates.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String)
    )
)]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state
        .metrics
        .encode(&state.pool)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}
