//! Writes to the server and what a page does with each answer.
//!
//! Every form and button that changes something on the server is an [`Action`] plus a
//! reaction to its result (a toast, a navigation, new state). [`write_action`] pairs
//! them, so the reaction runs exactly once per answer: it reads signals untracked, and a
//! signal it happens to read cannot run it again with the same answer.

use std::future::Future;

use leptos::prelude::*;

use crate::api::ApiError;

/// The result every write of [`crate::api`] answers with.
pub type Answer<T> = Result<T, ApiError>;

/// An action that calls the server with `send` and hands each answer to `then`.
pub fn write_action<I, T, Fut>(
    send: impl Fn(&I) -> Fut + 'static,
    then: impl Fn(Answer<T>) + 'static,
) -> Action<I, Answer<T>>
where
    I: 'static,
    T: Clone + 'static,
    Fut: Future<Output = Answer<T>> + 'static,
{
    let action = Action::new_local(send);
    Effect::new(move || {
        if let Some(answer) = action.value().get() {
            untrack(|| then(answer));
        }
    });
    action
}
