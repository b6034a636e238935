//! The repositories against a real PostgreSQL, one fresh database per test: one test
//! binary, so the crate's tests are linked once.

mod pipeline;
mod pool;
mod schema;
