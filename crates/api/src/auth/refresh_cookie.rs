//! The refresh token: 256 random bits, handed to the browser in an httpOnly cookie scoped
//! to the auth endpoints; the database keeps only its SHA-256.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_domain::refresh::REFRESH_TOKEN_TTL;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "refresh_token";
/// Only the auth endpoints ever see the cookie.
pub const COOKIE_PATH: &str = "/api/v1/auth";

pub struct RefreshToken {
    pub value: String,
    pub hash: Vec<u8>,
}

impl RefreshToken {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes)?;
        let value = URL_SAFE_NO_PAD.encode(bytes);
        Ok(Self {
            hash: hash(&value),
            value,
        })
    }
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn cookie(token: &RefreshToken, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, token.value.clone())
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(REFRESH_TOKEN_TTL.num_seconds()))
        .finish()
}

/// A cookie that makes the browser forget the refresh token.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE_NAME, "")
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_derived() {
        let (a, b) = (
            RefreshToken::generate().unwrap(),
            RefreshToken::generate().unwrap(),
        );
        assert_ne!(a.value, b.value);
        assert_eq!(a.value.len(), 43);
        assert_eq!(a.hash, hash(&a.value));
        assert_eq!(a.hash.len(), 32);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_auth() {
        let token = RefreshToken::generate().unwrap();
        let header = cookie(&token, true).to_string();
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/api/v1/auth",
            "Secure",
            "Max-Age=604800",
        ] {
            assert!(header.contains(part), "{header} lacks {part}");
        }
    }
}
