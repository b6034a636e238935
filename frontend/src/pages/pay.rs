//! Paying for a hold: what is held and until when, the card form, and what became of it
//! (paid, declined, or run out).

use booking_dto::{Booking, BookingStatus, ErrorCode, PayRequest};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::actions::write_action;
use crate::api;
use crate::booking_messages;
use crate::components::card_form::CardForm;
use crate::components::hold_countdown::HoldCountdown;
use crate::components::load_error::LoadError;
use crate::components::require_auth::RequireAuth;
use crate::format;
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn PayPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the checkout…"</p> }>
                {Suspend::new(checkout_view())}
            </Suspense>
        </RequireAuth>
    }
}

/// The checkout, in a module of its own (`wasm-split-cli` cuts it out at build time, the
/// card rules included) fetched when a buyer first pays: browsing holds none of it.
#[lazy]
fn checkout_view() -> AnyView {
    view! { <Checkout/> }.into_any()
}

#[component]
fn Checkout() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("booking")
            .and_then(|id| id.parse::<Uuid>().ok())
    });
    let booking = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::booking(session, id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <section class="page checkout">
            <h1>"Checkout"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading your booking…"</p> }>
                {move || Suspend::new(async move {
                    match booking.await {
                        Ok(Some(booking)) => view! { <HeldBooking booking/> }.into_any(),
                        Err(error) if error.code() != Some(ErrorCode::BookingNotFound) => {
                            view! { <LoadError what="Your booking" error/> }.into_any()
                        }
                        _ => view! { <Ended text="There is no such booking of yours: it may have been declined and released."/> }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// How a hold ended without being paid here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Declined,
    Expired,
}

#[component]
fn HeldBooking(booking: Booking) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let errors = FormErrors::new();
    let outcome = RwSignal::new(match booking.status {
        BookingStatus::Expired => Some(Outcome::Expired),
        _ => None,
    });
    let id = booking.id;
    let pay = write_action(
        move |request: &PayRequest| {
            let request = request.clone();
            async move { api::pay(session, id, &request).await }
        },
        move |answer| match answer {
            Ok(booking) => {
                session.mark_booked(booking.items.iter().map(|item| item.event_id));
                toasts.success(booking_messages::booked(&booking));
                navigate("/bookings", Default::default());
            }
            Err(error) => match error.code() {
                Some(ErrorCode::PaymentDeclined) => outcome.set(Some(Outcome::Declined)),
                Some(ErrorCode::HoldExpired) => outcome.set(Some(Outcome::Expired)),
                _ => errors.show_api_error(&error),
            },
        },
    );
    let total = format::money(booking.total_cents, &booking.currency);
    let pay_label = format!("Pay {total}");
    let summary = view! { <HoldSummary booking=booking.clone() total/> };
    let body = match (booking.status, booking.expires_at) {
        (BookingStatus::Confirmed, _) => view! {
            <Ended text="This booking is paid: your tickets are in My bookings."/>
        }
        .into_any(),
        (BookingStatus::Cancelled, _) => {
            view! { <Ended text="This booking was cancelled."/> }.into_any()
        }
        (_, Some(expires_at)) => view! {
            <Show when=move || outcome.get().is_none() fallback=move || view! { <Released outcome/> }>
                <HoldCountdown expires_at on_expired=move || outcome.set(Some(Outcome::Expired))/>
                <CardForm errors busy=pay.pending() pay_label=pay_label.clone() on_pay=Callback::new(move |request| { pay.dispatch(request); })/>
            </Show>
        }
        .into_any(),
        (_, None) => view! { <Released outcome/> }.into_any(),
    };
    view! { {summary} {body} }
}

/// What is held: the reference, each line and the total.
#[component]
fn HoldSummary(booking: Booking, total: String) -> impl IntoView {
    let lines = booking
        .items
        .iter()
        .map(|item| {
            let price = format::money(item.unit_price_cents, &booking.currency);
            view! {
                <li>
                    <strong>{item.event_title.clone()}</strong>
                    " — " {item.quantity} " × " {item.tier_name.clone()} " at " {price}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="hold-summary">
            <p class="booking-meta">"Booking " <strong>{booking.reference}</strong></p>
            <ul class="booking-items">{lines}</ul>
            <p class="cart-total">"Total: " <strong>{total}</strong></p>
        </div>
    }
}

/// The hold ended unpaid: say why, and where to go from here.
#[component]
fn Released(outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let text = move || match outcome.get() {
        Some(Outcome::Declined) => api::DECLINED,
        _ => api::HOLD_EXPIRED,
    };
    view! {
        <div class="hold-ended" role="alert">
            <p>{text}</p>
            <p><A href="/">"Back to events"</A></p>
        </div>
    }
}

#[component]
fn Ended(text: &'static str) -> impl IntoView {
    view! {
        <div class="hold-ended">
            <p>{text}</p>
            <p><A href="/bookings">"My bookings"</A> " · " <A href="/">"Events"</A></p>
        </div>
    }
}
