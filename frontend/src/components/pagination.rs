use leptos::prelude::*;

/// "Previous · Page 2 of 5 · Next"; `on_page` gets the page to go to.
#[component]
pub fn Pagination(
    #[prop(into)] page: Signal<u32>,
    #[prop(into)] total_pages: Signal<u32>,
    #[prop(into)] on_page: Callback<u32>,
) -> impl IntoView {
    view! {
        <Show when=move || { total_pages.get() > 1 }>
            <nav aria-label="Pagination" class="pagination">
                <button
                    type="button"
                    class="button button-quiet"
                    disabled=move || page.get() <= 1
                    on:click=move |_| on_page.run(page.get().saturating_sub(1).max(1))
                >
                    "Previous"
                </button>
                <span class="page-of">
                    {move || format!("Page {} of {}", page.get(), total_pages.get())}
                </span>
                <button
                    type="button"
                    class="button button-quiet"
                    disabled=move || page.get() >= total_pages.get()
                    on:click=move |_| on_page.run(page.get() + 1)
                >
                    "Next"
                </button>
            </nav>
        </Show>
    }
}
