//! The whole way through: register, find an event, fill the cart, check out, cancel.

use thirtyfour::{By, Key};

use super::harness::{Browser, UI_TIMEOUT, WebApp, normalized};
use crate::helpers::PASSWORD;

const FESTIVAL: &str = "Summer Open Air Festival";

#[tokio::test]
async fn a_visitor_registers_books_two_tiers_and_cancels_getting_the_tickets_back() {
    let app = WebApp::start().await;
    let festival = app.event(FESTIVAL).await;
    let vip = app.tier(FESTIVAL, "VIP").await;
    let general = app.tier(FESTIVAL, "General Admission").await;
    let browser = app.browser().await;

    // Register: the app signs the new account in and goes to the events page.
    browser.open("/register").await;
    browser.wait_for_heading("Create an account").await;
    browser.fill("Name", "Dana Doe").await;
    browser.fill("Email", "dana@example.com").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Create account").await;
    browser.wait_signed_in_as("Dana Doe").await;
    browser.wait_for_path("/").await;
    browser.wait_for_heading("Events").await;

    // Search, then open the one event found.
    browser.fill("Search events", "Summer").await;
    browser.wait_for_cards(&[FESTIVAL]).await;
    // The search is in the URL, so it can be shared.
    browser
        .eventually("search=Summer in the URL", UI_TIMEOUT, async || {
            browser
                .location()
                .await
                .contains("search=Summer")
                .then_some(())
        })
        .await;
    browser.click_link(FESTIVAL).await;
    browser.wait_for_heading(FESTIVAL).await;
    browser
        .wait_for_path(&format!("/events/{}", festival.id))
        .await;

    // Back restores the search, from the URL.
    browser.driver().back().await.unwrap();
    browser.wait_for_path("/").await;
    browser.wait_for_cards(&[FESTIVAL]).await;
    assert!(browser.location().await.contains("search=Summer"));
    let search = browser.field("Search events").await.value().await.unwrap();
    assert_eq!(search.as_deref(), Some("Summer"));
    browser.click_link(FESTIVAL).await;
    browser.wait_for_heading(FESTIVAL).await;

    // Two tiers into the cart.
    browser.add_to_cart("General Admission", 2).await;
    browser.add_to_cart("VIP", 1).await;
    browser.wait_for_nav_link("Cart", "Cart (3)").await;
    browser.screenshots("event-page").await;

    // The cart adds up: 2 × $10 + 1 × $100.
    browser.nav_link("Cart").await.click().await.unwrap();
    browser.wait_for_heading("Your cart").await;
    browser
        .wait_for_text(".cart-total", "Total: $120.00", UI_TIMEOUT)
        .await;
    let lines = browser
        .driver()
        .find_all(By::Css("li.cart-line"))
        .await
        .unwrap();
    assert_eq!(lines.len(), 2, "one line per tier");
    browser.screenshots("cart").await;

    // Check out: a toast with the reference, then My bookings.
    browser.click_button("Checkout").await;
    browser.pay_with_card(super::harness::APPROVING_CARD).await;
    let toast = browser
        .wait_for_toast("Booked! Your reference is BK-")
        .await;
    let reference = toast
        .strip_prefix("Booked! Your reference is ")
        .and_then(|rest| rest.split('.').next())
        .unwrap_or_else(|| panic!("a reference in {toast:?}"))
        .to_owned();
    browser.wait_for_path("/bookings").await;
    browser.wait_for_heading("My bookings").await;
    browser
        .wait_for_booking_status(&reference, "Confirmed")
        .await;
    browser.wait_for_nav_link("Cart", "Cart (0)").await;
    browser.screenshots("my-bookings").await;
    assert_eq!(app.remaining(general.id).await, 798);
    assert_eq!(app.remaining(vip.id).await, 49);

    // The cancel dialog works from the keyboard: the safe answer has focus, Tab stays
    // inside, Escape closes it and focus goes back to the button that opened it.
    let cancel_button = browser
        .booking(&reference)
        .await
        .find(By::XPath(".//button[normalize-space()='Cancel booking']"))
        .await
        .unwrap();
    cancel_button.click().await.unwrap();
    let dialog = browser
        .find("the open cancel dialog", By::XPath("//dialog[@open]"))
        .await;
    let title = dialog
        .find(By::Css("h2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(normalized(&title), format!("Cancel booking {reference}?"));
    assert_eq!(focused_text(&browser).await, "Keep booking");
    for expected in ["Yes, cancel it", "Keep booking", "Yes, cancel it"] {
        press(&browser, Key::Tab).await;
        assert_eq!(
            focused_text(&browser).await,
            expected,
            "Tab cycles in the dialog"
        );
    }
    press(&browser, Key::Escape).await;
    browser
        .eventually("the dialog closed by Escape", UI_TIMEOUT, async || {
            let open = browser
                .driver()
                .find_all(By::XPath("//dialog[@open]"))
                .await
                .ok()?;
            open.is_empty().then_some(())
        })
        .await;
    let focused = browser.driver().active_element().await.unwrap();
    assert_eq!(
        focused.element_id(),
        cancel_button.element_id(),
        "focus returns"
    );
    assert_eq!(app.remaining(vip.id).await, 49, "Escape cancels nothing");

    // Cancel it for real.
    cancel_button.click().await.unwrap();
    browser
        .find("the open cancel dialog", By::XPath("//dialog[@open]"))
        .await;
    browser.screenshots("cancel-dialog").await;
    browser.click_button("Yes, cancel it").await;
    browser
        .wait_for_toast(&format!("Booking {reference} cancelled."))
        .await;
    browser
        .wait_for_booking_status(&reference, "Cancelled")
        .await;
    let still_cancellable = browser
        .booking(&reference)
        .await
        .find_all(By::XPath(".//button[normalize-space()='Cancel booking']"))
        .await
        .unwrap();
    assert!(
        still_cancellable.is_empty(),
        "a cancelled booking offers no cancel"
    );

    // The tickets are back: on the event page, and in the database.
    browser.nav_link("Events").await.click().await.unwrap();
    browser.wait_for_heading("Events").await;
    browser.click_link(FESTIVAL).await;
    browser.wait_for_heading(FESTIVAL).await;
    browser.wait_for_tier("VIP", "50 left").await;
    browser.wait_for_tier("Front Row", "150 left").await;
    browser.wait_for_tier("General Admission", "800 left").await;
    assert_eq!(app.remaining(general.id).await, 800);
    assert_eq!(app.remaining(vip.id).await, 50);
    app.assert_conservation().await;

    browser.quit().await;
}

async fn focused_text(browser: &Browser) -> String {
    let focused = browser.driver().active_element().await.unwrap();
    normalized(&focused.text().await.unwrap())
}

async fn press(browser: &Browser, key: Key) {
    let focused = browser.driver().active_element().await.unwrap();
    focused.send_keys(key).await.unwrap();
}
