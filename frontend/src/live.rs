//! The tab's one WebSocket to `/api/v1/ws`: subscribes to the events on screen, writes
//! every `ticketUpdate` into [`LiveCounts`], and reconnects with backoff after a drop.
//! A `hello` after a reconnect means updates may have been missed: the counts are
//! forgotten and pages read theirs again. While someone is signed in the connection
//! speaks for them (`authenticate`), so their waiting-list offers reach [`LiveOffers`].

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use booking_dto::retry::Backoff;
use booking_dto::{ClientMessage, ServerMessage};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::api;
use crate::state::offers::HeardOffer;
use crate::state::{LiveCounts, LiveOffers, Session};

/// Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
const RECONNECT: Backoff = Backoff {
    first: Duration::from_millis(500),
    ceiling: Duration::from_secs(15),
};

/// One connection and the callbacks that must live as long as it does.
struct Connection {
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_open: Closure<dyn FnMut()>,
}

struct Link {
    counts: LiveCounts,
    session: Session,
    offers: LiveOffers,
    /// The token of an `authenticate` not answered yet, and whether it is a retry after
    /// refreshing a token the server found expired.
    authenticating: Option<(String, bool)>,
    current: Option<Connection>,
    /// Consecutive failed attempts, for the backoff.
    failures: u32,
    /// Set once the first `hello` arrived: a later one is a reconnect.
    greeted: bool,
}

type Shared = Rc<RefCell<Link>>;

/// Opens the socket and keeps it open for the life of the page.
pub fn connect(counts: LiveCounts, session: Session, offers: LiveOffers) {
    let link: Shared = Rc::new(RefCell::new(Link {
        counts,
        session,
        offers,
        authenticating: None,
        current: None,
        failures: 0,
        greeted: false,
    }));
    open(&link);
    // Whenever the set of events on screen changes, tell the server.
    let watching = Rc::clone(&link);
    Effect::new(move || {
        let watched = counts.watched();
        subscribe(&watching, watched);
    });
    // Whenever someone signs in or out, the connection speaks for them (a token refresh
    // is not a new sign-in).
    let user = Memo::new(move |_| session.user().map(|user| user.id));
    Effect::new(move || {
        if user.get().is_none() {
            offers.clear();
        }
        identify(&link, false);
    });
}

fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/api/v1/ws", location.host().ok()?))
}

fn open(link: &Shared) {
    let Some(url) = socket_url() else { return };
    let Ok(socket) = WebSocket::new(&url) else {
        retry_later(link);
        return;
    };

    let on_open = {
        let link = Rc::clone(link);
        Closure::<dyn FnMut()>::new(move || {
            let watched = {
                let mut state = link.borrow_mut();
                state.failures = 0;
                state.counts.set_connected(true);
                state.counts.watched_untracked()
            };
            subscribe(&link, watched);
            identify(&link, false);
        })
    };
    let on_message = {
        let link = Rc::clone(link);
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                receive(&link, &text);
            }
        })
    };
    let on_close = {
        let link = Rc::clone(link);
        Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
            // The closed connection stays in `current` until the next attempt replaces it:
            // dropping it here would free this very callback while it runs.
            link.borrow().counts.set_connected(false);
            retry_later(&link);
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    link.borrow_mut().current = Some(Connection {
        socket,
        _on_message: on_message,
        _on_close: on_close,
        _on_open: on_open,
    });
}

/// Tries again after [`RECONNECT`]'s wait.
fn retry_later(link: &Shared) {
    let delay = {
        let mut state = link.borrow_mut();
        state.failures = state.failures.saturating_add(1);
        RECONNECT.delay(state.failures, js_sys::Math::random())
    };
    let link = Rc::clone(link);
    set_timeout(move || open(&link), delay);
}

fn receive(link: &Shared, text: &str) {
    let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
        return;
    };
    let counts = link.borrow().counts;
    match message {
        ServerMessage::Hello { .. } => {
            let reconnected = std::mem::replace(&mut link.borrow_mut().greeted, true);
            if reconnected {
                counts.resync();
            }
        }
        ServerMessage::TicketUpdate {
            event_id,
            tier_id,
            remaining,
            event_remaining,
        } => counts.apply(event_id, tier_id, remaining, event_remaining),
        ServerMessage::CheckIns { event_id, .. } => counts.checked_in(event_id),
        ServerMessage::Offer {
            booking_id,
            expires_at,
        } => link.borrow().offers.offered(HeardOffer {
            booking_id,
            expires_at,
        }),
        ServerMessage::Queue {
            event_id,
            admitted_through,
            sold_out,
        } => counts.queue_moved(event_id, admitted_through, sold_out),
        ServerMessage::Authenticated { .. } => link.borrow_mut().authenticating = None,
        ServerMessage::Error { .. } => {
            // An `authenticate` refused: the token expired while the tab was idle. One
            // refresh, then one more try.
            let refused = link.borrow_mut().authenticating.take();
            if let Some((stale, false)) = refused {
                let (link, session) = (Rc::clone(link), link.borrow().session);
                leptos::task::spawn_local(async move {
                    if api::refresh(session, Some(stale)).await.is_ok() {
                        identify(&link, true);
                    }
                });
            }
        }
    }
}

/// Tells the server whom the connection speaks for: the signed-in user (by their token)
/// or nobody. `retry`: after refreshing a token it refused.
fn identify(link: &Shared, retry: bool) {
    let mut state = link.borrow_mut();
    let Some(connection) = &state.current else {
        return;
    };
    if connection.socket.ready_state() != WebSocket::OPEN {
        return;
    }
    let message = match state.session.token() {
        Some(token) => ClientMessage::Authenticate { token },
        None => ClientMessage::SignOut,
    };
    if let Ok(frame) = serde_json::to_string(&message) {
        let _ = connection.socket.send_with_str(&frame);
    }
    state.authenticating = match message {
        ClientMessage::Authenticate { token } => Some((token, retry)),
        _ => None,
    };
}

fn subscribe(link: &Shared, event_ids: Vec<Uuid>) {
    let state = link.borrow();
    let Some(connection) = &state.current else {
        return;
    };
    if connection.socket.ready_state() != WebSocket::OPEN {
        return;
    }
    if let Ok(frame) = serde_json::to_string(&ClientMessage::Subscribe { event_ids }) {
        let _ = connection.socket.send_with_str(&frame);
    }
}
