//! The HTTP surface: which path goes to which handler.

pub mod auth;
pub mod bookings;
pub mod events;
pub mod health;
pub mod live;
pub mod organizer;

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, from_fn};
use actix_web::{ResponseError, web};
use booking_domain::Pagination;
use booking_dto::{Page, PageMeta};

use crate::limits;
use crate::openapi;
use crate::problem::ApiError;

/// `/api/v1/...`
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    // Resources, not bare routes: a known path with the wrong method is then a 405.
    cfg.service(
        web::scope("/auth")
            .service(
                web::resource("/register")
                    .wrap(from_fn(limits::per_address))
                    .post(auth::register),
            )
            .service(
                web::resource("/login")
                    .wrap(from_fn(limits::per_address))
                    .post(auth::login),
            )
            .service(
                web::resource("/refresh")
                    .wrap(from_fn(limits::per_address))
                    .post(auth::refresh),
            )
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
    .service(web::resource("/events/{id}/tiers").post(organizer::add_tier))
    .service(
        web::resource("/events/{id}/tiers/{tier_id}")
            .patch(organizer::update_tier)
            .delete(organizer::remove_tier),
    )
    .service(web::resource("/organizer/events").get(organizer::my_events))
    .service(web::resource("/organizer/events/{id}/bookings").get(organizer::event_bookings))
    .service(
        web::resource("/bookings")
            .get(bookings::list)
            .post(bookings::create),
    )
    .service(web::resource("/bookings/{id_or_reference}").get(bookings::detail))
    .service(web::resource("/bookings/{id}/cancel").post(bookings::cancel))
    .service(web::resource("/ws").get(live::connect));
}

/// Unknown API paths answer with a problem document, never with the web app's HTML.
pub async fn api_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("No API endpoint at this path.".into()))
}

/// The `Allow` header of each documented path, read from the OpenAPI document once so
/// it cannot drift from the routes it describes.
static ALLOWED: LazyLock<HashMap<String, String>> = LazyLock::new(openapi::allowed_methods);

/// actix answers a known path with the wrong method by an empty 405; give it a problem
/// body and the `Allow` header HTTP requires.
pub fn method_not_allowed<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (request, _) = response.into_parts();
    let mut problem = ApiError::MethodNotAllowed.error_response();
    if let Some(allow) = request
        .match_pattern()
        .and_then(|pattern| ALLOWED.get(&pattern))
        .and_then(|allow| HeaderValue::from_str(allow).ok())
    {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, problem).map_into_right_body(),
    ))
}

/// One page of a list with its `meta` block.
pub fn page<T>(data: Vec<T>, pagination: Pagination, total: i64) -> Page<T> {
    Page {
        data,
        meta: PageMeta {
            total,
            page: pagination.page,
            limit: pagination.limit,
            total_pages: pagination.total_pages(total),
        },
    }
}
