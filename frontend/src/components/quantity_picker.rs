use leptos::prelude::*;

/// "Quantity for VIP": a select of 1 to `most`, labelled for screen readers with the tier
/// it is for (the visible label says only "Quantity").
#[component]
pub fn QuantityPicker(
    /// Unique on the page; the select's id.
    id: String,
    tier_name: String,
    #[prop(into)] most: Signal<i64>,
    #[prop(into)] selected: Signal<i64>,
    #[prop(into, optional)] disabled: Signal<bool>,
    #[prop(into)] on_change: Callback<i64>,
) -> impl IntoView {
    let label_for = id.clone();
    view! {
        <div class="field field-inline">
            <label for=label_for>
                "Quantity" <span class="visually-hidden">{format!(" for {tier_name}")}</span>
            </label>
            <select
                id=id
                disabled=move || disabled.get()
                on:change=move |event| {
                    if let Ok(quantity) = event_target_value(&event).parse() {
                        on_change.run(quantity);
                    }
                }
            >
                {move || {
                    (1..=most.get().max(1))
                        .map(|n| {
                            view! {
                                <option value=n.to_string() selected=move || selected.get() == n>
                                    {n.to_string()}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}
