//! Organizers run their own events (admins any): create, edit, publish, cancel, delete a
//! draft, change a tier, and watch sales.

use actix_web::{HttpResponse, web};
use booking_domain::Role;
use booking_domain::organizing::{
    self, EventChanges, NewEvent, NewTier, RawEventFields, RawTier, RawWaitingRoom, TierChanges,
};
use booking_dto::{Booking, BookingListParams, Page, Problem, WaitingListLength};
use booking_dto::{
    CreateEventRequest, Event, OrganizerEvent, Tier, TierRequest, UpdateEventRequest,
    UpdateTierRequest, WaitingRoomRequest,
};
use booking_persistence::bookings::BookingScope;
use booking_persistence::events::{self, EventRecord};
use chrono::Utc;
use uuid::Uuid;

use super::events::{tier_to_dto, to_dto};
use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::ApiError;
use crate::query::ValidQuery;
use crate::state::AppState;

fn require_organizer(caller: AuthUser) -> Result<(), ApiError> {
    match caller.role {
        Role::Organizer | Role::Admin => Ok(()),
        Role::Customer => Err(ApiError::Forbidden("Only organizers manage events.")),
    }
}

/// A tier id from the path; one that cannot be an id is a tier this event does not have.
fn raw_room(room: WaitingRoomRequest) -> RawWaitingRoom {
    RawWaitingRoom {
        admit_per_minute: room.admit_per_minute,
        opens_minutes: room.opens_minutes,
    }
}

fn parse_tier_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| events::TierChangeError::NotFound.into())
}

/// The event, if the caller may manage it: 404 when it does not exist, 403 when it is
/// someone else's.
pub(super) async fn managed_event(
    state: &AppState,
    caller: AuthUser,
    id: &str,
) -> Result<EventRecord, ApiError> {
    require_organizer(caller)?;
    let not_found = ApiError::no_such_event;
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let event = events::find(&mut *state.pool.get().await?, id)
        .await?
        .ok_or_else(not_found)?;
    if !organizing::may_manage(caller.actor(), event.organizer_id) {
        return Err(ApiError::Forbidden(
            "This event belongs to another organizer.",
        ));
    }
    Ok(event)
}

#[utoipa::path(
    post,
    path = "/api/v1/events",
    operation_id = "createEvent",
    tag = "organizer",
    summary = "Create an event (as a draft)",
    request_body = CreateEventRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = Event),
        (status = 403, description = "Not an organizer (Forbidden)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    ValidJson(body): ValidJson<CreateEventRequest>,
) -> Result<HttpResponse, ApiError> {
    require_organizer(caller)?;
    let now = Utc::now();
    let fields = RawEventFields {
        title: Some(body.title),
        description: body.description,
        venue: Some(body.venue),
        starts_at: Some(body.starts_at),
        max_tickets_per_user: body.max_tickets_per_user,
        hold_minutes: body.hold_minutes,
        offer_minutes: body.offer_minutes,
        sales_start_at: Some(body.sales_start_at),
        waiting_room: Some(body.waiting_room.map(raw_room)),
    };
    let tiers: Vec<RawTier> = body
        .tiers
        .into_iter()
        .map(|tier| RawTier {
            name: tier.name,
            price_cents: tier.price_cents,
            currency: tier.currency,
            capacity: tier.capacity,
        })
        .collect();
    let event = NewEvent::parse(&fields, &tiers, now).map_err(ApiError::invalid)?;
    let created = events::create(&mut *state.pool.get().await?, caller.id, &event, now).await?;
    Ok(HttpResponse::Created().json(to_dto(&created)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/events/{id}",
    operation_id = "updateEvent",
    tag = "organizer",
    summary = "Edit an event",
    request_body = UpdateEventRequest, params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The edited event", body = Event),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is cancelled (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
    ValidJson(body): ValidJson<UpdateEventRequest>,
) -> Result<web::Json<Event>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    let now = Utc::now();
    let changes = EventChanges::parse(
        &RawEventFields {
            title: body.title,
            description: body.description,
            venue: body.venue,
            starts_at: body.starts_at,
            max_tickets_per_user: body.max_tickets_per_user,
            hold_minutes: body.hold_minutes,
            offer_minutes: body.offer_minutes,
            sales_start_at: body.sales_start_at,
            waiting_room: body.waiting_room.map(|room| room.map(raw_room)),
        },
        now,
    )
    .map_err(ApiError::invalid)?;
    let updated = events::update(&mut *state.pool.get().await?, event.id, &changes, now).await?;
    Ok(web::Json(to_dto(&updated)))
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/publish",
    operation_id = "publishEvent",
    tag = "organizer",
    summary = "Publish a draft: it goes on sale",
    params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The published event", body = Event),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn publish(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<Event>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    let published = events::publish(&mut *state.pool.get().await?, event.id, Utc::now()).await?;
    Ok(web::Json(to_dto(&published)))
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/cancel",
    operation_id = "cancelEvent",
    tag = "organizer",
    summary = "Cancel an event: sales stop, its bookings are cancelled and their tickets return",
    params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The cancelled event", body = Event),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<Event>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    let cancelled = state.organizing.cancel_event(event.id).await?;
    Ok(web::Json(to_dto(&cancelled)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/events/{id}",
    operation_id = "deleteEvent",
    tag = "organizer",
    summary = "Delete a draft that was never booked",
    params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft, or booked (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    events::delete_draft(&mut *state.pool.get().await?, event.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    patch,
    path = "/api/v1/events/{id}/tiers/{tier_id}",
    operation_id = "updateTier",
    tag = "organizer",
    summary = "Rename, re-price or resize a tier (never below what is sold)",
    request_body = UpdateTierRequest, params(("id" = String, Path, description = "Event id"), ("tier_id" = String, Path, description = "Tier id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The tier", body = Tier),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound) or tier (NotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Capacity below sold (CapacityBelowSold) or event cancelled (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_tier(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(String, String)>,
    ValidJson(body): ValidJson<UpdateTierRequest>,
) -> Result<web::Json<Tier>, ApiError> {
    let (event_id, tier_id) = path.into_inner();
    let event = managed_event(&state, caller, &event_id).await?;
    let tier_id = parse_tier_id(&tier_id)?;
    let changes = TierChanges::parse(body.name.as_deref(), body.price_cents, body.capacity)
        .map_err(ApiError::invalid)?;
    let tier = state
        .organizing
        .update_tier(event.id, tier_id, &changes)
        .await?;
    Ok(web::Json(tier_to_dto(&tier)))
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/tiers",
    operation_id = "addTier",
    tag = "organizer",
    summary = "Add a tier to an event (same currency, a new name)",
    request_body = TierRequest, params(("id" = String, Path, description = "Event id")), security(("bearer" = [])),
    responses(
        (status = 201, description = "The new tier", body = Tier),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Event cancelled (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn add_tier(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
    ValidJson(body): ValidJson<TierRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    let tier = NewTier::parse(&RawTier {
        name: body.name,
        price_cents: body.price_cents,
        currency: body.currency,
        capacity: body.capacity,
    })
    .map_err(ApiError::invalid)?;
    let tier = state.organizing.add_tier(event.id, &tier).await?;
    Ok(HttpResponse::Created().json(tier_to_dto(&tier)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/events/{id}/tiers/{tier_id}",
    operation_id = "removeTier",
    tag = "organizer",
    summary = "Remove a tier that was never booked (not the event's last)",
    params(("id" = String, Path, description = "Event id"), ("tier_id" = String, Path, description = "Tier id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound) or tier (NotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tier has bookings, is the last one, or the event is cancelled (EventStateConflict)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn remove_tier(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (event_id, tier_id) = path.into_inner();
    let event = managed_event(&state, caller, &event_id).await?;
    let tier_id = parse_tier_id(&tier_id)?;
    state.organizing.remove_tier(event.id, tier_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The bookings holding tickets of one of the caller's events.
#[utoipa::path(
    get,
    path = "/api/v1/organizer/events/{id}/bookings",
    operation_id = "listEventBookings",
    tag = "organizer",
    summary = "The bookings of one of my events, newest first",
    params(("id" = String, Path, description = "Event id"), BookingListParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of bookings", body = Page<Booking>),
        (status = 400, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not yours (Forbidden)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event (EventNotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn event_bookings(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
    ValidQuery(params): ValidQuery<BookingListParams>,
) -> Result<web::Json<Page<Booking>>, ApiError> {
    let event = managed_event(&state, caller, &id).await?;
    super::bookings::list_page(&state, BookingScope::Event(event.id), &params).await
}

/// The caller's events with sales (every event for an admin).
#[utoipa::path(
    get,
    path = "/api/v1/organizer/events",
    operation_id = "listOrganizerEvents",
    tag = "organizer",
    summary = "My events with sold, remaining and revenue (every event for an admin)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events with sales", body = Vec<OrganizerEvent>),
        (status = 403, description = "Not an organizer (Forbidden)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn my_events(
    state: web::Data<AppState>,
    caller: AuthUser,
) -> Result<web::Json<Vec<OrganizerEvent>>, ApiError> {
    require_organizer(caller)?;
    let scope = (caller.role != Role::Admin).then_some(caller.id);
    let sales = events::sales(&mut *state.pool.get().await?, scope).await?;
    Ok(web::Json(
        sales
            .iter()
            .map(|sale| OrganizerEvent {
                event: to_dto(&sale.event),
                sold: sale.sold,
                held: sale.held,
                revenue_cents: sale.revenue_cents,
                waiting_lists: sale
                    .waiting_lists
                    .iter()
                    .map(|line| WaitingListLength {
                        tier_id: line.tier_id,
                        people: line.people,
                        tickets: line.tickets,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
