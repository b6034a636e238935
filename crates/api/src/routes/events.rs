//! The public catalogue: upcoming published events, and one event with its tiers.

use actix_web::web;
use booking_domain::organizing;
use booking_domain::{EventStatus, Pagination};
use booking_dto::Problem;
use booking_dto::{Event, EventListParams, EventSortBy, Page, SortOrder, Tier, WaitingRoom};
use booking_persistence::events::{self, EventListQuery, EventRecord, EventSort, TierRecord};
use chrono::Utc;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::query::ValidQuery;
use crate::state::AppState;

/// Longest accepted search text; longer is not a real search.
const MAX_SEARCH_CHARS: usize = 100;

#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "listEvents",
    tag = "events",
    summary = "Upcoming published events",
    params(EventListParams),
    responses(
        (status = 200, description = "One page of events", body = Page<Event>),
        (status = 400, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    ValidQuery(params): ValidQuery<EventListParams>,
) -> Result<web::Json<Page<Event>>, ApiError> {
    let pagination = Pagination::parse(params.page, params.limit).map_err(ApiError::invalid)?;
    let search = params
        .search
        .map(|search| search.trim().to_owned())
        .filter(|search| !search.is_empty());
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::invalid(booking_domain::ValidationErrors::single(
            "search",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        )));
    }
    let query = EventListQuery {
        search,
        sort: match params.sort_by.unwrap_or(EventSortBy::Date) {
            EventSortBy::Date => EventSort::Date,
            EventSortBy::Price => EventSort::Price,
            EventSortBy::Title => EventSort::Title,
        },
        descending: params.sort_order == Some(SortOrder::Desc),
        offset: pagination.offset(),
        limit: i64::from(pagination.limit),
    };
    let mut conn = state.public_reads.get().await?;
    let (records, total) = events::list_upcoming(&mut conn, &query, Utc::now()).await?;
    Ok(web::Json(super::page(
        records.iter().map(to_dto).collect(),
        pagination,
        total,
    )))
}

/// An event. A draft is shown only to its organizer and admins: for anyone else it is a
/// 404, as if it did not exist.
#[utoipa::path(
    get,
    path = "/api/v1/events/{id}",
    operation_id = "getEvent",
    tag = "events",
    summary = "One event with its tiers",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 404, description = "No such event, or a draft of someone else's (EventNotFound)", body = Problem, content_type = "application/problem+json")
    ),
    security((), ("bearer" = []))
)]
pub async fn detail(
    state: web::Data<AppState>,
    // A missing or bad token reads as the public: the event may still be shown.
    caller: Option<AuthUser>,
    id: web::Path<String>,
) -> Result<web::Json<Event>, ApiError> {
    let not_found = ApiError::no_such_event;
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let mut conn = state.public_reads.get().await?;
    let event = events::find(&mut conn, id)
        .await?
        .filter(|event| {
            organizing::may_see(
                caller.map(AuthUser::actor),
                event.organizer_id,
                event.status,
            )
        })
        .ok_or_else(not_found)?;
    Ok(web::Json(to_dto(&event)))
}

pub fn tier_to_dto(tier: &TierRecord) -> Tier {
    Tier {
        id: tier.id,
        name: tier.name.clone(),
        price_cents: tier.price_cents,
        currency: tier.currency.clone(),
        capacity: tier.capacity,
        remaining: tier.remaining,
    }
}

pub fn to_dto(event: &EventRecord) -> Event {
    Event {
        id: event.id,
        title: event.title.clone(),
        description: event.description.clone(),
        venue: event.venue.clone(),
        starts_at: event.starts_at,
        status: match event.status {
            EventStatus::Draft => booking_dto::EventStatus::Draft,
            EventStatus::Published => booking_dto::EventStatus::Published,
            EventStatus::Cancelled => booking_dto::EventStatus::Cancelled,
        },
        max_tickets_per_user: event.max_tickets_per_user,
        hold_minutes: event.hold_minutes,
        offer_minutes: event.offer_minutes,
        sales_start_at: event.sales_start_at,
        waiting_room: event.waiting_room.map(|room| WaitingRoom {
            admit_per_minute: room.admit_per_minute,
            opens_minutes: room.opens_minutes,
        }),
        total_tickets: event.total_tickets(),
        remaining_tickets: event.remaining_tickets(),
        lowest_price_cents: event.lowest_price_cents(),
        tiers: event.tiers.iter().map(tier_to_dto).collect(),
    }
}
