use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><A href="/">"Browse events"</A></p>
        </section>
    }
}
