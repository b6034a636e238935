//! The event's tiers: each one's live sales and a form to change or remove it, and a form
//! for a new one.

use booking_domain::ValidationErrors;
use booking_domain::organizing::{ExistingTier, NewTier, TierChanges, check_add_tier};
use booking_dto::{ErrorCode, Event, Tier, TierRequest, UpdateTierRequest};
use leptos::prelude::*;

use crate::actions::write_action;
use crate::api;
use crate::components::event_fields::{TierDraft, TierFields};
use crate::components::form_alert::FormAlert;
use crate::format;
use crate::state::counts::use_counts;
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// One tier: what it sold (live), and its name, price and capacity to change.
#[component]
pub(super) fn TierEditor(
    tier: Tier,
    current: RwSignal<Event>,
    editable: Signal<bool>,
) -> impl IntoView {
    let counts = use_counts();
    let tier_id = tier.id;
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
    // A tier nobody bought may go, unless it is the event's last.
    let removable =
        Signal::derive(move || sold.get() == 0 && current.with(|event| event.tiers.len()) > 1);
    let label = format!("Tier {}", tier.name);
    view! {
        <article class="tier-editor" aria-label=label>
            <header class="tier-editor-header">
                <h3>{move || saved.get().map(|tier| tier.name).unwrap_or_default()}</h3>
                <p class="tier-sales">
                    {price} " · Sold " <strong class="sold">{sold}</strong> " of " {capacity} " · "
                    <strong class="remaining">{remaining}</strong> " left"
                </p>
            </header>
            {move || {
                let tier = tier.clone();
                editable.get().then(|| view! { <TierForm tier current removable/> })
            }}
        </article>
    }
}

/// A tier's name, price and capacity, saved with Save; Remove while `removable`.
#[component]
fn TierForm(tier: Tier, current: RwSignal<Event>, removable: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let (event_id, tier_id) = (current.with_untracked(|event| event.id), tier.id);
    let name = tier.name.clone();
    let draft = TierDraft::of(&tier);
    let errors = FormErrors::new();
    let save = write_action(
        move |request: &UpdateTierRequest| {
            let request = request.clone();
            async move { api::update_tier(session, event_id, tier_id, &request).await }
        },
        move |answer| match answer {
            Ok(tier) => {
                toasts.success(format!("Tier “{}” saved.", tier.name));
                current.update(|event| {
                    if let Some(slot) = event.tiers.iter_mut().find(|t| t.id == tier.id) {
                        *slot = tier;
                    }
                });
            }
            Err(error) if error.code() == Some(ErrorCode::CapacityBelowSold) => {
                errors.set_field_sentence("capacity", sentence(error.detail()));
            }
            Err(error) => errors.show_api_error(&error),
        },
    );
    let removed_name = name.clone();
    let remove = write_action(
        move |(): &()| api::remove_tier(session, event_id, tier_id),
        move |answer| match answer {
            Ok(()) => {
                toasts.success(format!("Tier “{removed_name}” removed."));
                current.update(|event| event.tiers.retain(|t| t.id != tier_id));
            }
            Err(error) => errors.set_form(error.message()),
        },
    );

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
    let remove_label = format!(" {name}");
    view! {
        <form class="tier-form" on:submit=on_submit novalidate>
            <FormAlert message=errors.form()/>
            <TierFields draft errors key=format!("tier-{tier_id}") context=format!("{name} ") prefix=String::new()/>
            <div class="form-actions">
                <button type="submit" class="button button-quiet" disabled=move || save.pending().get()>
                    "Save" <span class="visually-hidden">{format!(" {name}")}</span>
                </button>
                <Show when=move || removable.get()>
                    <button
                        type="button"
                        class="button button-danger-text"
                        disabled=move || remove.pending().get()
                        on:click=move |_| {
                            remove.dispatch(());
                        }
                    >
                        "Remove" <span class="visually-hidden">{remove_label.clone()}</span>
                    </button>
                </Show>
            </div>
        </form>
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
pub(super) fn AddTier(current: RwSignal<Event>) -> impl IntoView {
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
    let add = write_action(
        move |request: &TierRequest| {
            let request = request.clone();
            async move { api::add_tier(session, event_id, &request).await }
        },
        move |answer| match answer {
            Ok(tier) => {
                toasts.success(format!("Tier “{}” added.", tier.name));
                draft.name.set(String::new());
                draft.price.set(String::new());
                draft.capacity.set(String::new());
                current.update(|event| event.tiers.push(tier));
            }
            Err(error) => errors.show_api_error(&error),
        },
    );
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
