//! `AuthUser`: the caller, proven by `Authorization: Bearer <access token>`. A handler
//! that takes it cannot run for an anonymous request.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use booking_domain::{Actor, Role};
use uuid::Uuid;

use super::jwt::TokenError;
use crate::problem::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

impl AuthUser {
    /// The caller as the domain rules see them.
    pub fn actor(self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state is not registered"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized("A bearer access token is required."))?;
    let subject = state.auth.jwt.verify(token).map_err(|error| match error {
        TokenError::Expired => ApiError::Unauthorized("The access token has expired."),
        TokenError::Invalid => ApiError::Unauthorized("The access token is invalid."),
    })?;
    Ok(AuthUser {
        id: subject.user_id,
        role: subject.role,
    })
}
