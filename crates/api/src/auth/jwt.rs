//! Access tokens: HS256 JWTs carrying the user's id and role, valid for 15 minutes unless
//! configured otherwise (`ACCESS_TOKEN_TTL_SECS`).

use booking_domain::Role;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "booking-api";
/// Clock skew tolerated between instances, in seconds.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    iss: String,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: Uuid,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: TimeDelta,
}

impl JwtKeys {
    pub fn new(secret: &[u8], lifetime: TimeDelta) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
        }
    }

    /// Issues a token for `subject` as of `now`; returns it with its lifetime in seconds.
    pub fn issue(
        &self,
        subject: TokenSubject,
        now: DateTime<Utc>,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: subject.user_id,
            role: subject.role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        let lifetime = u64::try_from(self.lifetime.num_seconds()).unwrap_or(0);
        Ok((token, lifetime))
    }

    pub fn verify(&self, token: &str) -> Result<TokenSubject, TokenError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(
                |error| match error.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                },
            )?;
        let role = data.claims.role.parse().map_err(|_| TokenError::Invalid)?;
        Ok(TokenSubject {
            user_id: data.claims.sub,
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use booking_domain::refresh::ACCESS_TOKEN_TTL;

    use super::*;

    const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-for-hs256";

    fn subject() -> TokenSubject {
        TokenSubject {
            user_id: Uuid::new_v4(),
            role: Role::Organizer,
        }
    }

    #[test]
    fn a_fresh_token_verifies_to_its_subject() {
        let keys = JwtKeys::new(SECRET, ACCESS_TOKEN_TTL);
        let subject = subject();
        let (token, lifetime) = keys.issue(subject, Utc::now()).unwrap();
        assert_eq!(lifetime, 900);
        assert_eq!(keys.verify(&token), Ok(subject));
    }

    #[test]
    fn a_token_older_than_fifteen_minutes_is_expired() {
        let keys = JwtKeys::new(SECRET, ACCESS_TOKEN_TTL);
        let issued = Utc::now() - ACCESS_TOKEN_TTL - TimeDelta::seconds(10);
        let (token, _) = keys.issue(subject(), issued).unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let (token, _) = JwtKeys::new(b"another-secret-another-secret-another", ACCESS_TOKEN_TTL)
            .issue(subject(), Utc::now())
            .unwrap();
        assert_eq!(
            JwtKeys::new(SECRET, ACCESS_TOKEN_TTL).verify(&token),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            JwtKeys::new(SECRET, ACCESS_TOKEN_TTL).verify("not.a.jwt"),
            Err(TokenError::Invalid)
        );
    }
}
