use booking_dto::{BookingItemRequest, Checkout, CreateBookingRequest, Event};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

use crate::actions::write_action;
use crate::api;
use crate::booking_messages::{self, Asked};
use crate::browser;
use crate::components::availability_badge::AvailabilityBadge;
use crate::format;
use crate::pages::cart::pay_path;
use crate::state::counts::use_counts;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// One event in the grid: what, when, where, from how much, how many left, and a Book
/// button that holds one ticket and goes to pay for it when the event has a single tier.
#[component]
pub fn EventCard(event: Event) -> impl IntoView {
    let session = use_session();
    let passes = crate::state::passes::use_passes();
    let counts = use_counts();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let navigate_to_pay = navigate.clone();
    let location = use_location();

    let id = event.id;
    let title_id = format!("event-{id}-title");
    let fetched_remaining = event.remaining_tickets;
    let remaining = Signal::derive(move || counts.event_remaining(id, fetched_remaining));
    let capacity = event.total_tickets;
    let sold_out = move || remaining.get() <= 0;
    let single_tier = event
        .tiers
        .first()
        .filter(|_| event.tiers.len() == 1)
        .cloned();
    let asked = single_tier.as_ref().map(|tier| Asked {
        event_id: id,
        event_title: event.title.clone(),
        tier_id: tier.id,
        max_per_person: i64::from(event.max_tickets_per_user),
    });
    // Kept until an answer arrives: a retry after a lost answer cannot book twice.
    let retry_key = StoredValue::new(None::<String>);

    let book = write_action(
        move |(): &()| {
            let key = retry_key.get_value().unwrap_or_else(browser::random_id);
            retry_key.set_value(Some(key.clone()));
            let body = CreateBookingRequest {
                items: vec![BookingItemRequest {
                    tier_id: None,
                    event_id: Some(id),
                    quantity: 1,
                }],
                checkout: Some(Checkout::Hold),
            };
            let pass = passes.for_events(&[id]);
            async move { api::book(session, &body, &key, pass.as_deref()).await }
        },
        move |answer| match answer {
            Ok(booking) => {
                retry_key.set_value(None);
                navigate_to_pay(&pay_path(&booking), Default::default());
            }
            Err(error) => {
                if error != api::ApiError::Network {
                    retry_key.set_value(None);
                }
                let asked: Vec<Asked> = asked.iter().cloned().collect();
                toasts.error(booking_messages::refused(&error, &asked));
            }
        },
    );

    let on_book = move |_| {
        if !session.is_signed_in() {
            let here = format!("{}{}", location.pathname.get(), location.search.get());
            let next = String::from(js_sys::encode_uri_component(&here));
            navigate(&format!("/login?next={next}"), Default::default());
        } else if single_tier.is_some() {
            book.dispatch(());
        } else {
            navigate(&format!("/events/{id}"), Default::default());
        }
    };
    let button_text = move || {
        if book.pending().get() {
            "Booking…"
        } else if session.has_booked(id) {
            "Booked"
        } else if sold_out() {
            "Sold out"
        } else {
            "Book"
        }
    };
    let disabled = move || book.pending().get() || session.has_booked(id) || sold_out();

    let when = format::when_at(
        event.starts_at,
        browser::local_offset_seconds(event.starts_at),
    );
    let price = price_line(&event);
    let labelled_by = title_id.clone();
    view! {
        <article class="event-card" aria-labelledby=labelled_by>
            <h2 id=title_id>
                <A href=format!("/events/{id}")>{event.title.clone()}</A>
            </h2>
            <time datetime=event.starts_at.to_rfc3339()>{when}</time>
            <p class="venue">{event.venue.clone()}</p>
            <div class="card-footer">
                <p class="price">{price}</p>
                <AvailabilityBadge remaining capacity=Signal::derive(move || capacity)/>
            </div>
            <button
                type="button"
                class="button button-primary card-book"
                disabled=disabled
                aria-busy=move || book.pending().get().then_some("true")
                on:click=on_book
            >
                {button_text}
            </button>
        </article>
    }
}

/// "$10.00", or "From $10.00" when tiers differ in price.
fn price_line(event: &Event) -> String {
    let Some(lowest) = event.lowest_price_cents else {
        return String::new();
    };
    let currency = event
        .tiers
        .iter()
        .find(|tier| tier.price_cents == lowest)
        .map_or("USD", |tier| tier.currency.as_str());
    let amount = format::money(lowest, currency);
    let same_price = event.tiers.iter().all(|tier| tier.price_cents == lowest);
    if same_price {
        amount
    } else {
        format!("From {amount}")
    }
}
