//! Seeded shuffles and train/validation/test splits.
//!
//! The permutation comes from a ChaCha8 stream (`rand_chacha`, a documented, portable
//! algorithm) keyed by the seed, and this crate's own Fisher–Yates shuffle and bounded
//! integer sampling, so a seed gives the same split on every machine and with any version
//! of `rand`.

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// ChaCha stream used by the generators ([`generate`](crate::generate)).
pub const GENERATOR_STREAM: u64 = 0;
/// ChaCha stream used by the split shuffle ([`shuffled_indices`]).
pub const SHUFFLE_STREAM: u64 = 1;

/// The random numbers of `seed` for one purpose: ChaCha8 keyed by the seed's 8
/// little-endian bytes followed by 24 zero bytes (spelled out rather than `seed_from_u64`,
/// whose expansion is not promised to stay the same), on its own `stream`, so that data
/// generated and then split with the same seed do not reuse the same numbers.
pub fn rng_from_seed(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// A uniform integer in `0..bound` (`bound > 0`), without bias: Lemire's multiply-shift
/// with rejection.
pub(crate) fn below(rng: &mut impl RngCore, bound: u64) -> u64 {
    debug_assert!(bound > 0);
    // 2^64 mod bound: products whose low half falls under it would make some results
    // more likely.
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(bound);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one `u64`.
pub(crate) fn unit_f64(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `0..n` shuffled by Fisher–Yates (Durstenfeld's form, from the last position down).
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = rng_from_seed(seed, SHUFFLE_STREAM);
    let mut indices: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(&mut rng, i as u64 + 1) as usize;
        indices.swap(i, j);
    }
    indices
}

/// Fractions of a train/validation/test split, checked: each in [0, 1], summing to 1
/// (within 1e-9).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFractions")]
pub struct SplitFractions {
    train: f64,
    validation: f64,
    test: f64,
}

/// Unchecked fractions, so deserializing goes through [`SplitFractions::new`].
#[derive(Deserialize)]
struct RawFractions {
    train: f64,
    validation: f64,
    test: f64,
}

impl TryFrom<RawFractions> for SplitFractions {
    type Error = DataError;
    fn try_from(raw: RawFractions) -> Result<Self> {
        SplitFractions::new(raw.train, raw.validation, raw.test)
    }
}

impl SplitFractions {
    /// Checks and builds the fractions: each finite and in [0, 1], summing to 1 within 1e-9.
    pub fn new(train: f64, validation: f64, test: f64) -> Result<SplitFractions> {
        let refuse = |reason| {
            Err(DataError::InvalidFractions {
                train,
                validation,
                test,
                reason,
            })
        };
        let all = [train, validation, test];
        if all.iter().any(|f| f.is_nan()) {
            return refuse("a fraction is NaN");
        }
        if all.iter().any(|&f| f < 0.0) {
            return refuse("a fraction is negative");
        }
        if all.iter().any(|&f| f > 1.0) {
            return refuse("a fraction is above 1");
        }
        if ((train + validation + test) - 1.0).abs() > 1e-9 {
            return refuse("the fractions must sum to 1");
        }
        Ok(SplitFractions {
            train,
            validation,
            test,
        })
    }
    /// Training fraction.
    pub fn train(&self) -> f64 {
        self.train
    }
    /// Validation fraction.
    pub fn validation(&self) -> f64 {
        self.validation
    }
    /// Test fraction.
    pub fn test(&self) -> f64 {
        self.test
    }

    /// Row counts for `n` rows: train = ⌊n·train⌋, validation = ⌊n·validation⌋ (at most
    /// what is left), test = the rest. The product is nudged up by a few ulps first so that
    /// a decimal fraction such as 0.7 (stored as 0.69999…) still gives ⌊10·0.7⌋ = 7.
    /// Checks nothing; see [`split_indices`] for the checks.
    pub fn counts(&self, n: usize) -> (usize, usize, usize) {
        let count = |f: f64| {
            let exact = n as f64 * f;
            ((exact * (1.0 + 4.0 * f64::EPSILON)).floor() as usize).min(n)
        };
        let train = count(self.train);
        let validation = count(self.validation).min(n - train);
        (train, validation, n - train - validation)
    }
}

impl Default for SplitFractions {
    fn default() -> Self {
        SplitFractions {
            train: 0.6,
            validation: 0.2,
            test: 0.2,
        }
    }
}

/// The row indices of a split, each part in shuffled order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitIndices {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub validation: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Shuffles `0..n` with `seed` and cuts it by `fractions` (sizes as in
/// [`SplitFractions::counts`]). Refuses a split that leaves fewer than 2 training rows, or
/// no validation or test row although their fraction is above 0.
pub fn split_indices(n: usize, fractions: SplitFractions, seed: u64) -> Result<SplitIndices> {
    let (train, validation, test) = fractions.counts(n);
    let refuse = |reason| {
        Err(DataError::TooFewRows {
            rows: n,
            train,
            validation,
            test,
            reason,
        })
    };
    if train < 2 {
        return refuse("training needs at least 2 rows");
    }
    if validation == 0 && fractions.validation > 0.0 {
        return refuse("the validation fraction is above 0 but gives no row");
    }
    if test == 0 && fractions.test > 0.0 {
        return refuse("the test fraction is above 0 but gives no row");
    }
    let mut indices = shuffled_indices(n, seed);
    let test_rows = indices.split_off(train + validation);
    let validation_rows = indices.split_off(train);
    Ok(SplitIndices {
        train: indices,
        validation: validation_rows,
        test: test_rows,
    })
}

/// A dataset split three ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Rows the model is fitted on.
    pub train: Dataset,
    /// Rows early stopping watches (may be empty when its fraction is 0).
    pub validation: Dataset,
    /// Rows kept for the final metrics only (may be empty when its fraction is 0).
    pub test: Dataset,
}

/// Shuffles the rows with `seed` and splits them by `fractions`. The same seed gives the
/// same split on every machine. See [`split_indices`] for the sizes and the checks.
pub fn split(dataset: &Dataset, fractions: SplitFractions, seed: u64) -> Result<Split> {
    let parts = split_indices(dataset.n_rows(), fractions, seed)?;
    Ok(Split {
        train: dataset.select(&parts.train),
        validation: dataset.select(&parts.validation),
        test: dataset.select(&parts.test),
    })
}
