//! Live availability: what one visitor books, every other open page shows.

use std::time::Duration;

use serde_json::json;

use super::harness::{UI_TIMEOUT, WebApp};

const CONCERT: &str = "Limited Concert";

/// The bound: a sale shows on every open page within 2 seconds, without a reload.
const LIVE_WITHIN: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_sale_in_one_browser_shows_sold_out_in_another_within_two_seconds() {
    let app = WebApp::start().await;
    let tier = app.tier(CONCERT, "General Admission").await;
    let alice = app.browser().await;
    let bob = app.browser().await;
    alice.sign_in("alice@example.com", "Alice Archer").await;
    bob.sign_in("bob@example.com", "Bob Baker").await;
    for browser in [&alice, &bob] {
        browser.wait_for_heading("Events").await;
        browser
            .wait_for_card(CONCERT, "2 left", &["Book"], UI_TIMEOUT)
            .await;
    }

    // A third buyer, through the API, takes one of the two tickets; both pages follow.
    let buyer = app.buyers(1).await.remove(0);
    app.booked(&buyer.token, &json!([{ "tierId": tier.id, "quantity": 1 }]))
        .await;
    for browser in [&alice, &bob] {
        browser
            .wait_for_card(CONCERT, "1 left", &["Book"], UI_TIMEOUT)
            .await;
    }
    // A marker that a reload would wipe out.
    let _: Option<bool> = bob.js("window.__sameDocument = true; return null").await;

    // Alice books the last ticket from the card.
    alice.click_on_card(CONCERT, "Book").await;
    // The sale is the commit: the clock starts when the database shows it.
    alice
        .eventually("the sale in the database", UI_TIMEOUT, async || {
            (app.remaining(tier.id).await == 0).then_some(())
        })
        .await;
    bob.wait_for_card(CONCERT, "Sold out", &["Sold out"], LIVE_WITHIN)
        .await;
    let same_document: bool = bob.js("return window.__sameDocument === true").await;
    assert!(
        same_document,
        "Bob's page updated in place, without a reload"
    );
    bob.screenshot("events-sold-out-live").await;

    alice.pay_with_card(super::harness::APPROVING_CARD).await;
    alice.wait_for_toast("Booked! Your reference is BK-").await;
    alice.nav_link("Events").await.click().await.unwrap();
    // Her own card says she has one, or just that none are left: both are true.
    alice
        .wait_for_card(CONCERT, "Sold out", &["Booked", "Sold out"], UI_TIMEOUT)
        .await;
    assert_eq!(app.bookings_of("alice@example.com").await, 1);
    app.assert_conservation().await;

    bob.quit().await;
    alice.quit().await;
}
