//! The messages of one form: per field, keyed by the field names the server reports
//! (`title`, `tiers[1].capacity`), so the browser's own checks and the server's answer land
//! in the same places; and one for the form as a whole.

use booking_domain::{FieldError, ValidationErrors};
use leptos::prelude::*;

use crate::api::ApiError;

/// A message about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    /// Reads after the field's label: "is required".
    AfterLabel(String),
    /// A whole sentence of its own: the server's explanation of a refusal.
    Sentence(String),
}

#[derive(Debug, Clone, Copy)]
pub struct FormErrors {
    fields: RwSignal<Vec<(String, Note)>>,
    form: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self {
            fields: RwSignal::new(Vec::new()),
            form: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.fields.set(Vec::new());
        self.form.set(None);
    }

    /// The first message about `field`, as a sentence that starts with `label`
    /// ("Capacity must be between 0 and 1000000").
    pub fn field(
        &self,
        field: impl Into<String>,
        label: impl Into<String>,
    ) -> Signal<Option<String>> {
        let (field, label) = (field.into(), label.into());
        let fields = self.fields;
        Signal::derive(move || {
            fields.with(|fields| {
                fields
                    .iter()
                    .find(|(name, _)| *name == field)
                    .map(|(_, note)| match note {
                        Note::AfterLabel(message) => format!("{label} {message}"),
                        Note::Sentence(sentence) => sentence.clone(),
                    })
            })
        })
    }

    /// The message about the form as a whole, if any.
    pub fn form(&self) -> Signal<Option<String>> {
        self.form.into()
    }

    pub fn set_field(&self, field: impl Into<String>, message: impl Into<String>) {
        let note = Note::AfterLabel(message.into());
        self.fields
            .update(|fields| fields.push((field.into(), note)));
    }

    /// `sentence` under `field`, as it is: "3 tickets are already sold; …".
    pub fn set_field_sentence(&self, field: impl Into<String>, sentence: impl Into<String>) {
        let note = Note::Sentence(sentence.into());
        self.fields
            .update(|fields| fields.push((field.into(), note)));
    }

    pub fn set_form(&self, message: impl Into<String>) {
        self.form.set(Some(message.into()));
    }

    /// The domain's verdict on a form, together with what the form itself found before
    /// (`local`: a field that is not even a number): the value when both are clean, else
    /// every problem shown and `None`.
    pub fn accept<T>(
        &self,
        local: ValidationErrors,
        checked: Result<T, ValidationErrors>,
    ) -> Option<T> {
        let mut problems = local.into_fields();
        match checked {
            Ok(value) if problems.is_empty() => return Some(value),
            Ok(_) => {}
            Err(invalid) => problems.extend(invalid.into_fields()),
        }
        self.show_invalid(&problems);
        None
    }

    /// What the domain's own checks found, run in the browser before any request.
    pub fn show_invalid(&self, problems: &[FieldError]) {
        for problem in problems {
            self.set_field(problem.field.clone(), problem.message.clone());
        }
        self.set_form("Please correct the fields marked below.");
    }

    /// A refused request: field by field when the server named fields, else one message.
    pub fn show_api_error(&self, error: &ApiError) {
        let problems = error.field_errors();
        if problems.is_empty() {
            self.set_form(error.message());
            return;
        }
        for problem in problems {
            self.set_field(problem.field.clone(), problem.message.clone());
        }
        self.set_form("Please correct the fields marked below.");
    }
}
