//! The organizer's area: their events with live sales, a form for a new event, one
//! event's page where it is edited, published, cancelled or deleted, and its door.

pub mod door;
pub mod events;
pub mod manage;
pub mod new_event;

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::require_auth::{RequireAuth, replace};
use crate::state::session::use_session;

/// Which page of the organizer's area a route shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizerView {
    Events,
    NewEvent,
    ManageEvent,
    Door,
}

/// The area's pages, in a module of their own (`wasm-split-cli` cuts it out at build
/// time) fetched on the first visit to one of them: a buyer's first download holds none
/// of the organizer's code.
#[lazy]
fn organizer_view(page: OrganizerView) -> AnyView {
    match page {
        OrganizerView::Events => view! { <events::OrganizerPage/> }.into_any(),
        OrganizerView::NewEvent => view! { <new_event::NewEventPage/> }.into_any(),
        OrganizerView::ManageEvent => view! { <manage::ManageEventPage/> }.into_any(),
        OrganizerView::Door => view! { <door::DoorPage/> }.into_any(),
    }
}

/// One page of the organizer's area, loaded on first use.
#[component]
pub fn OrganizerArea(page: OrganizerView) -> impl IntoView {
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading" role="status">"Loading the organizer area…"</p> }
        }>{Suspend::new(organizer_view(page))}</Suspense>
    }
}

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

/// The event the route's `:id` names, as its organizer sees it: `None` when the id is
/// not one.
fn managed_event_of_route()
-> LocalResource<Result<Option<booking_dto::Event>, crate::api::ApiError>> {
    let session = use_session();
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| uuid::Uuid::parse_str(&id).ok())
    });
    LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => crate::api::managed_event(session, id).await.map(Some),
                None => Ok(None),
            }
        }
    })
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
