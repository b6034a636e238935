//! How the web app's files and the API's JSON travel: hashed assets kept a year in their
//! best precompressed form, everything else revalidated, JSON compressed on request.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::{EventSpec, TestApp, spawn_app};

const MODULE: &str = "booking_frontend_bg-0123456789abcdef.wasm";

/// A hashed module in the app's assets folder with forms that tell themselves apart.
fn with_module(app: &TestApp) {
    let assets = app._static_dir.path().join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    std::fs::write(assets.join(MODULE), "plain").unwrap();
    std::fs::write(assets.join(format!("{MODULE}.br")), "brotli").unwrap();
    std::fs::write(assets.join(format!("{MODULE}.gz")), "gzip").unwrap();
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header(ACCEPT_ENCODING, accept);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_hashed_asset_goes_in_the_best_form_the_browser_accepts_and_is_kept_a_year() {
    let app = spawn_app().await;
    with_module(&app);
    let path = format!("/assets/{MODULE}");
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), Some("br"), "brotli"),
        (Some("gzip, br;q=0.5"), Some("br"), "brotli"),
        (Some("gzip"), Some("gzip"), "gzip"),
        (Some("br;q=0, gzip"), Some("gzip"), "gzip"),
        (Some("identity"), None, "plain"),
        (None, None, "plain"),
    ] {
        let response = get(&app, &path, accept).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        // Streaming compilation needs the module's own type, whatever its encoding.
        assert_eq!(headers[CONTENT_TYPE], "application/wasm", "{accept:?}");
        assert_eq!(
            headers[CACHE_CONTROL], "public, max-age=31536000, immutable",
            "{accept:?}"
        );
        assert_eq!(headers[VARY], "accept-encoding", "{accept:?}");
        assert_eq!(response.text().await.unwrap(), body, "{accept:?}");
    }
}

#[tokio::test]
async fn an_asset_that_is_not_there_is_404_not_the_app_page() {
    let app = spawn_app().await;
    with_module(&app);
    for path in [
        "/assets/booking_frontend-ffffffffffffffff.js",
        "/assets/..%2Findex.html",
        "/assets/.hidden",
        "/assets/app-0123/../index.html",
        "/assets/a/b/c.js",
    ] {
        let response = get(&app, path, Some("br")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_page_itself_is_revalidated_on_every_load() {
    let app = spawn_app().await;
    for path in ["/", "/events/123", "/login"] {
        let response = get(&app, path, Some("gzip, br")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[CACHE_CONTROL],
            "no-cache",
            "{path}: same name every build, so never reused unchecked"
        );
        let etag = response.headers()["etag"].clone();
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
}

#[tokio::test]
async fn the_event_list_is_compressed_for_a_client_that_asks() {
    let app = spawn_app().await;
    for n in 0..20 {
        app.create_event(&EventSpec::published(
            &format!("Compressible event {n}"),
            4,
            vec![("GA", 2_500, 100), ("VIP", 9_000, 10)],
        ))
        .await;
    }
    let plain = get(&app, "/api/v1/events", None).await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert!(
        plain
            .headers()
            .get(CACHE_CONTROL)
            .is_none_or(|v| v != "no-cache")
    );
    let plain = plain.bytes().await.unwrap();
    let compressed = get(&app, "/api/v1/events", Some("gzip")).await;
    assert_eq!(compressed.headers()[CONTENT_ENCODING], "gzip");
    let compressed = compressed.bytes().await.unwrap();
    assert!(
        compressed.len() * 4 < plain.len(),
        "{} bytes gzipped of {}",
        compressed.len(),
        plain.len()
    );
}
