//! "From the waiting list, Limited Concert: 2 tickets held for you until 8:31 PM. Pay now",
//! on every page, as soon as the live connection hears of a waiting-list offer for the
//! signed-in buyer.

use booking_dto::Booking;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::browser;
use crate::format;
use crate::state::offers::{HeardOffer, use_offers};
use crate::state::session::use_session;

#[component]
pub fn OfferBanner() -> impl IntoView {
    let offers = use_offers();
    view! {
        <div class="offers">
            <For each=move || offers.shown() key=|offer| offer.booking_id let:offer>
                <Suspense fallback=|| ()>{Suspend::new(offer_view(offer))}</Suspense>
            </For>
        </div>
    }
}

/// A module of its own (`#[lazy]`): fetched with the first offer a tab hears of.
#[lazy]
fn offer_view(offer: HeardOffer) -> AnyView {
    view! { <OfferNotice offer/> }.into_any()
}

#[component]
fn OfferNotice(offer: HeardOffer) -> impl IntoView {
    let offers = use_offers();
    let session = use_session();
    let id = offer.booking_id;
    let booking = LocalResource::new(move || api::booking(session, id));
    let until = format::clock_at(
        offer.expires_at,
        browser::local_offset_seconds(offer.expires_at),
    );
    view! {
        <section class="offer-banner" role="alert" aria-label="Waiting-list offer">
            <p>
                <Transition fallback=|| ()>
                    {move || {
                        let until = until.clone();
                        Suspend::new(async move {
                            let booking = booking.await.ok();
                            describe(booking.as_ref(), &until)
                        })
                    }}
                </Transition>
            </p>
            <A
                href=format!("/bookings/{id}/pay")
                attr:class="button button-primary"
                on:click=move |_| offers.dismiss(id)
            >
                "Pay now"
            </A>
            <button
                type="button"
                class="offer-dismiss"
                aria-label="Dismiss"
                on:click=move |_| offers.dismiss(id)
            >
                "×"
            </button>
        </section>
    }
}

/// What the offer holds, once its booking is read; without it, just until when.
fn describe(booking: Option<&Booking>, until: &str) -> String {
    let held: i64 = booking.map_or(0, |b| b.items.iter().map(|i| i64::from(i.quantity)).sum());
    match booking.and_then(|b| b.items.first()) {
        Some(item) if held > 0 => format!(
            "From the waiting list, {}: {}.",
            item.event_title,
            format::offer_sentence(held, until)
        ),
        _ => format!("Tickets from the waiting list are held for you until {until}."),
    }
}
