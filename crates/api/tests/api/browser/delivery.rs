//! What a browser downloads, read from a real Chromium's Performance API: a buyer's first
//! visit to the events page, cache empty, within its budget and without the organizer's
//! code; a second visit fetches no app file again (the hashed assets are `immutable`;
//! only the page is revalidated); the organizer's part arrives on the first visit to
//! their area.

use serde::Deserialize;

use super::harness::{Browser, WebApp};

/// The app's module as it travels on a buyer's first visit (Step 11).
const MODULE_BUDGET: u64 = 300_000;
/// Everything the first visit to the events page transfers, headers included.
const FIRST_VISIT_BUDGET: u64 = 350_000;

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

    /// A part of the module cut out to load later (`split_*.wasm`, `chunk_*.wasm`).
    fn is_lazy_part(&self) -> bool {
        self.name.ends_with(".wasm")
            && (self.name.contains("/split_") || self.name.contains("/chunk_"))
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

async fn open_events_page(browser: &Browser) -> Vec<Fetched> {
    browser.open("/").await;
    browser.wait_for_heading("Events").await;
    browser.wait_for_some_cards().await;
    fetched(browser).await
}

#[tokio::test]
async fn a_buyer_s_first_visit_is_light_and_the_next_fetches_no_app_file_again() {
    let app = WebApp::start().await;
    let browser = app.browser().await;

    let first = open_events_page(&browser).await;
    let module = first
        .iter()
        .find(|f| f.name.ends_with("/booking_frontend_bg.wasm"))
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
    assert!(
        module.encoded_body_size <= MODULE_BUDGET,
        "the module took {} bytes, over {MODULE_BUDGET}",
        module.encoded_body_size
    );
    assert!(
        total <= FIRST_VISIT_BUDGET,
        "the first visit took {total} bytes, over {FIRST_VISIT_BUDGET}"
    );
    let organizer_parts: Vec<&Fetched> = first.iter().filter(|f| f.is_lazy_part()).collect();
    assert!(
        organizer_parts.is_empty(),
        "a buyer fetched the organizer's code: {organizer_parts:#?}"
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

#[tokio::test]
async fn the_organizer_s_part_arrives_on_the_first_visit_to_their_area() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser
        .sign_in("organizer@example.com", "Olivia Organizer")
        .await;
    let before = fetched(&browser).await;
    assert!(!before.iter().any(Fetched::is_lazy_part), "{before:#?}");

    browser.nav_link("Organizer").await.click().await.unwrap();
    browser.wait_for_heading("Your events").await;
    let after = fetched(&browser).await;
    let parts: Vec<&Fetched> = after.iter().filter(|f| f.is_lazy_part()).collect();
    eprintln!("the organizer's area: {parts:#?}");
    assert!(
        !parts.is_empty(),
        "no part loaded for the organizer: {after:#?}"
    );
    browser.quit().await;
}
