//! An event's waiting room: taking a place and where the caller stands.

use actix_web::{HttpResponse, web};
use booking_domain::waiting_room::{self, QueuePass, Standing};
use booking_dto::{Problem, QueueState, QueueStatus};
use booking_persistence::waiting_room::{self as rooms, Place, QueueError};
use chrono::Utc;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::state::AppState;

fn event_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::no_such_event())
}

fn refused(error: QueueError) -> ApiError {
    match error {
        QueueError::EventNotFound => ApiError::no_such_event(),
        QueueError::NoRoom | QueueError::NoPlace => ApiError::NotFound(error.to_string()),
        QueueError::NotOpen(_) => ApiError::QueueNotOpen(error.to_string()),
        QueueError::Db(db) => db.into(),
    }
}

/// The caller's standing as the API shows it, with a signed pass while admitted.
fn status_of(state: &AppState, caller: AuthUser, event_id: Uuid, place: Place) -> QueueStatus {
    let standing = waiting_room::standing(
        place.position,
        place.admitted_at,
        place.admitted_through,
        place.sold_out,
        Utc::now(),
    );
    let (status, ahead, pass, pass_expires_at) = match standing {
        Standing::Waiting { ahead, .. } => (QueueState::Waiting, ahead, None, None),
        Standing::Admitted { pass_expires_at } => {
            let pass = state.ticket_codes.pass(&QueuePass {
                event_id,
                user_id: caller.id,
                expires_at: pass_expires_at,
            });
            (
                QueueState::Admitted,
                Some(0),
                Some(pass),
                Some(pass_expires_at),
            )
        }
        Standing::Expired => (QueueState::Expired, Some(0), None, None),
        Standing::SoldOut => (QueueState::SoldOut, None, None, None),
    };
    QueueStatus {
        status,
        position: place.position,
        ahead,
        admitted_through: place.admitted_through,
        pass,
        pass_expires_at,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/queue",
    operation_id = "joinQueue",
    tag = "waiting room",
    summary = "Take a place in an event's waiting room",
    description = "From `opensMinutes` before `salesStartAt`. Everyone who takes a place \
        before the sale start is equal: at the start their order is drawn at random, once; \
        later arrivals queue behind them in arrival order. One place per account: taking \
        it again answers 200 with the place there is. Places are admitted in order at the \
        room's `admitPerMinute`; an admitted buyer books with the `pass` of \
        `GET /events/{id}/queue/me` in the `Queue-Pass` header.",
    params(("id" = String, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A new place", body = QueueStatus),
        (status = 200, description = "The place the caller had", body = QueueStatus),
        (status = 404, description = "No such event (EventNotFound), or it has no waiting room (NotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The room is not open: too early, or the event is not on sale (QueueNotOpen)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn join(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event_id = event_id(&id)?;
    let mut conn = state.pool.get().await?;
    let (place, new) = rooms::join(&mut conn, caller.id, event_id, Utc::now())
        .await
        .map_err(refused)?;
    let status = status_of(&state, caller, event_id, place);
    Ok(if new {
        HttpResponse::Created().json(status)
    } else {
        HttpResponse::Ok().json(status)
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/queue/me",
    operation_id = "myQueueStatus",
    tag = "waiting room",
    summary = "Where the caller stands in an event's waiting room",
    params(("id" = String, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`waiting` (with `position` and `ahead` once drawn), `admitted` (with `pass` and `passExpiresAt`), `expired` or `soldOut`", body = QueueStatus),
        (status = 404, description = "No such event (EventNotFound), or no place of the caller's (NotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn me(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<QueueStatus>, ApiError> {
    let event_id = event_id(&id)?;
    let mut conn = state.pool.get().await?;
    let place = rooms::place(&mut conn, caller.id, event_id)
        .await
        .map_err(refused)?;
    Ok(web::Json(status_of(&state, caller, event_id, place)))
}
