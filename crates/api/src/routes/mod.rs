//! The HTTP surface: which path goes to which handler.

pub mod auth;
pub mod bookings;
pub mod check_ins;
pub mod events;
pub mod health;
pub mod live;
pub mod organizer;
pub mod queue;
pub mod waiting_list;

use actix_web::middleware::{Compress, from_fn};
use actix_web::{FromRequest, Handler, Responder, Route, web};
use booking_domain::Pagination;
use booking_dto::{Page, PageMeta};

use crate::limits;
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
            .route(list(events::list))
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
    .service(web::resource("/events/{id}/check-ins").post(check_ins::check_in))
    .service(web::resource("/events/{id}/check-ins/summary").get(check_ins::summary))
    .service(web::resource("/events/{id}/tiers").post(organizer::add_tier))
    .service(
        web::resource("/events/{id}/tiers/{tier_id}/waiting-list")
            .post(waiting_list::join)
            .delete(waiting_list::leave),
    )
    .service(web::resource("/events/{id}/waiting-list").get(waiting_list::mine))
    .service(web::resource("/events/{id}/queue").post(queue::join))
    .service(web::resource("/events/{id}/queue/me").get(queue::me))
    .service(
        web::resource("/events/{id}/tiers/{tier_id}")
            .patch(organizer::update_tier)
            .delete(organizer::remove_tier),
    )
    .service(web::resource("/organizer/events").route(list(organizer::my_events)))
    .service(
        web::resource("/organizer/events/{id}/bookings").route(list(organizer::event_bookings)),
    )
    .service(
        web::resource("/bookings")
            .route(list(bookings::list))
            .post(bookings::create),
    )
    .service(web::resource("/bookings/{id_or_reference}").get(bookings::detail))
    .service(web::resource("/bookings/{id}/cancel").post(bookings::cancel))
    .service(web::resource("/bookings/{id}/pay").post(bookings::pay))
    .service(web::resource("/ws").get(live::connect));
}

/// A GET of a list, compressed when the client accepts it: a page of events is 10 to 20
/// times smaller gzipped. Only lists: on a booking's answer (a few hundred bytes) the
/// middleware cost the hot event 7% of its bookings/s, measured.
fn list<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::get().to(handler).wrap(Compress::default())
}

/// Unknown API paths answer with a problem document, never with the web app's HTML.
pub async fn api_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("No API endpoint at this path.".into()))
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
