//! The few browser APIs the app uses beyond what leptos wraps: storage, ids, the local
//! time zone, and a lock shared by every tab of this origin.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};

pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn stored<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    let raw = local_storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

/// Writes `value` under `key`; a full or disabled storage only loses persistence.
pub fn store<T: serde::Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(raw)) = (local_storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &raw);
    }
}

pub fn forget(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// The cookie the server sets beside the httpOnly refresh token, with the same lifetime,
/// and clears with it: no secret, only "a session may exist here".
const SESSION_HINT: &str = "signed_in=1";

/// Whether this browser holds a sign-in the server may renew (its session hint cookie).
pub fn has_session_hint() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|document| document.cookie().ok())
        .is_some_and(|cookies| holds_session_hint(&cookies))
}

/// `document.cookie` (`a=1; b=2`) holds the session hint.
fn holds_session_hint(cookies: &str) -> bool {
    cookies.split(';').any(|pair| pair.trim() == SESSION_HINT)
}

/// A random v4 UUID from the browser's CSPRNG, for idempotency keys.
pub fn random_id() -> String {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.random_uuid())
        .unwrap_or_else(|| format!("{:x}", js_sys::Date::now().to_bits()))
}

/// The browser's offset from UTC at `instant`, in seconds east (JavaScript gives minutes
/// west), so a summer event shows summer time even when viewed in winter.
pub fn local_offset_seconds(instant: DateTime<Utc>) -> i32 {
    // Milliseconds since the epoch fit an f64 exactly for any date a ticket can have.
    #[expect(
        clippy::cast_precision_loss,
        reason = "epoch milliseconds of real dates are far below 2^53"
    )]
    let millis = instant.timestamp_millis() as f64;
    let minutes_west = js_sys::Date::new(&JsValue::from_f64(millis)).get_timezone_offset();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "time-zone offsets are whole minutes within a day"
    )]
    let seconds = (-minutes_west * 60.0) as i32;
    seconds
}

/// The instant an `<input type="datetime-local">` value (`2026-03-15T10:00`) names in the
/// browser's time zone, or `None` when it names none.
pub fn parse_local_datetime(value: &str) -> Option<DateTime<Utc>> {
    if value.trim().is_empty() {
        return None;
    }
    // JavaScript reads a date-time without an offset as local time, daylight saving included.
    let millis = js_sys::Date::new(&JsValue::from_str(value.trim())).get_time();
    if !millis.is_finite() {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a finite JavaScript time is a whole number of milliseconds within i64"
    )]
    let millis = millis as i64;
    DateTime::from_timestamp_millis(millis)
}

/// Runs `work` while holding the Web Lock `name`, which every tab of this origin shares;
/// where the browser has no Web Locks, runs it unguarded. `None` only if the work started
/// under the lock and never finished.
pub async fn with_tab_lock<T, F, Fut>(name: &str, work: F) -> Option<T>
where
    T: 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = T> + 'static,
{
    let Some(locks) = web_sys::window()
        .map(|window| window.navigator())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"locks".into()).ok())
        .filter(|locks| !locks.is_undefined())
    else {
        return Some(work().await);
    };
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|request| request.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else {
        return Some(work().await);
    };
    let slot: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    let work_slot = Rc::clone(&slot);
    let pending_work: Rc<RefCell<Option<F>>> = Rc::new(RefCell::new(Some(work)));
    let work_cell = Rc::clone(&pending_work);
    // The lock is held until the promise the callback returns settles.
    let callback = Closure::once_into_js(move |_lock: JsValue| {
        future_to_promise(async move {
            let taken = work_cell.borrow_mut().take();
            if let Some(work) = taken {
                let value = work().await;
                *work_slot.borrow_mut() = Some(value);
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    let granted = request
        .call2(&locks, &name.into(), &callback)
        .ok()
        .and_then(|promise| promise.dyn_into::<js_sys::Promise>().ok());
    if let Some(promise) = granted {
        let _ = JsFuture::from(promise).await;
    }
    let value = slot.borrow_mut().take();
    if value.is_some() {
        return value;
    }
    // The lock request failed before running the work: run it unguarded.
    let work = pending_work.borrow_mut().take();
    match work {
        Some(work) => Some(work().await),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::holds_session_hint;

    #[test]
    fn the_session_hint_is_found_among_other_cookies_and_only_by_its_whole_name() {
        assert!(holds_session_hint("signed_in=1"));
        assert!(holds_session_hint("theme=dark; signed_in=1; lang=en"));
        assert!(!holds_session_hint(""));
        assert!(!holds_session_hint("not_signed_in=1"));
        assert!(!holds_session_hint("signed_in=0"));
    }
}
