//! The organizer's area: their events with live sales, a form for a new event, and one
//! event's page where it is edited, published, cancelled or deleted.

pub mod events;
pub mod manage;
pub mod new_event;

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::require_auth::{RequireAuth, replace};
use crate::state::session::use_session;

/// Shows `children` to organizers and admins; a signed-out visitor signs in first, and
/// anyone else goes to the events page.
#[component]
fn RequireOrganizer(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    view! {
        <RequireAuth>
            {
                let children = children.clone();
                move || {
                    if session.is_organizer() {
                        children().into_any()
                    } else {
                        view! { <Redirect path="/" options=replace()/> }.into_any()
                    }
                }
            }
        </RequireAuth>
    }
}

/// Draft, on sale or cancelled: the badge's text and class.
fn status_label(status: booking_dto::EventStatus) -> (&'static str, &'static str) {
    use booking_dto::EventStatus;
    match status {
        EventStatus::Draft => ("Draft", "badge status-pending"),
        EventStatus::Published => ("On sale", "badge status-confirmed"),
        EventStatus::Cancelled => ("Cancelled", "badge status-cancelled"),
    }
}
