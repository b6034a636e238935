//! Tickets and the door. A confirmed booking holds one ticket per unit of each item: the
//! n-th ticket of tier T in booking B. A ticket is that triple, so issuing tickets
//! writes nothing (the hot booking path stays as it was) and a ticket is valid exactly
//! while its booking is confirmed: cancelling a booking voids its tickets with no
//! second write. The database keeps only what the door did (a check-in per ticket, a
//! log of every scan). Signing a ticket's code is the api's (it holds the key); deciding
//! a scan is here.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::booking::BookingStatus;
use crate::text_enum::text_enum;

/// One ticket: the `index`-th (from 0) unit of `tier_id` in `booking_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketRef {
    pub booking_id: Uuid,
    pub tier_id: Uuid,
    pub index: u16,
}

/// A ticket's reference as bytes: booking, tier, index (big-endian).
pub const TICKET_REF_BYTES: usize = 34;

impl TicketRef {
    /// The ticket's id: a name-based UUID (v5) of its tier and index under its booking's
    /// id, the same on every instance and every read.
    pub fn id(&self) -> Uuid {
        let mut name = [0_u8; 18];
        name[..16].copy_from_slice(self.tier_id.as_bytes());
        name[16..].copy_from_slice(&self.index.to_be_bytes());
        Uuid::new_v5(&self.booking_id, &name)
    }

    pub fn to_bytes(&self) -> [u8; TICKET_REF_BYTES] {
        let mut bytes = [0_u8; TICKET_REF_BYTES];
        bytes[..16].copy_from_slice(self.booking_id.as_bytes());
        bytes[16..32].copy_from_slice(self.tier_id.as_bytes());
        bytes[32..].copy_from_slice(&self.index.to_be_bytes());
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; TICKET_REF_BYTES] = bytes.try_into().ok()?;
        let uuid = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .and_then(|slice| Uuid::from_slice(slice).ok())
        };
        Some(Self {
            booking_id: uuid(0..16)?,
            tier_id: uuid(16..32)?,
            index: u16::from_be_bytes([bytes[32], bytes[33]]),
        })
    }
}

/// Every ticket of a booking whose items are `(tier, quantity)`, item by item.
pub fn tickets_of(booking_id: Uuid, items: &[(Uuid, i32)]) -> Vec<TicketRef> {
    items
        .iter()
        .flat_map(|&(tier_id, quantity)| {
            let count = u16::try_from(quantity.max(0)).unwrap_or(u16::MAX);
            (0..count).map(move |index| TicketRef {
                booking_id,
                tier_id,
                index,
            })
        })
        .collect()
}

/// Whether a booking in `status` has tickets to show: only a confirmed one.
pub fn has_tickets(status: BookingStatus) -> bool {
    status == BookingStatus::Confirmed
}

/// What the database knows of a scanned ticket, read under its booking's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts {
    pub status: BookingStatus,
    /// The event the ticket's tier belongs to.
    pub event_id: Uuid,
    /// How many of the ticket's tier the booking holds: the ticket exists below that.
    pub quantity: u32,
    /// When it was admitted, if it was.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// Why a scan does not admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRejection {
    /// No such ticket of this event (another event's, or never issued).
    #[error("this ticket is not for this event")]
    NotFound,
    /// Its booking was cancelled (or never paid): the ticket is void.
    #[error("this ticket is void: its booking is not confirmed")]
    Void,
    #[error("this ticket was already checked in")]
    AlreadyCheckedIn(DateTime<Utc>),
}

/// The door's rule for `ticket` scanned at the door of `event_id`, given what the
/// database holds of it (`None`: its booking does not exist). Admits a valid ticket the
/// first time only.
pub fn check_in(
    event_id: Uuid,
    ticket: TicketRef,
    facts: Option<TicketFacts>,
) -> Result<(), CheckInRejection> {
    let facts = facts.ok_or(CheckInRejection::NotFound)?;
    if facts.event_id != event_id || u32::from(ticket.index) >= facts.quantity {
        return Err(CheckInRejection::NotFound);
    }
    if !has_tickets(facts.status) {
        return Err(CheckInRejection::Void);
    }
    match facts.checked_in_at {
        Some(at) => Err(CheckInRejection::AlreadyCheckedIn(at)),
        None => Ok(()),
    }
}

text_enum! {
    /// What a scan came to, as the scan log records it.
    pub enum ScanResult / UnknownScanResult ("scan result") {
        Admitted => "admitted",
        AlreadyCheckedIn => "alreadyCheckedIn",
        Void => "void",
        Invalid => "invalid",
        NotFound => "notFound",
    }
}

impl From<&Result<(), CheckInRejection>> for ScanResult {
    fn from(decision: &Result<(), CheckInRejection>) -> Self {
        match decision {
            Ok(()) => Self::Admitted,
            Err(CheckInRejection::NotFound) => Self::NotFound,
            Err(CheckInRejection::Void) => Self::Void,
            Err(CheckInRejection::AlreadyCheckedIn(_)) => Self::AlreadyCheckedIn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(index: u16) -> TicketRef {
        TicketRef {
            booking_id: Uuid::from_u128(1),
            tier_id: Uuid::from_u128(2),
            index,
        }
    }

    fn facts(status: BookingStatus, event_id: Uuid) -> TicketFacts {
        TicketFacts {
            status,
            event_id,
            quantity: 2,
            checked_in_at: None,
        }
    }

    #[test]
    fn a_ticket_round_trips_through_bytes_and_keeps_one_id() {
        let first = ticket(1);
        assert_eq!(TicketRef::from_bytes(&first.to_bytes()), Some(first));
        assert_eq!(first.id(), ticket(1).id());
        assert_ne!(first.id(), ticket(0).id());
        assert_eq!(TicketRef::from_bytes(&[0; 33]), None);
    }

    #[test]
    fn a_booking_has_one_ticket_per_unit() {
        let (a, b) = (Uuid::from_u128(7), Uuid::from_u128(8));
        let tickets = tickets_of(Uuid::from_u128(1), &[(a, 2), (b, 1)]);
        let units: Vec<(Uuid, u16)> = tickets.iter().map(|t| (t.tier_id, t.index)).collect();
        assert_eq!(units, [(a, 0), (a, 1), (b, 0)]);
    }

    #[test]
    fn a_valid_ticket_is_admitted_once() {
        let event = Uuid::from_u128(9);
        let valid = facts(BookingStatus::Confirmed, event);
        assert_eq!(check_in(event, ticket(1), Some(valid)), Ok(()));
        let at = Utc::now();
        let admitted = TicketFacts {
            checked_in_at: Some(at),
            ..valid
        };
        assert_eq!(
            check_in(event, ticket(1), Some(admitted)),
            Err(CheckInRejection::AlreadyCheckedIn(at))
        );
    }

    #[test]
    fn another_events_or_an_unissued_ticket_is_not_found_and_a_cancelled_one_void() {
        let event = Uuid::from_u128(9);
        let confirmed = facts(BookingStatus::Confirmed, event);
        assert_eq!(
            check_in(Uuid::from_u128(10), ticket(0), Some(confirmed)),
            Err(CheckInRejection::NotFound)
        );
        assert_eq!(
            check_in(event, ticket(2), Some(confirmed)),
            Err(CheckInRejection::NotFound)
        );
        assert_eq!(
            check_in(event, ticket(0), None),
            Err(CheckInRejection::NotFound)
        );
        for status in [
            BookingStatus::Cancelled,
            BookingStatus::Expired,
            BookingStatus::Pending,
        ] {
            assert_eq!(
                check_in(event, ticket(0), Some(facts(status, event))),
                Err(CheckInRejection::Void)
            );
        }
    }

    #[test]
    fn every_decision_has_its_log_entry() {
        let at = Utc::now();
        let results = [
            Ok(()),
            Err(CheckInRejection::NotFound),
            Err(CheckInRejection::Void),
            Err(CheckInRejection::AlreadyCheckedIn(at)),
        ]
        .iter()
        .map(|decision| ScanResult::from(decision).as_str())
        .collect::<Vec<_>>();
        assert_eq!(
            results,
            ["admitted", "notFound", "void", "alreadyCheckedIn"]
        );
    }
}
