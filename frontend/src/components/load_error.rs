use leptos::prelude::*;

use crate::api::ApiError;

/// "Events could not be loaded. Network problem: ...", announced at once.
#[component]
pub fn LoadError(what: &'static str, error: ApiError) -> impl IntoView {
    view! {
        <p class="load-error" role="alert">
            {format!("{what} could not be loaded. {}", error.message())}
        </p>
    }
}
