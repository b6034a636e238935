//! The cart and its checkout: every line booked in one all-or-nothing request.

use booking_dto::{Booking, CreateBookingRequest};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use serde::{Deserialize, Serialize};

use crate::actions::write_action;
use crate::api::{self, ApiError};
use crate::booking_messages::{self, Asked};
use crate::browser;
use crate::components::quantity_picker::QuantityPicker;
use crate::format;
use crate::state::CartLine;
use crate::state::cart::use_cart;
use crate::state::counts::use_counts;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

const CHECKOUT_KEY: &str = "booking.checkout";

/// A checkout sent but not answered, kept in `localStorage`: retrying the same cart (after
/// a network error, or a reload) reuses its `Idempotency-Key`, so the server books it at
/// most once. A changed cart is a new request with a new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingCheckout {
    key: String,
    request: CreateBookingRequest,
}

fn checkout_key(request: &CreateBookingRequest) -> String {
    match browser::stored::<PendingCheckout>(CHECKOUT_KEY) {
        Some(pending) if pending.request == *request => pending.key,
        _ => {
            let key = browser::random_id();
            browser::store(
                CHECKOUT_KEY,
                &PendingCheckout {
                    key: key.clone(),
                    request: request.clone(),
                },
            );
            key
        }
    }
}

#[component]
pub fn CartPage() -> impl IntoView {
    let cart = use_cart();
    let session = use_session();
    let passes = crate::state::passes::use_passes();
    let counts = use_counts();
    let toasts = use_toasts();
    let navigate = use_navigate();

    Effect::new(move || {
        let mut events: Vec<_> = cart.lines().iter().map(|line| line.event_id).collect();
        events.sort_unstable();
        events.dedup();
        counts.watch(events);
    });

    let checkout = write_action(
        move |(): &()| {
            let request = cart.booking_request();
            let key = checkout_key(&request);
            let events: Vec<_> = cart
                .lines_untracked()
                .iter()
                .map(|line| line.event_id)
                .collect();
            let pass = passes.for_events(&events);
            async move { api::book(session, &request, &key, pass.as_deref()).await }
        },
        move |result| {
            let asked: Vec<Asked> = cart
                .lines_untracked()
                .into_iter()
                .map(|line| Asked {
                    event_id: line.event_id,
                    event_title: line.event_title,
                    tier_id: line.tier_id,
                    max_per_person: line.max_per_person,
                })
                .collect();
            if result != Err(ApiError::Network) {
                browser::forget(CHECKOUT_KEY);
            }
            match result {
                Ok(booking) => {
                    cart.clear();
                    navigate(&pay_path(&booking), Default::default());
                }
                Err(error) => toasts.error(booking_messages::refused(&error, &asked)),
            }
        },
    );

    view! {
        <section class="page">
            <h1>"Your cart"</h1>
            <Show
                when=move || !cart.is_empty()
                fallback=|| {
                    view! {
                        <div class="empty">
                            <p>"Your cart is empty."</p>
                            <p><A href="/">"Browse events"</A></p>
                        </div>
                    }
                }
            >
                <ul class="cart-lines">
                    <For each=move || cart.lines() key=|line| (line.tier_id, line.quantity) let:line>
                        <CartLineRow line/>
                    </For>
                </ul>
                <div class="cart-summary">
                    {move || {
                        cart.totals()
                            .into_iter()
                            .map(|(currency, cents)| {
                                view! {
                                    <p class="cart-total">
                                        "Total: " <strong>{format::money(cents, &currency)}</strong>
                                    </p>
                                }
                            })
                            .collect_view()
                    }}
                    <Show
                        when=move || session.is_signed_in()
                        fallback=|| {
                            view! {
                                <A href="/login?next=%2Fcart" attr:class="button button-primary">
                                    "Sign in to check out"
                                </A>
                            }
                        }
                    >
                        <button
                            type="button"
                            class="button button-primary button-large"
                            disabled=move || checkout.pending().get()
                            aria-busy=move || checkout.pending().get().then_some("true")
                            on:click=move |_| {
                                if !checkout.pending().get_untracked() {
                                    checkout.dispatch(());
                                }
                            }
                        >
                            {move || if checkout.pending().get() { "Holding…" } else { "Checkout" }}
                        </button>
                    </Show>
                    <p class="fine-print">
                        "All tickets in the cart are held together, or none are; you pay on the next page."
                    </p>
                </div>
            </Show>
        </section>
    }
}

/// Where a hold is paid for.
pub fn pay_path(booking: &Booking) -> String {
    format!("/bookings/{}/pay", booking.id)
}

#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let cart = use_cart();
    let counts = use_counts();
    let tier_id = line.tier_id;
    let event_id = line.event_id;
    let select_id = format!("cart-{tier_id}-quantity");
    // What the per-person limit leaves for this line once the event's other lines count.
    let most =
        move || (line.max_per_person - cart.quantity_for_event(event_id, Some(tier_id))).max(1);
    let left = move || i64::from(counts.tier_remaining(tier_id, i32::MAX));
    let quantity = line.quantity;
    let warning = move || {
        let left = left();
        if left <= 0 {
            Some("Sold out".to_owned())
        } else if left < quantity {
            Some(format!("Only {left} left"))
        } else {
            None
        }
    };
    let line_total = format::money(line.total_cents(), &line.currency);
    let unit_price = format::money(line.unit_price_cents, &line.currency);
    let remove_label = format!("Remove {}", line.tier_name);
    view! {
        <li class="cart-line">
            <div class="cart-line-info">
                <p class="cart-event">
                    <A href=format!("/events/{event_id}")>{line.event_title.clone()}</A>
                </p>
                <p class="cart-tier">
                    {line.tier_name.clone()} " · " {unit_price}
                    " each"
                </p>
                {move || warning().map(|text| view! { <p class="cart-warning">{text}</p> })}
            </div>
            <div class="cart-line-actions">
                <QuantityPicker
                    id=select_id
                    tier_name=line.tier_name.clone()
                    most=Signal::derive(move || most().max(quantity))
                    selected=Signal::derive(move || quantity)
                    on_change=Callback::new(move |n| cart.set_quantity(tier_id, n))
                />
                <p class="line-total">{line_total}</p>
                <button
                    type="button"
                    class="button button-quiet"
                    aria-label=remove_label
                    on:click=move |_| cart.remove(tier_id)
                >
                    "Remove"
                </button>
            </div>
        </li>
    }
}
