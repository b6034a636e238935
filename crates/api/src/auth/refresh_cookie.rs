//! The refresh token: 256 random bits, handed to the browser in an httpOnly cookie scoped
//! to the auth endpoints; the database keeps only its SHA-256.
//!
//! Beside it goes a session hint, a cookie the page can read that holds no secret: it says
//! only that a refresh cookie was set and when it runs out (the same lifetime, set, rotated
//! and removed with it). The web app asks for a refresh only when the hint is there, so a
//! visitor who never signed in sends no request that must fail.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_domain::refresh::REFRESH_TOKEN_TTL;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "refresh_token";
/// Only the auth endpoints ever see the cookie.
pub const COOKIE_PATH: &str = "/api/v1/auth";
/// The session hint, readable by every page of the app.
pub const HINT_COOKIE_NAME: &str = "signed_in";

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

/// The cookies that start or renew a session: the refresh token and the hint.
pub fn session_cookies(token: &RefreshToken, secure: bool) -> [Cookie<'static>; 2] {
    let lifetime = CookieDuration::seconds(REFRESH_TOKEN_TTL.num_seconds());
    let mut refresh = refresh_cookie(token.value.clone(), secure);
    refresh.set_max_age(lifetime);
    let mut hint = hint_cookie(secure);
    hint.set_max_age(lifetime);
    [refresh, hint]
}

/// Cookies that make the browser forget the session: the refresh token and the hint.
pub fn removals(secure: bool) -> [Cookie<'static>; 2] {
    let mut refresh = refresh_cookie(String::new(), secure);
    refresh.make_removal();
    let mut hint = hint_cookie(secure);
    hint.make_removal();
    [refresh, hint]
}

fn refresh_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

fn hint_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build(HINT_COOKIE_NAME, "1")
        .path("/")
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
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
        let [refresh, _] = session_cookies(&token, true);
        let header = refresh.to_string();
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

    #[test]
    fn the_hint_is_readable_by_the_page_holds_no_secret_and_lives_as_long() {
        let token = RefreshToken::generate().unwrap();
        let [_, hint] = session_cookies(&token, true);
        let header = hint.to_string();
        assert!(header.starts_with("signed_in=1;"), "{header}");
        assert!(!header.contains(&token.value), "{header}");
        assert!(!header.contains("HttpOnly"), "{header}");
        for part in ["SameSite=Strict", "Path=/", "Secure", "Max-Age=604800"] {
            assert!(header.contains(part), "{header} lacks {part}");
        }
    }

    #[test]
    fn removal_clears_both_cookies_on_their_paths() {
        let [refresh, hint] = removals(false);
        for (cookie, path) in [(refresh, COOKIE_PATH), (hint, "/")] {
            let header = cookie.to_string();
            assert!(header.contains("Max-Age=0"), "{header}");
            assert_eq!(cookie.path(), Some(path), "{header}");
        }
    }
}
