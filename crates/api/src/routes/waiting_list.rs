//! Waiting lists of sold-out tiers: taking a place, leaving it, and where the caller
//! stands. The offers themselves are made where tickets come back (persistence).

use actix_web::{HttpResponse, web};
use booking_domain::ValidationErrors;
use booking_dto::{JoinWaitingListRequest, Problem, WaitingListPlace};
use booking_persistence::waiting_list::{self, Place};
use chrono::Utc;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::ApiError;
use crate::state::AppState;

/// The event and tier a path names; ids that do not parse name nothing.
fn ids(path: (String, String)) -> Result<(Uuid, Uuid), ApiError> {
    let event_id = path.0.parse().map_err(|_| ApiError::no_such_event())?;
    let tier_id = path
        .1
        .parse()
        .map_err(|_| ApiError::NotFound("No such ticket tier in this event.".into()))?;
    Ok((event_id, tier_id))
}

fn to_dto(place: Place) -> WaitingListPlace {
    WaitingListPlace {
        tier_id: place.tier_id,
        quantity: place.quantity,
        position: place.position,
        joined_at: place.joined_at,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/tiers/{tier_id}/waiting-list",
    operation_id = "joinWaitingList",
    tag = "waiting list",
    summary = "Wait for tickets of a sold-out tier",
    description = "Takes the caller's place at the end of the tier's waiting list. Tickets \
        that come back to the tier (a cancellation, an expired hold, a declined payment, a \
        larger capacity) go to the first in line as a booking `pending` with `origin` \
        `waitingList` until `expiresAt` (the event's `offerMinutes`), paid with `/pay`; \
        the buyer's WebSocket gets `{\"type\":\"offer\"}`. The first in line is offered \
        what came back up to what they wait for and keeps their place for the rest. An \
        offer let go (expired, declined, cancelled unpaid) costs the place. A place \
        counts against the per-person limit like a ticket held.",
    request_body = JoinWaitingListRequest,
    params(("id" = String, Path, description = "Event id"), ("tier_id" = String, Path, description = "Tier id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The caller's place", body = WaitingListPlace),
        (status = 404, description = "No such event (EventNotFound) or tier of it (NotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Tickets are on sale (NotSoldOut), the caller waits already (AlreadyOnWaitingList), over the per-person limit (TicketLimitExceeded), or the event is not on sale (EventNotBookable)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn join(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(String, String)>,
    ValidJson(body): ValidJson<JoinWaitingListRequest>,
) -> Result<HttpResponse, ApiError> {
    let (event_id, tier_id) = ids(path.into_inner())?;
    let quantity = u32::try_from(body.quantity)
        .ok()
        .filter(|quantity| *quantity > 0)
        .ok_or_else(|| {
            ApiError::invalid(ValidationErrors::single(
                "quantity",
                "must be a whole number of at least 1",
            ))
        })?;
    let mut conn = state.pool.get().await?;
    let place = waiting_list::join(
        &mut conn,
        caller.id,
        event_id,
        tier_id,
        quantity,
        Utc::now(),
    )
    .await
    .map_err(|error| ApiError::from_waiting_list(event_id, error))?;
    Ok(HttpResponse::Created().json(to_dto(place)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/events/{id}/tiers/{tier_id}/waiting-list",
    operation_id = "leaveWaitingList",
    tag = "waiting list",
    summary = "Leave a tier's waiting list",
    params(("id" = String, Path, description = "Event id"), ("tier_id" = String, Path, description = "Tier id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The caller's place is gone"),
        (status = 404, description = "The caller is not on this waiting list (NotOnWaitingList), or no such event (EventNotFound) or tier (NotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn leave(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (event_id, tier_id) = ids(path.into_inner())?;
    let mut conn = state.pool.get().await?;
    waiting_list::leave(&mut conn, caller.id, event_id, tier_id)
        .await
        .map_err(|error| ApiError::from_waiting_list(event_id, error))?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/waiting-list",
    operation_id = "myWaitingListPlaces",
    tag = "waiting list",
    summary = "The caller's places in the waiting lists of an event's tiers",
    params(("id" = String, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One place per tier the caller waits for, in tier order", body = Vec<WaitingListPlace>),
        (status = 404, description = "Not an event id (EventNotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn mine(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<Vec<WaitingListPlace>>, ApiError> {
    let event_id: Uuid = id.parse().map_err(|_| ApiError::no_such_event())?;
    let places =
        waiting_list::places_of(&mut *state.pool.get().await?, caller.id, event_id).await?;
    Ok(web::Json(places.into_iter().map(to_dto).collect()))
}
