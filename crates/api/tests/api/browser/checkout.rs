//! Checking out the cart when it goes wrong: tickets gone meanwhile, an impatient double
//! click.

use std::time::Duration;

use serde_json::json;
use thirtyfour::By;

use super::harness::{Browser, UI_TIMEOUT, WebApp};

/// Opens the event `title` from the events page, as a visitor would (in-app navigation,
/// no reload), and puts `quantity` tickets of `tier` into the cart. (On the list, "Book" on
/// a one-tier event books at once: the cart goes through the event page.)
async fn into_cart(browser: &Browser, title: &str, tier: &str, quantity: u32) {
    browser.nav_link("Events").await.click().await.unwrap();
    browser.wait_for_heading("Events").await;
    browser.click_link(title).await;
    browser.wait_for_heading(title).await;
    browser.add_to_cart(tier, quantity).await;
    browser
        .wait_for_nav_link("Cart", &format!("Cart ({quantity})"))
        .await;
}

#[tokio::test]
async fn checking_out_tickets_that_sold_out_meanwhile_says_sorry() {
    let app = WebApp::start().await;
    let tier = app.tier("Limited Concert", "General Admission").await;
    let browser = app.browser().await;
    browser.sign_in("charlie@example.com", "Charlie Chen").await;
    into_cart(&browser, "Limited Concert", "General Admission", 1).await;

    // While the ticket sits in the cart, two other buyers take both.
    for buyer in app.buyers(2).await {
        app.booked(&buyer.token, &json!([{ "tierId": tier.id, "quantity": 1 }]))
            .await;
    }

    browser.nav_link("Cart").await.click().await.unwrap();
    browser.wait_for_heading("Your cart").await;
    browser.click_button("Checkout").await;
    browser
        .wait_for_toast("Sorry, tickets for Limited Concert are no longer available.")
        .await;
    browser.screenshot("cart-sold-out").await;
    assert_eq!(app.bookings_of("charlie@example.com").await, 0);
    assert_eq!(app.remaining(tier.id).await, 0);
    app.assert_conservation().await;

    browser.quit().await;
}

#[tokio::test]
async fn checkout_clicked_twice_quickly_books_once() {
    let app = WebApp::start().await;
    let title = "Jazz Night at the Harbour";
    let tier = app.tier(title, "General Admission").await;
    let browser = app.browser().await;
    browser.sign_in("bob@example.com", "Bob Baker").await;
    into_cart(&browser, title, "General Admission", 2).await;
    browser.nav_link("Cart").await.click().await.unwrap();
    browser.wait_for_heading("Your cart").await;

    // Two clicks in the same task: the second lands before the page can re-render, so
    // only the app's own guard (or the idempotency key it sends) stops a second booking.
    let checkout = browser.button("Checkout").await;
    browser
        .driver()
        .execute(
            "arguments[0].click(); arguments[0].click();",
            vec![checkout.to_json().unwrap()],
        )
        .await
        .unwrap();

    browser.pay_with_card(super::harness::APPROVING_CARD).await;
    browser
        .wait_for_toast("Booked! Your reference is BK-")
        .await;
    browser.wait_for_path("/bookings").await;
    browser.wait_for_heading("My bookings").await;
    // Let a second request, were one sent, reach the server before counting. (No timing
    // is asserted: this only gives a bug time to show.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.bookings_of("bob@example.com").await, 1);
    assert_eq!(app.remaining(tier.id).await, i64::from(tier.capacity) - 2);
    browser
        .eventually("exactly one booking listed", UI_TIMEOUT, async || {
            let listed = browser
                .driver()
                .find_all(By::XPath(
                    "//article[.//h2[starts-with(normalize-space(), 'BK-')]]",
                ))
                .await
                .ok()?;
            (listed.len() == 1).then_some(())
        })
        .await;
    app.assert_conservation().await;

    browser.quit().await;
}
