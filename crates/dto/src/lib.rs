//! The JSON shapes of the HTTP API (camelCase on the wire). Compiles for wasm32 so the web
//! app and the load tester speak exactly what the server speaks.

pub mod auth;
pub mod bookings;
pub mod check_ins;
pub mod events;
pub mod health;
pub mod live;
pub mod problem;
pub mod queue;
pub mod retry;
pub mod waiting_list;

pub use auth::{AuthResponse, LoginRequest, RegisterRequest, Role, User};
pub use bookings::{
    Booking, BookingItem, BookingItemRequest, BookingListParams, BookingOrigin, BookingStatus,
    CardDetails, Checkout, CreateBookingRequest, PayRequest, Ticket,
};
pub use check_ins::{CheckIn, CheckInRequest, CheckInSummary, TierCheckIns};
pub use events::{
    CreateEventRequest, Event, EventListParams, EventSortBy, EventStatus, OrganizerEvent, Page,
    PageMeta, SortOrder, Tier, TierRequest, UpdateEventRequest, UpdateTierRequest, WaitingRoom,
    WaitingRoomRequest,
};
pub use health::{Health, Readiness};
pub use live::{ClientMessage, ServerMessage};
pub use problem::{ErrorCode, FieldProblem, Problem};
pub use queue::{QueueState, QueueStatus};
pub use waiting_list::{JoinWaitingListRequest, WaitingListLength, WaitingListPlace};
