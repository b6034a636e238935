//! `GET /api/v1/ws`: the upgrade to a live-availability WebSocket.

use actix_web::{HttpRequest, HttpResponse, web};
use booking_domain::ValidationErrors;
use booking_dto::{Problem, ServerMessage};

use crate::live::session;
use crate::problem::ApiError;
use crate::state::AppState;

/// Anyone may watch availability: counts are public, like `GET /events`.
#[utoipa::path(
    get,
    path = "/api/v1/ws",
    operation_id = "liveAvailability",
    tag = "live",
    summary = "Live ticket counts over a WebSocket",
    description = "Upgrades to a WebSocket. The server first sends `hello` with its time, \
        then a `ticketUpdate` (a tier's remaining tickets and its event's total) after every \
        committed booking, cancellation, capacity change or event cancellation, on any api \
        instance; under load, at most one per tier per interval carrying the latest count. \
        A client may send `subscribe` with `eventIds` to narrow to those events; it then \
        gets their current counts first. A signed-in client may send `authenticate` with \
        its access token (answered `authenticated`): tickets offered to that buyer from a \
        waiting list then arrive as `offer` with `bookingId` and `expiresAt`, on this \
        connection alone; `signOut` ends that. The server \
        pings; a client that answers nothing within the timeout, or stops reading, is \
        disconnected.",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; frames carry ServerMessage JSON", body = ServerMessage),
        (status = 400, description = "Not a WebSocket upgrade request (ValidationError)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn connect(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (response, socket, frames) = actix_ws::handle(&request, body).map_err(|error| {
        ApiError::invalid(ValidationErrors::single("upgrade", error.to_string()))
    })?;
    actix_web::rt::spawn(session::run(
        state.live.clone(),
        state.auth.clone(),
        socket,
        frames,
    ));
    Ok(response)
}
