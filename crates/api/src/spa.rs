//! Serving the built web app: its files, and `index.html` for every other non-API path
//! so the app's own router can handle deep links such as `/events/123`.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};

pub fn service(static_dir: &Path) -> Files {
    let index = static_dir.join("index.html");
    Files::new("/", static_dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index: PathBuf = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let file = NamedFile::open_async(&index).await?;
                Ok(ServiceResponse::new(req.clone(), file.into_response(&req)))
            }
        }))
}
