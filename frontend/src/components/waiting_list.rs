//! Where a sold-out tier would say "Sold out": join its waiting list, or see one's place in
//! it and leave. A module of its own (`#[lazy]`): a buyer gets its code the first time a
//! sold-out tier is on screen.

use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::actions::write_action;
use crate::api;
use crate::components::quantity_picker::QuantityPicker;
use crate::state::offers::use_offers;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// The sold-out tier a control is for.
#[derive(Debug, Clone)]
pub struct WaitingListSpot {
    pub event_id: Uuid,
    pub tier_id: Uuid,
    pub tier_name: String,
    /// The most one buyer may wait for: the event's per-person limit.
    pub limit: i64,
}

#[lazy]
pub fn waiting_list_view(spot: WaitingListSpot) -> AnyView {
    view! {
        <WaitingListControl
            event_id=spot.event_id
            tier_id=spot.tier_id
            tier_name=spot.tier_name
            limit=spot.limit
        />
    }
    .into_any()
}

/// The signed-in buyer's place in this tier's line, read again after they join or leave
/// and whenever an offer is heard (it shrinks or ends a place).
#[component]
fn WaitingListControl(
    event_id: Uuid,
    tier_id: Uuid,
    tier_name: String,
    limit: i64,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let offers = use_offers();
    let reloads = RwSignal::new(0_u32);
    let mine = LocalResource::new(move || {
        reloads.track();
        offers.heard();
        let signed_in = session.is_signed_in();
        async move {
            if signed_in {
                api::waiting_list_places(session, event_id)
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    });
    let place = Signal::derive(move || {
        mine.get()
            .and_then(|mine| mine.into_iter().find(|place| place.tier_id == tier_id))
    });
    let on_change = move || reloads.update(|n| *n += 1);
    let quantity = RwSignal::new(1_i64);
    let join = write_action(
        move |quantity: &i64| api::join_waiting_list(session, event_id, tier_id, *quantity),
        move |answer| {
            match answer {
                Ok(place) => toasts.success(format!(
                    "You're on the waiting list, number {}. We'll hold tickets for you as they come back.",
                    place.position
                )),
                Err(error) => toasts.error(error.message()),
            }
            on_change();
        },
    );
    let leave = write_action(
        move |(): &()| api::leave_waiting_list(session, event_id, tier_id),
        move |answer| {
            match answer {
                Ok(()) => toasts.info("You left the waiting list."),
                Err(error) => toasts.error(error.message()),
            }
            on_change();
        },
    );
    let busy = move || join.pending().get() || leave.pending().get();
    let select_id = format!("tier-{tier_id}-waiting-quantity");
    let here = format!("/events/{event_id}");

    move || {
        if !session.is_signed_in() {
            let login = format!("/login?next={}", js_sys::encode_uri_component(&here));
            return view! {
                <p class="waiting-list">
                    <span class="sold-out-note">"Sold out. "</span>
                    <A href=login>"Sign in to join the waiting list"</A>
                </p>
            }
            .into_any();
        }
        match place.get() {
            Some(place) => {
                let tickets = if place.quantity == 1 {
                    "1 ticket".to_owned()
                } else {
                    format!("{} tickets", place.quantity)
                };
                view! {
                    <div class="waiting-list">
                        <p class="waiting-place">
                            {format!("You're number {} on the waiting list for {tickets}.", place.position)}
                        </p>
                        <button
                            type="button"
                            class="button"
                            disabled=busy
                            on:click=move |_| {
                                leave.dispatch(());
                            }
                        >
                            "Leave waiting list"
                        </button>
                    </div>
                }
                .into_any()
            }
            None => view! {
                <div class="waiting-list">
                    <QuantityPicker
                        id=select_id.clone()
                        tier_name=tier_name.clone()
                        most=Signal::derive(move || limit)
                        selected=quantity
                        on_change=Callback::new(move |n| quantity.set(n))
                    />
                    <button
                        type="button"
                        class="button button-primary"
                        disabled=busy
                        on:click=move |_| {
                            join.dispatch(quantity.get_untracked());
                        }
                    >
                        "Join waiting list"
                    </button>
                </div>
            }
            .into_any(),
        }
    }
}
