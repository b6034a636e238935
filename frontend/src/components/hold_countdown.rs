//! "Held for you: 9:59", counting down to a hold's `expiresAt`. The clock ticks every
//! second on screen, but screen readers hear it once a minute: a live region that spoke
//! every second would drown everything else out.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format;

/// Seconds from now until `instant`, by this browser's clock.
pub fn seconds_until(instant: DateTime<Utc>) -> i64 {
    let now_ms = js_sys::Date::now();
    // Milliseconds since the epoch fit an f64 exactly for the next 285,000 years.
    #[allow(clippy::cast_possible_truncation)]
    let now_ms = now_ms as i64;
    (instant.timestamp_millis() - now_ms).div_euclid(1_000)
}

/// A signal of the seconds left until `expires_at`, ticking once a second while the
/// component that made it is on screen.
pub fn seconds_left(expires_at: DateTime<Utc>) -> ReadSignal<i64> {
    let (left, set_left) = signal(seconds_until(expires_at));
    if let Ok(handle) = set_interval_with_handle(
        move || set_left.set(seconds_until(expires_at)),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    left
}

/// The countdown; `on_expired` runs once when it reaches zero.
#[component]
pub fn HoldCountdown(
    expires_at: DateTime<Utc>,
    #[prop(optional, into)] on_expired: Option<Callback<()>>,
) -> impl IntoView {
    let left = seconds_left(expires_at);
    let minutes_said = Memo::new(move |_| format::hold_left_sentence(left.get()));
    let ended = Memo::new(move |_| left.get() <= 0);
    Effect::new(move || {
        if ended.get()
            && let Some(on_expired) = on_expired
        {
            on_expired.run(());
        }
    });
    view! {
        <p class="hold-countdown" class:hold-ending=move || left.get() < 60>
            <span aria-hidden="true">"Held for you: "
                <strong class="hold-clock">{move || format::countdown(left.get())}</strong>
            </span>
            <span class="visually-hidden" role="status">{move || minutes_said.get()}</span>
        </p>
    }
}
