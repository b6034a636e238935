//! Event lifecycle states.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    Draft,
    Published,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event status `{0}`")]
pub struct UnknownEventStatus(pub String);

impl EventStatus {
    pub const ALL: [EventStatus; 3] = [Self::Draft, Self::Published, Self::Cancelled];

    /// The spelling stored in the database and sent over the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Cancelled => "cancelled",
        }
    }
}

impl FromStr for EventStatus {
    type Err = UnknownEventStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownEventStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_spelling() {
        for status in EventStatus::ALL {
            assert_eq!(status.as_str().parse::<EventStatus>(), Ok(status));
        }
    }

    #[test]
    fn an_unknown_spelling_is_rejected() {
        assert_eq!(
            "Published".parse::<EventStatus>(),
            Err(UnknownEventStatus("Published".into()))
        );
    }
}
