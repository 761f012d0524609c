//! The statistics of repeated runs: median with min–max for timings, mean ± standard
//! deviation for accuracy over seeds, and how many runs a measurement gets.

use serde::{Deserialize, Serialize};

/// Runs of a measurement that takes under [`LONG_RUN_SECONDS`].
pub const SHORT_RUN_REPEATS: usize = 5;
/// Runs of a measurement that takes [`LONG_RUN_SECONDS`] or more.
pub const LONG_RUN_REPEATS: usize = 3;
/// From this many seconds a run counts as long.
pub const LONG_RUN_SECONDS: f64 = 10.0;
/// Seeds of the accuracy figures where a fit takes under [`LONG_RUN_SECONDS`].
pub const ACCURACY_SEEDS: usize = 5;

/// How many runs a measurement gets when a run takes `run_seconds` (the longer side of a
/// pair).
pub fn repeats(run_seconds: f64) -> usize {
    if run_seconds < LONG_RUN_SECONDS {
        SHORT_RUN_REPEATS
    } else {
        LONG_RUN_REPEATS
    }
}

/// Whether runs that took `seconds` (each the longer side of its pair) are enough: judged by
/// the fastest of them, so that one run slowed by a burst of load does not cut the count.
pub fn enough(seconds: &[f64]) -> bool {
    let fastest = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    !seconds.is_empty() && seconds.len() >= repeats(fastest)
}

/// How many seeds the accuracy figures get, given how long the first fit (the longer side)
/// took: [`ACCURACY_SEEDS`] under [`LONG_RUN_SECONDS`], else the one seed already run.
pub fn seeds(first_fit_seconds: f64) -> usize {
    if first_fit_seconds < LONG_RUN_SECONDS {
        ACCURACY_SEEDS
    } else {
        1
    }
}

/// Median, least and greatest of repeated values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The least value.
    pub min: f64,
    /// The greatest value.
    pub max: f64,
    /// How many values.
    pub runs: usize,
}

impl Spread {
    /// The spread of `values`; NaN figures and 0 runs when there are none.
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted: Vec<f64> = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let k = sorted.len();
        if k == 0 {
            return Spread {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                runs: 0,
            };
        }
        let median = if k % 2 == 1 {
            sorted[k / 2]
        } else {
            (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0
        };
        Spread {
            median,
            min: sorted[0],
            max: sorted[k - 1],
            runs: k,
        }
    }
}

/// The index of a median value of `values` (the lower middle for an even count): the run
/// whose other figures (per-phase times, CPU time) stand for the repeats.
pub fn median_index(values: &[f64]) -> usize {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for one value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub std: f64,
    /// How many values.
    pub n: usize,
}

impl MeanStd {
    /// Mean and standard deviation of `values`.
    pub fn of(values: &[f64]) -> MeanStd {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        MeanStd { mean, std, n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0, 4.0]);
        assert_eq!((s.median, s.min, s.max, s.runs), (3.0, 1.0, 10.0, 5));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Spread::of(&[]).runs, 0);
        assert_eq!(median_index(&[3.0, 1.0, 2.0, 10.0, 4.0]), 0);
        assert_eq!(median_index(&[4.0, 1.0, 2.0, 3.0]), 2);
    }

    #[test]
    fn mean_and_sample_standard_deviation() {
        let m = MeanStd::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m.mean, 5.0);
        // Σ(x − 5)² = 32, over n − 1 = 7.
        assert!((m.std - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(MeanStd::of(&[0.5]).std, 0.0);
    }

    #[test]
    fn long_runs_get_three_repeats_and_one_seed() {
        assert_eq!(repeats(9.9), 5);
        assert_eq!(repeats(10.0), 3);
        assert_eq!(seeds(0.1), 5);
        assert_eq!(seeds(88.0), 1);
        assert!(!enough(&[]));
        assert!(!enough(&[12.0, 11.0]));
        assert!(enough(&[12.0, 11.0, 13.0]));
        // A slow first run does not cut the count when a later one is short.
        assert!(!enough(&[12.0, 9.0, 13.0]));
        assert!(enough(&[12.0, 9.0, 13.0, 9.5, 9.9]));
    }
}
