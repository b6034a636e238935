//! Serving the built web app: its files, and `index.html` for every other non-API path
//! so the app's own router can handle deep links such as `/events/123`.
//!
//! The files keep their names from build to build (`/pkg/booking_frontend_bg.wasm`), so
//! browsers must ask every time whether they changed (`no-cache`): a cheap 304 by ETag
//! when not, and never an old module after a deploy or a `just dev` rebuild.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::middleware::DefaultHeaders;
use actix_web::{Scope, web};

pub fn service(
    static_dir: &Path,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    let index = static_dir.join("index.html");
    let files = Files::new("/", static_dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index: PathBuf = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let file = NamedFile::open_async(&index).await?;
                Ok(ServiceResponse::new(req.clone(), file.into_response(&req)))
            }
        }));
    web::scope("")
        .wrap(DefaultHeaders::new().add((CACHE_CONTROL, "no-cache")))
        .service(files)
}
