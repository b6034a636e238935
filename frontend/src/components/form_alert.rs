use leptos::prelude::*;

/// A form's own message ("Please correct the fields marked below."), announced at once.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="form-error" role="alert">{message}</p> })
    }
}
