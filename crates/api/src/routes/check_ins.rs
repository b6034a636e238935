//! The door: scanning tickets in, and how many are in.

use actix_web::web;
use booking_domain::ticket::ScanResult;
use booking_dto::{CheckIn, CheckInRequest, CheckInSummary, Problem, TierCheckIns};
use booking_persistence::check_ins;
use chrono::{SubsecRound, Utc};

use super::organizer::managed_event;
use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::ApiError;
use crate::state::AppState;

/// Checks a ticket in: admitted the first time, refused after (with the first scan's
/// time), void when its booking was cancelled. Every scan is logged.
#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/check-ins",
    operation_id = "checkIn",
    tag = "door",
    summary = "Scan a ticket in at the door (the event's organizer or an admin)",
    request_body = CheckInRequest,
    params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Admitted, the first time this ticket is scanned", body = CheckIn),
        (status = 400, description = "A forged, altered or unreadable code (InvalidTicketCode)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this event's organizer or an admin (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound), or a ticket of another event (TicketNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already admitted (AlreadyCheckedIn, with `checkedInAt` of the first scan), or its booking is cancelled (TicketVoid)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
    ValidJson(body): ValidJson<CheckInRequest>,
) -> Result<web::Json<CheckIn>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    // PostgreSQL keeps microseconds: the answer shows the time a later read shows.
    let now = Utc::now().trunc_subsecs(6);
    let mut conn = state.pool.get().await?;
    let Some(ticket) = state.ticket_codes.verify(&body.code) else {
        check_ins::log_scan(
            &mut conn,
            event.id,
            None,
            caller.id,
            now,
            ScanResult::Invalid,
        )
        .await?;
        return Err(ApiError::InvalidTicketCode);
    };
    let admission = check_ins::check_in(&mut conn, event.id, ticket, caller.id, now).await??;
    state.live.checked_in(event.id);
    Ok(web::Json(CheckIn {
        ticket_id: admission.ticket_id,
        holder_name: admission.holder_name,
        tier_name: admission.tier_name,
        checked_in_at: admission.checked_in_at,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/check-ins/summary",
    operation_id = "checkInSummary",
    tag = "door",
    summary = "Checked in and total tickets, per tier (the event's organizer or an admin)",
    params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The door's count", body = CheckInSummary),
        (status = 403, description = "Not this event's organizer or an admin (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn summary(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<CheckInSummary>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    let tiers = check_ins::summary(&mut *state.pool.get().await?, event.id).await?;
    Ok(web::Json(CheckInSummary {
        event_id: event.id,
        checked_in: tiers.iter().map(|tier| tier.checked_in).sum(),
        total: tiers.iter().map(|tier| tier.total).sum(),
        tiers: tiers
            .into_iter()
            .map(|tier| TierCheckIns {
                tier_id: tier.tier_id,
                tier_name: tier.tier_name,
                checked_in: tier.checked_in,
                total: tier.total,
            })
            .collect(),
    }))
}
