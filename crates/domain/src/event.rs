//! Event lifecycle states.

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

#[cfg(test)]
mod tests {
    use super::*;

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
