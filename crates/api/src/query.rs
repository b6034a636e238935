//! `ValidQuery<T>`: query-string parameters whose failures name the parameter, as
//! `ValidationError` problems.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use booking_domain::ValidationErrors;
use serde::de::DeserializeOwned;

use crate::json::{NUL_MESSAGE, describe};
use crate::problem::ApiError;

#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(ValidQuery))
    }
}

fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        return Err(ApiError::Validation {
            detail: "The query parameters are not valid.".into(),
            errors: ValidationErrors::single(name.replace('\0', ""), NUL_MESSAGE),
        });
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let (field, message) = describe(&path, &error.into_inner().to_string());
        let field = if field == "body" {
            "query".to_owned()
        } else {
            field
        };
        ApiError::Validation {
            detail: "The query parameters are not valid.".into(),
            errors: ValidationErrors::single(field, message),
        }
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Params {
        page: Option<u32>,
        sort_by: Option<String>,
    }

    fn field_of(query: &str) -> String {
        match parse::<Params>(query) {
            Err(ApiError::Validation { errors, .. }) => errors.fields()[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(field_of("page=abc"), "page");
        assert_eq!(field_of("page=-1"), "page");
        assert_eq!(field_of("colour=red"), "colour");
    }

    #[test]
    fn a_nul_character_is_refused() {
        assert_eq!(field_of("page=1&sortBy=a%00b"), "sortBy");
    }

    #[test]
    fn good_parameters_parse() {
        let params: Params = parse("page=2&sortBy=price").unwrap();
        assert_eq!(params.page, Some(2));
        assert_eq!(params.sort_by.as_deref(), Some("price"));
        let empty: Params = parse("").unwrap();
        assert_eq!(empty.page, None);
    }
}
