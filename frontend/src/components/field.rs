use leptos::prelude::*;

/// A labelled input with its error, linked for screen readers by `aria-describedby`.
#[component]
pub fn Field(
    /// Unique on the page; the input's id.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    /// Read before the label by screen readers (and tests) but not shown: "Tier 2 " before
    /// "Name", where the fieldset around it already says which tier.
    #[prop(optional)]
    label_context: Option<String>,
    /// An `<input>` type, or `textarea`.
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = "")] inputmode: &'static str,
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
    let invalid = move || error.with(Option::is_some).then_some("true");
    let on_input = move |event| value.set(event_target_value(&event));
    let control = if kind == "textarea" {
        view! {
            <textarea
                id=id.clone()
                name=id.clone()
                rows="4"
                prop:value=move || value.get()
                on:input=on_input
                aria-invalid=invalid
                aria-describedby=described_by
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=id.clone()
                type=kind
                autocomplete=autocomplete
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                prop:value=move || value.get()
                on:input=on_input
                aria-invalid=invalid
                aria-describedby=described_by
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>
                {label_context.map(|context| view! { <span class="visually-hidden">{context}</span> })}
                {label}
            </label>
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id.clone()>{hint}</p> })}
            {control}
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
