//! Booking tickets, and reading one's own bookings.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse, web};
use booking_domain::lifecycle::{self, Checkout};
use booking_domain::ticket;
use booking_domain::{
    BookingOrigin, BookingReference, BookingRequest, BookingStatus, Card, Pagination, RawCard,
    RawItem, ValidationErrors,
};
use booking_dto::Problem;
use booking_dto::{
    Booking, BookingItem, BookingListParams, CreateBookingRequest, Page, PayRequest, Ticket,
};
use booking_persistence::bookings::{self, BookingRecord, BookingScope, Idempotency, Order};
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::ApiError;
use crate::query::ValidQuery;
use crate::state::AppState;
use crate::tickets::TicketCodes;

const IDEMPOTENCY_KEY: &str = "idempotency-key";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

#[utoipa::path(
    post,
    path = "/api/v1/bookings",
    operation_id = "createBooking",
    tag = "bookings",
    summary = "Book tickets, all or nothing",
    request_body = CreateBookingRequest, params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retry key (1 to 255 visible ASCII characters): a retry returns the original booking and books nothing")), security(("bearer" = [])),
    responses(
        (status = 201, description = "Booked and paid; with `\"checkout\": \"hold\"`, held (`pending`) until `expiresAt` for `/bookings/{id}/pay`", body = Booking),
        (status = 402, description = "Payment declined; nothing was booked (PaymentDeclined)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown event (EventNotFound) or tier (NotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "InsufficientTickets, TicketLimitExceeded, EventNotBookable, or BookingAlreadyCancelled when the event was cancelled during the payment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another body (IdempotencyKeyReused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many booking requests from this account (RateLimited); Retry-After says when to retry", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    ValidJson(body): ValidJson<CreateBookingRequest>,
) -> Result<HttpResponse, ApiError> {
    let made = if body.checkout.is_some() {
        &state.metrics.bookings.held
    } else {
        &state.metrics.bookings.confirmed
    };
    let answer = book(&state, caller, &req, body).await;
    match &answer {
        Ok(response) if response.headers().contains_key(&REPLAYED) => {}
        Ok(_) => {
            made.inc();
        }
        Err(error) => state
            .metrics
            .bookings
            .rejected(format!("{:?}", error.code())),
    }
    answer
}

/// The `Queue-Pass` header, if any: what an event's waiting room gave an admitted buyer.
fn queue_pass(req: &HttpRequest) -> Option<&str> {
    req.headers().get("queue-pass")?.to_str().ok()
}

/// Marks the answer to a retry that booked nothing.
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

async fn book(
    state: &AppState,
    caller: AuthUser,
    req: &HttpRequest,
    body: CreateBookingRequest,
) -> Result<HttpResponse, ApiError> {
    state.limits.check_buyer(caller.id)?;
    let raw: Vec<RawItem> = body
        .items
        .iter()
        .map(|item| RawItem {
            tier_id: item.tier_id,
            event_id: item.event_id,
            quantity: item.quantity,
        })
        .collect();
    let request = BookingRequest::parse(&raw).map_err(ApiError::invalid)?;
    let idempotency = match idempotency_key(req)? {
        // The body as parsed, re-serialised: the same request hashes the same whatever
        // its whitespace or field order.
        Some(key) => Some(Idempotency {
            key,
            request_hash: Sha256::digest(serde_json::to_vec(&body).map_err(ApiError::internal)?)
                .to_vec(),
        }),
        None => None,
    };
    let order = Order {
        user_id: caller.id,
        request,
        idempotency,
        checkout: match body.checkout {
            Some(booking_dto::Checkout::Hold) => Checkout::Hold,
            None => Checkout::Instant,
        },
        admitted_to: queue_pass(req)
            .and_then(|pass| state.ticket_codes.verify_pass(pass))
            .and_then(|pass| pass.admits(caller.id, Utc::now())),
    };
    let created = state.bookings.book(order).await?;
    let mut response = HttpResponse::Created();
    if created.replayed {
        response.insert_header((REPLAYED, "true"));
    }
    Ok(response.json(to_dto(&created.booking, &state.ticket_codes)))
}

#[utoipa::path(
    get,
    path = "/api/v1/bookings",
    operation_id = "listBookings",
    tag = "bookings",
    summary = "My bookings, newest first",
    params(BookingListParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of bookings", body = Page<Booking>),
        (status = 400, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    ValidQuery(params): ValidQuery<BookingListParams>,
) -> Result<web::Json<Page<Booking>>, ApiError> {
    list_page(&state, BookingScope::Buyer(caller.id), &params).await
}

/// A page of the bookings in `scope`, filtered and paged as `params` ask.
pub async fn list_page(
    state: &AppState,
    scope: BookingScope,
    params: &BookingListParams,
) -> Result<web::Json<Page<Booking>>, ApiError> {
    let pagination = Pagination::parse(params.page, params.limit).map_err(ApiError::invalid)?;
    let status = params.status.map(|status| match status {
        booking_dto::BookingStatus::Pending => BookingStatus::Pending,
        booking_dto::BookingStatus::Confirmed => BookingStatus::Confirmed,
        booking_dto::BookingStatus::Cancelled => BookingStatus::Cancelled,
        booking_dto::BookingStatus::Expired => BookingStatus::Expired,
    });
    let mut conn = state.pool.get().await?;
    let (records, total) = bookings::list(
        &mut conn,
        scope,
        status,
        pagination.offset(),
        i64::from(pagination.limit),
    )
    .await?;
    Ok(web::Json(super::page(
        records
            .iter()
            .map(|record| to_dto(record, &state.ticket_codes))
            .collect(),
        pagination,
        total,
    )))
}

/// One booking by id or by reference (`BK-7F3K9Q`). Someone else's booking is a 404,
/// so ids cannot be probed; admins see every booking.
#[utoipa::path(
    get,
    path = "/api/v1/bookings/{id_or_reference}",
    operation_id = "getBooking",
    tag = "bookings",
    summary = "One of my bookings, by id or reference (BK-7F3K9Q)",
    params(("id_or_reference" = String, Path, description = "Booking id or reference")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking", body = Booking),
        (status = 404, description = "No such booking of yours (BookingNotFound)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn detail(
    state: web::Data<AppState>,
    caller: AuthUser,
    id_or_reference: web::Path<String>,
) -> Result<web::Json<Booking>, ApiError> {
    let mut conn = state.pool.get().await?;
    let booking = if let Ok(id) = id_or_reference.parse::<Uuid>() {
        bookings::find(&mut conn, id).await?
    } else if let Ok(reference) = BookingReference::parse(&id_or_reference) {
        bookings::find_by_reference(&mut conn, reference.as_str()).await?
    } else {
        None
    };
    let booking = booking
        .filter(|booking| lifecycle::may_read(caller.actor(), booking.user_id))
        .ok_or(ApiError::BookingNotFound)?;
    Ok(web::Json(to_dto(&booking, &state.ticket_codes)))
}

/// Cancels a booking and returns its tickets: by its buyer, the organizer of every event
/// it holds, or an admin.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/cancel",
    operation_id = "cancelBooking",
    tag = "bookings",
    summary = "Cancel a booking and return its tickets (buyer, organizer of all its events, or admin)",
    params(("id" = String, Path, description = "Booking id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = Booking),
        (status = 404, description = "No such booking you may cancel (BookingNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled (BookingAlreadyCancelled)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<Booking>, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::BookingNotFound)?;
    let cancelled = state.bookings.cancel(id, caller.actor()).await?;
    Ok(web::Json(to_dto(&cancelled, &state.ticket_codes)))
}

/// Pays for a held booking with a card: confirmed, or declined with its tickets released
/// at once, or too late.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/pay",
    operation_id = "payBooking",
    tag = "bookings",
    summary = "Pay for a held booking with a card (its buyer only)",
    description = "The simulated gateway approves 4242424242424242 and any other well-formed card, and declines 4000000000000002. Paying a confirmed booking again charges nothing and answers 200 with it.",
    request_body = PayRequest,
    params(("id" = String, Path, description = "Booking id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Paid: the booking is confirmed", body = Booking),
        (status = 400, description = "A malformed or expired card (ValidationError with card.number, card.expiry, card.cvc)", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "Declined (PaymentDeclined): the booking is gone and its tickets are back on sale", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking of yours (BookingNotFound)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The hold expired before it was paid (HoldExpired), or the booking is cancelled (BookingAlreadyCancelled)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn pay(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<String>,
    ValidJson(body): ValidJson<PayRequest>,
) -> Result<web::Json<Booking>, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::BookingNotFound)?;
    let card = Card::parse(
        &RawCard {
            number: body.card.number,
            expiry: body.card.expiry,
            cvc: body.card.cvc,
        },
        Utc::now(),
    )
    .map_err(ApiError::invalid)?;
    let paid = state.bookings.pay(id, caller.actor(), card).await?;
    Ok(web::Json(to_dto(&paid, &state.ticket_codes)))
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ApiError::invalid(ValidationErrors::single(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )));
    }
    Ok(Some(key.to_owned()))
}

pub fn new_reference() -> BookingReference {
    let mut bytes = [0_u8; booking_domain::reference::REFERENCE_CHARS];
    // getrandom fails only when the OS has no entropy source at all; a fixed fallback
    // then just collides and is retried by the caller's unique-reference loop.
    let _ = getrandom::fill(&mut bytes);
    BookingReference::from_random(bytes)
}

/// The booking as the API shows it; a confirmed one with its tickets, each with the code
/// `codes` signs for it.
pub fn to_dto(booking: &BookingRecord, codes: &TicketCodes) -> Booking {
    Booking {
        id: booking.id,
        reference: booking.reference.clone(),
        status: match booking.status {
            BookingStatus::Pending => booking_dto::BookingStatus::Pending,
            BookingStatus::Confirmed => booking_dto::BookingStatus::Confirmed,
            BookingStatus::Cancelled => booking_dto::BookingStatus::Cancelled,
            BookingStatus::Expired => booking_dto::BookingStatus::Expired,
        },
        origin: match booking.origin {
            BookingOrigin::Direct => booking_dto::BookingOrigin::Direct,
            BookingOrigin::WaitingList => booking_dto::BookingOrigin::WaitingList,
        },
        total_cents: booking.total_cents,
        currency: booking.currency.clone(),
        created_at: booking.created_at,
        cancelled_at: booking.cancelled_at,
        expires_at: (booking.status == BookingStatus::Pending)
            .then_some(booking.expires_at)
            .flatten(),
        can_cancel: lifecycle::can_cancel(booking.status),
        tickets: tickets_of(booking, codes),
        items: booking
            .items
            .iter()
            .map(|item| BookingItem {
                event_id: item.event_id,
                event_title: item.event_title.clone(),
                event_venue: item.event_venue.clone(),
                event_starts_at: item.event_starts_at,
                tier_id: item.tier_id,
                tier_name: item.tier_name.clone(),
                quantity: item.quantity,
                unit_price_cents: item.unit_price_cents,
            })
            .collect(),
    }
}

/// One ticket per unit of a confirmed booking's items; none for any other booking.
fn tickets_of(booking: &BookingRecord, codes: &TicketCodes) -> Vec<Ticket> {
    if !ticket::has_tickets(booking.status) {
        return Vec::new();
    }
    let units: Vec<(Uuid, i32)> = booking
        .items
        .iter()
        .map(|item| (item.tier_id, item.quantity))
        .collect();
    ticket::tickets_of(booking.id, &units)
        .into_iter()
        .map(|reference| {
            let id = reference.id();
            Ticket {
                id,
                code: codes.code(&reference),
                tier_name: booking
                    .items
                    .iter()
                    .find(|item| item.tier_id == reference.tier_id)
                    .map(|item| item.tier_name.clone())
                    .unwrap_or_default(),
                holder_name: booking.holder_name.clone(),
                checked_in_at: booking
                    .admitted
                    .iter()
                    .find(|(ticket, _)| *ticket == id)
                    .map(|(_, at)| *at),
            }
        })
        .collect()
}
