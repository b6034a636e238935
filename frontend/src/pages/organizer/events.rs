//! The organizer's events (every event for an admin) with sales per tier, read again
//! whenever the live feed reports a change, so sales show without a reload.

use std::time::Duration;

use booking_dto::OrganizerEvent;
use leptos::prelude::*;
use leptos_router::components::A;

use super::{RequireOrganizer, status_label};
use crate::api;
use crate::browser;
use crate::components::load_error::LoadError;
use crate::format;
use crate::state::counts::use_counts;
use crate::state::session::use_session;

/// How long the feed stays quiet before the sales are read once more.
const SETTLE: Duration = Duration::from_millis(500);

#[component]
pub fn OrganizerPage() -> impl IntoView {
    view! {
        <RequireOrganizer>
            <OrganizerEvents/>
        </RequireOrganizer>
    }
}

#[component]
fn OrganizerEvents() -> impl IntoView {
    let session = use_session();
    let counts = use_counts();
    // The feed carries counts, not revenue: every update heard reads the sales again, and
    // once more when the feed has been quiet for a moment, because a booking's count
    // changes when it is reserved and its revenue only when its payment confirms it.
    let settled = RwSignal::new(0_u32);
    let pending_settle = StoredValue::new_local(None::<TimeoutHandle>);
    Effect::new(move |previous: Option<u64>| {
        let heard = counts.heard_count();
        if previous.is_some() {
            if let Some(handle) = pending_settle.get_value() {
                handle.clear();
            }
            let handle =
                set_timeout_with_handle(move || settled.update(|n| *n = n.wrapping_add(1)), SETTLE)
                    .ok();
            pending_settle.set_value(handle);
        }
        heard
    });
    let events = LocalResource::new(move || {
        counts.heard_count();
        counts.resync_count();
        settled.get();
        async move { api::organizer_events(session).await }
    });
    Effect::new(move || {
        if let Some(Ok(list)) = events.get() {
            counts.watch(list.iter().map(|sales| sales.event.id).collect());
        }
    });

    view! {
        <section class="page">
            <div class="page-heading">
                <h1>"Your events"</h1>
                <A href="/organizer/new" attr:class="button button-primary">"New event"</A>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading your events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <div class="empty">
                                    <p class="empty">"You have no events yet."</p>
                                    <p><A href="/organizer/new">"Create your first event"</A></p>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <div class="booking-list">
                                    {list
                                        .into_iter()
                                        .map(|sales| view! { <EventSales sales/> })
                                        .collect_view()}
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError what="Your events" error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One event: status, date, and per tier sold of capacity and left, with revenue.
#[component]
fn EventSales(sales: OrganizerEvent) -> impl IntoView {
    let event = sales.event;
    let heading_id = format!("org-event-{}", event.id);
    let labelled_by = heading_id.clone();
    let (status, badge) = status_label(event.status);
    let when = format::when_at(
        event.starts_at,
        browser::local_offset_seconds(event.starts_at),
    );
    let currency = event
        .tiers
        .first()
        .map_or_else(|| "USD".to_owned(), |tier| tier.currency.clone());
    let revenue = format::money(sales.revenue_cents, &currency);
    let caption = format!("Sales of {}", event.title);
    let region_label = caption.clone();
    let title = event.title.clone();
    let href = format!("/organizer/events/{}", event.id);
    let rows = event
        .tiers
        .iter()
        .map(|tier| {
            let sold = tier.capacity - tier.remaining;
            view! {
                <tr>
                    <th scope="row">{tier.name.clone()}</th>
                    <td>{format::money(tier.price_cents, &tier.currency)}</td>
                    <td>{format!("{sold} of {}", tier.capacity)}</td>
                    <td>{tier.remaining}</td>
                </tr>
            }
        })
        .collect_view();
    let waiting = sales
        .waiting_lists
        .iter()
        .filter_map(|line| {
            let tier = event.tiers.iter().find(|tier| tier.id == line.tier_id)?;
            let people = if line.people == 1 {
                "1 person".to_owned()
            } else {
                format!("{} people", format::count(line.people))
            };
            let tickets = if line.tickets == 1 {
                "1 ticket".to_owned()
            } else {
                format!("{} tickets", format::count(line.tickets))
            };
            Some(format!("{}: {people} for {tickets}", tier.name))
        })
        .collect::<Vec<_>>();
    let waiting = (!waiting.is_empty()).then(|| {
        view! { <p class="sales-waiting">"Waiting lists — " {waiting.join(" · ")}</p> }
    });
    view! {
        <article class="booking org-event" aria-labelledby=labelled_by>
            <header class="booking-header">
                <h2 id=heading_id>
                    <A href=href>{title}</A>
                </h2>
                <span class=badge>{status}</span>
            </header>
            <p class="booking-meta">{when} " · " {event.venue.clone()}</p>
            // Four columns fit a phone; should long names or prices not, the table scrolls
            // sideways (focusable, so a keyboard can scroll it too).
            <div class="table-scroll" tabindex="0" role="region" aria-label=region_label>
                <table class="sales">
                    <caption class="visually-hidden">{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Tier"</th>
                            <th scope="col">"Price"</th>
                            <th scope="col">"Sold"</th>
                            <th scope="col">"Left"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="sales-summary">
                "Sold " <strong class="sold">{sales.sold}</strong> " · Revenue "
                <strong class="revenue">{revenue}</strong>
            </p>
            {waiting}
        </article>
    }
}
