use booking_domain::NewAccount;
use booking_dto::{ErrorCode, RegisterRequest};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::auth_form::AuthForm;
use crate::components::field::Field;
use crate::components::require_auth::next_path;
use crate::state::session::use_session;

/// Per-field messages of one form, keyed by the request's field names.
#[derive(Debug, Clone, Copy)]
struct FieldErrors {
    name: RwSignal<Option<String>>,
    email: RwSignal<Option<String>>,
    password: RwSignal<Option<String>>,
}

impl FieldErrors {
    fn clear(&self) {
        self.name.set(None);
        self.email.set(None);
        self.password.set(None);
    }

    /// Shows `message` under `field`, written as a sentence about that field.
    fn set(&self, field: &str, message: &str) {
        let (slot, label) = match field {
            "name" => (self.name, "Name"),
            "email" => (self.email, "Email"),
            "password" => (self.password, "Password"),
            _ => return,
        };
        slot.set(Some(format!("{label} {message}")));
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = Signal::derive(move || next_path(query.read().get("next")));
    let navigate = use_navigate();

    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FieldErrors {
        name: RwSignal::new(None),
        email: RwSignal::new(None),
        password: RwSignal::new(None),
    };
    let form_error = RwSignal::new(None::<String>);

    let submit = Action::new_local(move |request: &RegisterRequest| {
        let request = request.clone();
        async move { api::register(&request).await }
    });
    Effect::new(move || match submit.value().get() {
        Some(Ok(auth)) => {
            session.sign_in(auth);
            navigate(&next.get_untracked(), Default::default());
        }
        Some(Err(error)) => match error.code() {
            Some(ErrorCode::EmailTaken) => {
                errors.set("email", "is already registered: sign in instead");
            }
            Some(ErrorCode::ValidationError) if !error.field_errors().is_empty() => {
                for problem in error.field_errors() {
                    errors.set(&problem.field, &problem.message);
                }
            }
            _ => form_error.set(Some(error.message())),
        },
        None => {}
    });

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        form_error.set(None);
        // The server's own rules, run here first: a mistake shows at once, with no request.
        match NewAccount::parse(&email.get(), &password.get(), &name.get()) {
            Ok(account) => {
                submit.dispatch(RegisterRequest {
                    email: account.email.as_str().to_owned(),
                    password: account.password.expose().to_owned(),
                    name: account.name.as_str().to_owned(),
                });
            }
            Err(invalid) => {
                for problem in invalid.fields() {
                    errors.set(&problem.field, &problem.message);
                }
            }
        }
    };

    view! {
        <AuthForm
            title="Create an account"
            next
            form_error
            busy=submit.pending()
            submit_label="Create account"
            busy_label="Creating account…"
            on_submit
            switch_prompt="Already have an account?"
            switch_path="/login"
            switch_label="Sign in"
        >
            <Field id="register-name" label="Name" autocomplete="name" value=name error=errors.name/>
            <Field id="register-email" label="Email" kind="email" autocomplete="email" value=email error=errors.email/>
            <Field
                id="register-password"
                label="Password"
                kind="password"
                autocomplete="new-password"
                value=password
                error=errors.password
                hint="At least 8 characters, with a letter and a digit."
            />
        </AuthForm>
    }
}
