//! Who is signed in. The access token lives here, in memory only; the refresh token is an
//! httpOnly cookie the page never sees.

use std::collections::HashSet;

use booking_dto::{AuthResponse, Role, User};
use leptos::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// At start-up, while the refresh cookie is tried.
    Restoring,
    SignedOut,
    SignedIn {
        user: User,
        token: String,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
    /// Events this user holds confirmed tickets for, so their cards read "Booked".
    booked_events: RwSignal<HashSet<Uuid>>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            state: RwSignal::new(AuthState::Restoring),
            booked_events: RwSignal::new(HashSet::new()),
        }
    }

    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    pub fn is_restoring(&self) -> bool {
        self.state.with(|state| *state == AuthState::Restoring)
    }

    pub fn user(&self) -> Option<User> {
        self.state.with(|state| match state {
            AuthState::SignedIn { user, .. } => Some(user.clone()),
            _ => None,
        })
    }

    /// Signed in as an organizer or an admin: one who may run events.
    pub fn is_organizer(&self) -> bool {
        self.state.with(|state| {
            matches!(state, AuthState::SignedIn { user, .. }
                if matches!(user.role, Role::Organizer | Role::Admin))
        })
    }

    pub fn is_signed_in(&self) -> bool {
        self.state
            .with(|state| matches!(state, AuthState::SignedIn { .. }))
    }

    /// The current access token, read without subscribing: requests are not reactive.
    pub fn token(&self) -> Option<String> {
        self.state.with_untracked(|state| match state {
            AuthState::SignedIn { token, .. } => Some(token.clone()),
            _ => None,
        })
    }

    pub fn sign_in(&self, auth: AuthResponse) {
        self.state.set(AuthState::SignedIn {
            user: auth.user,
            token: auth.access_token,
        });
    }

    /// Signs out; when already signed out, nothing changes and nothing that reads the
    /// session runs again.
    pub fn sign_out(&self) {
        self.state.maybe_update(|state| {
            let changed = *state != AuthState::SignedOut;
            *state = AuthState::SignedOut;
            changed
        });
        self.booked_events.maybe_update(|events| {
            let had_any = !events.is_empty();
            events.clear();
            had_any
        });
    }

    pub fn has_booked(&self, event_id: Uuid) -> bool {
        self.booked_events.with(|events| events.contains(&event_id))
    }

    pub fn mark_booked(&self, event_ids: impl IntoIterator<Item = Uuid>) {
        self.booked_events.update(|events| events.extend(event_ids));
    }

    pub fn set_booked(&self, event_ids: HashSet<Uuid>) {
        self.booked_events.set(event_ids);
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
