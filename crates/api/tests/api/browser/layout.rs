//! The events page on a phone, a tablet and a desktop.

use super::harness::{UI_TIMEOUT, WebApp};

#[tokio::test]
async fn the_events_page_fits_phone_tablet_and_desktop_widths() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    for width in [375, 768, 1280] {
        browser.set_width(width).await;
        browser.open("/").await;
        browser.wait_for_heading("Events").await;
        browser
            .wait_for_text("article h2", "Summer Open Air Festival", UI_TIMEOUT)
            .await;
        // Nothing wider than the screen: no sideways scrolling on a phone.
        let overflow: i64 = browser
            .js("return document.documentElement.scrollWidth - window.innerWidth")
            .await;
        assert!(overflow <= 0, "{overflow} px too wide at {width} px");
        browser.screenshot(&format!("events-{width}")).await;
    }
    browser.quit().await;
}
