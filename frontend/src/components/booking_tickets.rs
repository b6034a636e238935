//! A confirmed booking's tickets in My bookings: each with its QR code, a button that
//! prints them (one per page) and an "Add to calendar" file per event.

use booking_dto::{Booking, BookingItem};
use leptos::prelude::*;

use crate::components::ticket_card::TicketCard;
use crate::format;

#[component]
pub fn BookingTickets(booking: Booking) -> impl IntoView {
    let mut events: Vec<&BookingItem> = Vec::new();
    for item in &booking.items {
        if !events.iter().any(|seen| seen.event_id == item.event_id) {
            events.push(item);
        }
    }
    let calendars = events
        .into_iter()
        .map(|item| {
            let file = format::ics(
                &format!("{}@booking", item.event_id),
                &item.event_title,
                &item.event_venue,
                item.event_starts_at,
                chrono::Utc::now(),
            );
            let href = format!(
                "data:text/calendar;charset=utf-8,{}",
                js_sys::encode_uri_component(&file)
            );
            let label = format!("Add to calendar: {}", item.event_title);
            view! {
                <a class="button button-quiet" href=href download="event.ics" aria-label=label>
                    "Add to calendar"
                </a>
            }
        })
        .collect_view();
    let tickets = booking
        .tickets
        .iter()
        .filter_map(|ticket| {
            let item = booking
                .items
                .iter()
                .find(|item| item.tier_name == ticket.tier_name)?
                .clone();
            let reference = booking.reference.clone();
            Some(view! { <TicketCard ticket=ticket.clone() item reference/> })
        })
        .collect_view();
    let count = booking.tickets.len();
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            // Printing is the browser's; a refusal (a blocked dialog) leaves nothing to do.
            let _ = window.print();
        }
    };
    view! {
        <section class="booking-tickets" aria-label=format!("{count} tickets")>
            <div class="ticket-actions">
                <button type="button" class="button button-quiet" on:click=print>
                    "Print tickets"
                </button>
                {calendars}
            </div>
            <div class="tickets">{tickets}</div>
        </section>
    }
}
