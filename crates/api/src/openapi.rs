//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes,
//! served at `/api/openapi.json` with a browsable page at `/api/docs`.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::ResponseError;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::problem::ApiError;
use crate::routes::{
    auth, bookings, check_ins, events, health, live, organizer, queue, waiting_list,
};

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
        health::metrics,
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
        organizer::add_tier,
        organizer::update_tier,
        organizer::remove_tier,
        organizer::my_events,
        organizer::event_bookings,
        bookings::create,
        bookings::list,
        bookings::detail,
        bookings::cancel,
        bookings::pay,
        check_ins::check_in,
        check_ins::summary,
        waiting_list::join,
        waiting_list::leave,
        waiting_list::mine,
        queue::join,
        queue::me,
        live::connect,
    ),
    // Types no handler names as a body are not collected on their own: enums of query
    // parameters, and the frames a WebSocket client sends.
    components(schemas(
        booking_dto::EventSortBy,
        booking_dto::SortOrder,
        booking_dto::ClientMessage
    )),
    modifiers(&BearerAuth, &SharedProblems),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "events", description = "The public catalogue"),
        (name = "organizer", description = "Running events (organizers and admins)"),
        (name = "bookings", description = "Booking and cancelling tickets"),
        (name = "waiting list", description = "Waiting for a sold-out tier, and the offers that follow"),
        (name = "waiting room", description = "The on-sale of a big event: a fair line at a pace the booking path serves"),
        (name = "door", description = "Checking tickets in at the door (organizers and admins)"),
        (name = "live", description = "Live availability over a WebSocket"),
        (name = "operations", description = "Health, readiness and metrics"),
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

/// Responses any operation can give, added here once rather than on every handler: a
/// body can be malformed or too large, a token missing or expired, the database busy.
/// The operations endpoints (`/health`, `/ready`) document their own.
struct SharedProblems;

const SHARED_EVERYWHERE: [(&str, &str); 2] = [
    (
        "500",
        "Unexpected server error (a bug; never caused by input)",
    ),
    (
        "503",
        "Database unreachable, pool exhausted or lock wait timed out; retry after Retry-After seconds",
    ),
];
const SHARED_WITH_BODY: [(&str, &str); 2] = [
    ("400", "Invalid fields, malformed JSON or unknown fields"),
    ("413", "Body over 64 KiB"),
];
const SHARED_WITH_TOKEN: [(&str, &str); 1] = [("401", "Missing, expired or invalid access token")];

impl Modify for SharedProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == "/health" || path == "/ready" {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut shared = SHARED_EVERYWHERE.to_vec();
                if operation.request_body.is_some() {
                    shared.extend(SHARED_WITH_BODY);
                }
                // A token that may be left out (an empty requirement among the options)
                // is never refused: a bad one reads as no token at all.
                let token_required = operation
                    .security
                    .as_ref()
                    .is_some_and(|options| !options.contains(&SecurityRequirement::default()));
                if token_required {
                    shared.extend(SHARED_WITH_TOKEN);
                }
                for (status, description) in shared {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The document and the browsable page. Swagger UI's files are compiled in (the
/// `vendored` feature): nothing is downloaded at build or run time.
pub fn docs() -> SwaggerUi {
    SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", ApiDoc::openapi())
}

/// The methods the document declares for each path, as an `Allow` header value.
pub fn allowed_methods() -> HashMap<String, String> {
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

/// The `Allow` header of each documented path, read from the OpenAPI document once so
/// it cannot drift from the routes it describes.
static ALLOWED: LazyLock<HashMap<String, String>> = LazyLock::new(allowed_methods);

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
