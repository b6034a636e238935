use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::form_alert::FormAlert;
use crate::components::require_auth::RedirectIfSignedIn;

/// The frame of the sign-in and register pages: a signed-in visitor goes on to `next`;
/// the heading, a form-wide error announced at once, the fields (`children`), the submit
/// button, and a link to the other page that keeps `next`.
#[component]
pub fn AuthForm(
    title: &'static str,
    #[prop(into)] next: Signal<String>,
    #[prop(into)] form_error: Signal<Option<String>>,
    #[prop(into)] busy: Signal<bool>,
    submit_label: &'static str,
    busy_label: &'static str,
    on_submit: impl FnMut(leptos::ev::SubmitEvent) + 'static,
    /// "New here? " and the other page's path and link text.
    switch_prompt: &'static str,
    switch_path: &'static str,
    switch_label: &'static str,
    children: Children,
) -> impl IntoView {
    let switch_href = move || {
        let next = String::from(js_sys::encode_uri_component(&next.get()));
        format!("{switch_path}?next={next}")
    };
    view! {
        <RedirectIfSignedIn next/>
        <section class="page narrow">
            <h1>{title}</h1>
            <form class="form" on:submit=on_submit novalidate>
                <FormAlert message=form_error/>
                {children()}
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || if busy.get() { busy_label } else { submit_label }}
                </button>
            </form>
            <p class="form-alt">{switch_prompt} " " <A href=switch_href>{switch_label}</A></p>
        </section>
    }
}
