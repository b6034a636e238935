//! The organizer's area in the browser: an event created, published, sold, refused a
//! capacity below its sales and cancelled; a draft edited and deleted; sales that show up
//! live; and who may enter.

use std::time::Duration;

use thirtyfour::By;

use super::audit::audit;
use super::harness::{Browser, UI_TIMEOUT, WebApp, normalized, xpath_literal};

const NEW_EVENT: &str = "Harbour Lights Festival";

/// Fails the test on any serious or critical axe-core finding on the page as it is, at
/// 375 and 1280 px; returns how many rules ran.
async fn audit_both_widths(browser: &Browser, page: &str) -> usize {
    let mut rules = 0;
    for width in [375, 1280] {
        browser.set_width(width).await;
        let found = audit(browser).await;
        assert!(
            found.blocking.is_empty(),
            "{page} at {width} px: {:?}",
            found.blocking
        );
        rules = found.rules;
    }
    rules
}

/// From "Your events", creates `title` in the form with the tiers (name, price, capacity)
/// given, and waits for the new draft's own page.
async fn create_in_the_form(browser: &Browser, title: &str, tiers: &[(&str, &str, &str)]) {
    browser.click_link("New event").await;
    browser.wait_for_heading("New event").await;
    browser.fill("Title", title).await;
    browser
        .fill("Description", "Lanterns, music and food on the quay.")
        .await;
    browser.fill("Venue", "Harbour Quay").await;
    let starts = (chrono::Utc::now() + chrono::TimeDelta::days(30)).format("%Y-%m-%dT19:30");
    browser.set_value("Starts at", &starts.to_string()).await;
    browser.fill("Tickets per person", "4").await;
    for (index, (name, price, capacity)) in tiers.iter().enumerate() {
        if index > 0 {
            browser.click_button("Add another tier").await;
        }
        let tier = format!("Tier {}", index + 1);
        browser.fill(&format!("{tier} Name"), name).await;
        browser.fill(&format!("{tier} Price"), price).await;
        browser.fill(&format!("{tier} Capacity"), capacity).await;
    }
    browser.click_button("Save draft").await;
    browser.wait_for_heading(title).await;
    browser
        .wait_for_toast(&format!("Draft “{title}” saved."))
        .await;
}

/// On an event's own page: the sales line of the tier `tier` ("$40.00 · Sold 2 of 20 ·
/// 18 left").
async fn tier_sales(browser: &Browser, tier: &str) -> Option<String> {
    let xpath = format!(
        "//article[@aria-label={}]//p[contains(@class,'tier-sales')]",
        xpath_literal(&format!("Tier {tier}"))
    );
    let line = browser.driver().find(By::XPath(xpath)).await.ok()?;
    Some(normalized(&line.text().await.ok()?))
}

/// The text of the status badge beside the page's heading.
async fn status_badge(browser: &Browser) -> Option<String> {
    let badge = browser
        .driver()
        .find(By::XPath(
            "//header[contains(@class,'event-header')]//span[contains(@class,'badge')]",
        ))
        .await
        .ok()?;
    Some(normalized(&badge.text().await.ok()?))
}

async fn wait_for_status(browser: &Browser, status: &str) {
    browser
        .eventually(format!("the status {status:?}"), UI_TIMEOUT, async || {
            (status_badge(browser).await? == status).then_some(())
        })
        .await;
}

#[tokio::test]
async fn an_organizer_creates_publishes_sells_and_cancels_an_event_in_the_browser() {
    let app = WebApp::start().await;
    let organizer = app.browser().await;
    let buyer = app.browser().await;
    organizer
        .sign_in("organizer@example.com", "Olivia Organizer")
        .await;
    organizer.nav_link("Organizer").await.click().await.unwrap();
    organizer.wait_for_heading("Your events").await;

    // The browser runs the server's rules first: an empty form sends nothing.
    organizer.click_link("New event").await;
    organizer.wait_for_heading("New event").await;
    organizer.click_button("Save draft").await;
    organizer
        .wait_for_text(".field-error", "Title is required", UI_TIMEOUT)
        .await;
    organizer.fill("Tier 1 Price", "12.345").await;
    organizer.click_button("Save draft").await;
    organizer
        .wait_for_text(
            ".field-error",
            "The price must be an amount like 12.50",
            UI_TIMEOUT,
        )
        .await;
    let invalid: bool = organizer
        .js("return document.getElementById('event-title').getAttribute('aria-invalid') === 'true'")
        .await;
    assert!(invalid, "the title is marked invalid");
    organizer.screenshots("organizer-new-event-errors").await;
    let rules = audit_both_widths(&organizer, "the new-event form with errors").await;
    println!("axe-core: {rules} rules on the new-event form");
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM events").await,
        5,
        "nothing was created"
    );
    organizer.click_link("← Your events").await;
    organizer.wait_for_heading("Your events").await;

    create_in_the_form(
        &organizer,
        NEW_EVENT,
        &[("Standing", "25.00", "100"), ("Seated", "40", "20")],
    )
    .await;
    wait_for_status(&organizer, "Draft").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS value FROM ticket_tiers t JOIN events e ON e.id = t.event_id              WHERE e.title = '{NEW_EVENT}' AND e.status = 'draft'"
        ))
        .await,
        2,
        "a draft with two tiers"
    );
    organizer.screenshots("organizer-manage-draft").await;
    let rules = audit_both_widths(&organizer, "a draft's page").await;
    println!("axe-core: {rules} rules on a draft's page");

    organizer.click_button("Publish").await;
    organizer
        .wait_for_toast(&format!("“{NEW_EVENT}” is on sale."))
        .await;
    wait_for_status(&organizer, "On sale").await;
    let event = app.event(NEW_EVENT).await;
    let seated = event
        .tiers
        .iter()
        .find(|tier| tier.name == "Seated")
        .expect("the Seated tier")
        .clone();

    organizer.click_link("← Your events").await;
    organizer.wait_for_heading("Your events").await;
    organizer
        .eventually("the new event with nothing sold", UI_TIMEOUT, async || {
            (sales_summary(&organizer, NEW_EVENT).await? == "Sold 0 · Revenue $0.00").then_some(())
        })
        .await;
    let _: Option<bool> = organizer
        .js("window.__sameDocument = true; return null")
        .await;

    buyer.sign_in("bob@example.com", "Bob Baker").await;
    buyer.open(&format!("/events/{}", event.id)).await;
    buyer.wait_for_heading(NEW_EVENT).await;
    buyer.add_to_cart("Seated", 2).await;
    buyer.nav_link("Cart").await.click().await.unwrap();
    buyer.wait_for_heading("Your cart").await;
    buyer.click_button("Checkout").await;
    buyer.pay_with_card(super::harness::APPROVING_CARD).await;
    let toast = buyer.wait_for_toast("Booked! Your reference is BK-").await;
    let reference = toast
        .split_whitespace()
        .find(|word| word.starts_with("BK-"))
        .map(|word| word.trim_end_matches('.').to_owned())
        .expect("a reference in the toast");

    organizer
        .eventually(
            "the sale on the organizer's page",
            Duration::from_secs(2),
            async || {
                (sales_summary(&organizer, NEW_EVENT).await? == "Sold 2 · Revenue $80.00")
                    .then_some(())
            },
        )
        .await;
    let same_document: bool = organizer.js("return window.__sameDocument === true").await;
    assert!(same_document, "the page updated in place, without a reload");

    // Below what is sold: the server refuses, and says why under the field.
    organizer.click_link(NEW_EVENT).await;
    organizer.wait_for_heading(NEW_EVENT).await;
    organizer
        .eventually("the Seated tier's sales", UI_TIMEOUT, async || {
            (tier_sales(&organizer, "Seated").await? == "$40.00 · Sold 2 of 20 · 18 left")
                .then_some(())
        })
        .await;
    organizer.fill("Seated Capacity", "1").await;
    organizer.click_button("Save Seated").await;
    organizer
        .wait_for_text(
            ".field-error",
            "2 tickets are already sold; the capacity cannot go below that.",
            UI_TIMEOUT,
        )
        .await;
    let invalid: bool = organizer
        .js(&format!(
            "return document.getElementById('tier-{}-capacity').getAttribute('aria-invalid') === 'true'",
            seated.id
        ))
        .await;
    assert!(invalid, "the capacity is marked invalid");
    assert_eq!(app.remaining(seated.id).await, 18, "nothing changed");
    organizer.screenshots("organizer-capacity-below-sold").await;
    let rules = audit_both_widths(&organizer, "an event on sale with an error").await;
    println!("axe-core: {rules} rules on an event's page on sale");

    // Cancelling the event says what it will do, then does it.
    organizer.click_button("Cancel event").await;
    organizer
        .wait_for_text(
            "dialog p",
            "This stops its sales and cancels 1 booking, returning its tickets.",
            UI_TIMEOUT,
        )
        .await;
    organizer.screenshots("organizer-cancel-dialog").await;
    organizer.click_button("Yes, cancel the event").await;
    organizer
        .wait_for_toast(&format!(
            "“{NEW_EVENT}” is cancelled, and its 1 booking with it."
        ))
        .await;
    wait_for_status(&organizer, "Cancelled").await;
    organizer.screenshots("organizer-cancelled").await;

    // The buyer sits on My bookings since the checkout; the list is read on each visit.
    buyer.nav_link("Events").await.click().await.unwrap();
    buyer.wait_for_heading("Events").await;
    buyer.nav_link("My bookings").await.click().await.unwrap();
    buyer.wait_for_heading("My bookings").await;
    buyer.wait_for_booking_status(&reference, "Cancelled").await;
    assert_eq!(app.remaining(seated.id).await, 20, "the tickets came back");
    organizer.click_link("← Your events").await;
    organizer
        .eventually("the cancelled event's sales", UI_TIMEOUT, async || {
            (sales_summary(&organizer, NEW_EVENT).await? == "Sold 0 · Revenue $0.00").then_some(())
        })
        .await;
    app.assert_conservation().await;

    buyer.quit().await;
    organizer.quit().await;
}

#[tokio::test]
async fn an_organizer_edits_a_draft_adds_and_removes_a_tier_and_deletes_it() {
    let app = WebApp::start().await;
    let organizer = app.browser().await;
    organizer
        .sign_in("organizer@example.com", "Olivia Organizer")
        .await;
    organizer.open("/organizer").await;
    organizer.wait_for_heading("Your events").await;
    create_in_the_form(&organizer, NEW_EVENT, &[("Standing", "25", "100")]).await;

    organizer.fill("Title", "Harbour Lights").await;
    organizer.click_button("Save details").await;
    organizer.wait_for_toast("Details saved.").await;
    organizer.wait_for_heading("Harbour Lights").await;

    // A second tier must use a new name: the browser says so before asking the server.
    organizer.fill("New tier Name", "standing").await;
    organizer.fill("New tier Price", "15").await;
    organizer.fill("New tier Capacity", "30").await;
    organizer.click_button("Add tier").await;
    organizer
        .wait_for_text(
            ".field-error",
            "The name is already used by another tier of this event",
            UI_TIMEOUT,
        )
        .await;
    organizer.fill("New tier Name", "Balcony").await;
    organizer.click_button("Add tier").await;
    organizer.wait_for_toast("Tier “Balcony” added.").await;
    organizer
        .eventually("the Balcony tier", UI_TIMEOUT, async || {
            (tier_sales(&organizer, "Balcony").await? == "$15.00 · Sold 0 of 30 · 30 left")
                .then_some(())
        })
        .await;
    let tiers = "SELECT count(*) AS value FROM ticket_tiers t JOIN events e ON e.id = t.event_id                  WHERE e.title = 'Harbour Lights'";
    assert_eq!(app.scalar(tiers).await, 2);

    organizer.click_button("Remove Balcony").await;
    organizer.wait_for_toast("Tier “Balcony” removed.").await;
    assert_eq!(app.scalar(tiers).await, 1);

    organizer.click_button("Delete draft").await;
    organizer
        .wait_for_text(
            "dialog p",
            "The draft and its tiers are deleted for good.",
            UI_TIMEOUT,
        )
        .await;
    organizer.click_button("Yes, delete it").await;
    organizer
        .wait_for_toast("Draft “Harbour Lights” deleted.")
        .await;
    organizer.wait_for_path("/organizer").await;
    assert_eq!(
        app.scalar("SELECT count(*) AS value FROM events WHERE title LIKE 'Harbour Lights%'")
            .await,
        0
    );
    organizer.quit().await;
}

#[tokio::test]
async fn an_admin_sees_every_organizers_events() {
    let app = WebApp::start().await;
    let admin = app.browser().await;
    admin.sign_in("admin@example.com", "Adam Admin").await;
    admin.nav_link("Organizer").await.click().await.unwrap();
    admin.wait_for_heading("Your events").await;
    admin
        .eventually("the organizer's concert", UI_TIMEOUT, async || {
            sales_summary(&admin, CONCERT).await
        })
        .await;
    admin.click_link(CONCERT).await;
    admin.wait_for_heading(CONCERT).await;
    admin.button("Cancel event").await;
    admin.quit().await;
}

const CONCERT: &str = "Limited Concert";

/// The text of the summary ("Sold 1 · Revenue $45.00") of the organizer's event `title`.
async fn sales_summary(browser: &Browser, title: &str) -> Option<String> {
    let xpath = format!(
        "//article[.//h2[normalize-space()={}]]//p[contains(@class,'sales-summary')]",
        xpath_literal(title)
    );
    let summary = browser.driver().find(By::XPath(xpath)).await.ok()?;
    Some(normalized(&summary.text().await.ok()?))
}

#[tokio::test]
async fn an_organizer_sees_a_buyers_sale_within_two_seconds_without_a_reload() {
    let app = WebApp::start().await;
    let organizer = app.browser().await;
    let buyer = app.browser().await;
    organizer
        .sign_in("organizer@example.com", "Olivia Organizer")
        .await;
    organizer.nav_link("Organizer").await.click().await.unwrap();
    organizer.wait_for_heading("Your events").await;
    organizer
        .eventually("the concert with nothing sold", UI_TIMEOUT, async || {
            (sales_summary(&organizer, CONCERT).await? == "Sold 0 · Revenue $0.00").then_some(())
        })
        .await;
    let _: Option<bool> = organizer
        .js("window.__sameDocument = true; return null")
        .await;
    organizer.screenshots("organizer-events").await;
    for width in [375, 1280] {
        organizer.set_width(width).await;
        let found = audit(&organizer).await;
        assert!(
            found.blocking.is_empty(),
            "at {width} px: {:?}",
            found.blocking
        );
    }

    buyer.sign_in("bob@example.com", "Bob Baker").await;
    buyer.click_on_card(CONCERT, "Book").await;
    buyer.pay_with_card(super::harness::APPROVING_CARD).await;
    buyer.wait_for_toast("Booked! Your reference is BK-").await;
    let tier = app.tier(CONCERT, "General Admission").await;
    assert_eq!(tier.remaining, 1);
    organizer
        .eventually(
            "the sale on the organizer's page",
            Duration::from_secs(2),
            async || {
                (sales_summary(&organizer, CONCERT).await? == "Sold 1 · Revenue $45.00")
                    .then_some(())
            },
        )
        .await;
    let same_document: bool = organizer.js("return window.__sameDocument === true").await;
    assert!(same_document, "the page updated in place, without a reload");

    buyer.quit().await;
    organizer.quit().await;
}

#[tokio::test]
async fn a_buyer_is_sent_away_from_the_organizer_area() {
    let app = WebApp::start().await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;
    let links = browser
        .driver()
        .find_all(By::XPath("//nav//a[normalize-space()='Organizer']"))
        .await
        .unwrap();
    assert!(links.is_empty(), "no Organizer link for a buyer");
    browser.open("/organizer").await;
    browser.wait_for_path("/").await;
    browser.wait_for_heading("Events").await;
    browser.quit().await;
}
