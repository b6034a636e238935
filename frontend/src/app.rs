use leptos::prelude::*;

use crate::api;

#[component]
pub fn App() -> impl IntoView {
    let health = LocalResource::new(api::health);
    view! {
        <header class="site-header">
            <h1>"Booking"</h1>
            <p class="tagline">"Tickets for the events everyone wants, sold fairly."</p>
        </header>
        <main id="main" class="content">
            <section aria-live="polite" class="service-status">
                <Transition fallback=|| view! { <p class="status">"Checking the service…"</p> }>
                    {move || {
                        health
                            .get()
                            .map(|result| match result {
                                Ok(health) => {
                                    view! {
                                        <p class="status status-ok">
                                            "Service online · version " {health.version}
                                        </p>
                                    }
                                        .into_any()
                                }
                                Err(error) => {
                                    view! {
                                        <p class="status status-down" role="alert">
                                            "Service unreachable: " {error}
                                        </p>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </section>
        </main>
    }
}
