//! What a buyer's browser downloads, read from a real Chromium's Performance API: the
//! first visit to the events page, cache empty, in its best compressed form; a second
//! visit fetches no app file again (the hashed assets are `immutable`; only the page is
//! revalidated).

use serde::Deserialize;

use super::harness::{Browser, WebApp, built_web_app};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fetched {
    name: String,
    transfer_size: u64,
    encoded_body_size: u64,
}

impl Fetched {
    fn is_app_file(&self) -> bool {
        self.name.contains("/assets/")
    }
}

/// The page's own load and every resource it fetched since.
async fn fetched(browser: &Browser) -> Vec<Fetched> {
    browser
        .js("return [...performance.getEntriesByType('navigation'), \
                     ...performance.getEntriesByType('resource')] \
               .map(e => ({ name: e.name, transferSize: e.transferSize, \
                            encodedBodySize: e.encodedBodySize }))")
        .await
}

/// The size of the built module as it lies on disk, uncompressed.
fn plain_module_size() -> u64 {
    std::fs::read_dir(built_web_app().join("assets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "wasm"))
        .map(|path| path.metadata().unwrap().len())
        .expect("a built module")
}

async fn open_events_page(browser: &Browser) -> Vec<Fetched> {
    browser.open("/").await;
    browser.wait_for_heading("Events").await;
    browser.wait_for_some_cards().await;
    fetched(browser).await
}

#[tokio::test]
async fn a_buyer_s_first_visit_is_compressed_and_the_next_fetches_no_app_file_again() {
    let app = WebApp::start().await;
    let browser = app.browser().await;

    let first = open_events_page(&browser).await;
    let module = first
        .iter()
        .find(|f| f.name.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("no module among {first:#?}"));
    let total: u64 = first.iter().map(|f| f.transfer_size).sum();
    eprintln!(
        "first visit: {} requests, {total} bytes transferred, the module {} bytes encoded",
        first.len(),
        module.encoded_body_size
    );
    for f in &first {
        eprintln!("  {:>8} {}", f.transfer_size, f.name);
    }
    // Sent in its stored brotli form, a third of the module's size.
    let plain = plain_module_size();
    assert!(
        module.encoded_body_size * 3 < plain,
        "the module ({plain} bytes) travelled as {module:?}"
    );

    // A later visit, typed into the address bar again: only the page and the data travel.
    let again = open_events_page(&browser).await;
    let refetched: Vec<&Fetched> = again
        .iter()
        .filter(|f| f.is_app_file() && f.transfer_size > 0)
        .collect();
    assert!(
        refetched.is_empty(),
        "app files fetched again: {refetched:#?}"
    );
    assert!(
        again.iter().filter(|f| f.is_app_file()).count() >= 3,
        "the second visit loaded the app: {again:#?}"
    );
    browser.quit().await;
}
