//! The on-sale of a big event: a sale start, and a waiting room that lets buyers in at a
//! pace the booking path can serve.
//!
//! - Before the start, everyone who takes a place is equal: at the start their order is
//!   drawn at random, once ([`draw`]); later arrivals queue behind them in arrival order.
//! - The room admits places in order, at most `admitPerMinute` a minute, kept to the
//!   second ([`admissions`]), and never more at once than there are tickets left for
//!   them: a pass not used in time frees its slot for the next in line.
//! - An admitted buyer gets a pass, bound to their account and the event, valid
//!   [`PASS_TTL`]; while the room is on, booking the event needs it ([`check_gate`]).

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::booking::{BookingRejection, LockedTier, TierLine};

/// How long a pass lets its buyer book once they are admitted.
pub const PASS_TTL: TimeDelta = TimeDelta::minutes(5);

/// Admissions a minute when the organizer names none: a tenth of the hot event's
/// bookings per second that `just bench` measured here (4,560/s on 2 cores), so admitted
/// buyers who reload, hold and pay never queue behind each other on the booking path.
pub const DEFAULT_ADMIT_PER_MINUTE: i32 = 27_000;
pub const ADMIT_PER_MINUTE: std::ops::RangeInclusive<i64> = 1..=1_000_000;

/// How long before the sale start buyers may take a place, unless the organizer says.
pub const DEFAULT_OPENS_MINUTES: i32 = 15;
pub const OPENS_MINUTES: std::ops::RangeInclusive<i64> = 1..=1_440;

/// Whether `tiers`' events let a buyer admitted to `admitted_to` (by a valid pass of
/// theirs, if any) book `lines` now: not before the sale start, and not without a pass
/// while the room is on. An event not on sale at all is left to `booking::plan`.
pub fn check_gate(
    lines: &[TierLine],
    tiers: &[LockedTier],
    admitted_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), BookingRejection> {
    for line in lines {
        let Some(tier) = tiers.iter().find(|tier| tier.tier_id == line.tier_id) else {
            continue;
        };
        if !tier.event_status.is_on_sale(tier.starts_at, now) {
            continue;
        }
        if let Some(sales_start_at) = tier.sales_start_at
            && now < sales_start_at
        {
            return Err(BookingRejection::SalesNotStarted {
                event_id: tier.event_id,
                sales_start_at,
            });
        }
        if tier.waiting_room && admitted_to != Some(tier.event_id) {
            return Err(BookingRejection::QueuePassRequired(tier.event_id));
        }
    }
    Ok(())
}

/// Whether a place may be taken now: from `opens_minutes` before the sale start until the
/// event begins.
pub fn is_open(
    sales_start_at: DateTime<Utc>,
    opens_minutes: i32,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    now >= sales_start_at - TimeDelta::minutes(i64::from(opens_minutes)) && now < starts_at
}

/// A random order of `n` places (a permutation of `0..n`): Fisher–Yates, each swap drawn
/// without bias from `random` (uniform 64-bit values, a cryptographic source in
/// production), by rejecting the few values that would favour low indexes.
pub fn draw(n: usize, mut random: impl FnMut() -> u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let bound = (i as u64) + 1;
        // The largest multiple of `bound` that fits: values at or above it are redrawn.
        let zone = u64::MAX - (u64::MAX % bound);
        let j = loop {
            let value = random();
            if value < zone {
                break usize::try_from(value % bound).unwrap_or(0);
            }
        };
        order.swap(i, j);
    }
    order
}

/// The room's state when it next admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub admit_per_minute: i32,
    /// The last time it admitted anyone, if ever.
    pub last_admitted_at: Option<DateTime<Utc>>,
    pub sales_start_at: DateTime<Utc>,
    /// Places waiting behind the admitted ones.
    pub waiting: i64,
    /// Tickets on sale, less those admitted buyers with a live pass may still take
    /// (one each: a buyer not yet booked counts for one).
    pub free_slots: i64,
}

/// How many to admit at `now`: what the pace allows since the last admission (never
/// more than a second's worth at once, and nothing within a second of the last), no
/// more than are waiting, and no more than there are free slots. Nothing before the
/// sale starts.
pub fn admissions(pace: Pace, now: DateTime<Utc>) -> i64 {
    if now < pace.sales_start_at {
        return 0;
    }
    let per_minute = i64::from(pace.admit_per_minute.max(1));
    let per_second = (per_minute + 59) / 60;
    let by_pace = match pace.last_admitted_at {
        None => per_second,
        Some(last) => {
            let elapsed = now - last;
            if elapsed < TimeDelta::seconds(1) {
                return 0;
            }
            (per_minute * elapsed.num_milliseconds() / 60_000).min(per_second)
        }
    };
    by_pace.min(pace.waiting).min(pace.free_slots).max(0)
}

/// Where a buyer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In line: their place (unset until the draw) and how many are before them.
    Waiting {
        position: Option<i64>,
        ahead: Option<i64>,
    },
    /// Let in: may book with their pass until `pass_expires_at`.
    Admitted { pass_expires_at: DateTime<Utc> },
    /// Let in, but the pass ran out.
    Expired,
    /// Nothing left to admit them to.
    SoldOut,
}

/// Where the holder of place `position` (admitted at `admitted_at`, if) stands at `now`,
/// with places 1 to `admitted_through` admitted and `sold_out` saying the event has
/// nothing left on sale.
pub fn standing(
    position: Option<i64>,
    admitted_at: Option<DateTime<Utc>>,
    admitted_through: i64,
    sold_out: bool,
    now: DateTime<Utc>,
) -> Standing {
    if let Some(admitted_at) = admitted_at {
        let pass_expires_at = admitted_at + PASS_TTL;
        return if now < pass_expires_at {
            Standing::Admitted { pass_expires_at }
        } else {
            Standing::Expired
        };
    }
    if sold_out {
        return Standing::SoldOut;
    }
    Standing::Waiting {
        position,
        ahead: position.map(|position| (position - admitted_through - 1).max(0)),
    }
}

/// What a queue pass says: this buyer may book this event until then. Signed by the api;
/// these are the bytes it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePass {
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub const QUEUE_PASS_BYTES: usize = 16 + 16 + 8;

impl QueuePass {
    pub fn to_bytes(&self) -> [u8; QUEUE_PASS_BYTES] {
        let mut bytes = [0; QUEUE_PASS_BYTES];
        bytes[..16].copy_from_slice(self.event_id.as_bytes());
        bytes[16..32].copy_from_slice(self.user_id.as_bytes());
        bytes[32..].copy_from_slice(&self.expires_at.timestamp().to_be_bytes());
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; QUEUE_PASS_BYTES] = bytes.try_into().ok()?;
        let uuid = |range: std::ops::Range<usize>| Uuid::from_slice(bytes.get(range)?).ok();
        let seconds = i64::from_be_bytes(bytes.get(32..)?.try_into().ok()?);
        Some(Self {
            event_id: uuid(0..16)?,
            user_id: uuid(16..32)?,
            expires_at: DateTime::from_timestamp(seconds, 0)?,
        })
    }

    /// The event this pass admits `user_id` to at `now`: none for another account's pass
    /// or one that ran out.
    pub fn admits(&self, user_id: Uuid, now: DateTime<Utc>) -> Option<Uuid> {
        (self.user_id == user_id && now < self.expires_at).then_some(self.event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::test_tier;

    fn counter() -> impl FnMut() -> u64 {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        move || {
            // xorshift: a fixed, well-spread sequence for the tests.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    #[test]
    fn a_draw_is_a_permutation_of_every_place() {
        for n in [0, 1, 2, 7, 1_000] {
            let mut order = draw(n, counter());
            order.sort_unstable();
            assert_eq!(order, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_draw_does_not_favour_arrival_order() {
        // Where the first arrival lands, over many draws of 4: each place about a quarter.
        let mut random = counter();
        let mut landed = [0_u32; 4];
        for _ in 0..40_000 {
            let order = draw(4, &mut random);
            let first = order.iter().position(|&place| place == 0).unwrap();
            landed[first] += 1;
        }
        for count in landed {
            assert!((9_500..10_500).contains(&count), "{landed:?}");
        }
    }

    fn pace(per_minute: i32, last: Option<DateTime<Utc>>, start: DateTime<Utc>) -> Pace {
        Pace {
            admit_per_minute: per_minute,
            last_admitted_at: last,
            sales_start_at: start,
            waiting: 1_000_000,
            free_slots: 1_000_000,
        }
    }

    #[test]
    fn nobody_is_admitted_before_the_start_and_a_second_s_worth_at_it() {
        let start = Utc::now();
        let early = start - TimeDelta::seconds(1);
        assert_eq!(admissions(pace(600, None, start), early), 0);
        assert_eq!(admissions(pace(600, None, start), start), 10);
        assert_eq!(admissions(pace(90, None, start), start), 2);
    }

    #[test]
    fn the_pace_is_kept_to_the_second_whatever_the_ticks() {
        let start = Utc::now();
        let last = start + TimeDelta::seconds(10);
        let p = pace(600, Some(last), start);
        assert_eq!(admissions(p, last + TimeDelta::milliseconds(999)), 0);
        assert_eq!(admissions(p, last + TimeDelta::seconds(1)), 10);
        // A late tick does not make up for lost time in one burst.
        assert_eq!(admissions(p, last + TimeDelta::seconds(5)), 10);
        // Slow rooms admit one every few seconds.
        let slow = pace(30, Some(last), start);
        assert_eq!(admissions(slow, last + TimeDelta::seconds(1)), 0);
        assert_eq!(admissions(slow, last + TimeDelta::seconds(2)), 1);
    }

    #[test]
    fn admissions_stop_at_the_line_s_end_and_at_the_tickets_left() {
        let start = Utc::now();
        let few_waiting = Pace {
            waiting: 3,
            ..pace(600, None, start)
        };
        assert_eq!(admissions(few_waiting, start), 3);
        let sold_out = Pace {
            free_slots: 0,
            ..pace(600, None, start)
        };
        assert_eq!(admissions(sold_out, start), 0);
    }

    #[test]
    fn a_place_reads_as_waiting_admitted_expired_or_sold_out() {
        let now = Utc::now();
        assert_eq!(
            standing(Some(12), None, 10, false, now),
            Standing::Waiting {
                position: Some(12),
                ahead: Some(1)
            }
        );
        assert_eq!(
            standing(None, None, 0, false, now),
            Standing::Waiting {
                position: None,
                ahead: None
            }
        );
        assert_eq!(
            standing(Some(3), Some(now), 10, true, now),
            Standing::Admitted {
                pass_expires_at: now + PASS_TTL
            }
        );
        assert_eq!(
            standing(Some(3), Some(now - PASS_TTL), 10, false, now),
            Standing::Expired
        );
        assert_eq!(standing(Some(12), None, 10, true, now), Standing::SoldOut);
    }

    #[test]
    fn a_pass_admits_its_own_account_until_it_runs_out() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let pass = QueuePass {
            event_id: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            expires_at: now + PASS_TTL,
        };
        assert_eq!(QueuePass::from_bytes(&pass.to_bytes()), Some(pass));
        assert_eq!(
            pass.admits(Uuid::from_u128(2), now),
            Some(Uuid::from_u128(1))
        );
        assert_eq!(pass.admits(Uuid::from_u128(3), now), None);
        assert_eq!(pass.admits(Uuid::from_u128(2), now + PASS_TTL), None);
    }

    #[test]
    fn booking_waits_for_the_sale_start_and_then_for_a_pass() {
        let now = Utc::now();
        let mut tier = test_tier(10, 4, 100);
        let lines = [TierLine {
            tier_id: tier.tier_id,
            quantity: 1,
        }];
        assert_eq!(check_gate(&lines, &[tier.clone()], None, now), Ok(()));
        tier.sales_start_at = Some(now + TimeDelta::seconds(5));
        assert!(matches!(
            check_gate(&lines, &[tier.clone()], None, now),
            Err(BookingRejection::SalesNotStarted { .. })
        ));
        tier.sales_start_at = Some(now);
        tier.waiting_room = true;
        assert_eq!(
            check_gate(&lines, &[tier.clone()], None, now),
            Err(BookingRejection::QueuePassRequired(tier.event_id))
        );
        assert_eq!(
            check_gate(&lines, &[tier.clone()], Some(Uuid::new_v4()), now),
            Err(BookingRejection::QueuePassRequired(tier.event_id))
        );
        assert_eq!(
            check_gate(&lines, &[tier.clone()], Some(tier.event_id), now),
            Ok(())
        );
    }
}
