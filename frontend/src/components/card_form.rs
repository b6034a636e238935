//! The card a buyer pays a hold with: number, expiry and security code, checked in the
//! browser by the same rules the server applies (`domain::card`) before any request.

use booking_domain::card::{APPROVING_TEST_CARD, DECLINING_TEST_CARD};
use booking_domain::{Card, RawCard, ValidationErrors};
use booking_dto::{CardDetails, PayRequest};
use leptos::prelude::*;

use crate::components::field::Field;
use crate::components::form_alert::FormAlert;
use crate::state::form_errors::FormErrors;

/// The form; `on_pay` gets a checked card. `errors` carries the server's refusals back.
#[component]
pub fn CardForm(
    errors: FormErrors,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] pay_label: String,
    on_pay: Callback<PayRequest>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let cvc = RwSignal::new(String::new());
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let raw = RawCard {
            number: number.get_untracked(),
            expiry: expiry.get_untracked(),
            cvc: cvc.get_untracked(),
        };
        let checked = Card::parse(&raw, chrono::Utc::now());
        if errors.accept(ValidationErrors::new(), checked).is_some() {
            on_pay.run(PayRequest {
                card: CardDetails {
                    number: raw.number,
                    expiry: raw.expiry,
                    cvc: raw.cvc,
                },
            });
        }
    };
    view! {
        <form class="form card-form" on:submit=on_submit novalidate>
            <FormAlert message=errors.form()/>
            <p class="notice test-cards">
                "Test mode: no real card is charged. "
                <span class="nowrap">{spaced(APPROVING_TEST_CARD)}</span>
                " is approved, "
                <span class="nowrap">{spaced(DECLINING_TEST_CARD)}</span>
                " is declined; use any future expiry and any 3 digits."
            </p>
            <Field
                id="card-number"
                label="Card number"
                autocomplete="cc-number"
                inputmode="numeric"
                value=number
                error=errors.field("card.number", "Card number")
            />
            <div class="field-row card-row">
                <Field
                    id="card-expiry"
                    label="Expiry (MM/YY)"
                    autocomplete="cc-exp"
                    inputmode="numeric"
                    value=expiry
                    error=errors.field("card.expiry", "Expiry")
                />
                <Field
                    id="card-cvc"
                    label="Security code"
                    autocomplete="cc-csc"
                    inputmode="numeric"
                    value=cvc
                    error=errors.field("card.cvc", "Security code")
                />
            </div>
            <button
                type="submit"
                class="button button-primary button-large"
                disabled=move || busy.get()
                aria-busy=move || busy.get().then_some("true")
            >
                {move || if busy.get() { "Paying…".to_owned() } else { pay_label.clone() }}
            </button>
        </form>
    }
}

/// `4242424242424242` → `4242 4242 4242 4242`, as printed on a card.
fn spaced(number: &str) -> String {
    number
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
