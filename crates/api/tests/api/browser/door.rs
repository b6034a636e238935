//! The door page: a hand scanner types a ticket's code and Enter; the first scan is
//! admitted in green, the second refused in red with the first scan's time, and a
//! second door's count changes without a reload.

use thirtyfour::Key;

use super::audit::audit;
use super::harness::{Browser, UI_TIMEOUT, WebApp};

const FESTIVAL: &str = "Summer Open Air Festival";

async fn open_door(browser: &Browser, event: uuid::Uuid) {
    browser
        .sign_in("organizer@example.com", "Olivia Organizer")
        .await;
    browser
        .open(&format!("/organizer/events/{event}/door"))
        .await;
    browser.wait_for_heading(&format!("Door: {FESTIVAL}")).await;
}

/// Types `code` into the code field and presses Enter, as a hand scanner does.
async fn scan(browser: &Browser, code: &str) {
    let field = browser.field("Ticket code").await;
    field.clear().await.unwrap();
    field.send_keys(code).await.unwrap();
    field.send_keys(Key::Enter).await.unwrap();
}

#[tokio::test]
async fn a_door_admits_a_ticket_once_and_another_door_sees_the_count_change() {
    let app = WebApp::start().await;
    let festival = app.event(FESTIVAL).await;
    let booking = app
        .seeded_booking("alice@example.com", festival.tiers[0].id, 2)
        .await;
    let door = app.browser().await;
    let other_door = app.browser().await;
    open_door(&door, festival.id).await;
    open_door(&other_door, festival.id).await;
    other_door
        .wait_for_text(".door-count", "0 of 2 checked in", UI_TIMEOUT)
        .await;
    // A marker that a reload would wipe out.
    let _: Option<bool> = other_door
        .js("window.__sameDocument = true; return null")
        .await;

    scan(&door, &booking.tickets[0].code).await;
    door.wait_for_text(".door-ok", "Alice Archer", UI_TIMEOUT)
        .await;
    door.wait_for_text(".door-count", "1 of 2 checked in", UI_TIMEOUT)
        .await;
    door.screenshots("door-admitted").await;
    other_door
        .wait_for_text(".door-count", "1 of 2 checked in", UI_TIMEOUT)
        .await;
    let same_document: bool = other_door.js("return window.__sameDocument === true").await;
    assert!(
        same_document,
        "the other door's count changed without a reload"
    );

    scan(&door, &booking.tickets[0].code).await;
    door.wait_for_text(".door-refused", "Already checked in at", UI_TIMEOUT)
        .await;
    door.screenshots("door-refused").await;
    for width in [375, 1280] {
        door.set_width(width).await;
        let found = audit(&door).await;
        assert!(
            found.blocking.is_empty(),
            "door at {width} px: {:?}",
            found.blocking
        );
    }
    scan(&door, "BKT1.not-a-real-ticket").await;
    door.wait_for_text(".door-refused", "Not a valid ticket code", UI_TIMEOUT)
        .await;
    door.quit().await;
    other_door.quit().await;
}
