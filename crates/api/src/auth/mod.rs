//! Authentication: password hashing, access tokens (JWT), refresh-token cookies, and the
//! extractor that turns a bearer token into the calling user.

pub mod extractor;
pub mod jwt;
pub mod password;
pub mod refresh_cookie;

pub use extractor::AuthUser;
pub use jwt::JwtKeys;

/// What the auth handlers need, built once at start-up.
pub struct AuthSettings {
    pub jwt: JwtKeys,
    pub bcrypt_cost: u32,
    /// Refresh cookies carry `Secure` in production (served over HTTPS).
    pub secure_cookies: bool,
    /// A hash to verify against when the email is unknown, so a failed login takes as
    /// long whether or not the account exists.
    pub dummy_hash: String,
}
