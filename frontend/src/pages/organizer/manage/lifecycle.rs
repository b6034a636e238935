//! What can happen to the event as a whole: publish a draft, cancel the event (after
//! saying how many bookings that cancels), delete a draft.

use booking_dto::{Event, EventStatus};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::actions::write_action;
use crate::api;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// "No one has booked …" / "… cancels 1 booking …": what cancelling will do.
fn cancel_consequence(bookings: i64) -> String {
    match bookings {
        0 => "No one has booked it yet: cancelling only stops its sales.".to_owned(),
        1 => "This stops its sales and cancels 1 booking, returning its tickets.".to_owned(),
        n => format!("This stops its sales and cancels {n} bookings, returning their tickets."),
    }
}

/// "“Title” is cancelled, and its 3 bookings with it."
fn cancelled_message(title: &str, bookings: i64) -> String {
    match bookings {
        0 => format!("“{title}” is cancelled."),
        1 => format!("“{title}” is cancelled, and its 1 booking with it."),
        n => format!("“{title}” is cancelled, and its {n} bookings with it."),
    }
}

/// The buttons for what the event's status allows, and the questions they ask first.
#[component]
pub(super) fn EventActions(current: RwSignal<Event>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let id = current.with_untracked(|event| event.id);
    let status = Memo::new(move |_| current.with(|event| event.status));

    let publish = write_action(
        move |(): &()| api::event_action(session, id, "publish"),
        move |answer| match answer {
            Ok(event) => {
                toasts.success(format!("“{}” is on sale.", event.title));
                current.set(event);
            }
            Err(error) => toasts.error(error.message()),
        },
    );
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
    let to_delete = RwSignal::new(false);

    view! {
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
        <CancelEventDialog current to_cancel/>
        <DeleteDraftDialog current to_delete/>
    }
}

/// "Cancel “Title”?", open while `to_cancel` holds the event's count of bookings.
#[component]
fn CancelEventDialog(current: RwSignal<Event>, to_cancel: RwSignal<Option<i64>>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let id = current.with_untracked(|event| event.id);
    let cancel = write_action(
        move |(): &()| api::event_action(session, id, "cancel"),
        move |answer| {
            let bookings = to_cancel.get().unwrap_or(0);
            to_cancel.set(None);
            match answer {
                Ok(event) => {
                    toasts.success(cancelled_message(&event.title, bookings));
                    current.set(event);
                }
                Err(error) => toasts.error(error.message()),
            }
        },
    );
    view! {
        <ConfirmDialog
            id="cancel-event"
            open=Signal::derive(move || to_cancel.with(Option::is_some))
            title=Signal::derive(move || current.with(|event| format!("Cancel “{}”?", event.title)))
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
    }
}

/// "Delete the draft “Title”?", open while `to_delete`; deleted, the page goes back to
/// the organizer's events.
#[component]
fn DeleteDraftDialog(current: RwSignal<Event>, to_delete: RwSignal<bool>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let id = current.with_untracked(|event| event.id);
    let delete = write_action(
        move |(): &()| api::delete_event(session, id),
        move |answer| {
            to_delete.set(false);
            match answer {
                Ok(()) => {
                    let title = current.with(|event| event.title.clone());
                    toasts.success(format!("Draft “{title}” deleted."));
                    navigate("/organizer", Default::default());
                }
                Err(error) => toasts.error(error.message()),
            }
        },
    );
    view! {
        <ConfirmDialog
            id="delete-event"
            open=to_delete
            title=Signal::derive(move || current.with(|event| format!("Delete the draft “{}”?", event.title)))
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
