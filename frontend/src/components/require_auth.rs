use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::state::AuthState;
use crate::state::session::use_session;

/// Shows `children` to a signed-in user; sends anyone else to sign in, and back here after.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    // The address this page was opened at, read once: the redirect changes the location,
    // and a target that followed it would send the visitor to /login?next=/login?next=...
    let location = use_location();
    let sign_in = sign_in_path(
        &location.pathname.get_untracked(),
        &location.search.get_untracked(),
    );
    move || match session.state() {
        AuthState::Restoring => view! { <p class="loading">"Loading…"</p> }.into_any(),
        AuthState::SignedOut => {
            view! { <Redirect path=sign_in.clone() options=replace()/> }.into_any()
        }
        AuthState::SignedIn { .. } => children().into_any(),
    }
}

/// A redirect takes the place of the page in the history: Back does not return to a page
/// that would only send the visitor away again.
pub fn replace() -> NavigateOptions {
    NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    }
}

/// The sign-in page, with `next` naming the page at `path` and `search`.
fn sign_in_path(path: &str, search: &str) -> String {
    let here = if search.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", search.trim_start_matches('?'))
    };
    format!("/login?next={}", js_sys::encode_uri_component(&here))
}

/// Where to go after signing in: the `next` query if it is a path of this app (never
/// another site), else the events page.
pub fn next_path(next: Option<String>) -> String {
    next.filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned())
}

/// On the sign-in and register pages: a signed-in visitor goes on to `next` at once.
#[component]
pub fn RedirectIfSignedIn(#[prop(into)] next: Signal<String>) -> impl IntoView {
    let session = use_session();
    move || {
        session
            .is_signed_in()
            .then(|| view! { <Redirect path=next.get_untracked() options=replace()/> })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_app() {
        assert_eq!(next_path(Some("/cart".into())), "/cart");
        assert_eq!(
            next_path(Some("/bookings?page=2".into())),
            "/bookings?page=2"
        );
        assert_eq!(next_path(Some("//evil.example".into())), "/");
        assert_eq!(next_path(Some("https://evil.example".into())), "/");
        assert_eq!(next_path(None), "/");
    }
}
