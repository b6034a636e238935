use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast as _;

/// A modal question with two answers, on the native `<dialog>`: the page behind is inert,
/// Tab cycles between the two buttons, Escape answers "no", and focus goes back to what
/// opened it.
#[component]
pub fn ConfirmDialog(
    /// Unique on the page: the ids of the dialog's heading and text start with it.
    #[prop(default = "dialog")]
    id: &'static str,
    #[prop(into)] open: Signal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] body: Signal<String>,
    confirm_label: &'static str,
    dismiss_label: &'static str,
    /// Shown on the confirm button while the answer is being carried out.
    busy_label: &'static str,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_dismiss: Callback<()>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let first = NodeRef::<html::Button>::new();
    let last = NodeRef::<html::Button>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);

    Effect::new(move || {
        let Some(dialog) = dialog.get() else { return };
        if open.get() && !dialog.open() {
            let focused = document()
                .active_element()
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
            opener.set_value(focused);
            let _ = dialog.show_modal();
            // The safe answer takes focus, so a stray Enter does nothing harmful.
            if let Some(button) = first.get() {
                let _ = button.focus();
            }
        } else if !open.get() && dialog.open() {
            dialog.close();
            if let Some(element) = opener.get_value() {
                let _ = element.focus();
            }
        }
    });

    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        if event.key() != "Tab" {
            return;
        }
        let (Some(first), Some(last)) = (first.get(), last.get()) else {
            return;
        };
        let active = document().active_element();
        let on_first = active.as_ref() == Some(first.unchecked_ref());
        let on_last = active.as_ref() == Some(last.unchecked_ref());
        if event.shift_key() && on_first {
            event.prevent_default();
            let _ = last.focus();
        } else if !event.shift_key() && on_last {
            event.prevent_default();
            let _ = first.focus();
        }
    };

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby=format!("{id}-title")
            aria-describedby=format!("{id}-body")
            on:keydown=on_keydown
            on:cancel=move |event: leptos::ev::Event| {
                // Escape: answer "no" through our own state, so it stays the one truth.
                event.prevent_default();
                on_dismiss.run(());
            }
        >
            <h2 id=format!("{id}-title")>{move || title.get()}</h2>
            <p id=format!("{id}-body")>{move || body.get()}</p>
            <div class="dialog-actions">
                <button
                    type="button"
                    class="button button-quiet"
                    node_ref=first
                    on:click=move |_| on_dismiss.run(())
                >
                    {dismiss_label}
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    node_ref=last
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || if busy.get() { busy_label } else { confirm_label }}
                </button>
            </div>
        </dialog>
    }
}
