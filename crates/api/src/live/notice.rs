//! The NOTIFY payload between instances: who sent it and the changes, or a door's new
//! count, as compact JSON.

use booking_persistence::availability::AvailabilityChange;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const CHANNEL: &str = "availability";

/// Changes per notice. An entry is at most 134 bytes (two quoted uuids, an i32, two
/// i64s, punctuation), so 50 stay well under PostgreSQL's 8,000-byte payload limit.
const CHANGES_PER_NOTICE: usize = 50;

/// (event, tier, remaining, event remaining, version)
type Entry = (Uuid, Uuid, i32, i64, i64);

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    origin: Uuid,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    changes: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    door: Option<(Uuid, i64, i64)>,
}

/// Tickets of an event checked in, of how many, after a scan admitted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorCount {
    pub event_id: Uuid,
    pub checked_in: i64,
    pub total: i64,
}

/// What another instance announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Changes(Vec<AvailabilityChange>),
    Door(DoorCount),
}

/// The payload that carries a door's count.
pub fn encode_door(origin: Uuid, door: DoorCount) -> String {
    serde_json::to_string(&Notice {
        origin,
        changes: Vec::new(),
        door: Some((door.event_id, door.checked_in, door.total)),
    })
    .unwrap_or_default()
}

/// The payloads that carry `changes`.
pub fn encode(origin: Uuid, changes: &[AvailabilityChange]) -> Vec<String> {
    changes
        .chunks(CHANGES_PER_NOTICE)
        .filter_map(|chunk| {
            serde_json::to_string(&Notice {
                origin,
                door: None,
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
        return Ok(Some(Heard::Door(DoorCount {
            event_id,
            checked_in,
            total,
        })));
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
                Heard::Door(door) => panic!("{door:?} in a notice of changes"),
            })
            .collect();
        assert_eq!(heard, changes);
        let door = DoorCount {
            event_id: Uuid::from_bytes([3; 16]),
            checked_in: 312,
            total: 1_500,
        };
        assert_eq!(
            decode(me, &encode_door(other, door)).unwrap(),
            Some(Heard::Door(door))
        );
        assert_eq!(decode(other, &payloads[0]).unwrap(), None);
        assert!(decode(me, "not json").is_err());
    }
}
