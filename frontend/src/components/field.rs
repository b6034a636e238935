use leptos::prelude::*;

/// A labelled input with its error, linked for screen readers by `aria-describedby`.
#[component]
pub fn Field(
    /// Unique on the page; the input's id.
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described_by
            />
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="field-error" id=error_id.clone()>
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}
