//! Every page of the buyer's app, signed out and signed in, at phone and desktop widths,
//! audited by axe-core: no serious or critical violation anywhere.

use super::audit::audit;
use super::harness::{Browser, WebApp};
use super::routes::{Visitor, app_routes, demo_parameters, expected_landing, open_and_land};

const FESTIVAL: &str = "Summer Open Air Festival";

/// Audits the page on screen at 375 and 1280 px; records what blocks in `failures`.
async fn audit_both_widths(
    browser: &Browser,
    page: &str,
    failures: &mut Vec<String>,
    rules: &mut usize,
) {
    for width in [375, 1280] {
        browser.set_width(width).await;
        let found = audit(browser).await;
        *rules = (*rules).max(found.rules);
        for minor in &found.other {
            eprintln!("axe, {page} at {width} px (not failing): {minor}");
        }
        failures.extend(
            found
                .blocking
                .iter()
                .map(|violation| format!("{page} at {width} px: {violation}")),
        );
    }
}

#[tokio::test]
async fn every_page_passes_an_axe_core_audit_signed_out_and_as_a_buyer() {
    let app = WebApp::start().await;
    let festival = app.event(FESTIVAL).await;
    let browser = app.browser().await;
    let mut failures = Vec::new();
    let mut rules = 0;
    let mut pages = 0;

    // Every route of the router, as a signed-out visitor opening it by its address sees
    // it: the protected ones as the sign-in page they send the visitor to.
    let values = demo_parameters(&app, "charlie@example.com").await;
    for route in app_routes() {
        let address = route.address(&values);
        let landing = expected_landing(&route, Visitor::SignedOut);
        let what = format!("signed out {address}");
        open_and_land(&browser, &what, &address, &landing).await;
        audit_both_widths(&browser, &what, &mut failures, &mut rules).await;
        pages += 1;
    }
    browser.open("/register").await;
    browser.wait_for_heading("Create an account").await;
    browser.click_button("Create account").await;
    browser
        .wait_for_text(".field-error", "Name", super::harness::UI_TIMEOUT)
        .await;
    audit_both_widths(&browser, "register with errors", &mut failures, &mut rules).await;
    pages += 1;

    browser.sign_in("alice@example.com", "Alice Archer").await;
    audit_both_widths(&browser, "buyer /", &mut failures, &mut rules).await;
    browser.open(&format!("/events/{}", festival.id)).await;
    browser.wait_for_heading(FESTIVAL).await;
    browser.add_to_cart("VIP", 1).await;
    audit_both_widths(&browser, "buyer event page", &mut failures, &mut rules).await;
    browser.open("/cart").await;
    browser.wait_for_heading("Your cart").await;
    audit_both_widths(&browser, "buyer cart", &mut failures, &mut rules).await;
    browser.click_button("Checkout").await;
    browser.wait_for_heading("Checkout").await;
    browser
        .wait_for_text(
            ".hold-countdown",
            "Held for you",
            super::harness::UI_TIMEOUT,
        )
        .await;
    audit_both_widths(&browser, "buyer checkout", &mut failures, &mut rules).await;
    browser.nav_link("My bookings").await.click().await.unwrap();
    browser.wait_for_heading("My bookings").await;
    browser
        .wait_for_text(".booking-hold", "Held for you", super::harness::UI_TIMEOUT)
        .await;
    audit_both_widths(
        &browser,
        "buyer My bookings with a hold",
        &mut failures,
        &mut rules,
    )
    .await;
    browser.click_link("Complete payment").await;
    browser.pay_with_card(super::harness::APPROVING_CARD).await;
    browser.wait_for_heading("My bookings").await;
    browser.wait_for_toast("Booked!").await;
    audit_both_widths(&browser, "buyer My bookings", &mut failures, &mut rules).await;
    browser.click_button("Cancel booking").await;
    browser
        .find(
            "the open cancel dialog",
            thirtyfour::By::XPath("//dialog[@open]"),
        )
        .await;
    audit_both_widths(&browser, "buyer cancel dialog", &mut failures, &mut rules).await;
    pages += 6;

    eprintln!(
        "axe-core: {pages} pages and states audited at 375 and 1280 px, up to {rules} rules \
         each, {} serious or critical violations",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    browser.quit().await;
}

/// The audit is not vacuous: a control without a label and low-contrast text are caught.
#[tokio::test]
async fn the_audit_catches_an_unlabelled_control_and_low_contrast() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.open("/").await;
    browser.wait_for_heading("Events").await;
    let _: Option<bool> = browser
        // Through the DOM, not markup: the Content-Security-Policy refuses inline
        // `style` attributes, but not styles a script sets.
        .js("const main = document.querySelector('main'); \
             main.appendChild(Object.assign(document.createElement('input'), { type: 'text' })); \
             const faint = Object.assign(document.createElement('p'), { textContent: 'faint' }); \
             faint.style.color = '#bbb'; faint.style.background = '#fff'; \
             main.appendChild(faint); \
             return null;")
        .await;
    let found = audit(&browser).await;
    let rules: Vec<&str> = found
        .blocking
        .iter()
        .filter_map(|violation| violation.split_whitespace().next())
        .collect();
    assert!(rules.contains(&"label"), "{:?}", found.blocking);
    assert!(rules.contains(&"color-contrast"), "{:?}", found.blocking);
    browser.quit().await;
}
