use booking_domain::NewAccount;
use booking_dto::{ErrorCode, RegisterRequest};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::actions::write_action;
use crate::api;
use crate::components::auth_form::AuthForm;
use crate::components::field::Field;
use crate::components::require_auth::{next_path, replace};
use crate::state::form_errors::FormErrors;
use crate::state::session::use_session;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = Signal::derive(move || next_path(query.read().get("next")));
    let navigate = use_navigate();

    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();

    let submit = write_action(
        move |request: &RegisterRequest| {
            let request = request.clone();
            async move { api::register(&request).await }
        },
        move |answer| match answer {
            Ok(auth) => {
                session.sign_in(auth);
                // The form is done with: Back skips it.
                navigate(&next.get_untracked(), replace());
            }
            Err(error) if error.code() == Some(ErrorCode::EmailTaken) => {
                errors.set_field("email", "is already registered: sign in instead");
            }
            Err(error) => errors.show_api_error(&error),
        },
    );

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        // The server's own rules, run here first: a mistake shows at once, with no request.
        match NewAccount::parse(&email.get(), &password.get(), &name.get()) {
            Ok(account) => {
                submit.dispatch(RegisterRequest {
                    email: account.email.as_str().to_owned(),
                    password: account.password.expose().to_owned(),
                    name: account.name.as_str().to_owned(),
                });
            }
            Err(invalid) => errors.show_invalid(invalid.fields()),
        }
    };

    view! {
        <AuthForm
            title="Create an account"
            next
            form_error=errors.form()
            busy=submit.pending()
            submit_label="Create account"
            busy_label="Creating account…"
            on_submit
            switch_prompt="Already have an account?"
            switch_path="/login"
            switch_label="Sign in"
        >
            <Field id="register-name" label="Name" autocomplete="name" value=name error=errors.field("name", "Name")/>
            <Field id="register-email" label="Email" kind="email" autocomplete="email" value=email error=errors.field("email", "Email")/>
            <Field
                id="register-password"
                label="Password"
                kind="password"
                autocomplete="new-password"
                value=password
                error=errors.field("password", "Password")
                hint="At least 8 characters, with a letter and a digit."
            />
        </AuthForm>
    }
}
