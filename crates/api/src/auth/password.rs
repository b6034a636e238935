//! bcrypt, run on the blocking pool: a hash costs tens to hundreds of milliseconds of CPU,
//! which must not stall the async workers serving other requests.

use actix_web::web;
use booking_domain::Password;

use crate::problem::ApiError;

pub async fn hash(password: &Password, cost: u32) -> Result<String, ApiError> {
    let secret = password.expose().to_owned();
    web::block(move || bcrypt::hash(secret, cost))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Whether `candidate` matches `stored_hash`. A hash bcrypt cannot read does not match.
pub async fn verify(candidate: String, stored_hash: String) -> Result<bool, ApiError> {
    web::block(move || bcrypt::verify(candidate, &stored_hash).unwrap_or(false))
        .await
        .map_err(ApiError::internal)
}

/// Synchronous hashing for start-up and the seed command, outside request handling.
pub fn hash_now(secret: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(secret, cost)
}
