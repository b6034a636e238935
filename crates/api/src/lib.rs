//! The booking API: HTTP handlers, authentication and the server's wiring.

pub mod admitter;
pub mod auth;
pub mod booking;
pub mod cli;
pub mod commands;
pub mod config;
pub mod database;
pub mod json;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod organizing;
pub mod payment;
pub mod problem;
pub mod query;
pub mod routes;
pub mod security;
pub mod spa;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
