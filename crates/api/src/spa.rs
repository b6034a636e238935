//! Serving the built web app, as a CDN would:
//!
//! - `/assets/*`: the loader, the style sheet, the icon, each named by a hash of its
//!   content at build time (`tools/web-assets.sh`), and the app's folder (the module, its
//!   lazily loaded parts and their JS glue, which refer to each other by name) named by a
//!   hash of all of them, so a name never changes meaning: browsers keep them a year
//!   without asking again (`immutable`). Each lies beside its brotli and gzip forms (`.br`,
//!   `.gz`, made at build time, not per request); the best form the browser accepts is
//!   sent.
//! - everything else: `index.html` (also for every non-API path, so the app's own router
//!   handles deep links such as `/events/123`) and any file without a hashed name, sent
//!   `no-cache`: revalidated by ETag on every load, so a deploy is seen at once.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile, file_extension_to_mime};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{
    AcceptEncoding, CACHE_CONTROL, ContentEncoding, Encoding, Header, HeaderValue, VARY,
};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, Scope, web};

/// Where the hashed files are served from, under the web app's folder too.
const ASSETS: &str = "assets";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Stored forms, best first (brotli is a fifth smaller than gzip on the module): the
/// file name's extension, the header and the token the browser accepts it by.
fn stored_forms() -> [(&'static str, ContentEncoding, Encoding); 2] {
    [
        ("br", ContentEncoding::Brotli, Encoding::brotli()),
        ("gz", ContentEncoding::Gzip, Encoding::gzip()),
    ]
}

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
    let assets = static_dir.join(ASSETS);
    web::scope("")
        .app_data(web::Data::new(Assets(assets)))
        .service(web::resource("/assets/{file:.+}").get(asset))
        .service(
            web::scope("")
                .wrap(DefaultHeaders::new().add((CACHE_CONTROL, "no-cache")))
                .service(files),
        )
}

struct Assets(PathBuf);

/// One hashed file, in the best stored form the request accepts.
async fn asset(
    req: HttpRequest,
    file: web::Path<String>,
    assets: web::Data<Assets>,
) -> actix_web::Result<HttpResponse> {
    let name = file.into_inner();
    // A file of the folder or of the app's own folder in it, by plain names: no way out.
    let plain_names = name.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    if !plain_names || name.split('/').count() > 2 {
        return Ok(HttpResponse::NotFound().finish());
    }
    let plain = assets.0.join(&name);
    let accepted = AcceptEncoding::parse(&req).unwrap_or(AcceptEncoding(Vec::new()));
    let mut chosen = None;
    for (extension, encoding, wanted) in stored_forms() {
        if accepted.negotiate(std::iter::once(&wanted)) == Some(wanted) {
            let stored = assets.0.join(format!("{name}.{extension}"));
            if let Ok(file) = NamedFile::open_async(&stored).await {
                chosen = Some(file.set_content_encoding(encoding));
                break;
            }
        }
    }
    let file = match chosen {
        Some(file) => file,
        None => match NamedFile::open_async(&plain).await {
            Ok(file) => file,
            Err(_) => return Ok(HttpResponse::NotFound().finish()),
        },
    };
    let mut response = file
        .set_content_type(file_extension_to_mime(
            plain
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default(),
        ))
        .disable_content_disposition()
        .into_response(&req);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}
