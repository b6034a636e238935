//! A new event with its tiers, saved as a draft. The domain's own checks run here before
//! any request; what the server still refuses shows under the field it names.

use booking_domain::ValidationErrors;
use booking_domain::organizing::{NewEvent, WaitingRoomSettings};
use booking_dto::{CreateEventRequest, TierRequest, WaitingRoomRequest};
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::RequireOrganizer;
use crate::actions::write_action;
use crate::api;
use crate::components::event_fields::{CURRENCIES, EventDraft, EventFields, TierDraft, TierFields};
use crate::components::form_alert::FormAlert;
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn NewEventPage() -> impl IntoView {
    view! {
        <RequireOrganizer>
            <NewEventForm/>
        </RequireOrganizer>
    }
}

/// A waiting room as the API takes it.
pub fn room_request(room: WaitingRoomSettings) -> WaitingRoomRequest {
    WaitingRoomRequest {
        admit_per_minute: Some(i64::from(room.admit_per_minute)),
        opens_minutes: Some(i64::from(room.opens_minutes)),
    }
}

/// The create request from what the domain accepted: trimmed, with the limit filled in.
fn request(event: NewEvent) -> CreateEventRequest {
    CreateEventRequest {
        title: event.title,
        description: Some(event.description),
        venue: event.venue,
        starts_at: event.starts_at,
        max_tickets_per_user: Some(i64::from(event.max_tickets_per_user)),
        hold_minutes: Some(i64::from(event.hold_minutes)),
        offer_minutes: Some(i64::from(event.offer_minutes)),
        sales_start_at: event.sales_start_at,
        waiting_room: event.waiting_room.map(room_request),
        tiers: event
            .tiers
            .into_iter()
            .map(|tier| TierRequest {
                name: tier.name,
                price_cents: tier.price_cents,
                currency: tier.currency,
                capacity: i64::from(tier.capacity),
            })
            .collect(),
    }
}

#[component]
fn NewEventForm() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let draft = EventDraft::empty();
    let currency = RwSignal::new(CURRENCIES[0].to_owned());
    let tiers = RwSignal::new(vec![TierDraft::empty()]);
    let errors = FormErrors::new();

    let submit = write_action(
        move |request: &CreateEventRequest| {
            let request = request.clone();
            async move { api::create_event(session, &request).await }
        },
        move |answer| match answer {
            Ok(event) => {
                toasts.success(format!(
                    "Draft “{}” saved. Publish it when it is ready.",
                    event.title
                ));
                navigate(
                    &format!("/organizer/events/{}", event.id),
                    Default::default(),
                );
            }
            Err(error) => errors.show_api_error(&error),
        },
    );

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut local = ValidationErrors::new();
        let fields = draft.raw(&mut local);
        let currency = currency.get_untracked();
        let raw_tiers: Vec<_> = tiers
            .get_untracked()
            .iter()
            .enumerate()
            .map(|(index, tier)| tier.raw(&mut local, &format!("tiers[{index}]."), &currency))
            .collect();
        // The server's own rules, run here first; a field that is not even a number is
        // reported by the lines above, and its rule by the domain below.
        let checked = NewEvent::parse(&fields, &raw_tiers, chrono::Utc::now());
        if let Some(event) = errors.accept(local, checked) {
            submit.dispatch(request(event));
        }
    };

    let tiers_error = errors.field("tiers", "Tiers");
    view! {
        <section class="page organizer-form">
            <p class="back-link"><a href="/organizer">"← Your events"</a></p>
            <h1>"New event"</h1>
            <form class="form form-wide" on:submit=on_submit novalidate>
                <FormAlert message=errors.form()/>
                <EventFields draft errors/>
                <h2 class="form-section">"Tickets"</h2>
                <CurrencyField currency/>
                {move || {
                    tiers_error.get().map(|message| view! { <p class="field-error">{message}</p> })
                }}
                <TierList tiers errors/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=move || submit.pending().get()>
                        {move || if submit.pending().get() { "Saving…" } else { "Save draft" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// The one currency of every tier of the new event.
#[component]
fn CurrencyField(currency: RwSignal<String>) -> impl IntoView {
    let options = CURRENCIES
        .into_iter()
        .map(|code| {
            view! { <option value=code selected=move || currency.get() == code>{code}</option> }
        })
        .collect_view();
    view! {
        <div class="field field-inline">
            <label for="event-currency">"Currency"</label>
            <select id="event-currency" on:change=move |event| currency.set(event_target_value(&event))>
                {options}
            </select>
        </div>
    }
}

/// The new event's tiers, each removable while there are two or more, and "Add another
/// tier", which puts the focus in the new tier's first field.
#[component]
fn TierList(tiers: RwSignal<Vec<TierDraft>>, errors: FormErrors) -> impl IntoView {
    let add_button = NodeRef::<html::Button>::new();
    let add_tier = move |_| {
        tiers.update(|list| list.push(TierDraft::empty()));
        // The new tier's first field takes focus, once it is on the page.
        let count = tiers.with_untracked(Vec::len);
        request_animation_frame(move || {
            if let Some(input) = document()
                .get_element_by_id(&format!("tier-{count}-name"))
                .and_then(|element| {
                    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element).ok()
                })
            {
                let _ = input.focus();
            }
        });
    };

    let tier_list = move || {
        let count = tiers.with(Vec::len);
        tiers
            .get()
            .into_iter()
            .enumerate()
            .map(|(index, tier)| {
                let number = index + 1;
                let remove = move |_| {
                    tiers.update(|list| {
                        if index < list.len() {
                            list.remove(index);
                        }
                    });
                    if let Some(button) = add_button.get_untracked() {
                        let _ = button.focus();
                    }
                };
                view! {
                    <fieldset class="tier-editor">
                        <legend>{format!("Tier {number}")}</legend>
                        <TierFields
                            draft=tier
                            errors
                            key=format!("tier-{number}")
                            context=format!("Tier {number} ")
                            prefix=format!("tiers[{index}].")
                        />
                        {(count > 1)
                            .then(|| {
                                view! {
                                    <button type="button" class="button button-quiet" on:click=remove>
                                        "Remove" <span class="visually-hidden">{format!(" tier {number}")}</span>
                                    </button>
                                }
                            })}
                    </fieldset>
                }
            })
            .collect_view()
    };

    view! {
        {tier_list}
        <button type="button" class="button button-quiet" node_ref=add_button on:click=add_tier>
            "Add another tier"
        </button>
    }
}
