use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::actions::write_action;
use crate::api;
use crate::state::cart::use_cart;
use crate::state::counts::use_counts;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let cart = use_cart();
    let counts = use_counts();
    let toasts = use_toasts();
    let navigate = use_navigate();

    let sign_out = write_action(
        move |(): &()| api::logout(),
        move |answer| {
            session.sign_out();
            match answer {
                Ok(()) => toasts.info("You are signed out."),
                Err(error) => toasts.error(error.message()),
            }
            navigate("/", Default::default());
        },
    );

    view! {
        <header class="site-header">
            <div class="header-inner">
                <A href="/" attr:class="brand">
                    "Booking"
                </A>
                <nav aria-label="Main" class="main-nav">
                    <A href="/">"Events"</A>
                    <A href="/cart">{move || format!("Cart ({})", cart.ticket_count())}</A>
                    <Show when=move || session.is_signed_in()>
                        <A href="/bookings">"My bookings"</A>
                    </Show>
                    <Show when=move || session.is_organizer()>
                        <A href="/organizer">"Organizer"</A>
                    </Show>
                    <Show when=move || !session.is_signed_in() && !session.is_restoring()>
                        <A href="/login">"Sign in"</A>
                        <A href="/register">"Register"</A>
                    </Show>
                </nav>
                <Show when=move || session.is_signed_in()>
                    <div class="account">
                        <span class="user-name">
                            {move || session.user().map(|user| user.name).unwrap_or_default()}
                        </span>
                        <button
                            type="button"
                            class="button button-quiet"
                            disabled=move || sign_out.pending().get()
                            on:click=move |_| {
                                sign_out.dispatch(());
                            }
                        >
                            "Sign out"
                        </button>
                    </div>
                </Show>
            </div>
            <Show when=move || !counts.is_connected()>
                <p class="live-status">
                    <span class="live-dot" aria-hidden="true"></span>
                    "Live updates paused"
                </p>
            </Show>
        </header>
    }
}
