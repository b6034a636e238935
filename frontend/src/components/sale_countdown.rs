//! "Starts in 1:02:05", counting down to an event's sale start, then "On sale".

use leptos::prelude::*;

use crate::components::hold_countdown::seconds_left;
use crate::format;

/// "Starts in 4:59", counting down to the sale start, then "On sale".
#[component]
pub fn SaleCountdown(start: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let left = seconds_left(start);
    view! {
        <p class="sale-countdown">
            {move || match left.get() {
                seconds if seconds > 0 => format!("Starts in {}", format::long_countdown(seconds)),
                _ => "On sale".to_owned(),
            }}
        </p>
    }
}
