//! How a client of the server comes back after losing its connection: the web app's live
//! feed, and the server's own listener on the database. One rule for both, so they cannot
//! drift: the wait doubles with each failure up to a ceiling, plus up to half again at
//! random, so clients that lost the same server do not all return at the same instant.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait before the random part.
    pub ceiling: Duration,
}

impl Backoff {
    /// The wait before attempt `failures + 1`; `random` is a number in `0..=1` from the
    /// caller's own source (the browser's, or the operating system's).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let doubled = self
            .first
            .saturating_mul(1 << failures.saturating_sub(1).min(16));
        let base = doubled.min(self.ceiling);
        base + base.mul_f64(random.clamp(0.0, 1.0) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_a_ceiling_with_up_to_half_again_at_random() {
        let backoff = Backoff {
            first: Duration::from_millis(500),
            ceiling: Duration::from_secs(15),
        };
        assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(backoff.delay(2, 0.0), Duration::from_secs(1));
        assert_eq!(backoff.delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(backoff.delay(20, 0.0), Duration::from_secs(15));
        assert_eq!(backoff.delay(u32::MAX, 0.0), Duration::from_secs(15));
        assert_eq!(backoff.delay(1, 1.0), Duration::from_millis(750));
        assert_eq!(backoff.delay(1, 7.0), Duration::from_millis(750));
    }
}
