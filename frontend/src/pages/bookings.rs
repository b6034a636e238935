//! My bookings: every booking with its status, filterable and paged, and cancelling one
//! after a confirmation.

use std::collections::HashSet;

use booking_dto::{Booking, BookingListParams, BookingOrigin, BookingStatus};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::actions::write_action;
use crate::api;
use crate::components::booking_tickets::BookingTickets;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::hold_countdown::HoldCountdown;
use crate::components::load_error::LoadError;
use crate::components::pagination::Pagination;
use crate::components::require_auth::RequireAuth;
use crate::format;
use crate::pages::cart::pay_path;
use crate::state::Session;
use crate::state::counts::use_counts;
use crate::state::offers::use_offers;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

const PAGE_SIZE: u32 = 10;

/// Keeps the set of events the user holds confirmed tickets for, so event cards can say
/// "Booked": read when someone signs in, and again after a cancellation.
pub fn track_booked_events(session: Session) {
    // Keyed by the user, not the session: a token refresh is not a new sign-in.
    let user_id = Memo::new(move |_| session.user().map(|user| user.id));
    Effect::new(move || {
        if user_id.get().is_some() {
            refresh_booked_events(session);
        }
    });
}

fn refresh_booked_events(session: Session) {
    leptos::task::spawn_local(async move {
        let params = BookingListParams {
            status: Some(BookingStatus::Confirmed),
            page: Some(1),
            limit: Some(50),
        };
        if let Ok(page) = api::bookings(session, &params).await {
            let events: HashSet<_> = page
                .data
                .iter()
                .flat_map(|booking| booking.items.iter().map(|item| item.event_id))
                .collect();
            session.set_booked(events);
        }
    });
}

fn status_value(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Pending => "pending",
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Expired => "expired",
    }
}

fn status_label(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Pending => "Pending",
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::Cancelled => "Cancelled",
        BookingStatus::Expired => "Expired",
    }
}

fn parse_status(value: &str) -> Option<BookingStatus> {
    match value {
        "pending" => Some(BookingStatus::Pending),
        "confirmed" => Some(BookingStatus::Confirmed),
        "cancelled" => Some(BookingStatus::Cancelled),
        "expired" => Some(BookingStatus::Expired),
        _ => None,
    }
}

#[component]
pub fn BookingsPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your bookings…"</p> }>
                {Suspend::new(bookings_view())}
            </Suspense>
        </RequireAuth>
    }
}

/// My bookings, in a module of its own (`#[lazy]`), fetched on the first visit: a buyer
/// browsing events downloads none of it.
#[lazy]
fn bookings_view() -> AnyView {
    view! { <BookingList/> }.into_any()
}

#[component]
fn BookingList() -> impl IntoView {
    let session = use_session();
    let counts = use_counts();
    let query = use_query_map();
    let navigate = use_navigate();
    let status = Memo::new(move |_| query.read().get("status").as_deref().and_then(parse_status));
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|page| page.parse::<u32>().ok())
            .filter(|page| *page >= 1)
            .unwrap_or(1)
    });
    let offers = use_offers();
    let reloads = RwSignal::new(0_u32);
    Effect::new(move || counts.watch(Vec::new()));

    let bookings = LocalResource::new(move || {
        let params = BookingListParams {
            status: status.get(),
            page: Some(page.get()),
            limit: Some(PAGE_SIZE),
        };
        reloads.get();
        // An offer heard is a new pending booking of this buyer's.
        offers.heard();
        async move { api::bookings(session, &params).await }
    });

    let go = Callback::new(move |(status, page): (Option<BookingStatus>, u32)| {
        navigate(&bookings_href(status, page), NavigateOptions::default());
    });
    let on_page = Callback::new(move |page: u32| go.run((status.get_untracked(), page)));
    let on_filter = Callback::new(move |status| go.run((status, 1)));
    // The booking whose cancellation is being asked about.
    let to_cancel = RwSignal::new(None::<Booking>);
    let total_pages = RwSignal::new(1_u32);
    view! {
        <section class="page">
            <div class="page-heading">
                <h1>"My bookings"</h1>
                <StatusFilter status on_filter/>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading your bookings…"</p> }>
                {move || Suspend::new(async move {
                    match bookings.await {
                        Ok(list) => {
                            total_pages
                                .set(u32::try_from(list.meta.total_pages).unwrap_or(1).max(1));
                            view! { <BookingCards bookings=list.data filtered=status.get_untracked().is_some() to_cancel/> }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError what="Your bookings" error/> }.into_any(),
                    }
                })}
            </Transition>
            <Pagination page total_pages on_page/>
            <CancelBookingDialog to_cancel reloads/>
        </section>
    }
}

/// The address of one page of the list, filtered by `status`.
fn bookings_href(status: Option<BookingStatus>, page: u32) -> String {
    let mut pairs = Vec::new();
    if let Some(status) = status {
        pairs.push(format!("status={}", status_value(status)));
    }
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        "/bookings".to_owned()
    } else {
        format!("/bookings?{}", pairs.join("&"))
    }
}

/// The status select above the list; `on_filter` gets the status picked (`None`: all).
#[component]
fn StatusFilter(
    #[prop(into)] status: Signal<Option<BookingStatus>>,
    on_filter: Callback<Option<BookingStatus>>,
) -> impl IntoView {
    let options = [
        BookingStatus::Confirmed,
        BookingStatus::Cancelled,
        BookingStatus::Pending,
        BookingStatus::Expired,
    ]
    .into_iter()
    .map(|option| {
        view! {
            <option value=status_value(option) selected=move || status.get() == Some(option)>
                {status_label(option)}
            </option>
        }
    })
    .collect_view();
    view! {
        <div class="field field-inline">
            <label for="booking-status">"Status"</label>
            <select
                id="booking-status"
                on:change=move |event| on_filter.run(parse_status(&event_target_value(&event)))
            >
                <option value="" selected=move || status.get().is_none()>"All"</option>
                {options}
            </select>
        </div>
    }
}

/// One page of bookings, or what to do when there are none (`filtered`: a status is
/// picked, so there may be bookings of other statuses).
#[component]
fn BookingCards(
    bookings: Vec<Booking>,
    filtered: bool,
    to_cancel: RwSignal<Option<Booking>>,
) -> impl IntoView {
    if bookings.is_empty() {
        let message = if filtered {
            "No bookings with this status."
        } else {
            "You have no bookings yet."
        };
        return view! {
            <div class="empty">
                <p class="empty">{message}</p>
                <p><A href="/">"Browse events"</A></p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="booking-list">
            {bookings
                .into_iter()
                .map(|booking| view! { <BookingCard booking to_cancel/> })
                .collect_view()}
        </div>
    }
    .into_any()
}

/// "Cancel booking ABC123?", open while `to_cancel` holds a booking; the list reloads
/// once the answer is in.
#[component]
fn CancelBookingDialog(
    to_cancel: RwSignal<Option<Booking>>,
    reloads: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let cancel = write_action(
        move |booking: &Booking| api::cancel_booking(session, booking.id),
        move |answer| {
            to_cancel.set(None);
            match answer {
                Ok(booking) => {
                    toasts.success(format!("Booking {} cancelled.", booking.reference));
                    refresh_booked_events(session);
                }
                Err(error) => toasts.error(error.message()),
            }
            reloads.update(|n| *n += 1);
        },
    );
    view! {
        <ConfirmDialog
            open=Signal::derive(move || to_cancel.with(Option::is_some))
            title=Signal::derive(move || {
                to_cancel
                    .with(|booking| booking.as_ref().map(|b| format!("Cancel booking {}?", b.reference)))
                    .unwrap_or_default()
            })
            body=Signal::derive(move || {
                "Its tickets go to the waiting list, if anyone waits, or back on sale. This cannot be undone.".to_owned()
            })
            confirm_label="Yes, cancel it"
            dismiss_label="Keep booking"
            busy_label="Cancelling…"
            busy=cancel.pending()
            on_confirm=Callback::new(move |()| {
                if let Some(booking) = to_cancel.get_untracked() {
                    cancel.dispatch(booking);
                }
            })
            on_dismiss=Callback::new(move |()| {
                if !cancel.pending().get_untracked() {
                    to_cancel.set(None);
                }
            })
        />
    }
}

/// A booking's tickets, in a module of their own (`wasm-split-cli` cuts it out at build
/// time, QR code drawing included) fetched when a confirmed booking is first shown: the
/// first visit of someone who has not booked holds none of it.
#[lazy]
fn tickets_view(booking: Booking) -> AnyView {
    view! { <BookingTickets booking/> }.into_any()
}

#[component]
fn BookingCard(booking: Booking, to_cancel: RwSignal<Option<Booking>>) -> impl IntoView {
    let heading_id = format!("booking-{}", booking.id);
    let labelled_by = heading_id.clone();
    let status = booking.status;
    let badge = format!("badge status-{}", status_value(status));
    let created = format::when_at(
        booking.created_at,
        crate::browser::local_offset_seconds(booking.created_at),
    );
    let total = format::money(booking.total_cents, &booking.currency);
    let items = booking
        .items
        .iter()
        .map(|item| {
            let line = format!("{} × {}", item.quantity, item.tier_name);
            let price = format::money(item.unit_price_cents, &booking.currency);
            let title = item.event_title.clone();
            view! {
                <li>
                    <A href=format!("/events/{}", item.event_id)>{title}</A>
                    " — " {line} " at " {price}
                </li>
            }
        })
        .collect::<Vec<_>>();
    let reference = booking.reference.clone();
    let cancellable = booking.can_cancel;
    let tickets = booking.clone();
    let hold = booking
        .expires_at
        .filter(|_| status == BookingStatus::Pending)
        .map(|expires_at| {
            let pay = pay_path(&booking);
            let offer = (booking.origin == BookingOrigin::WaitingList).then(|| {
                let tickets = booking
                    .items
                    .iter()
                    .map(|item| i64::from(item.quantity))
                    .sum();
                let until =
                    format::clock_at(expires_at, crate::browser::local_offset_seconds(expires_at));
                view! {
                    <p class="offer-note">
                        "From the waiting list: " {format::offer_sentence(tickets, &until)} "."
                    </p>
                }
            });
            let pay_label = if offer.is_some() {
                "Pay now"
            } else {
                "Complete payment"
            };
            view! {
                <div class="booking-hold">
                    {offer}
                    <HoldCountdown expires_at/>
                    <A href=pay attr:class="button button-primary">{pay_label}</A>
                </div>
            }
        });
    view! {
        <article class="booking" aria-labelledby=labelled_by>
            <header class="booking-header">
                <h2 id=heading_id>{booking.reference.clone()}</h2>
                <span class=badge>{status_label(status)}</span>
            </header>
            <ul class="booking-items">{items}</ul>
            <p class="booking-meta">"Booked " {created} " · Total " <strong>{total}</strong></p>
            {hold}
            {(!tickets.tickets.is_empty())
                .then(|| {
                    view! {
                        <Suspense fallback=|| view! { <p class="loading">"Loading your tickets…"</p> }>
                            {Suspend::new(tickets_view(tickets))}
                        </Suspense>
                    }
                })}
            {cancellable
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button button-quiet button-danger-text"
                            aria-label=format!("Cancel booking {reference}")
                            on:click=move |_| to_cancel.set(Some(booking.clone()))
                        >
                            "Cancel booking"
                        </button>
                    }
                })}
        </article>
    }
}
