//! The waiting room in the browser: two buyers wait before the start and see their
//! places drawn; the sale opens; the first admitted books through the app while the
//! second watches their place come up without a reload.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use thirtyfour::By;

use super::audit::assert_accessible;
use super::harness::{APPROVING_CARD, Browser, UI_TIMEOUT, WebApp};

const FESTIVAL: &str = "Summer Open Air Festival";

async fn headline(browser: &Browser) -> String {
    browser
        .find("the room's headline", By::Css(".waiting-room h1"))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn two_buyers_wait_the_sale_opens_and_the_first_admitted_books_while_the_second_moves_up() {
    let app = WebApp::start().await;
    let festival = app.event(FESTIVAL).await;
    let sales_start = Utc::now() + TimeDelta::seconds(12);
    // One buyer every three seconds: slow enough to watch the second one's turn come.
    app.execute(&format!(
        "UPDATE events SET sales_start_at = '{}' WHERE id = '{}'; \
         INSERT INTO waiting_rooms (event_id, admit_per_minute, opens_minutes) \
         VALUES ('{}', 20, 15)",
        sales_start.to_rfc3339(),
        festival.id,
        festival.id
    ))
    .await;

    let alice = app.browser().await;
    let bob = app.browser().await;
    alice.sign_in("alice@example.com", "Alice Archer").await;
    bob.sign_in("bob@example.com", "Bob Baker").await;
    for browser in [&alice, &bob] {
        browser.open(&format!("/events/{}", festival.id)).await;
        browser.wait_for_heading(FESTIVAL).await;
        browser
            .wait_for_text(".sale-countdown", "Starts in", UI_TIMEOUT)
            .await;
        browser.click_link("Join the waiting room").await;
        browser
            .wait_for_text(".waiting-room h1", "You're in the waiting room", UI_TIMEOUT)
            .await;
        browser
            .wait_for_text(".queue-note", "one random draw", UI_TIMEOUT)
            .await;
    }
    alice.screenshots("waiting-room-before-start").await;
    assert_accessible(&alice, "the waiting room before the start").await;

    // The sale opens: the draw gives each a place, and the first is let in.
    let first_in = alice
        .eventually("someone let in", Duration::from_secs(40), async || {
            for (name, browser) in [("alice", &alice), ("bob", &bob)] {
                if headline(browser).await.contains("book now") {
                    return Some(name);
                }
            }
            None
        })
        .await;
    let (first, second) = if first_in == "alice" {
        (&alice, &bob)
    } else {
        (&bob, &alice)
    };
    second
        .wait_for_text(".queue-place", "Your place in line: 2", UI_TIMEOUT)
        .await;
    second.screenshots("waiting-room-in-line").await;
    assert_accessible(second, "the waiting room in line").await;
    first.screenshots("waiting-room-admitted").await;
    assert_accessible(first, "the waiting room, admitted").await;

    // The first books through the app with the pass the room gave.
    first.click_link("Book now").await;
    first.wait_for_heading(FESTIVAL).await;
    first.add_to_cart("VIP", 1).await;
    first.nav_link("Cart").await.click().await.unwrap();
    first.wait_for_heading("Your cart").await;
    first.click_button("Checkout").await;
    first.pay_with_card(APPROVING_CARD).await;
    first
        .wait_for_text(".booking .badge", "Confirmed", UI_TIMEOUT)
        .await;

    // The second's turn comes without a reload.
    second
        .wait_for_text(
            ".waiting-room h1",
            "You're in: book now",
            Duration::from_secs(20),
        )
        .await;
    alice.quit().await;
    bob.quit().await;
}
