//! Register, login, refresh, logout and me.

use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use booking_domain::account::PASSWORD_MAX_BYTES;
use booking_domain::{Email, NewAccount, Role};
use booking_dto::Problem;
use booking_dto::{AuthResponse, LoginRequest, RegisterRequest, User};
use booking_persistence::refresh_tokens::{self, RotateError};
use booking_persistence::users::{self, NewUser, UserRecord};
use booking_persistence::{AsyncPgConnection, accounts};
use chrono::Utc;

use crate::auth::jwt::TokenSubject;
use crate::auth::refresh_cookie::{self, COOKIE_NAME, RefreshToken};
use crate::auth::{AuthUser, password};
use crate::json::ValidJson;
use crate::problem::ApiError;
use crate::state::AppState;

/// One message for an unknown email and a wrong password: no account enumeration.
const BAD_CREDENTIALS: &str = "The email or password is incorrect.";
const NO_SESSION: &str = "The session has ended; sign in again.";

#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    operation_id = "register",
    tag = "auth",
    summary = "Open an account",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in; sets the refresh cookie and the session hint cookie `signed_in`", body = AuthResponse),
        (status = 409, description = "Email already registered (EmailTaken)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (RateLimited); Retry-After says when to retry", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let account =
        NewAccount::parse(&body.email, &body.password, &body.name).map_err(ApiError::invalid)?;
    // Hash before taking a connection: bcrypt is slow and must not hold one.
    let password_hash = password::hash(&account.password, state.auth.bcrypt_cost).await?;
    let token = RefreshToken::generate().map_err(ApiError::internal)?;
    let mut conn = state.pool.get().await?;
    let user = accounts::open(
        &mut conn,
        NewUser {
            email: account.email.as_str(),
            name: account.name.as_str(),
            password_hash: &password_hash,
            role: Role::Customer.as_str(),
        },
        &token.hash,
        Utc::now(),
    )
    .await?;
    respond_with_session(&state, user, &token, HttpResponse::Created())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    tag = "auth",
    summary = "Sign in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; sets the refresh cookie and the session hint cookie `signed_in`", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (RateLimited); Retry-After says when to retry", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = match Email::parse(&body.email) {
        Ok(email) => users::find_by_email(&mut *state.pool.get().await?, &email).await?,
        Err(_) => None,
    };
    // Verify against a dummy hash when there is no user, so timing does not tell. bcrypt
    // reads only 72 bytes, so a longer candidate would match on its prefix: refuse it,
    // after the same work.
    let stored_hash = user.as_ref().map_or_else(
        || state.auth.dummy_hash.clone(),
        |u| u.password_hash.clone(),
    );
    let too_long = body.password.len() > PASSWORD_MAX_BYTES;
    let matches = password::verify(body.password, stored_hash).await? && !too_long;
    match user {
        Some(user) if matches => {
            let mut conn = state.pool.get().await?;
            start_session(&state, &mut conn, user, HttpResponse::Ok()).await
        }
        _ => Err(ApiError::Unauthorized(BAD_CREDENTIALS)),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    operation_id = "refreshSession",
    tag = "auth",
    summary = "New access token from the refresh cookie (rotates the cookie)",
    responses(
        (status = 200, description = "New access token, a rotated refresh cookie and the session hint cookie `signed_in` renewed", body = AuthResponse),
        (status = 401, description = "No, unknown, expired, revoked or reused refresh token; both cookies are cleared", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (RateLimited); Retry-After says when to retry", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    match renew(&state, &req).await {
        // The browser forgets a session that has ended, hint included, so the web app
        // stops asking.
        Err(error @ ApiError::Unauthorized(_)) => {
            let mut response = error.error_response();
            for cookie in refresh_cookie::removals(state.auth.secure_cookies) {
                response.add_cookie(&cookie).map_err(ApiError::internal)?;
            }
            Ok(response)
        }
        outcome => outcome,
    }
}

async fn renew(state: &AppState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let presented = req
        .cookie(COOKIE_NAME)
        .ok_or(ApiError::Unauthorized(NO_SESSION))?;
    let replacement = RefreshToken::generate().map_err(ApiError::internal)?;
    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let user_id = refresh_tokens::rotate(
        &mut conn,
        &refresh_cookie::hash(presented.value()),
        &replacement.hash,
        now,
    )
    .await
    .map_err(|error| match error {
        RotateError::Unknown | RotateError::Rejected(_) => ApiError::Unauthorized(NO_SESSION),
        RotateError::Db(db) => db.into(),
    })?;
    let user = users::find_by_id(&mut conn, user_id)
        .await?
        .ok_or(ApiError::Unauthorized(NO_SESSION))?;
    respond_with_session(state, user, &replacement, HttpResponse::Ok())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    tag = "auth",
    summary = "Sign out: revoke the session and clear the cookie",
    responses(
        (status = 204, description = "Signed out; the refresh cookie and the session hint are cleared")
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(presented) = req.cookie(COOKIE_NAME) {
        let mut conn = state.pool.get().await?;
        refresh_tokens::revoke_session(
            &mut conn,
            &refresh_cookie::hash(presented.value()),
            Utc::now(),
        )
        .await?;
    }
    let mut response = HttpResponse::NoContent();
    for cookie in refresh_cookie::removals(state.auth.secure_cookies) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    operation_id = "currentUser",
    tag = "auth",
    summary = "The signed-in user",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current user", body = User)
    )
)]
pub async fn me(state: web::Data<AppState>, caller: AuthUser) -> Result<web::Json<User>, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = users::find_by_id(&mut conn, caller.id)
        .await?
        .ok_or(ApiError::Unauthorized("The account no longer exists."))?;
    Ok(web::Json(to_dto(&user)))
}

/// A fresh login: a new refresh-token family and an access token.
async fn start_session(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    user: UserRecord,
    response: actix_web::HttpResponseBuilder,
) -> Result<HttpResponse, ApiError> {
    let token = RefreshToken::generate().map_err(ApiError::internal)?;
    refresh_tokens::issue(conn, user.id, &token.hash, Utc::now()).await?;
    respond_with_session(state, user, &token, response)
}

fn respond_with_session(
    state: &AppState,
    user: UserRecord,
    refresh: &RefreshToken,
    mut response: actix_web::HttpResponseBuilder,
) -> Result<HttpResponse, ApiError> {
    let (access_token, expires_in) = state
        .auth
        .jwt
        .issue(
            TokenSubject {
                user_id: user.id,
                role: user.role,
            },
            Utc::now(),
        )
        .map_err(ApiError::internal)?;
    for cookie in refresh_cookie::session_cookies(refresh, state.auth.secure_cookies) {
        response.cookie(cookie);
    }
    Ok(response.json(AuthResponse {
        user: to_dto(&user),
        access_token,
        expires_in,
    }))
}

pub fn to_dto(user: &UserRecord) -> User {
    User {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: match user.role {
            Role::Customer => booking_dto::Role::Customer,
            Role::Organizer => booking_dto::Role::Organizer,
            Role::Admin => booking_dto::Role::Admin,
        },
    }
}
