//! Every route of the app opened by its address in a fresh browser, signed out and signed
//! in, at phone and desktop widths: each page answers within 5 s, a protected page sends a
//! signed-out visitor to sign in and back to it after, and the browser logs no error (a
//! visitor without a session makes no request that fails). Screenshots:
//! `deep-link-<visitor>-<route>-<width>.png`.

use super::harness::{Browser, WebApp};
use super::routes::{
    AppRoute, Landing, Visitor, app_routes, demo_parameters, expected_landing, open_and_land,
    wait_for_landing,
};

const WIDTHS: [u32; 2] = [375, 1280];

/// Opens `route` at each width and checks where it lands and that nothing was logged as
/// an error; records what went wrong in `failures`.
async fn visit_at_each_width(
    browser: &Browser,
    route: &AppRoute,
    address: &str,
    visitor: Visitor,
    failures: &mut Vec<String>,
) {
    let landing = expected_landing(route, visitor);
    for width in WIDTHS {
        browser.set_width(width).await;
        let what = format!("{visitor:?} opening {route} at {width} px");
        open_and_land(browser, &what, address, &landing).await;
        let who = format!("{visitor:?}").to_lowercase();
        browser
            .screenshot(&format!("deep-link-{who}-{}-{width}", route.slug()))
            .await;
        note_logged_errors(browser, &what, failures).await;
    }
}

/// Adds what the browser logged as an error since the last look to `failures`.
async fn note_logged_errors(browser: &Browser, what: &str, failures: &mut Vec<String>) {
    failures.extend(
        browser
            .errors_logged()
            .await
            .into_iter()
            .map(|error| format!("{what}: the browser logged {error}")),
    );
}

#[tokio::test]
async fn every_route_opened_by_its_address_signed_out_answers_and_sign_in_returns_to_it() {
    let app = WebApp::start().await;
    // Signing in on the way is done as the organizer: the checkout page shows their hold.
    let values = demo_parameters(&app, "organizer@example.com").await;
    let mut failures = Vec::new();
    let routes = app_routes();
    for route in &routes {
        // A fresh browser each: no session, nothing stored, as a link from an email.
        let browser = app.browser().await;
        let address = route.address(&values);
        visit_at_each_width(&browser, route, &address, Visitor::SignedOut, &mut failures).await;
        if route.needs_sign_in() {
            // On the sign-in page the redirect showed: signing in goes back to the page.
            let since = tokio::time::Instant::now();
            browser.submit_sign_in("organizer@example.com").await;
            let what = format!("signing in on the way to {route}");
            wait_for_landing(&browser, &what, &address, &Landing::Here, since).await;
            note_logged_errors(&browser, &what, &mut failures).await;
        }
        browser.quit().await;
    }
    eprintln!(
        "{} routes opened signed out at {WIDTHS:?} px, {} of them behind sign-in",
        routes.len(),
        routes.iter().filter(|route| route.needs_sign_in()).count()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn every_route_opened_by_its_address_signed_in_answers_for_a_buyer_and_an_organizer() {
    let app = WebApp::start().await;
    let mut failures = Vec::new();
    let routes = app_routes();
    for (visitor, email, name) in [
        (Visitor::Buyer, "alice@example.com", "Alice Archer"),
        (
            Visitor::Organizer,
            "organizer@example.com",
            "Olivia Organizer",
        ),
    ] {
        let values = demo_parameters(&app, email).await;
        let browser = app.browser().await;
        browser.sign_in(email, name).await;
        browser.errors_logged().await;
        for route in &routes {
            let address = route.address(&values);
            visit_at_each_width(&browser, route, &address, visitor, &mut failures).await;
        }
        browser.quit().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The log check is not vacuous: a request the server refuses is logged, and seen.
#[tokio::test]
async fn the_log_check_sees_a_failed_request() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.open("/login").await;
    browser.wait_for_heading("Sign in").await;
    browser.fill("Email", "nobody@example.com").await;
    browser.fill("Password", "Wrong12345").await;
    browser.click_button("Sign in").await;
    browser
        .wait_for_text(
            ".form-error",
            "Wrong email or password",
            super::harness::UI_TIMEOUT,
        )
        .await;
    let errors = browser.errors_logged().await;
    assert!(
        errors
            .iter()
            .any(|error| error.contains("/api/v1/auth/login") && error.contains("401")),
        "{errors:?}"
    );
    browser.quit().await;
}
