//! The HTTP surface: which path goes to which handler.

pub mod auth;
pub mod bookings;
pub mod events;
pub mod health;
pub mod organizer;

use actix_web::dev::ServiceResponse;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{ResponseError, web};

use crate::problem::ApiError;

/// `/api/v1/...`
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    // Resources, not bare routes: a known path with the wrong method is then a 405.
    cfg.service(
        web::scope("/auth")
            .service(web::resource("/register").post(auth::register))
            .service(web::resource("/login").post(auth::login))
            .service(web::resource("/refresh").post(auth::refresh))
            .service(web::resource("/logout").post(auth::logout))
            .service(web::resource("/me").get(auth::me)),
    )
    .service(
        web::resource("/events")
            .get(events::list)
            .post(organizer::create),
    )
    .service(
        web::resource("/events/{id}")
            .get(events::detail)
            .patch(organizer::update)
            .delete(organizer::delete),
    )
    .service(web::resource("/events/{id}/publish").post(organizer::publish))
    .service(web::resource("/events/{id}/cancel").post(organizer::cancel))
    .service(web::resource("/events/{id}/tiers/{tier_id}").patch(organizer::update_tier))
    .service(web::resource("/organizer/events").get(organizer::my_events))
    .service(
        web::resource("/bookings")
            .get(bookings::list)
            .post(bookings::create),
    )
    .service(web::resource("/bookings/{id_or_reference}").get(bookings::detail))
    .service(web::resource("/bookings/{id}/cancel").post(bookings::cancel));
}

/// Unknown API paths answer with a problem document, never with the web app's HTML.
pub async fn api_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("No API endpoint at this path.".into()))
}

/// actix answers a known path with the wrong method by an empty 405; give it a body.
pub fn method_not_allowed<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (request, _) = response.into_parts();
    let problem = ApiError::MethodNotAllowed.error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, problem).map_into_right_body(),
    ))
}
