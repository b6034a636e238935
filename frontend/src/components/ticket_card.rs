//! One ticket as it is shown at the door: its QR code, the event, when and where, the
//! tier, the holder and the booking's reference. Printed, each ticket takes a page.

use booking_dto::{BookingItem, Ticket};
use leptos::prelude::*;
use qrcode::QrCode;
use qrcode::render::svg;

use crate::browser;
use crate::format;

#[component]
pub fn TicketCard(ticket: Ticket, item: BookingItem, reference: String) -> impl IntoView {
    let when = format::when_at(
        item.event_starts_at,
        browser::local_offset_seconds(item.event_starts_at),
    );
    let admitted = ticket.checked_in_at.map(|at| {
        let at = format::when_at(at, browser::local_offset_seconds(at));
        view! { <p class="ticket-used">"Checked in " {at}</p> }
    });
    let label = format!("Ticket for {}, {}", item.event_title, ticket.tier_name);
    view! {
        <article class="ticket" aria-label=label>
            <img
                class="ticket-qr"
                src=qr_image(&ticket.code)
                alt=format!("QR code of this {} ticket", ticket.tier_name)
                width="220"
                height="220"
            />
            <div class="ticket-info">
                <h3>{item.event_title}</h3>
                <p><time datetime=item.event_starts_at.to_rfc3339()>{when}</time></p>
                <p>{item.event_venue}</p>
                <dl class="ticket-facts">
                    <dt>"Tier"</dt><dd>{ticket.tier_name}</dd>
                    <dt>"Holder"</dt><dd>{ticket.holder_name}</dd>
                    <dt>"Booking"</dt><dd>{reference}</dd>
                </dl>
                {admitted}
                <p class="ticket-code">{ticket.code}</p>
            </div>
        </article>
    }
}

/// The code as a QR code in an SVG data URL (the page's CSP allows `data:` images).
fn qr_image(code: &str) -> String {
    let Ok(qr) = QrCode::new(code.as_bytes()) else {
        return String::new();
    };
    let svg = qr
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    format!(
        "data:image/svg+xml;charset=utf-8,{}",
        js_sys::encode_uri_component(&svg)
    )
}
