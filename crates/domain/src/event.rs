//! Event lifecycle states.

use chrono::{DateTime, Utc};

use crate::text_enum::text_enum;

text_enum! {
    pub enum EventStatus / UnknownEventStatus ("event status") {
        /// Being prepared by its organizer; invisible to the public.
        Draft => "draft",
        /// On sale.
        Published => "published",
        /// Called off: no sales, its bookings are cancelled.
        Cancelled => "cancelled",
    }
}

impl EventStatus {
    /// Whether an event's counts can never change again: it was called off, or it has
    /// begun (sales end at the start). A draft may still go on sale.
    pub fn is_over(self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self == Self::Cancelled || starts_at <= now
    }

    /// Whether an event sells now: published and not yet begun. Bookings, waiting lists
    /// and their offers all ask this.
    pub fn is_on_sale(self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self == Self::Published && now < starts_at
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn an_event_is_over_once_cancelled_or_begun() {
        let now = Utc::now();
        let (past, future) = (now - TimeDelta::hours(1), now + TimeDelta::hours(1));
        assert!(EventStatus::Cancelled.is_over(future, now));
        assert!(EventStatus::Published.is_over(past, now));
        assert!(EventStatus::Published.is_over(now, now));
        assert!(!EventStatus::Published.is_over(future, now));
        assert!(!EventStatus::Draft.is_over(future, now));
    }

    #[test]
    fn only_a_published_event_that_has_not_begun_is_on_sale() {
        let now = Utc::now();
        let (past, future) = (now - TimeDelta::hours(1), now + TimeDelta::hours(1));
        assert!(EventStatus::Published.is_on_sale(future, now));
        assert!(!EventStatus::Published.is_on_sale(now, now));
        assert!(!EventStatus::Published.is_on_sale(past, now));
        assert!(!EventStatus::Draft.is_on_sale(future, now));
        assert!(!EventStatus::Cancelled.is_on_sale(future, now));
    }

    #[test]
    fn every_status_round_trips_through_its_spelling() {
        for &status in EventStatus::ALL {
            assert_eq!(status.as_str().parse::<EventStatus>(), Ok(status));
        }
    }

    #[test]
    fn an_unknown_spelling_is_rejected() {
        let error = "Published".parse::<EventStatus>().unwrap_err();
        assert_eq!(error, UnknownEventStatus("Published".into()));
        assert_eq!(error.to_string(), "unknown event status `Published`");
    }
}
