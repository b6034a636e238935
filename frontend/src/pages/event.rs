//! One event: what it is, every tier with its live count, and quantity pickers that add
//! to the cart.

use booking_dto::{ErrorCode, Event, EventStatus, Tier};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api;
use crate::browser;
use crate::components::availability_badge::AvailabilityBadge;
use crate::components::hold_countdown::seconds_left;
use crate::components::load_error::LoadError;
use crate::components::quantity_picker::QuantityPicker;
use crate::components::sale_countdown::SaleCountdown;
use crate::components::waiting_list::{WaitingListSpot, waiting_list_view};
use crate::format;
use crate::state::cart::use_cart;
use crate::state::counts::use_counts;
use crate::state::passes::use_passes;
use crate::state::toasts::use_toasts;

#[component]
pub fn EventPage() -> impl IntoView {
    let counts = use_counts();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let event = LocalResource::new(move || {
        let id = id.get();
        counts.resync_count();
        async move {
            match id {
                Some(id) => api::event(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    Effect::new(move || counts.watch(id.get().into_iter().collect()));

    view! {
        <section class="page">
            <p class="back-link"><A href="/">"← All events"</A></p>
            <Transition fallback=|| view! { <p class="loading">"Loading the event…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Ok(Some(event)) => view! { <EventDetails event/> }.into_any(),
                        Ok(None) => missing().into_any(),
                        Err(error) if error.code() == Some(ErrorCode::EventNotFound) => {
                            missing().into_any()
                        }
                        Err(error) => view! { <LoadError what="The event" error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn missing() -> impl IntoView {
    view! {
        <h1>"Event not found"</h1>
        <p>"This event does not exist or is not on sale."</p>
    }
}

#[component]
fn EventDetails(event: Event) -> impl IntoView {
    let counts = use_counts();
    let id = event.id;
    let when = format::when_at(
        event.starts_at,
        browser::local_offset_seconds(event.starts_at),
    );
    let on_sale = event.status == EventStatus::Published && event.starts_at > chrono::Utc::now();
    let passes = use_passes();
    let sale_start = event
        .sales_start_at
        .filter(|start| *start > chrono::Utc::now());
    let room = on_sale && event.waiting_room.is_some();
    let fetched_remaining = event.remaining_tickets;
    let remaining = Signal::derive(move || counts.event_remaining(id, fetched_remaining));
    let capacity = event.total_tickets;
    let limit = event.max_tickets_per_user;
    let tiers = event.tiers.clone();
    view! {
        <article class="event-detail">
            <header class="event-header">
                <h1>{event.title.clone()}</h1>
                <AvailabilityBadge remaining capacity=Signal::derive(move || capacity)/>
            </header>
            <p class="event-meta">
                <time datetime=event.starts_at.to_rfc3339()>{when}</time>
                " · "
                <span class="venue">{event.venue.clone()}</span>
            </p>
            <p class="description">{event.description.clone()}</p>
            <p class="limit-note">
                {if limit == 1 {
                    "One ticket per person.".to_owned()
                } else {
                    format!("Up to {limit} tickets per person.")
                }}
            </p>
            {(!on_sale).then(|| view! { <p class="notice">"This event is not on sale."</p> })}
            {sale_start.map(|start| view! { <SaleCountdown start/> })}
            {room.then(|| {
                let queue = format!("/events/{id}/queue");
                view! {
                    <div class="room-notice" hidden=move || passes.admits(id)>
                        <p>
                            "This sale runs through a waiting room: everyone who arrives before the start gets a fair, random place in line, and buyers are let in at a pace the sale can serve."
                        </p>
                        <A href=queue attr:class="button button-primary">"Join the waiting room"</A>
                    </div>
                }
            })}
            <h2 class="tiers-heading">"Tickets"</h2>
            <ul class="tiers">
                {tiers
                    .into_iter()
                    .map(|tier| view! { <TierRow event=event.clone() tier on_sale/> })
                    .collect_view()}
            </ul>
        </article>
    }
}

/// Whether the sale has started, turning true at `start` without a reload.
fn sale_started(start: Option<chrono::DateTime<chrono::Utc>>) -> Signal<bool> {
    match start.filter(|start| *start > chrono::Utc::now()) {
        Some(start) => {
            let left = seconds_left(start);
            Signal::derive(move || left.get() <= 0)
        }
        None => Signal::derive(|| true),
    }
}

/// A tier: price, live count and a picker bounded by what is left and by what the
/// per-person limit still allows after the cart's other tickets for this event; sold
/// out, its waiting list.
#[component]
fn TierRow(event: Event, tier: Tier, on_sale: bool) -> impl IntoView {
    let passes = use_passes();
    let counts = use_counts();
    let cart = use_cart();
    let toasts = use_toasts();
    let tier_id = tier.id;
    let event_id = event.id;
    let fetched = tier.remaining;
    let remaining = Signal::derive(move || i64::from(counts.tier_remaining(tier_id, fetched)));
    let limit = i64::from(event.max_tickets_per_user);
    let most = Memo::new(move |_| {
        let in_cart_for_event = cart.quantity_for_event(event_id, None);
        let in_cart_here = cart.quantity_of_tier(tier_id);
        (limit - in_cart_for_event)
            .min(remaining.get() - in_cart_here)
            .max(0)
    });
    let quantity = RwSignal::new(1_i64);
    Effect::new(move || {
        let most = most.get();
        if quantity.get_untracked() > most {
            quantity.set(most.max(1));
        }
    });
    let sold_out = move || remaining.get() <= 0;
    // Before the sale start, and in a room without a pass, the tier waits.
    let started = sale_started(event.sales_start_at);
    let let_in = move || event.waiting_room.is_none() || passes.admits(event_id);
    let unavailable = move || !on_sale || !started.get() || !let_in() || most.get() < 1;
    let heading_id = format!("tier-{tier_id}-name");
    let select_id = format!("tier-{tier_id}-quantity");
    let tier_name = tier.name.clone();
    let price = format::money(tier.price_cents, &tier.currency);
    let capacity = i64::from(tier.capacity);

    let add = move |_| {
        let amount = quantity.get_untracked();
        if amount < 1 || amount > most.get_untracked() {
            return;
        }
        cart.add(&event, &tier, amount);
        toasts.success(format!("Added {amount} × {} to your cart.", tier.name));
    };

    let labelled_by = heading_id.clone();
    let spot = WaitingListSpot {
        event_id,
        tier_id,
        tier_name: tier_name.clone(),
        limit,
    };
    // The waiting list's code is fetched the first time a tier is sold out on screen.
    let waiting_list = move || {
        (on_sale && sold_out()).then(|| {
            let spot = spot.clone();
            view! {
                <Suspense fallback=|| ()>{Suspend::new(waiting_list_view(spot))}</Suspense>
            }
        })
    };
    view! {
        <li class="tier" aria-labelledby=labelled_by>
            <div class="tier-info">
                <h3 id=heading_id>{tier_name.clone()}</h3>
                <p class="price">{price}</p>
                <AvailabilityBadge remaining capacity=Signal::derive(move || capacity)/>
            </div>
            <div class="tier-actions" hidden=move || on_sale && sold_out()>
                <QuantityPicker
                    id=select_id
                    tier_name=tier_name.clone()
                    most=most
                    selected=quantity
                    disabled=Signal::derive(unavailable)
                    on_change=Callback::new(move |n| quantity.set(n))
                />
                <button type="button" class="button button-primary" disabled=unavailable on:click=add>
                    {move || {
                        if sold_out() {
                            "Sold out"
                        } else if on_sale && !started.get() {
                            "Not on sale yet"
                        } else if on_sale && !let_in() {
                            "Through the waiting room"
                        } else if on_sale && most.get() < 1 {
                            "Limit reached"
                        } else {
                            "Add to cart"
                        }
                    }}
                </button>
            </div>
            {waiting_list}
        </li>
    }
}
