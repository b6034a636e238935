//! The app shell: app-wide state, the live connection, the header, the toasts and the
//! routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api;
use crate::components::header::Header;
use crate::components::offer_banner::OfferBanner;
use crate::components::toasts::ToastRegion;
use crate::live;
use crate::pages::bookings::BookingsPage;
use crate::pages::cart::CartPage;
use crate::pages::event::EventPage;
use crate::pages::events::EventsPage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFound;
use crate::pages::organizer::{OrganizerArea, OrganizerView};
use crate::pages::pay::PayPage;
use crate::pages::queue::WaitingRoomPage;
use crate::pages::register::RegisterPage;
use crate::state::{Cart, LiveCounts, LiveOffers, QueuePasses, Session, Toasts};

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    let counts = LiveCounts::new();
    let offers = LiveOffers::new();
    provide_context(session);
    provide_context(offers);
    provide_context(QueuePasses::new());
    provide_context(Cart::restore());
    provide_context(counts);
    provide_context(Toasts::new());

    // A reload keeps the user signed in: the httpOnly refresh cookie buys a new token.
    leptos::task::spawn_local(async move {
        if api::refresh(session, None).await.is_err() && session.is_restoring() {
            session.sign_out();
        }
    });
    crate::pages::bookings::track_booked_events(session);
    live::connect(counts, session, offers);

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <OfferBanner/>
            <main id="main" class="content" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=EventsPage/>
                    <Route path=path!("/events/:id") view=EventPage/>
                    <Route path=path!("/events/:id/queue") view=WaitingRoomPage/>
                    <Route path=path!("/cart") view=CartPage/>
                    <Route path=path!("/bookings") view=BookingsPage/>
                    <Route path=path!("/bookings/:booking/pay") view=PayPage/>
                    <Route
                        path=path!("/organizer")
                        view=|| view! { <OrganizerArea page=OrganizerView::Events/> }
                    />
                    <Route
                        path=path!("/organizer/new")
                        view=|| view! { <OrganizerArea page=OrganizerView::NewEvent/> }
                    />
                    <Route
                        path=path!("/organizer/events/:id")
                        view=|| view! { <OrganizerArea page=OrganizerView::ManageEvent/> }
                    />
                    <Route
                        path=path!("/organizer/events/:id/door")
                        view=|| view! { <OrganizerArea page=OrganizerView::Door/> }
                    />
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/register") view=RegisterPage/>
                </Routes>
            </main>
            <ToastRegion/>
        </Router>
    }
}
