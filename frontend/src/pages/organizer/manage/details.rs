//! The event's details form: only what changed is sent.

use booking_domain::ValidationErrors;
use booking_domain::organizing::{EventChanges, RawWaitingRoom};
use booking_dto::{Event, UpdateEventRequest};
use leptos::prelude::*;

use crate::actions::write_action;
use crate::api;
use crate::components::event_fields::{EventDraft, EventFields};
use crate::components::form_alert::FormAlert;
use crate::pages::organizer::new_event::room_request;
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// Title, description, venue, start and limit; only what changed is sent, so an event
/// that has begun can still get a new description.
#[component]
pub(super) fn DetailsForm(current: RwSignal<Event>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let event_id = current.with_untracked(|event| event.id);
    let draft = current.with_untracked(EventDraft::of);
    let errors = FormErrors::new();
    let save = write_action(
        move |request: &UpdateEventRequest| {
            let request = request.clone();
            async move { api::update_event(session, event_id, &request).await }
        },
        move |answer| match answer {
            Ok(event) => {
                toasts.success("Details saved.");
                current.set(event);
            }
            Err(error) => errors.show_api_error(&error),
        },
    );
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
            if raw.hold_minutes == Some(i64::from(event.hold_minutes)) {
                raw.hold_minutes = None;
            }
            if raw.offer_minutes == Some(i64::from(event.offer_minutes)) {
                raw.offer_minutes = None;
            }
            if raw.sales_start_at.is_some_and(|new| {
                new.map(|at| at.timestamp() / 60)
                    == event.sales_start_at.map(|at| at.timestamp() / 60)
            }) {
                raw.sales_start_at = None;
            }
            let room = event.waiting_room.map(|room| RawWaitingRoom {
                admit_per_minute: Some(i64::from(room.admit_per_minute)),
                opens_minutes: Some(i64::from(room.opens_minutes)),
            });
            if raw.waiting_room == Some(room) {
                raw.waiting_room = None;
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
                hold_minutes: changes.hold_minutes.map(i64::from),
                offer_minutes: changes.offer_minutes.map(i64::from),
                sales_start_at: changes.sales_start_at,
                waiting_room: changes.waiting_room.map(|room| room.map(room_request)),
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
