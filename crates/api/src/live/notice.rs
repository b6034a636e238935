//! The NOTIFY payload between instances: who sent it and the changes, a door's new count
//! or waiting-list offers, as compact JSON.

use booking_persistence::availability::AvailabilityChange;
use booking_persistence::waiting_list::Offer;
use booking_persistence::waiting_room::Admitted;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const CHANNEL: &str = "availability";

/// Changes per notice. An entry is at most 134 bytes (two quoted uuids, an i32, two
/// i64s, punctuation), so 50 stay well under PostgreSQL's 8,000-byte payload limit.
const CHANGES_PER_NOTICE: usize = 50;

/// (event, tier, remaining, event remaining, version)
type Entry = (Uuid, Uuid, i32, i64, i64);

/// Offers per notice: an entry is at most 120 bytes (two quoted uuids, a quoted
/// timestamp, punctuation).
const OFFERS_PER_NOTICE: usize = 50;

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    origin: Uuid,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    changes: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    door: Option<(Uuid, i64, i64)>,
    /// (buyer, booking, expires at)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    offers: Vec<(Uuid, Uuid, DateTime<Utc>)>,
    /// (event, admitted through, sold out)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    queue: Option<(Uuid, i64, bool)>,
}

/// Tickets of an event checked in, of how many, after a scan admitted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorCount {
    pub event_id: Uuid,
    pub checked_in: i64,
    pub total: i64,
}

/// What an instance tells the others besides counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    Door(DoorCount),
    /// Waiting-list offers, each for its buyer's connections alone.
    Offers(Vec<Offer>),
    /// A waiting room's admissions.
    Queue(Admitted),
}

/// What another instance announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Changes(Vec<AvailabilityChange>),
    Announcement(Announcement),
}

/// The payloads that carry `announcement`.
pub fn encode_announcement(origin: Uuid, announcement: &Announcement) -> Vec<String> {
    let notice = |door, offers| Notice {
        origin,
        changes: Vec::new(),
        door,
        offers,
        queue: None,
    };
    let notices = match announcement {
        Announcement::Door(door) => vec![notice(
            Some((door.event_id, door.checked_in, door.total)),
            Vec::new(),
        )],
        Announcement::Queue(admitted) => vec![Notice {
            queue: Some((
                admitted.event_id,
                admitted.admitted_through,
                admitted.sold_out,
            )),
            ..notice(None, Vec::new())
        }],
        Announcement::Offers(offers) => offers
            .chunks(OFFERS_PER_NOTICE)
            .map(|chunk| {
                notice(
                    None,
                    chunk
                        .iter()
                        .map(|offer| (offer.user_id, offer.booking_id, offer.expires_at))
                        .collect(),
                )
            })
            .collect(),
    };
    notices
        .iter()
        .filter_map(|notice| serde_json::to_string(notice).ok())
        .collect()
}

/// The payloads that carry `changes`.
pub fn encode(origin: Uuid, changes: &[AvailabilityChange]) -> Vec<String> {
    changes
        .chunks(CHANGES_PER_NOTICE)
        .filter_map(|chunk| {
            serde_json::to_string(&Notice {
                origin,
                door: None,
                offers: Vec::new(),
                queue: None,
                changes: chunk
                    .iter()
                    .map(|c| {
                        (
                            c.event_id,
                            c.tier_id,
                            c.remaining,
                            c.event_remaining,
                            c.version,
                        )
                    })
                    .collect(),
            })
            .ok()
        })
        .collect()
}

/// What another instance announced; `None` for this instance's own notices, which its
/// hub already has.
pub fn decode(me: Uuid, payload: &str) -> Result<Option<Heard>, serde_json::Error> {
    let notice: Notice = serde_json::from_str(payload)?;
    if notice.origin == me {
        return Ok(None);
    }
    if let Some((event_id, checked_in, total)) = notice.door {
        return Ok(Some(Heard::Announcement(Announcement::Door(DoorCount {
            event_id,
            checked_in,
            total,
        }))));
    }
    if let Some((event_id, admitted_through, sold_out)) = notice.queue {
        return Ok(Some(Heard::Announcement(Announcement::Queue(Admitted {
            event_id,
            admitted_through,
            sold_out,
        }))));
    }
    if !notice.offers.is_empty() {
        return Ok(Some(Heard::Announcement(Announcement::Offers(
            notice
                .offers
                .into_iter()
                .map(|(user_id, booking_id, expires_at)| Offer {
                    user_id,
                    booking_id,
                    expires_at,
                })
                .collect(),
        ))));
    }
    Ok(Some(Heard::Changes(
        notice
            .changes
            .into_iter()
            .map(
                |(event_id, tier_id, remaining, event_remaining, version)| AvailabilityChange {
                    event_id,
                    tier_id,
                    remaining,
                    event_remaining,
                    version,
                },
            )
            .collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: u8) -> AvailabilityChange {
        AvailabilityChange {
            event_id: Uuid::from_bytes([0xff; 16]),
            tier_id: Uuid::from_bytes([n; 16]),
            remaining: i32::MIN,
            event_remaining: i64::MIN,
            version: i64::MIN,
        }
    }

    #[test]
    fn notices_stay_under_the_payload_limit_and_round_trip() {
        let changes: Vec<_> = (0..=120).map(change).collect();
        let (me, other) = (Uuid::from_bytes([1; 16]), Uuid::from_bytes([2; 16]));
        let payloads = encode(other, &changes);
        assert_eq!(payloads.len(), 3);
        assert!(payloads.iter().all(|p| p.len() < 8_000), "{payloads:?}");
        let heard: Vec<_> = payloads
            .iter()
            .flat_map(|p| match decode(me, p).unwrap().unwrap() {
                Heard::Changes(changes) => changes,
                Heard::Announcement(other) => panic!("{other:?} in a notice of changes"),
            })
            .collect();
        assert_eq!(heard, changes);
        let door = DoorCount {
            event_id: Uuid::from_bytes([3; 16]),
            checked_in: 312,
            total: 1_500,
        };
        let door = Announcement::Door(door);
        assert_eq!(
            decode(me, &encode_announcement(other, &door)[0]).unwrap(),
            Some(Heard::Announcement(door))
        );
        let offers: Vec<Offer> = (0..=120_u8)
            .map(|n| Offer {
                user_id: Uuid::from_bytes([n; 16]),
                booking_id: Uuid::from_bytes([!n; 16]),
                expires_at: DateTime::<Utc>::MAX_UTC,
            })
            .collect();
        let payloads = encode_announcement(other, &Announcement::Offers(offers.clone()));
        assert_eq!(payloads.len(), 3);
        assert!(payloads.iter().all(|p| p.len() < 8_000), "{payloads:?}");
        let heard: Vec<Offer> = payloads
            .iter()
            .flat_map(|p| match decode(me, p).unwrap().unwrap() {
                Heard::Announcement(Announcement::Offers(offers)) => offers,
                other => panic!("{other:?} in a notice of offers"),
            })
            .collect();
        assert_eq!(heard, offers);
        let queue = Announcement::Queue(Admitted {
            event_id: Uuid::from_bytes([4; 16]),
            admitted_through: 2_000,
            sold_out: true,
        });
        assert_eq!(
            decode(me, &encode_announcement(other, &queue)[0]).unwrap(),
            Some(Heard::Announcement(queue))
        );
        assert_eq!(decode(other, &payloads[0]).unwrap(), None);
        assert!(decode(me, "not json").is_err());
    }
}
