//! The NOTIFY payload between instances: who sent it and the changes, as compact JSON.

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
    changes: Vec<Entry>,
}

/// The payloads that carry `changes`.
pub fn encode(origin: Uuid, changes: &[AvailabilityChange]) -> Vec<String> {
    changes
        .chunks(CHANGES_PER_NOTICE)
        .filter_map(|chunk| {
            serde_json::to_string(&Notice {
                origin,
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

/// The changes another instance announced; `None` for this instance's own notices,
/// which its hub already has.
pub fn decode(
    me: Uuid,
    payload: &str,
) -> Result<Option<Vec<AvailabilityChange>>, serde_json::Error> {
    let notice: Notice = serde_json::from_str(payload)?;
    if notice.origin == me {
        return Ok(None);
    }
    Ok(Some(
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
    ))
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
            .flat_map(|p| decode(me, p).unwrap().unwrap())
            .collect();
        assert_eq!(heard, changes);
        assert_eq!(decode(other, &payloads[0]).unwrap(), None);
        assert!(decode(me, "not json").is_err());
    }
}
