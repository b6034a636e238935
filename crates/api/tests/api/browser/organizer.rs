//! The organizer's area in the browser: sales that show up live, and who may enter.

use std::time::Duration;

use thirtyfour::By;

use super::audit::audit;
use super::harness::{Browser, UI_TIMEOUT, WebApp, normalized, xpath_literal};

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
