//! The HTTP surface: which path goes to which handler.

pub mod auth;
pub mod health;

use actix_web::web;

use crate::problem::ApiError;

/// `/api/v1/...`
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .route("/register", web::post().to(auth::register))
            .route("/login", web::post().to(auth::login))
            .route("/refresh", web::post().to(auth::refresh))
            .route("/logout", web::post().to(auth::logout))
            .route("/me", web::get().to(auth::me)),
    );
}

/// Unknown API paths answer with a problem document, never with the web app's HTML.
pub async fn api_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("No API endpoint at this path.".into()))
}
