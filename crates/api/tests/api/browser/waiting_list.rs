//! The waiting list in the browser: where "Sold out" was, a buyer joins; when someone
//! cancels, the buyer is offered the tickets live, pays, and holds them.

use std::time::{Duration, Instant};

use thirtyfour::By;

use super::audit::assert_accessible;
use super::harness::{APPROVING_CARD, UI_TIMEOUT, WebApp};

const CONCERT: &str = "Limited Concert";

#[tokio::test]
async fn bob_waits_for_the_sold_out_concert_and_gets_alices_ticket_live_when_she_cancels() {
    let app = WebApp::start().await;
    let concert = app.event(CONCERT).await;
    let tier = concert.tiers[0].id;
    // The concert sells out: two listeners, one ticket each.
    let alices = app.seeded_booking("alice@example.com", tier, 1).await;
    app.seeded_booking("charlie@example.com", tier, 1).await;

    let browser = app.browser().await;
    browser.sign_in("bob@example.com", "Bob Baker").await;
    browser.open(&format!("/events/{}", concert.id)).await;
    browser.wait_for_heading(CONCERT).await;
    browser.click_button("Join waiting list").await;
    browser
        .wait_for_text(
            ".waiting-place",
            "You're number 1 on the waiting list for 1 ticket.",
            UI_TIMEOUT,
        )
        .await;
    browser.screenshots("waiting-list-joined").await;
    assert_accessible(&browser, "the sold-out event with a place").await;

    let alice = app.seeded_token("alice@example.com").await;
    let cancelled = Instant::now();
    let answer = app
        .client
        .post(app.url(&format!("/api/v1/bookings/{}/cancel", alices.id)))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("cancel");
    assert!(answer.status().is_success());
    browser
        .wait_for_text(
            ".offer-banner",
            "held for you until",
            Duration::from_secs(2),
        )
        .await;
    let heard_after = cancelled.elapsed();
    assert!(heard_after < Duration::from_secs(2), "{heard_after:?}");
    browser
        .wait_for_text(
            ".offer-banner",
            &format!("From the waiting list, {CONCERT}: 1 ticket held for you until"),
            UI_TIMEOUT,
        )
        .await;
    // The ticket went to Bob, not back on sale; his place is used up.
    assert_eq!(app.remaining(tier).await, 0);
    browser
        .eventually("the place gone", UI_TIMEOUT, async || {
            let places = browser
                .driver()
                .find_all(By::Css(".waiting-place"))
                .await
                .ok()?;
            places.is_empty().then_some(())
        })
        .await;
    browser.screenshots("waiting-list-offer").await;
    assert_accessible(&browser, "the offer banner").await;

    browser.click_link("Pay now").await;
    browser.pay_with_card(APPROVING_CARD).await;
    browser
        .wait_for_text(".booking .badge", "Confirmed", UI_TIMEOUT)
        .await;
    browser.find("Bob's ticket", By::Css(".ticket")).await;
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS value FROM bookings b JOIN users u ON u.id = b.user_id \
             WHERE u.email = 'bob@example.com' AND b.status = 'confirmed' \
               AND b.origin = 'waitingList'"
        )
        .await,
        1
    );
    app.assert_conservation().await;
    browser.quit().await;
}

#[tokio::test]
async fn my_bookings_says_what_an_offer_holds_and_until_when() {
    let app = WebApp::start().await;
    let concert = app.event(CONCERT).await;
    let tier = concert.tiers[0].id;
    let alices = app.seeded_booking("alice@example.com", tier, 1).await;
    app.seeded_booking("charlie@example.com", tier, 1).await;
    let bob = app.seeded_token("bob@example.com").await;
    let joined = app
        .client
        .post(app.url(&format!(
            "/api/v1/events/{}/tiers/{tier}/waiting-list",
            concert.id
        )))
        .bearer_auth(&bob)
        .json(&serde_json::json!({ "quantity": 1 }))
        .send()
        .await
        .expect("join");
    assert_eq!(joined.status(), reqwest::StatusCode::CREATED);
    let alice = app.seeded_token("alice@example.com").await;
    app.client
        .post(app.url(&format!("/api/v1/bookings/{}/cancel", alices.id)))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("cancel");

    let browser = app.browser().await;
    browser.sign_in("bob@example.com", "Bob Baker").await;
    browser.open("/bookings").await;
    browser.wait_for_heading("My bookings").await;
    let note = browser
        .wait_for_text(
            ".offer-note",
            "From the waiting list: 1 ticket held for you until",
            UI_TIMEOUT,
        )
        .await;
    assert!(note.is_displayed().await.unwrap());
    browser
        .find(
            "the link to pay",
            By::XPath("//a[normalize-space()='Pay now']"),
        )
        .await;
    browser.screenshots("my-bookings-offer").await;
    assert_accessible(&browser, "My bookings with an offer").await;
    browser.quit().await;
}
