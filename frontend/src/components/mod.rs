//! Pieces shared by several pages.

pub mod auth_form;
pub mod availability_badge;
pub mod booking_tickets;
pub mod card_form;
pub mod confirm_dialog;
pub mod event_card;
pub mod event_fields;
pub mod field;
pub mod form_alert;
pub mod header;
pub mod hold_countdown;
pub mod load_error;
pub mod offer_banner;
pub mod pagination;
pub mod quantity_picker;
pub mod require_auth;
pub mod sale_countdown;
pub mod ticket_card;
pub mod toasts;
pub mod waiting_list;
