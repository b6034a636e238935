use leptos::prelude::*;

use crate::format::Availability;

/// "12 left" in green, yellow or red by how much is left, or a grey "Sold out".
#[component]
pub fn AvailabilityBadge(
    #[prop(into)] remaining: Signal<i64>,
    #[prop(into)] capacity: Signal<i64>,
) -> impl IntoView {
    let level = move || Availability::of(remaining.get(), capacity.get());
    view! { <span class=move || level().class()>{move || level().label(remaining.get())}</span> }
}
