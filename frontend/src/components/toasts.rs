use leptos::prelude::*;

use crate::state::toasts::use_toasts;

/// Every toast, in one polite live region so screen readers announce each as it appears.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list() key=|toast| toast.id let:toast>
                <div class=toast.kind.class()>
                    <p>{toast.text.clone()}</p>
                    <button
                        type="button"
                        class="toast-dismiss"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
