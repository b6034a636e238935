//! Refresh-token rotation. Each refresh token is good for exactly one refresh; presenting
//! one that was already exchanged means it leaked (or a client raced itself), so the
//! whole family of tokens descended from that login is revoked.

use chrono::{DateTime, TimeDelta, Utc};

/// How long a browser stays signed in without activity.
pub const REFRESH_TOKEN_TTL: TimeDelta = TimeDelta::days(7);
/// How long an access token is accepted; short because it cannot be revoked.
pub const ACCESS_TOKEN_TTL: TimeDelta = TimeDelta::minutes(15);

/// What is known about a stored refresh token when it is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTokenState {
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshRejection {
    #[error("refresh token was revoked")]
    Revoked,
    #[error("refresh token was already used")]
    Reused,
    #[error("refresh token has expired")]
    Expired,
}

impl RefreshRejection {
    /// A replayed token is the signal of theft: every token of its family must stop working.
    pub fn revokes_family(self) -> bool {
        matches!(self, Self::Reused)
    }
}

impl RefreshTokenState {
    /// Decides whether this token may be exchanged for a new one at `now`.
    pub fn check_rotation(&self, now: DateTime<Utc>) -> Result<(), RefreshRejection> {
        if self.revoked_at.is_some() {
            return Err(RefreshRejection::Revoked);
        }
        if self.used_at.is_some() {
            return Err(RefreshRejection::Reused);
        }
        if self.expires_at <= now {
            return Err(RefreshRejection::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(now: DateTime<Utc>) -> RefreshTokenState {
        RefreshTokenState {
            expires_at: now + REFRESH_TOKEN_TTL,
            used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_fresh_token_rotates() {
        let now = Utc::now();
        assert_eq!(fresh(now).check_rotation(now), Ok(()));
    }

    #[test]
    fn a_used_token_is_reuse_and_revokes_the_family() {
        let now = Utc::now();
        let state = RefreshTokenState {
            used_at: Some(now),
            ..fresh(now)
        };
        assert_eq!(state.check_rotation(now), Err(RefreshRejection::Reused));
        assert!(RefreshRejection::Reused.revokes_family());
    }

    #[test]
    fn a_revoked_token_is_refused_without_further_revocation() {
        let now = Utc::now();
        let state = RefreshTokenState {
            revoked_at: Some(now),
            used_at: Some(now),
            ..fresh(now)
        };
        assert_eq!(state.check_rotation(now), Err(RefreshRejection::Revoked));
        assert!(!RefreshRejection::Revoked.revokes_family());
    }

    #[test]
    fn a_token_expires_at_its_deadline() {
        let now = Utc::now();
        let state = RefreshTokenState {
            expires_at: now,
            ..fresh(now)
        };
        assert_eq!(state.check_rotation(now), Err(RefreshRejection::Expired));
        assert!(!RefreshRejection::Expired.revokes_family());
        assert_eq!(state.check_rotation(now - TimeDelta::seconds(1)), Ok(()));
    }
}
