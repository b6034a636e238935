//! Integration tests: the real server on a free port, a fresh PostgreSQL database per
//! test, spoken to over HTTP. One binary, so the template database is built once.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code, helpers included, fails loudly"
)]

mod auth;
mod batching;
mod bookings;
mod browser;
mod delivery;
mod demo_data;
mod door;
mod errors;
mod events;
mod faults;
mod health;
mod helpers;
mod holds;
mod limits;
mod live;
mod load;
mod observability;
mod openapi;
mod organizer;
mod security;
mod shutdown;
mod startup;
mod waiting_list;
mod waiting_room;
