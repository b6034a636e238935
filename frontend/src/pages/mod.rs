//! One component per page of the app.

pub mod bookings;
pub mod cart;
pub mod event;
pub mod events;
pub mod login;
pub mod not_found;
pub mod organizer;
pub mod pay;
pub mod queue;
pub mod register;
