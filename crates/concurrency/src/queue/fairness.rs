//! What a waiting room owes its buyers, computed from what they saw: a fair draw (no
//! link between arriving early and being let in early), places that only move forward,
//! and admissions at the room's pace.

use std::time::Duration;

/// Spearman's rank correlation between two orders of the same people: `pairs` holds, per
/// person, their rank in the first order and their rank in the second (both `0..n`, each
/// rank once). 0 means unrelated, 1 the same order, -1 reversed. `None` below 3 people.
pub fn rank_correlation(pairs: &[(usize, usize)]) -> Option<f64> {
    let n = pairs.len();
    if n < 3 {
        return None;
    }
    let squared: f64 = pairs
        .iter()
        .map(|&(a, b)| {
            let d = a.abs_diff(b) as f64;
            d * d
        })
        .sum();
    let n = n as f64;
    Some(1.0 - 6.0 * squared / (n * (n * n - 1.0)))
}

/// `values` replaced by their ranks `0..n` (ascending; equal values by their order in
/// `values`).
pub fn ranks(values: &[i64]) -> Vec<usize> {
    let mut order: Vec<(i64, usize)> = values.iter().copied().zip(0..).collect();
    order.sort_unstable();
    let mut ranks = vec![0; values.len()];
    for (rank, (_, i)) in order.into_iter().enumerate() {
        if let Some(slot) = ranks.get_mut(i) {
            *slot = rank;
        }
    }
    ranks
}

/// Whether `positions` are exactly `1..=n`, each once: one permutation, nobody twice,
/// nobody missing.
pub fn is_permutation(positions: &[i64]) -> bool {
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    sorted
        .iter()
        .zip(1_i64..)
        .all(|(&position, expected)| position == expected)
}

/// One buyer's view of the line, kept as the waiting room's page keeps it (the furthest
/// admission heard of, from a message or a read): their place must stay what the draw
/// gave, and the people ahead of them must never grow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watch {
    position: Option<i64>,
    ahead: Option<i64>,
    through: i64,
    /// Observations that went backwards (a place changed or more people ahead).
    pub violations: u32,
    pub observations: u32,
}

impl Watch {
    /// A read of the place: `position`, `ahead` people before it, places up to
    /// `admitted_through` let in.
    pub fn saw(&mut self, position: i64, ahead: i64, admitted_through: i64) {
        self.through = self.through.max(admitted_through);
        self.observations += 1;
        if self.position.is_some_and(|known| known != position)
            || self.ahead.is_some_and(|known| ahead > known)
        {
            self.violations += 1;
        }
        self.position = Some(position);
        self.ahead = Some(ahead);
    }

    /// A `queue` message: places up to `admitted_through` are in.
    pub fn heard(&mut self, admitted_through: i64) {
        self.through = self.through.max(admitted_through);
        if let Some(position) = self.position {
            let ahead = (position - 1 - self.through).max(0);
            self.saw(position, ahead, self.through);
        }
    }

    pub fn position(&self) -> Option<i64> {
        self.position
    }
}

/// Admissions per whole second from the sale start, from `(time since the start,
/// admitted through)` observations in the order they came.
pub fn admissions_per_second(observed: &[(Duration, i64)]) -> Vec<i64> {
    let mut seconds: Vec<i64> = Vec::new();
    let mut through = 0;
    for &(at, now_through) in observed {
        let second = usize::try_from(at.as_secs()).unwrap_or(usize::MAX);
        if second >= seconds.len() {
            seconds.resize(second + 1, 0);
        }
        if let Some(admitted) = seconds.get_mut(second)
            && now_through > through
        {
            *admitted += now_through - through;
            through = now_through;
        }
    }
    seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_order_correlates_fully_and_the_reverse_negatively() {
        let same: Vec<_> = (0..10).map(|i| (i, i)).collect();
        let reversed: Vec<_> = (0..10).map(|i| (i, 9 - i)).collect();
        assert!((rank_correlation(&same).unwrap() - 1.0).abs() < 1e-12);
        assert!((rank_correlation(&reversed).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(rank_correlation(&[(0, 0), (1, 1)]), None);
    }

    #[test]
    fn a_shuffled_order_barely_correlates() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut drawn: Vec<usize> = (0..10_000).collect();
        rng.shuffle(&mut drawn);
        let pairs: Vec<_> = drawn.into_iter().enumerate().collect();
        // One standard deviation is 1 / sqrt(n - 1), about 0.01 here.
        assert!(rank_correlation(&pairs).unwrap().abs() < 0.05);
    }

    #[test]
    fn ranks_follow_the_values() {
        assert_eq!(ranks(&[30, 10, 20]), vec![2, 0, 1]);
        assert_eq!(ranks(&[]), Vec::<usize>::new());
    }

    #[test]
    fn a_permutation_has_every_place_once() {
        assert!(is_permutation(&[3, 1, 2]));
        assert!(is_permutation(&[]));
        assert!(!is_permutation(&[1, 1, 3]), "a place twice, one missing");
        assert!(!is_permutation(&[1, 2, 4]));
    }

    #[test]
    fn a_place_that_moves_back_or_changes_is_a_violation() {
        let mut watch = Watch::default();
        watch.heard(5);
        assert_eq!(watch.observations, 0, "nothing to see before the draw");
        watch.saw(40, 30, 9);
        watch.heard(20);
        assert_eq!((watch.observations, watch.violations), (2, 0));
        // A message overtaken by a read is old news, as on the page.
        watch.heard(10);
        assert_eq!((watch.observations, watch.violations), (3, 0));
        watch.saw(40, 25, 14);
        assert_eq!(watch.violations, 1, "more people ahead than before");
        watch.saw(41, 0, 40);
        assert_eq!(watch.violations, 2, "the place changed");
    }

    #[test]
    fn admissions_are_counted_in_the_second_they_were_heard() {
        let ms = Duration::from_millis;
        let observed = [
            (ms(100), 10),
            (ms(900), 10),
            (ms(1_200), 25),
            (ms(3_050), 30),
        ];
        assert_eq!(admissions_per_second(&observed), vec![10, 15, 0, 5]);
        assert!(admissions_per_second(&[]).is_empty());
    }
}
