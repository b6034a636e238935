//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes,
//! served at `/api/openapi.json` with a browsable page at `/api/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::{auth, bookings, events, health, organizer};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Booking API",
        description = "High-load event booking: accounts, events, and bookings that never oversell. \
                       Errors are RFC 9457 problem documents with a stable `code`."
    ),
    paths(
        health::health,
        health::ready,
        auth::register,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        events::list,
        events::detail,
        organizer::create,
        organizer::update,
        organizer::publish,
        organizer::cancel,
        organizer::delete,
        organizer::update_tier,
        organizer::my_events,
        bookings::create,
        bookings::list,
        bookings::detail,
        bookings::cancel,
    ),
    // Enums used only by query parameters are not collected on their own.
    components(schemas(booking_dto::EventSortBy, booking_dto::SortOrder)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "events", description = "The public catalogue"),
        (name = "organizer", description = "Running events (organizers and admins)"),
        (name = "bookings", description = "Booking and cancelling tickets"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// Access tokens travel as `Authorization: Bearer <jwt>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document and the browsable page. Swagger UI's files are compiled in (the
/// `vendored` feature): nothing is downloaded at build or run time.
pub fn docs() -> SwaggerUi {
    SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", ApiDoc::openapi())
}

/// The methods the document declares for each path, as an `Allow` header value.
pub fn allowed_methods() -> std::collections::HashMap<String, String> {
    ApiDoc::openapi()
        .paths
        .paths
        .into_iter()
        .map(|(path, item)| {
            let methods: Vec<&str> = [
                ("DELETE", item.delete.is_some()),
                ("GET", item.get.is_some()),
                ("PATCH", item.patch.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
            ]
            .into_iter()
            .filter_map(|(method, declared)| declared.then_some(method))
            .collect();
            (path, methods.join(", "))
        })
        .collect()
}
