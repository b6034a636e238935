//! Accounts in the browser: registering with bad input, and staying signed in across an
//! expired access token and a reload.

use chrono::TimeDelta;
use thirtyfour::By;

use super::harness::{UI_TIMEOUT, WebApp, normalized};

/// The demo data's accounts (seed.rs).
const SEEDED_USERS: i64 = 5;

#[tokio::test]
async fn invalid_registration_shows_inline_errors_and_sends_nothing() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.open("/register").await;
    browser.wait_for_heading("Create an account").await;

    browser.fill("Name", "A").await;
    browser.fill("Email", "not-an-email").await;
    browser.fill("Password", "short").await;
    browser.click_button("Create account").await;

    let mut errors = Vec::new();
    for label in ["Name", "Email", "Password"] {
        let field = browser.field(label).await;
        browser
            .eventually(
                format!("{label:?} marked invalid"),
                UI_TIMEOUT,
                async || {
                    (field.attr("aria-invalid").await.ok()?.as_deref() == Some("true"))
                        .then_some(())
                },
            )
            .await;
        // The error is tied to its field (aria-describedby), so a screen reader reads it.
        let described_by = field
            .attr("aria-describedby")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{label:?} has no aria-describedby"));
        let mut text = String::new();
        for id in described_by.split_whitespace() {
            let element = browser.driver().find(By::Id(id)).await.unwrap();
            if element
                .class_name()
                .await
                .unwrap()
                .unwrap_or_default()
                .split_whitespace()
                .any(|c| c == "field-error")
            {
                text = normalized(&element.text().await.unwrap());
            }
        }
        assert!(!text.is_empty(), "{label:?} shows an error text");
        errors.push(text);
    }
    assert!(
        errors.contains(&"Password must be at least 8 characters".to_owned()),
        "{errors:?}"
    );
    browser.screenshot("register-invalid").await;

    // Nothing left the page: no account, no request, still on /register.
    assert_eq!(app.user_count().await, SEEDED_USERS);
    let requests: Vec<String> = browser
        .js("return performance.getEntriesByType('resource')\
             .map(e => e.name).filter(n => n.includes('/api/v1/auth/register'))")
        .await;
    assert!(requests.is_empty(), "sent {requests:?}");
    browser.wait_for_path("/register").await;

    browser.quit().await;
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_silently_mid_session() {
    let ttl = TimeDelta::seconds(2);
    let app = WebApp::start_with(|config| config.access_token_ttl = ttl).await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;

    // The server refuses a token only after its lifetime plus the JWT leeway (5 s).
    let expired = ttl + TimeDelta::seconds(6);
    tokio::time::sleep(expired.to_std().unwrap()).await;

    browser.nav_link("My bookings").await.click().await.unwrap();
    browser.wait_for_heading("My bookings").await;
    browser
        .wait_for_text("p.empty", "You have no bookings yet.", UI_TIMEOUT)
        .await;
    browser.wait_for_path("/bookings").await;
    browser.wait_signed_in_as("Alice Archer").await;

    browser.quit().await;
}

#[tokio::test]
async fn a_reload_keeps_the_session() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;

    browser.reload().await;
    browser.wait_signed_in_as("Alice Archer").await;
    // Deep links keep it too: a fresh load of a signed-in page is not sent to /login.
    browser.open("/bookings").await;
    browser.wait_for_heading("My bookings").await;
    browser.wait_for_path("/bookings").await;

    browser.quit().await;
}

#[tokio::test]
async fn two_tabs_refreshing_at_the_same_instant_both_stay_signed_in() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;
    let first = browser.driver().window().await.unwrap();
    let second = browser.driver().new_tab().await.unwrap();
    browser
        .driver()
        .switch_to_window(second.clone())
        .await
        .unwrap();
    browser.open("/").await;
    browser.wait_signed_in_as("Alice Archer").await;

    // Both tabs reload at one agreed instant, so both start with a refresh that sends the
    // same refresh cookie. Unless they take turns, the server sees the second as a reused
    // token and revokes the sign-in of both.
    let at: f64 = browser.js("return Date.now() + 1500").await;
    let reload_at = format!("setTimeout(() => location.reload(), {at} - Date.now())");
    for tab in [&first, &second] {
        browser
            .driver()
            .switch_to_window(tab.clone())
            .await
            .unwrap();
        browser
            .driver()
            .execute(&reload_at, Vec::new())
            .await
            .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    for tab in [&first, &second] {
        browser
            .driver()
            .switch_to_window(tab.clone())
            .await
            .unwrap();
        browser.wait_signed_in_as("Alice Archer").await;
    }
    // And the sign-in is still good for the next refresh.
    browser.reload().await;
    browser.wait_signed_in_as("Alice Archer").await;
    browser.open("/bookings").await;
    browser.wait_for_path("/bookings").await;

    browser.quit().await;
}
