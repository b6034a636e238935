//! Everything that talks to PostgreSQL. Repository functions take a connection rather
//! than the pool, so callers can compose several inside one transaction.

pub mod accounts;
pub mod availability;
pub mod bookings;
pub mod check_ins;
pub mod database_admin;
pub mod error;
pub mod events;
pub mod migrate;
pub mod notifications;
pub mod pool;
pub mod refresh_tokens;
pub mod schema;
pub mod seed;
pub mod users;
pub mod waiting_list;
pub mod waiting_room;

pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
pub use pool::{DbConn, DbPool, PoolSettings};
