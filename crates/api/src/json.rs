//! `ValidJson<T>`: a JSON body extractor whose failures are `ValidationError` problems
//! naming the offending field (`items[1].quantity`), not actix's plain-text 400s.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use booking_domain::ValidationErrors;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// Request bodies are small JSON documents; anything larger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(body_error("body", "Content-Type must be application/json"));
            }
            let bytes = body
                .await
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
                    _ => body_error("body", "the request body could not be read"),
                })?;
            parse(&bytes).map(ValidJson)
        })
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| body_error("body", &format!("malformed JSON: {error}")))?;
    integral_numbers(&mut value);
    if let Some(field) = nul_field(&value, "") {
        return Err(body_error(&field, NUL_MESSAGE));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let (field, message) = describe(&path, &error.into_inner().to_string());
        body_error(&field, &message)
    })
}

/// JSON has one kind of number: `3.0` is the integer 3 (JSON Schema agrees), but serde
/// reads an integer field only from `3`. Numbers with no fraction become integers.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                // Exactly representable: |float| < 2^63, so the cast cannot saturate.
                && float.abs() < 9_223_372_036_854_775_808.0
            {
                #[allow(clippy::cast_possible_truncation, reason = "integral and in range")]
                let integer = float as i64;
                *value = serde_json::Value::from(integer);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// PostgreSQL text cannot hold NUL, so no request may carry one, in any field.
pub(crate) const NUL_MESSAGE: &str = "must not contain NUL characters";

/// The path of the first string (or key) in `value` that contains a NUL character.
fn nul_field(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_field(item, &format!("{path}[{index}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(field)
            } else {
                nul_field(item, &field)
            }
        }),
        _ => None,
    }
}

/// Names the field a serde error is about. serde_path_to_error's path already ends at an
/// unknown field, but stops at the enclosing object for a missing one.
pub(crate) fn describe(path: &str, message: &str) -> (String, String) {
    // serde_json appends " at line L column C"; the field path already says where.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned();
    let path = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (missing, path.is_empty()) {
        (Some(name), true) => name.to_owned(),
        (Some(name), false) => format!("{path}.{name}"),
        (None, true) => "body".to_owned(),
        (None, false) => path.to_owned(),
    };
    (field, message)
}

fn body_error(field: &str, message: &str) -> ApiError {
    ApiError::Validation {
        detail: "The request body is not valid.".into(),
        errors: ValidationErrors::single(field, message),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Order {
        email: String,
        items: Vec<Item>,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse::<Order>(body.as_bytes()) {
            Err(ApiError::Validation { errors, .. }) => {
                let first = errors.fields().first().cloned().unwrap();
                (first.field, first.message)
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_points_at_the_body() {
        let (field, message) = field_of(r#"{"email": "#);
        assert_eq!(field, "body");
        assert!(message.starts_with("malformed JSON"), "{message}");
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            field_of(r#"{"email":"a","items":[],"role":"admin"}"#).0,
            "role"
        );
        assert_eq!(
            field_of(r#"{"email":"a","items":[{"quantity":1,"price":0}]}"#).0,
            "items[0].price"
        );
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        assert_eq!(field_of(r#"{"items":[]}"#).0, "email");
        assert_eq!(
            field_of(r#"{"email":"a","items":[{"quantity":1},{"quantity":-2}]}"#).0,
            "items[1].quantity"
        );
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        let order = parse::<Order>(br#"{"email":"a","items":[{"quantity":3.0},{"quantity":2e0}]}"#)
            .unwrap();
        let quantities: Vec<u32> = order.items.iter().map(|item| item.quantity).collect();
        assert_eq!(quantities, [3, 2]);
        assert_eq!(
            field_of(r#"{"email":"a","items":[{"quantity":2.5}]}"#).0,
            "items[0].quantity"
        );
    }

    #[test]
    fn trailing_garbage_is_malformed() {
        assert_eq!(field_of(r#"{"email":"a","items":[]} x"#).0, "body");
    }

    #[test]
    fn a_nul_character_anywhere_is_refused_by_name() {
        assert_eq!(field_of(r#"{"email":"a\u0000b","items":[]}"#).0, "email");
        assert_eq!(
            field_of(r#"{"email":"a","items":[{"quantity":1,"note":"x\u0000"}]}"#).0,
            "items[0].note"
        );
    }

    #[test]
    fn a_valid_body_parses() {
        let order = parse::<Order>(br#"{"email":"a","items":[{"quantity":3}]}"#).unwrap();
        assert_eq!(order.items.len(), 1);
    }
}
