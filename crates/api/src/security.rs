//! Response headers that tell browsers what this origin allows, and CORS for the
//! origins an operator lists.

use actix_cors::Cors;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::DefaultHeaders;

/// The web app loads only its own files: the module loader is a file (`/boot.js`), not
/// an inline script, and `'wasm-unsafe-eval'` lets it compile its WebAssembly and nothing
/// else. `connect-src 'self'` covers the API and the WebSocket of the same host. No page
/// may frame this one (clickjacking), and no `<base>` or plugin can change where code
/// comes from. The API docs (Swagger UI) fit the same policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; \
    img-src 'self' data:; \
    connect-src 'self'; \
    object-src 'none'; \
    base-uri 'none'; \
    form-action 'self'; \
    frame-ancestors 'none'";

/// Added to every response that does not set its own.
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // For browsers older than `frame-ancestors`.
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Cross-origin calls from the listed origins only (none: same-origin only, which is how
/// the web app is served). Credentials are allowed, so the refresh cookie works for a
/// listed front end on another origin.
pub fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static("idempotent-replayed"),
            HeaderName::from_static("x-request-id"),
        ])
        .supports_credentials()
        .max_age(3600)
}
