//! Tickets in My bookings: each with a QR code a door's scanner reads back as the
//! ticket's code, the event's details, print and calendar.

use std::collections::BTreeSet;

use thirtyfour::By;

use super::audit::audit;
use super::harness::{UI_TIMEOUT, WebApp};

const FESTIVAL: &str = "Summer Open Air Festival";

/// The text of the one QR code in a PNG image, as a scanner reads it.
fn read_qr(png_bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(png_bytes)
        .read_info()
        .expect("a PNG screenshot");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("its pixels");
    let channels = frame.color_type.samples();
    let width = usize::try_from(frame.width).unwrap();
    let luma = |x: usize, y: usize| {
        let at = (y * width + x) * channels;
        let rgb = &pixels[at..at + 3.min(channels)];
        u8::try_from(
            rgb.iter().map(|&c| u32::from(c)).sum::<u32>() / u32::try_from(rgb.len()).unwrap(),
        )
        .unwrap()
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(
        width,
        usize::try_from(frame.height).unwrap(),
        luma,
    );
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("a readable QR code").1
}

#[tokio::test]
async fn my_bookings_shows_tickets_whose_qr_codes_read_back_as_their_codes() {
    let app = WebApp::start().await;
    let festival = app.event(FESTIVAL).await;
    let vip = festival
        .tiers
        .iter()
        .find(|tier| tier.name == "VIP")
        .expect("a VIP tier");
    let booking = app.seeded_booking("alice@example.com", vip.id, 2).await;
    let browser = app.browser().await;
    browser.sign_in("alice@example.com", "Alice Archer").await;
    browser.nav_link("My bookings").await.click().await.unwrap();
    browser.wait_for_heading("My bookings").await;
    let qr_codes = browser
        .eventually("two tickets with QR codes", UI_TIMEOUT, async || {
            let images = browser
                .driver()
                .find_all(By::Css(".ticket .ticket-qr"))
                .await
                .ok()?;
            (images.len() == 2).then_some(images)
        })
        .await;

    let mut read = BTreeSet::new();
    for image in qr_codes {
        let argument = image.to_json().unwrap();
        browser
            .driver()
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' });",
                vec![argument],
            )
            .await
            .unwrap();
        read.insert(read_qr(&image.screenshot_as_png().await.unwrap()));
    }
    let issued: BTreeSet<String> = booking.tickets.iter().map(|t| t.code.clone()).collect();
    assert_eq!(read, issued, "each QR code reads back as its ticket's code");

    let ticket_text = browser
        .find("a ticket", By::Css(".ticket"))
        .await
        .text()
        .await
        .unwrap();
    for shown in [
        FESTIVAL,
        &festival.venue,
        "VIP",
        "Alice Archer",
        &booking.reference,
    ] {
        assert!(ticket_text.contains(shown), "{shown:?} in {ticket_text:?}");
    }
    let calendar = browser
        .find(
            "the calendar link",
            By::XPath("//a[normalize-space()='Add to calendar']"),
        )
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(calendar.starts_with("data:text/calendar"), "{calendar}");
    assert!(
        calendar.contains("SUMMARY%3ASummer%20Open%20Air%20Festival"),
        "{calendar}"
    );
    browser.screenshots("my-bookings-tickets").await;
    for width in [375, 1280] {
        browser.set_width(width).await;
        let found = audit(&browser).await;
        assert!(
            found.blocking.is_empty(),
            "tickets at {width} px: {:?}",
            found.blocking
        );
    }
    browser.quit().await;
}
