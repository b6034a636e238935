//! Pieces shared by several pages.

pub mod availability_badge;
pub mod confirm_dialog;
pub mod event_card;
pub mod field;
pub mod header;
pub mod pagination;
pub mod require_auth;
pub mod toasts;
