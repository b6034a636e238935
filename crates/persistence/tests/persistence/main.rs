//! The repositories against a real PostgreSQL, one fresh database per test: one test
//! binary, so the crate's tests are linked once.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code, helpers included, fails loudly"
)]

mod pipeline;
mod pool;
mod schema;
