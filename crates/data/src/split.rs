//! Seeded shuffles and train/validation/test splits.
//!
//! The permutation comes from fivedreg's one seeded randomness ([`fivedreg_rng`]): a ChaCha8
//! stream keyed by the seed, and that crate's own Fisher–Yates shuffle and unbiased bounded
//! integers, so a seed gives the same split on every machine and with any version of `rand`.

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
pub(crate) use fivedreg_rng::unit_f64;
use fivedreg_rng::Stream;
use serde::{Deserialize, Serialize};

/// ChaCha stream used by the generators ([`generate`](crate::generate)).
pub const GENERATOR_STREAM: Stream = Stream::Generate;
/// ChaCha stream used by the split shuffle ([`shuffled_indices`]).
pub const SHUFFLE_STREAM: Stream = Stream::Split;

/// The random numbers of `seed` for one purpose (see [`fivedreg_rng::rng`]).
pub fn rng_from_seed(seed: u64, stream: Stream) -> fivedreg_rng::ChaCha8Rng {
    fivedreg_rng::rng(seed, stream)
}

/// `0..n` shuffled by Fisher–Yates on the seed's split stream.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    fivedreg_rng::shuffled_indices(n, seed, SHUFFLE_STREAM)
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
