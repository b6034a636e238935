//! The two-step checkout in the browser: the cart holds the tickets, the checkout page
//! counts the hold down and takes a card; a declined card and a hold that runs out both
//! give the tickets back.

use std::time::Duration;

use thirtyfour::By;

use super::audit::assert_accessible;
use super::harness::{APPROVING_CARD, Browser, DECLINING_CARD, UI_TIMEOUT, WebApp};

const FESTIVAL: &str = "Summer Open Air Festival";

/// Holds `quantity` VIP tickets of the festival through the cart; returns the booking
/// id the checkout page shows in its address.
async fn hold_through_cart(browser: &Browser, app: &WebApp, quantity: u32) -> String {
    let festival = app.event(FESTIVAL).await;
    browser.open(&format!("/events/{}", festival.id)).await;
    browser.wait_for_heading(FESTIVAL).await;
    browser.add_to_cart("VIP", quantity).await;
    browser.nav_link("Cart").await.click().await.unwrap();
    browser.wait_for_heading("Your cart").await;
    browser.click_button("Checkout").await;
    browser.wait_for_heading("Checkout").await;
    let path = browser
        .eventually("the checkout address", UI_TIMEOUT, async || {
            let location = browser.location().await;
            location.ends_with("/pay").then_some(location)
        })
        .await;
    path.trim_end_matches("/pay")
        .rsplit('/')
        .next()
        .expect("a booking id")
        .to_owned()
}

/// The clock's text now, e.g. "9:58".
async fn clock(browser: &Browser) -> String {
    browser
        .find("the hold's clock", By::Css(".hold-clock"))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_checkout_counts_the_hold_down_and_a_declined_card_leaves_no_booking() {
    let app = WebApp::start().await;
    let vip = app.tier(FESTIVAL, "VIP").await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;

    hold_through_cart(&browser, &app, 2).await;
    let first = clock(&browser).await;
    assert!(
        ["10:00", "9:59", "9:58", "9:57"].contains(&first.as_str()),
        "a ten-minute hold, shown as {first}"
    );
    browser
        .eventually("the clock ticking", UI_TIMEOUT, async || {
            (clock(&browser).await != first).then_some(())
        })
        .await;
    // Held: off public sale, but not sold.
    assert_eq!(app.remaining(vip.id).await, i64::from(vip.capacity) - 2);
    let announced = browser
        .find(
            "the once-a-minute announcement",
            By::Css(".hold-countdown [role=status]"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        announced.contains("held for 10 more minutes"),
        "{announced}"
    );
    browser.fill("Card number", "4242 4242 4242 4241").await;
    browser.fill("Expiry (MM/YY)", "13/30").await;
    browser.click_button("Pay $200.00").await;
    browser
        .wait_for_text(
            ".field-error",
            "Card number fails the check digit",
            UI_TIMEOUT,
        )
        .await;
    browser.screenshots("checkout-hold").await;
    assert_accessible(&browser, "the checkout with field errors").await;

    browser.pay_with_card(DECLINING_CARD).await;
    browser
        .wait_for_text(".hold-ended", "Your card was declined", UI_TIMEOUT)
        .await;
    browser.screenshots("checkout-declined").await;
    assert_accessible(&browser, "the declined checkout").await;
    assert_eq!(app.bookings_of("alice@example.com").await, 0);
    assert_eq!(app.remaining(vip.id).await, i64::from(vip.capacity));
    app.assert_conservation().await;

    // Another try with the approving card books it.
    hold_through_cart(&browser, &app, 1).await;
    browser.pay_with_card(APPROVING_CARD).await;
    browser
        .wait_for_toast("Booked! Your reference is BK-")
        .await;
    browser.wait_for_heading("My bookings").await;
    assert_eq!(app.bookings_of("alice@example.com").await, 1);
    assert_eq!(app.remaining(vip.id).await, i64::from(vip.capacity) - 1);
    app.assert_conservation().await;
    browser.quit().await;
}

#[tokio::test]
async fn a_hold_shows_in_my_bookings_and_running_out_on_screen_gives_the_tickets_back() {
    let app = WebApp::start().await;
    let vip = app.tier(FESTIVAL, "VIP").await;
    let browser = app.browser().await;
    browser.sign_in("bob@example.com", "Bob Baker").await;
    let booking = hold_through_cart(&browser, &app, 1).await;

    browser.nav_link("My bookings").await.click().await.unwrap();
    browser.wait_for_heading("My bookings").await;
    browser
        .wait_for_text(".booking-hold", "Held for you", UI_TIMEOUT)
        .await;
    browser
        .find(
            "the pending badge",
            By::XPath("//span[contains(@class, 'status-pending') and normalize-space()='Pending']"),
        )
        .await;
    browser.screenshots("my-bookings-hold").await;

    // The hold is cut short to a few seconds; the checkout page watches it run out.
    app.execute(&format!(
        "UPDATE bookings SET expires_at = now() + interval '4 seconds' WHERE id = '{booking}'"
    ))
    .await;
    browser.click_link("Complete payment").await;
    browser.wait_for_heading("Checkout").await;
    browser
        .wait_for_text(".hold-ended", "Your hold ran out", Duration::from_secs(15))
        .await;
    browser.screenshots("checkout-expired").await;
    assert_accessible(&browser, "the expired checkout").await;
    browser
        .eventually("the tickets back on sale", UI_TIMEOUT, async || {
            (app.remaining(vip.id).await == i64::from(vip.capacity)).then_some(())
        })
        .await;
    let expired = app
        .scalar(&format!(
            "SELECT count(*) AS value FROM bookings WHERE id = '{booking}' AND status = 'expired'"
        ))
        .await;
    assert_eq!(expired, 1);
    app.assert_conservation().await;
    browser.quit().await;
}
