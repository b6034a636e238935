use booking_dto::{ErrorCode, LoginRequest};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::actions::write_action;
use crate::api::{self, ApiError};
use crate::components::auth_form::AuthForm;
use crate::components::field::Field;
use crate::components::require_auth::{next_path, replace};
use crate::state::session::use_session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = Signal::derive(move || next_path(query.read().get("next")));
    let navigate = use_navigate();

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);

    let submit = write_action(
        move |request: &LoginRequest| {
            let request = request.clone();
            async move { api::login(&request).await }
        },
        move |answer| match answer {
            Ok(auth) => {
                session.sign_in(auth);
                // The form is done with: Back skips it.
                navigate(&next.get_untracked(), replace());
            }
            Err(error) => form_error.set(Some(login_failure(&error))),
        },
    );

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        form_error.set(None);
        let missing = |value: &str| value.trim().is_empty().then(|| "is required".to_owned());
        email_error.set(missing(&email.get()).map(|m| format!("Email {m}")));
        password_error.set(missing(&password.get()).map(|m| format!("Password {m}")));
        if email_error.get().is_some() || password_error.get().is_some() {
            return;
        }
        submit.dispatch(LoginRequest {
            email: email.get().trim().to_owned(),
            password: password.get(),
        });
    };

    view! {
        <AuthForm
            title="Sign in"
            next
            form_error
            busy=submit.pending()
            submit_label="Sign in"
            busy_label="Signing in…"
            on_submit
            switch_prompt="New here?"
            switch_path="/register"
            switch_label="Create an account"
        >
            <Field id="login-email" label="Email" kind="email" autocomplete="email" value=email error=email_error/>
            <Field
                id="login-password"
                label="Password"
                kind="password"
                autocomplete="current-password"
                value=password
                error=password_error
            />
        </AuthForm>
    }
}

fn login_failure(error: &ApiError) -> String {
    match error.code() {
        Some(ErrorCode::Unauthorized) => "Wrong email or password.".to_owned(),
        _ => error.message(),
    }
}
