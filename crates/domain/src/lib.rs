//! The booking rules, free of IO: every value that reaches a handler or a repository has
//! already been parsed into one of these types, so the rule behind it lives here once.

pub mod account;
pub mod batch;
pub mod booking;
pub mod card;
pub mod event;
pub mod lifecycle;
pub mod organizing;
pub mod pagination;
pub mod reference;
pub mod refresh;
mod text_enum;
pub mod ticket;
pub mod validation;
pub mod waiting_list;
pub mod waiting_room;

pub use account::{
    Actor, Email, EmailError, NewAccount, Password, PasswordError, Role, UnknownRole, UserName,
    UserNameError,
};
pub use booking::{
    BookingOrigin, BookingPlan, BookingRejection, BookingRequest, BookingStatus, ItemTarget,
    LockedTier, PlannedItem, RawItem, RequestedItem, TierLine, UnknownBookingOrigin,
    UnknownBookingStatus, UnresolvedItem,
};
pub use card::{Card, RawCard};
pub use event::{EventStatus, UnknownEventStatus};
pub use lifecycle::CancelRejection;
pub use pagination::Pagination;
pub use reference::{BookingReference, InvalidReference};
pub use refresh::{RefreshRejection, RefreshTokenState};
pub use validation::{FieldError, ValidationErrors};
