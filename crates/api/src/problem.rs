//! The one place where failures become HTTP: every handler returns `ApiError`, and this
//! module turns it into an RFC 9457 problem document with a stable `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use booking_domain::ticket::CheckInRejection;
use booking_domain::waiting_list::JoinRejection;
use booking_domain::{BookingRejection, CancelRejection, UnresolvedItem, ValidationErrors};
use booking_dto::{ErrorCode, FieldProblem, Problem};
use booking_persistence::bookings::{CancelBookingError, CreateBookingError, SettleError};
use booking_persistence::users::InsertUserError;
use booking_persistence::waiting_list::WaitingListError;
use booking_persistence::{DbError, events};
use uuid::Uuid;

use crate::booking::BookError;

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "1";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: ValidationErrors,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    EventNotFound(String),
    #[error("no booking with this id or reference")]
    BookingNotFound,
    #[error("{detail}")]
    InsufficientTickets { detail: String, tier_id: Uuid },
    #[error("{detail}")]
    TicketLimitExceeded { detail: String, event_id: Uuid },
    #[error("{detail}")]
    EventNotBookable { detail: String, event_id: Uuid },
    #[error("{detail}")]
    SalesNotStarted { detail: String, event_id: Uuid },
    #[error("{detail}")]
    QueuePassRequired { detail: String, event_id: Uuid },
    #[error("{0}")]
    QueueNotOpen(String),
    #[error("{0}")]
    BookingAlreadyCancelled(String),
    #[error("{0}")]
    EventStateConflict(String),
    #[error("{0}")]
    CapacityBelowSold(String),
    #[error("the payment was declined; nothing was booked")]
    PaymentDeclined,
    #[error("the hold expired before it was paid; its tickets were released")]
    HoldExpired,
    #[error("this is not a ticket code of ours: it was forged, altered or misread")]
    InvalidTicketCode,
    #[error("this ticket is not for this event")]
    TicketNotFound,
    #[error("this ticket is void: its booking was cancelled")]
    TicketVoid,
    #[error("this ticket was already checked in")]
    AlreadyCheckedIn {
        first: chrono::DateTime<chrono::Utc>,
    },
    #[error("{0}")]
    NotSoldOut(String),
    #[error("you are on this waiting list already")]
    AlreadyOnWaitingList,
    #[error("you are not on this waiting list")]
    NotOnWaitingList,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// Over an abuse limit (see `limits`); worth retrying after this many seconds.
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// Worth retrying: the database is unreachable or busy.
    #[error("the service is temporarily unavailable: {0}")]
    Unavailable(Unavailability),
    /// A bug or a broken invariant; the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a request could not be served just now; each is worth a retry, and operators
/// count the last two apart (`/metrics`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unavailability {
    /// Unreachable, no connection free in time, or the transaction failed as a whole.
    #[error("{0}")]
    Database(String),
    #[error("timed out waiting for a row lock")]
    LockTimeout,
    /// Past `statement_timeout`, or cancelled by an operator.
    #[error("{0}")]
    StatementCancelled(String),
}

impl ApiError {
    /// The database could not serve this request; `cause` is logged, never sent.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self::Unavailable(Unavailability::Database(cause.to_string()))
    }

    pub fn invalid(errors: ValidationErrors) -> Self {
        Self::Validation {
            detail: "The request has invalid fields.".into(),
            errors,
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::ValidationError,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::BookingNotFound => ErrorCode::BookingNotFound,
            Self::InsufficientTickets { .. } => ErrorCode::InsufficientTickets,
            Self::TicketLimitExceeded { .. } => ErrorCode::TicketLimitExceeded,
            Self::EventNotBookable { .. } => ErrorCode::EventNotBookable,
            Self::SalesNotStarted { .. } => ErrorCode::SalesNotStarted,
            Self::QueuePassRequired { .. } => ErrorCode::QueuePassRequired,
            Self::QueueNotOpen(_) => ErrorCode::QueueNotOpen,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::PaymentDeclined => ErrorCode::PaymentDeclined,
            Self::HoldExpired => ErrorCode::HoldExpired,
            Self::InvalidTicketCode => ErrorCode::InvalidTicketCode,
            Self::TicketNotFound => ErrorCode::TicketNotFound,
            Self::TicketVoid => ErrorCode::TicketVoid,
            Self::AlreadyCheckedIn { .. } => ErrorCode::AlreadyCheckedIn,
            Self::NotSoldOut(_) => ErrorCode::NotSoldOut,
            Self::AlreadyOnWaitingList => ErrorCode::AlreadyOnWaitingList,
            Self::NotOnWaitingList => ErrorCode::NotOnWaitingList,
            Self::BookingAlreadyCancelled(_) => ErrorCode::BookingAlreadyCancelled,
            Self::EventStateConflict(_) => ErrorCode::EventStateConflict,
            Self::CapacityBelowSold(_) => ErrorCode::CapacityBelowSold,
            Self::EmailTaken => ErrorCode::EmailTaken,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Unavailable(_) => {
                "The service is busy or its database is unreachable; retry shortly.".into()
            }
            Self::Internal(_) => "An unexpected error occurred.".into(),
            other => other.to_string(),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            type_uri: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code(),
            tier_id: match self {
                Self::InsufficientTickets { tier_id, .. } => Some(*tier_id),
                _ => None,
            },
            event_id: match self {
                Self::TicketLimitExceeded { event_id, .. }
                | Self::EventNotBookable { event_id, .. }
                | Self::SalesNotStarted { event_id, .. }
                | Self::QueuePassRequired { event_id, .. } => Some(*event_id),
                _ => None,
            },
            checked_in_at: match self {
                Self::AlreadyCheckedIn { first } => Some(*first),
                _ => None,
            },
            errors: match self {
                Self::Validation { errors, .. } => errors
                    .fields()
                    .iter()
                    .map(|e| FieldProblem {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::QueuePassRequired { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EventNotFound(_)
            | Self::BookingNotFound
            | Self::TicketNotFound
            | Self::NotOnWaitingList => StatusCode::NOT_FOUND,
            Self::InvalidTicketCode => StatusCode::BAD_REQUEST,
            Self::InsufficientTickets { .. }
            | Self::TicketLimitExceeded { .. }
            | Self::EventNotBookable { .. }
            | Self::SalesNotStarted { .. }
            | Self::QueueNotOpen(_)
            | Self::BookingAlreadyCancelled(_)
            | Self::HoldExpired
            | Self::TicketVoid
            | Self::AlreadyCheckedIn { .. }
            | Self::NotSoldOut(_)
            | Self::AlreadyOnWaitingList
            | Self::EventStateConflict(_)
            | Self::CapacityBelowSold(_) => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PaymentDeclined => StatusCode::PAYMENT_REQUIRED,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(%cause, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "request refused: unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            Self::Unavailable(_) => {
                response.insert_header((
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                ));
            }
            Self::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::RateLimited { retry_after } => {
                response.insert_header((header::RETRY_AFTER, *retry_after));
            }
            _ => {}
        }
        response.json(self.to_problem())
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        Self::from(&error)
    }
}

impl From<&DbError> for ApiError {
    fn from(error: &DbError) -> Self {
        match error {
            DbError::Unavailable(_) => {
                Self::Unavailable(Unavailability::Database(error.to_string()))
            }
            DbError::LockTimeout => Self::Unavailable(Unavailability::LockTimeout),
            DbError::StatementCancelled(cause) => {
                Self::Unavailable(Unavailability::StatementCancelled(cause.clone()))
            }
            DbError::Corrupt(_) | DbError::Query(_) => Self::Internal(error.to_string()),
        }
    }
}

impl From<booking_persistence::pool::PoolError> for ApiError {
    fn from(error: booking_persistence::pool::PoolError) -> Self {
        DbError::from(error).into()
    }
}

impl From<BookError> for ApiError {
    fn from(error: BookError) -> Self {
        match error {
            BookError::Refused(refusal) => refusal.into(),
            BookError::PaymentDeclined => Self::PaymentDeclined,
            BookError::HoldExpired => Self::HoldExpired,
            BookError::NotFound => Self::BookingNotFound,
            BookError::Settle(settle) => Self::from(&*settle),
            BookError::Database(db) => Self::from(&*db),
            BookError::Unanswered => {
                Self::unavailable("the batch ended without answering this request")
            }
        }
    }
}

impl From<CreateBookingError> for ApiError {
    fn from(error: CreateBookingError) -> Self {
        match error {
            CreateBookingError::Rejected(rejection) => rejection.into(),
            CreateBookingError::Unresolved(UnresolvedItem::EventNotFound(_)) => {
                Self::no_such_event()
            }
            CreateBookingError::Unresolved(UnresolvedItem::EventNeedsTier(_)) => Self::Validation {
                detail: "The request has invalid fields.".into(),
                errors: ValidationErrors::single(
                    "items",
                    "this event has several ticket tiers: give tierId",
                ),
            },
            CreateBookingError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
        }
    }
}

impl From<CancelBookingError> for ApiError {
    fn from(error: CancelBookingError) -> Self {
        match error {
            // Someone with no say over a booking learns nothing about it, not even that it exists.
            CancelBookingError::NotFound
            | CancelBookingError::Rejected(CancelRejection::NotAllowed) => Self::BookingNotFound,
            CancelBookingError::Rejected(
                rejection @ (CancelRejection::AlreadyCancelled | CancelRejection::Expired),
            ) => Self::BookingAlreadyCancelled(rejection.to_string()),
            CancelBookingError::Db(db) => db.into(),
        }
    }
}

impl From<events::EventChangeError> for ApiError {
    fn from(error: events::EventChangeError) -> Self {
        match error {
            events::EventChangeError::NotFound => Self::no_such_event(),
            events::EventChangeError::Rejected(rejection) => {
                Self::EventStateConflict(rejection.to_string())
            }
            events::EventChangeError::Invalid(errors) => Self::invalid(errors),
            events::EventChangeError::Db(db) => db.into(),
        }
    }
}

impl From<events::TierChangeError> for ApiError {
    fn from(error: events::TierChangeError) -> Self {
        match error {
            events::TierChangeError::NotFound => {
                Self::NotFound("No such tier in this event.".into())
            }
            events::TierChangeError::Rejected(rejection) => {
                Self::EventStateConflict(rejection.to_string())
            }
            events::TierChangeError::BelowSold(below) => Self::CapacityBelowSold(below.to_string()),
            events::TierChangeError::NameTaken => Self::invalid(ValidationErrors::single(
                "name",
                booking_domain::organizing::TIER_NAME_TAKEN,
            )),
            events::TierChangeError::Invalid(errors) => Self::invalid(errors),
            events::TierChangeError::Refused(refusal) => {
                Self::EventStateConflict(refusal.to_string())
            }
            events::TierChangeError::Db(db) => db.into(),
        }
    }
}

impl From<&SettleError> for ApiError {
    fn from(error: &SettleError) -> Self {
        match error {
            // Its event was cancelled (or the sweeper expired it) while the payment ran:
            // the tickets are back and nothing is owed; retrying would not change that.
            SettleError::NoLongerPending(booking_domain::lifecycle::NotPending(
                booking_domain::BookingStatus::Expired,
            )) => Self::HoldExpired,
            SettleError::NoLongerPending(_) | SettleError::NotFound => {
                Self::BookingAlreadyCancelled(
                    "The booking was cancelled before its payment completed; nothing is owed."
                        .into(),
                )
            }
            SettleError::Db(db) => Self::from(db),
        }
    }
}

impl From<BookingRejection> for ApiError {
    fn from(rejection: BookingRejection) -> Self {
        let detail = rejection.to_string();
        match rejection {
            BookingRejection::UnknownTier(_) => Self::NotFound(detail),
            BookingRejection::EventNotBookable(event_id) => {
                Self::EventNotBookable { detail, event_id }
            }
            BookingRejection::SalesNotStarted { event_id, .. } => {
                Self::SalesNotStarted { detail, event_id }
            }
            BookingRejection::QueuePassRequired(event_id) => {
                Self::QueuePassRequired { detail, event_id }
            }
            BookingRejection::TicketLimitExceeded { event_id, .. } => {
                Self::TicketLimitExceeded { detail, event_id }
            }
            BookingRejection::InsufficientTickets { tier_id, .. } => {
                Self::InsufficientTickets { detail, tier_id }
            }
            BookingRejection::DuplicateTier(_)
            | BookingRejection::MixedCurrencies
            | BookingRejection::TotalOverflow => Self::Validation {
                detail: "The request has invalid fields.".into(),
                errors: ValidationErrors::single("items", detail),
            },
        }
    }
}

impl ApiError {
    /// 404 `EventNotFound`: no event has this id (or one the caller may see).
    pub fn no_such_event() -> Self {
        Self::EventNotFound("No event with this id.".into())
    }

    /// A waiting-list refusal for a tier of `event_id`.
    pub fn from_waiting_list(event_id: Uuid, error: WaitingListError) -> Self {
        match error {
            WaitingListError::NotFound => Self::NotFound(error.to_string()),
            WaitingListError::NotWaiting => Self::NotOnWaitingList,
            WaitingListError::Db(db) => db.into(),
            WaitingListError::Rejected(rejection) => {
                let detail = rejection.to_string();
                match rejection {
                    JoinRejection::NotOnSale => Self::EventNotBookable { detail, event_id },
                    JoinRejection::NotSoldOut { .. } => Self::NotSoldOut(detail),
                    JoinRejection::AlreadyWaiting => Self::AlreadyOnWaitingList,
                    JoinRejection::OverLimit { .. } => {
                        Self::TicketLimitExceeded { detail, event_id }
                    }
                }
            }
        }
    }
}

impl From<CheckInRejection> for ApiError {
    fn from(rejection: CheckInRejection) -> Self {
        match rejection {
            CheckInRejection::NotFound => Self::TicketNotFound,
            CheckInRejection::Void => Self::TicketVoid,
            CheckInRejection::AlreadyCheckedIn(first) => Self::AlreadyCheckedIn { first },
        }
    }
}

impl From<InsertUserError> for ApiError {
    fn from(error: InsertUserError) -> Self {
        match error {
            InsertUserError::EmailTaken => Self::EmailTaken,
            InsertUserError::Db(db) => db.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn unavailable_is_503_with_retry_after_and_no_internals() {
        let response = ApiError::unavailable("pool timed out at 10.0.0.7").error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let body = to_bytes(response.into_body()).await.unwrap();
        let problem: Problem = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem.code, ErrorCode::Unavailable);
        assert!(!problem.detail.contains("10.0.0.7"));
    }

    #[actix_web::test]
    async fn internal_errors_hide_their_cause() {
        let response = ApiError::internal("SELECT * FROM users exploded").error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let body = to_bytes(response.into_body()).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("SELECT"));
    }
}
