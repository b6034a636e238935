//! One of the organizer's events: its tiers with live sales, each editable; a new tier;
//! the event's details; and publish, cancel (saying how many bookings that cancels) and
//! delete. Saved changes update the page in place, so what is typed elsewhere stays.

use booking_domain::ValidationErrors;
use booking_domain::organizing::{
    EventChanges, ExistingTier, NewTier, TierChanges, check_add_tier,
};
use booking_dto::{
    ErrorCode, Event, EventStatus, Tier, TierRequest, UpdateEventRequest, UpdateTierRequest,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use super::{RequireOrganizer, status_label};
use crate::api;
use crate::browser;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::event_fields::{EventDraft, EventFields, TierDraft, TierFields};
use crate::components::form_alert::FormAlert;
use crate::components::load_error::LoadError;
use crate::format;
use crate::state::counts::use_counts;
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

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
    let session = use_session();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let event = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::managed_event(session, id).await.map(Some),
                None => Ok(None),
            }
        }
    });
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

/// "No one has booked …" / "… cancels 1 booking …": what cancelling will do.
fn cancel_consequence(bookings: i64) -> String {
    match bookings {
        0 => "No one has booked it yet: cancelling only stops its sales.".to_owned(),
        1 => "This stops its sales and cancels 1 booking, returning its tickets.".to_owned(),
        n => format!("This stops its sales and cancels {n} bookings, returning their tickets."),
    }
}

#[component]
fn EventManager(event: Event) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let counts = use_counts();
    let navigate = use_navigate();
    let id = event.id;
    let current = RwSignal::new(event);
    Effect::new(move || counts.watch(vec![id]));

    let title = Memo::new(move |_| current.with(|event| event.title.clone()));
    let status = Memo::new(move |_| current.with(|event| event.status));
    let editable = Signal::derive(move || status.get() != EventStatus::Cancelled);

    let publish = Action::new_local(move |(): &()| api::event_action(session, id, "publish"));
    Effect::new(move || match publish.value().get() {
        Some(Ok(event)) => {
            toasts.success(format!("“{}” is on sale.", event.title));
            current.set(event);
        }
        Some(Err(error)) => toasts.error(error.message()),
        None => {}
    });

    // The confirmed bookings the event holds, once asked whether to cancel it.
    let to_cancel = RwSignal::new(None::<i64>);
    let ask_cancel = move |_| {
        leptos::task::spawn_local(async move {
            match api::confirmed_bookings_of(session, id).await {
                Ok(count) => to_cancel.set(Some(count)),
                Err(error) => toasts.error(error.message()),
            }
        });
    };
    let cancel = Action::new_local(move |(): &()| api::event_action(session, id, "cancel"));
    Effect::new(move || match cancel.value().get() {
        Some(Ok(event)) => {
            let cancelled = to_cancel.get_untracked().unwrap_or(0);
            to_cancel.set(None);
            toasts.success(match cancelled {
                0 => format!("“{}” is cancelled.", event.title),
                1 => format!("“{}” is cancelled, and its 1 booking with it.", event.title),
                n => format!(
                    "“{}” is cancelled, and its {n} bookings with it.",
                    event.title
                ),
            });
            current.set(event);
        }
        Some(Err(error)) => {
            to_cancel.set(None);
            toasts.error(error.message());
        }
        None => {}
    });

    let to_delete = RwSignal::new(false);
    let delete = Action::new_local(move |(): &()| api::delete_event(session, id));
    Effect::new(move || match delete.value().get() {
        Some(Ok(())) => {
            to_delete.set(false);
            toasts.success(format!("Draft “{}” deleted.", title.get_untracked()));
            navigate("/organizer", Default::default());
        }
        Some(Err(error)) => {
            to_delete.set(false);
            toasts.error(error.message());
        }
        None => {}
    });

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
        <div class="event-actions">
            {move || match status.get() {
                EventStatus::Draft => view! {
                    <button type="button" class="button button-primary" disabled=move || publish.pending().get() on:click=move |_| { publish.dispatch(()); }>
                        {move || if publish.pending().get() { "Publishing…" } else { "Publish" }}
                    </button>
                    <button type="button" class="button button-quiet" on:click=ask_cancel>"Cancel event"</button>
                    <button type="button" class="button button-danger-text" on:click=move |_| to_delete.set(true)>"Delete draft"</button>
                }.into_any(),
                EventStatus::Published => view! {
                    <A href=format!("/events/{id}") attr:class="button button-quiet">"View sale page"</A>
                    <button type="button" class="button button-danger-text" on:click=ask_cancel>"Cancel event"</button>
                }.into_any(),
                EventStatus::Cancelled => view! {
                    <p class="notice">"This event is cancelled: its sales stopped and its bookings were cancelled."</p>
                }.into_any(),
            }}
        </div>

        <section class="manage-section" aria-labelledby="tickets-heading">
            <h2 id="tickets-heading">"Tickets"</h2>
            <For
                each=move || current.with(|event| event.tiers.clone())
                key=|tier| tier.id
                children=move |tier: Tier| view! { <TierEditor tier current editable/> }
            />
            {move || editable.get().then(|| view! { <AddTier current/> })}
        </section>

        {move || {
            editable
                .get()
                .then(|| {
                    view! {
                        <section class="manage-section" aria-labelledby="details-heading">
                            <h2 id="details-heading">"Details"</h2>
                            <DetailsForm current/>
                        </section>
                    }
                })
        }}

        <ConfirmDialog
            id="cancel-event"
            open=Signal::derive(move || to_cancel.with(Option::is_some))
            title=Signal::derive(move || format!("Cancel “{}”?", title.get()))
            body=Signal::derive(move || cancel_consequence(to_cancel.get().unwrap_or(0)))
            confirm_label="Yes, cancel the event"
            dismiss_label="Keep the event"
            busy_label="Cancelling…"
            busy=cancel.pending()
            on_confirm=move |()| {
                cancel.dispatch(());
            }
            on_dismiss=move |()| to_cancel.set(None)
        />
        <ConfirmDialog
            id="delete-event"
            open=to_delete
            title=Signal::derive(move || format!("Delete the draft “{}”?", title.get()))
            body=Signal::stored("The draft and its tiers are deleted for good.".to_owned())
            confirm_label="Yes, delete it"
            dismiss_label="Keep the draft"
            busy_label="Deleting…"
            busy=delete.pending()
            on_confirm=move |()| {
                delete.dispatch(());
            }
            on_dismiss=move |()| to_delete.set(false)
        />
    }
}

/// One tier: what it sold (live), and its name, price and capacity to change.
#[component]
fn TierEditor(tier: Tier, current: RwSignal<Event>, editable: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let counts = use_counts();
    let (event_id, tier_id) = (current.with_untracked(|event| event.id), tier.id);
    let name = tier.name.clone();
    let saved = Memo::new(move |_| {
        current.with(|event| event.tiers.iter().find(|t| t.id == tier_id).cloned())
    });
    let remaining = Signal::derive(move || {
        saved
            .get()
            .map_or(0, |tier| counts.tier_remaining(tier_id, tier.remaining))
    });
    let capacity = Signal::derive(move || saved.get().map_or(0, |tier| tier.capacity));
    let sold = Signal::derive(move || capacity.get() - remaining.get());
    let price = Signal::derive(move || {
        saved
            .get()
            .map(|tier| format::money(tier.price_cents, &tier.currency))
            .unwrap_or_default()
    });
    let tier_count = Signal::derive(move || current.with(|event| event.tiers.len()));

    let draft = TierDraft::of(&tier);
    let errors = FormErrors::new();
    let save = Action::new_local(move |request: &UpdateTierRequest| {
        let request = request.clone();
        async move { api::update_tier(session, event_id, tier_id, &request).await }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(tier)) => {
            toasts.success(format!("Tier “{}” saved.", tier.name));
            current.update(|event| {
                if let Some(slot) = event.tiers.iter_mut().find(|t| t.id == tier.id) {
                    *slot = tier;
                }
            });
        }
        Some(Err(error)) if error.code() == Some(ErrorCode::CapacityBelowSold) => {
            errors.set_field_sentence("capacity", sentence(error.detail()));
        }
        Some(Err(error)) => errors.show_api_error(&error),
        None => {}
    });
    let remove = Action::new_local(move |(): &()| api::remove_tier(session, event_id, tier_id));
    let removed_name = name.clone();
    Effect::new(move || match remove.value().get() {
        Some(Ok(())) => {
            toasts.success(format!("Tier “{removed_name}” removed."));
            current.update(|event| event.tiers.retain(|t| t.id != tier_id));
        }
        Some(Err(error)) => errors.set_form(error.message()),
        None => {}
    });

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut local = ValidationErrors::new();
        let raw = draft.raw(&mut local, "", "");
        let checked =
            TierChanges::parse(Some(&raw.name), Some(raw.price_cents), Some(raw.capacity));
        if let Some(changes) = errors.accept(local, checked) {
            save.dispatch(UpdateTierRequest {
                name: changes.name,
                price_cents: changes.price_cents,
                capacity: changes.capacity.map(i64::from),
            });
        }
    };

    let heading = name.clone();
    let key = format!("tier-{tier_id}");
    let context = format!("{name} ");
    let save_label = format!(" {name}");
    let remove_label = format!(" {name}");
    view! {
        <article class="tier-editor" aria-label=format!("Tier {heading}")>
            <header class="tier-editor-header">
                <h3>{move || saved.get().map(|tier| tier.name).unwrap_or_default()}</h3>
                <p class="tier-sales">
                    {price} " · Sold " <strong class="sold">{sold}</strong> " of " {capacity} " · "
                    <strong class="remaining">{remaining}</strong> " left"
                </p>
            </header>
            {move || {
                editable
                    .get()
                    .then(|| {
                        let key = key.clone();
                        let context = context.clone();
                        let save_label = save_label.clone();
                        let remove_label = remove_label.clone();
                        view! {
                            <form class="tier-form" on:submit=on_submit novalidate>
                                <FormAlert message=errors.form()/>
                                <TierFields draft errors key context prefix=String::new()/>
                                <div class="form-actions">
                                    <button type="submit" class="button button-quiet" disabled=move || save.pending().get()>
                                        "Save" <span class="visually-hidden">{save_label}</span>
                                    </button>
                                    {move || {
                                        (sold.get() == 0 && tier_count.get() > 1)
                                            .then(|| {
                                                let remove_label = remove_label.clone();
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="button button-danger-text"
                                                        disabled=move || remove.pending().get()
                                                        on:click=move |_| {
                                                            remove.dispatch(());
                                                        }
                                                    >
                                                        "Remove" <span class="visually-hidden">{remove_label}</span>
                                                    </button>
                                                }
                                            })
                                    }}
                                </div>
                            </form>
                        }
                    })
            }}
        </article>
    }
}

/// "3 tickets are already sold; …" → "3 tickets are already sold; ….": the server's
/// explanation, written as a sentence.
fn sentence(detail: &str) -> String {
    let mut text = detail.trim().to_owned();
    if !text.ends_with('.') {
        text.push('.');
    }
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A new tier, in the event's currency.
#[component]
fn AddTier(current: RwSignal<Event>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let event_id = current.with_untracked(|event| event.id);
    let draft = TierDraft::empty();
    let errors = FormErrors::new();
    let currency = Signal::derive(move || {
        current.with(|event| {
            event
                .tiers
                .first()
                .map_or_else(|| "USD".to_owned(), |tier| tier.currency.clone())
        })
    });
    let add = Action::new_local(move |request: &TierRequest| {
        let request = request.clone();
        async move { api::add_tier(session, event_id, &request).await }
    });
    Effect::new(move || match add.value().get() {
        Some(Ok(tier)) => {
            toasts.success(format!("Tier “{}” added.", tier.name));
            draft.name.set(String::new());
            draft.price.set(String::new());
            draft.capacity.set(String::new());
            current.update(|event| event.tiers.push(tier));
        }
        Some(Err(error)) => errors.show_api_error(&error),
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut local = ValidationErrors::new();
        let raw = draft.raw(&mut local, "", &currency.get_untracked());
        let existing: Vec<ExistingTier> = current.with_untracked(|event| {
            event
                .tiers
                .iter()
                .map(|tier| ExistingTier {
                    name: tier.name.clone(),
                    currency: tier.currency.clone(),
                })
                .collect()
        });
        let checked =
            NewTier::parse(&raw).and_then(|tier| check_add_tier(&existing, &tier).map(|()| tier));
        if let Some(tier) = errors.accept(local, checked) {
            add.dispatch(TierRequest {
                name: tier.name,
                price_cents: tier.price_cents,
                currency: tier.currency,
                capacity: i64::from(tier.capacity),
            });
        }
    };
    view! {
        <form class="tier-editor tier-form" on:submit=on_submit novalidate aria-labelledby="new-tier-heading">
            <h3 id="new-tier-heading">"Add a tier"</h3>
            <FormAlert message=errors.form()/>
            <TierFields
                draft
                errors
                key="new-tier".to_owned()
                context="New tier ".to_owned()
                prefix=String::new()
            />
            <div class="form-actions">
                <button type="submit" class="button button-quiet" disabled=move || add.pending().get()>
                    {move || if add.pending().get() { "Adding…" } else { "Add tier" }}
                </button>
            </div>
        </form>
    }
}

/// Title, description, venue, start and limit; only what changed is sent, so an event
/// that has begun can still get a new description.
#[component]
fn DetailsForm(current: RwSignal<Event>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let event_id = current.with_untracked(|event| event.id);
    let draft = current.with_untracked(EventDraft::of);
    let errors = FormErrors::new();
    let save = Action::new_local(move |request: &UpdateEventRequest| {
        let request = request.clone();
        async move { api::update_event(session, event_id, &request).await }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(event)) => {
            toasts.success("Details saved.");
            current.set(event);
        }
        Some(Err(error)) => errors.show_api_error(&error),
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut local = ValidationErrors::new();
        let mut raw = draft.raw(&mut local);
        if raw.starts_at.is_none() && draft.starts_at.get_untracked().trim().is_empty() {
            local.push("startsAt", "is required");
        }
        // Unchanged fields are left out, so the domain checks only what changes.
        current.with_untracked(|event| {
            let same = |new: &Option<String>, old: &str| new.as_deref().map(str::trim) == Some(old);
            if same(&raw.title, &event.title) {
                raw.title = None;
            }
            if same(&raw.description, &event.description) {
                raw.description = None;
            }
            if same(&raw.venue, &event.venue) {
                raw.venue = None;
            }
            if raw.starts_at == Some(event.starts_at)
                || raw.starts_at.is_some_and(|new| {
                    // The field holds minutes: the same minute is no change.
                    new.timestamp() / 60 == event.starts_at.timestamp() / 60
                })
            {
                raw.starts_at = None;
            }
            if raw.max_tickets_per_user == Some(i64::from(event.max_tickets_per_user)) {
                raw.max_tickets_per_user = None;
            }
        });
        let checked = EventChanges::parse(&raw, chrono::Utc::now());
        if let Some(changes) = errors.accept(local, checked) {
            if changes == EventChanges::default() {
                toasts.info("Nothing changed.");
                return;
            }
            save.dispatch(UpdateEventRequest {
                title: changes.title,
                description: changes.description,
                venue: changes.venue,
                starts_at: changes.starts_at,
                max_tickets_per_user: changes.max_tickets_per_user.map(i64::from),
            });
        }
    };
    view! {
        <form class="form form-wide" on:submit=on_submit novalidate>
            <FormAlert message=errors.form()/>
            <EventFields draft errors/>
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save details" }}
                </button>
            </div>
        </form>
    }
}
