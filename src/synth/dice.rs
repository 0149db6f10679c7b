//! Deterministic randomness.
//!
//! Only `ChaCha8Rng::seed_from_u64` and `next_u64` come from the rand crates: both are
//! documented as value-stable. Ranges, weighted picks and shuffles are implemented here,
//! so the bytes of the extract do not depend on how a `rand` release implements its
//! distributions.

use chrono::NaiveDate;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(super) struct Dice(ChaCha8Rng);

impl Dice {
    /// Independent stream `stream` of the run seed: stream 0 builds the population,
    /// stream 1 + c draws the personal details of copy c.
    pub(super) fn new(seed: u64, stream: u64) -> Self {
        Dice(ChaCha8Rng::seed_from_u64(splitmix64(
            seed ^ splitmix64(stream),
        )))
    }

    /// Uniform in `0..n` (rejection sampling, so no modulo bias).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "empty range");
        let accept_below = (1u128 << 64) / u128::from(n) * u128::from(n);
        loop {
            let x = self.0.next_u64();
            if u128::from(x) < accept_below {
                return x % n;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Uniform date in `lo..=hi`.
    pub(super) fn date_between(&mut self, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
        let days = (hi - lo).num_days();
        lo + chrono::Duration::days(self.between(0, days))
    }

    /// True with probability `per_mille` / 1000.
    pub(super) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Index drawn with probability proportional to `weights`.
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        unreachable!("x < total")
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Fisher-Yates shuffle.
    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
