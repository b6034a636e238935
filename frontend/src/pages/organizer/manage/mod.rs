//! One of the organizer's events: its tiers with live sales, each editable; a new tier;
//! the event's details; and publish, cancel (saying how many bookings that cancels) and
//! delete. Saved changes update the page in place, so what is typed elsewhere stays.

mod details;
mod lifecycle;
mod tiers;

use booking_dto::{ErrorCode, Event, EventStatus, Tier};
use leptos::prelude::*;

use self::details::DetailsForm;
use self::lifecycle::EventActions;
use self::tiers::{AddTier, TierEditor};
use super::{RequireOrganizer, managed_event_of_route, status_label};
use crate::browser;
use crate::components::load_error::LoadError;
use crate::format;
use crate::state::counts::use_counts;

#[component]
pub fn ManageEventPage() -> impl IntoView {
    view! {
        <RequireOrganizer>
            <ManagedEvent/>
        </RequireOrganizer>
    }
}

#[component]
fn ManagedEvent() -> impl IntoView {
    let event = managed_event_of_route();
    view! {
        <section class="page organizer-form">
            <p class="back-link"><a href="/organizer">"← Your events"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading the event…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Ok(Some(event)) => view! { <EventManager event/> }.into_any(),
                        Ok(None) => missing().into_any(),
                        Err(error) if error.code() == Some(ErrorCode::EventNotFound) => {
                            missing().into_any()
                        }
                        Err(error) if error.code() == Some(ErrorCode::Forbidden) => {
                            view! {
                                <h1>"Not your event"</h1>
                                <p>"This event belongs to another organizer."</p>
                            }
                                .into_any()
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
        <p>"This event does not exist or was deleted."</p>
    }
}

#[component]
fn EventManager(event: Event) -> impl IntoView {
    let counts = use_counts();
    let id = event.id;
    let current = RwSignal::new(event);
    Effect::new(move || counts.watch(vec![id]));
    let title = Memo::new(move |_| current.with(|event| event.title.clone()));
    let status = Memo::new(move |_| current.with(|event| event.status));
    let editable = Signal::derive(move || status.get() != EventStatus::Cancelled);
    let meta = Memo::new(move |_| {
        current.with(|event| {
            let offset = browser::local_offset_seconds(event.starts_at);
            format!(
                "{} · {}",
                format::when_at(event.starts_at, offset),
                event.venue
            )
        })
    });

    view! {
        <header class="event-header">
            <h1>{move || title.get()}</h1>
            <span class=move || status_label(status.get()).1>{move || status_label(status.get()).0}</span>
        </header>
        <p class="event-meta">{move || meta.get()}</p>
        <p><a class="button button-quiet" href=format!("/organizer/events/{id}/door")>"Door: check tickets in"</a></p>
        <EventActions current/>

        <section class="manage-section" aria-labelledby="tickets-heading">
            <h2 id="tickets-heading">"Tickets"</h2>
            <For
                each=move || current.with(|event| event.tiers.clone())
                key=|tier| tier.id
                children=move |tier: Tier| view! { <TierEditor tier current editable/> }
            />
            <Show when=move || editable.get()>
                <AddTier current/>
            </Show>
        </section>

        <Show when=move || editable.get()>
            <section class="manage-section" aria-labelledby="details-heading">
                <h2 id="details-heading">"Details"</h2>
                <DetailsForm current/>
            </section>
        </Show>
    }
}
