//! Regression metrics for fivedreg: R², MSE, RMSE, MAE and maximum absolute error.
//!
//! All sums accumulate in `f64`. Every function checks its inputs: empty slices, slices of
//! different lengths and non-finite values are typed errors, never panics.
//!
//! R² follows scikit-learn's `r2_score`: `1 - SS_res / SS_tot`. For a constant target
//! (`SS_tot == 0`, a single value included) R² is undefined: it is NaN here, as in
//! scikit-learn with `force_finite=False` (by default scikit-learn reports such a target as
//! 0 or 1, which reads like a measured score). A [`Report`]'s undefined R² serializes as
//! JSON `null`, and `null` reads back as NaN.
//! `tests/sklearn_parity.rs` checks every metric against scikit-learn to 1e-12 relative.
//!
//! Sums are taken over the values multiplied by a power of two that brings them near 1 (an
//! exact scaling), so targets from subnormal numbers to 1e300 neither underflow nor overflow
//! when squared; only a result beyond `f64` itself (the MSE of errors around 1e200) is
//! infinite, and an R² below what `f64` holds is [`f64::MIN`]. The truth's spread is held
//! at its own scale, so predictions far larger than the truth do not make it underflow
//! (and a varying target look constant). [`ReportBuilder`] computes a [`Report`] from values streamed in any number of
//! pieces, in constant memory.
//!
//! ```
//! let truth = [1.0, 2.0, 3.0];
//! let predicted = [1.0, 2.0, 4.0];
//! let report = fivedreg_metrics::Report::compute(&truth, &predicted).unwrap();
//! assert!((report.mse - 1.0 / 3.0).abs() < 1e-12);
//! assert_eq!(report.max_error, 1.0);
//! ```

use fivedreg_linalg::times_power_of_two;
use serde::{Deserialize, Serialize};

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// No values were given.
    #[error("cannot compute a metric over zero values")]
    Empty,
    /// The true and predicted values differ in number.
    #[error("{truth} true values but {predicted} predictions")]
    LengthMismatch {
        /// Number of true values.
        truth: usize,
        /// Number of predicted values.
        predicted: usize,
    },
    /// A value is NaN or infinite.
    #[error("{which} value at index {index} is not finite ({value})")]
    NonFinite {
        /// `"true"` or `"predicted"`.
        which: &'static str,
        /// 0-based position of the value.
        index: usize,
        /// The offending value.
        value: f64,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, MetricsError>;

/// Mean squared error.
pub fn mse(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Report::compute(truth, predicted).map(|r| r.mse)
}

/// Root mean squared error.
pub fn rmse(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Report::compute(truth, predicted).map(|r| r.rmse)
}

/// Mean absolute error.
pub fn mae(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Report::compute(truth, predicted).map(|r| r.mae)
}

/// Largest absolute error.
pub fn max_error(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Report::compute(truth, predicted).map(|r| r.max_error)
}

/// Coefficient of determination; NaN (undefined) for a constant target, [`f64::MIN`] when
/// below what `f64` holds (see [`ReportBuilder::finish`]).
pub fn r2(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Report::compute(truth, predicted).map(|r| r.r2)
}

/// The metrics of one set of predictions against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Number of values compared.
    pub n: usize,
    /// Coefficient of determination; NaN when undefined (a constant target), see
    /// [`Report::r2_defined`].
    #[serde(deserialize_with = "nan_from_null")]
    pub r2: f64,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Largest absolute error.
    pub max_error: f64,
}

impl Report {
    /// Computes every metric of `predicted` against `truth`.
    pub fn compute(truth: &[f64], predicted: &[f64]) -> Result<Report> {
        if truth.len() != predicted.len() {
            return Err(MetricsError::LengthMismatch {
                truth: truth.len(),
                predicted: predicted.len(),
            });
        }
        let mut builder = ReportBuilder::new();
        builder.extend(truth, predicted)?;
        builder.finish()
    }

    /// R², or `None` when it is undefined (a constant target).
    pub fn r2_defined(&self) -> Option<f64> {
        (!self.r2.is_nan()).then_some(self.r2)
    }
}

/// Reads an R² written as a number or, when it was undefined, as JSON `null` (NaN). Formats
/// that are not self-describing (postcard) store the NaN itself.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    if d.is_human_readable() {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    } else {
        f64::deserialize(d)
    }
}

/// A power of two that holds a running set of sums near 1: each sum is kept multiplied by
/// `2^-exponent`, where `2^exponent` is above the largest magnitude seen so far (raised,
/// and the sums rescaled exactly, when a larger value arrives).
#[derive(Debug, Clone)]
struct Scale {
    /// `None` until a value other than zero has been seen (until then every sum is zero).
    exponent: Option<i32>,
    /// `2^exponent` (0 before the first value other than zero; infinite when beyond f64):
    /// a value this large calls for a larger exponent.
    bound: f64,
    /// `2^-exponent` when it is a normal number, so that rescaling a value is one exact
    /// multiplication; `None` when it must be done in steps.
    factor: Option<f64>,
}

impl Default for Scale {
    fn default() -> Scale {
        Scale {
            exponent: None,
            bound: 0.0,
            factor: Some(1.0),
        }
    }
}

impl Scale {
    /// The exponent (0 before any value other than zero).
    fn exponent(&self) -> i32 {
        self.exponent.unwrap_or(0)
    }

    /// Makes room for `largest` (≥ 0) if it calls for a larger exponent: the power of two
    /// by which the sums held so far must then be multiplied (`None` when they stay).
    fn admit(&mut self, largest: f64) -> Option<i32> {
        if largest < self.bound || largest == 0.0 {
            return None;
        }
        self.make_room_for(largest)
    }

    /// Raises the exponent so that `largest` (> 0) is below `2^exponent`; the shift to
    /// apply to the sums held so far (`None` when the exponent stays).
    #[cold]
    fn make_room_for(&mut self, largest: f64) -> Option<i32> {
        // The smallest e with largest < 2^e (log2 need not be exact: checked below).
        let mut needed = largest.log2().floor() as i32 + 1;
        while times_power_of_two(largest, -needed) >= 1.0 {
            needed += 1;
        }
        let shift = match self.exponent {
            Some(current) if needed <= current => return None,
            Some(current) => Some(current - needed),
            None => None,
        };
        self.exponent = Some(needed);
        self.bound = times_power_of_two(1.0, needed);
        let factor = times_power_of_two(1.0, -needed);
        self.factor = factor.is_normal().then_some(factor);
        shift
    }

    /// `value` multiplied by `2^-exponent`.
    fn apply(&self, value: f64) -> f64 {
        match self.factor {
            Some(factor) => value * factor,
            None => times_power_of_two(value, -self.exponent()),
        }
    }
}

/// Computes a [`Report`] from (truth, prediction) pairs given in any number of pieces, in
/// constant memory: the sum of squares about the mean is accumulated with Welford's
/// update. The truth's mean and spread are held at a scale of their own (a power of two
/// above the largest true value), and the errors at the scale of the largest value of
/// either kind, so that predictions far larger than the truth (1e298 against values near
/// ±2) neither make the truth's spread underflow to zero (and R² look undefined) nor
/// overflow the errors' sums.
///
/// ```
/// let mut builder = fivedreg_metrics::ReportBuilder::new();
/// builder.extend(&[1.0, 2.0], &[1.0, 2.5]).unwrap();
/// builder.extend(&[3.0], &[2.0]).unwrap();
/// let whole = fivedreg_metrics::Report::compute(&[1.0, 2.0, 3.0], &[1.0, 2.5, 2.0]).unwrap();
/// assert_eq!(builder.finish().unwrap(), whole);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReportBuilder {
    n: usize,
    /// The scale of `mean` and `m2`: the true values'.
    truth_scale: Scale,
    /// The scale of the error sums: the true and predicted values'.
    pair_scale: Scale,
    mean: f64,
    /// Sum of squared deviations of the truth from its running mean.
    m2: f64,
    ss_res: f64,
    abs_sum: f64,
    abs_max: f64,
}

impl ReportBuilder {
    /// An empty builder.
    pub fn new() -> ReportBuilder {
        ReportBuilder::default()
    }

    /// Pairs seen so far.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no pair has been seen.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Adds the pairs of `truth` and `predicted`; refuses slices of different lengths and a
    /// non-finite value (its index counts from the first pair ever added), adding none of
    /// the pairs from the bad one on.
    pub fn extend(&mut self, truth: &[f64], predicted: &[f64]) -> Result<()> {
        if truth.len() != predicted.len() {
            return Err(MetricsError::LengthMismatch {
                truth: truth.len(),
                predicted: predicted.len(),
            });
        }
        for (&t, &p) in truth.iter().zip(predicted) {
            self.push(t, p)?;
        }
        Ok(())
    }

    /// Adds one pair; refuses a non-finite value.
    pub fn push(&mut self, truth: f64, predicted: f64) -> Result<()> {
        for (which, value) in [("true", truth), ("predicted", predicted)] {
            if !value.is_finite() {
                return Err(MetricsError::NonFinite {
                    which,
                    index: self.n,
                    value,
                });
            }
        }
        if let Some(shift) = self.truth_scale.admit(truth.abs()) {
            self.mean = times_power_of_two(self.mean, shift);
            self.m2 = times_power_of_two(self.m2, 2 * shift);
        }
        if let Some(shift) = self.pair_scale.admit(truth.abs().max(predicted.abs())) {
            self.abs_sum = times_power_of_two(self.abs_sum, shift);
            self.abs_max = times_power_of_two(self.abs_max, shift);
            self.ss_res = times_power_of_two(self.ss_res, 2 * shift);
        }
        self.n += 1;
        let t = self.truth_scale.apply(truth);
        let delta = t - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (t - self.mean);
        let residual = self.pair_scale.apply(truth) - self.pair_scale.apply(predicted);
        self.ss_res += residual * residual;
        self.abs_sum += residual.abs();
        self.abs_max = self.abs_max.max(residual.abs());
        Ok(())
    }

    /// The metrics of every pair added; an error if there were none.
    ///
    /// R² is NaN only when every true value is the same. When the errors dwarf the truth's
    /// spread so far that `SS_res / SS_tot` is beyond `f64` (R² below about −1.8e308), R²
    /// is [`f64::MIN`], the most negative number there is.
    pub fn finish(&self) -> Result<Report> {
        if self.n == 0 {
            return Err(MetricsError::Empty);
        }
        let n = self.n as f64;
        let e = self.pair_scale.exponent();
        let mse = self.ss_res / n;
        let r2 = if self.m2 == 0.0 {
            f64::NAN
        } else {
            let ratio =
                times_power_of_two(self.ss_res / self.m2, 2 * (e - self.truth_scale.exponent()));
            (1.0 - ratio).max(f64::MIN)
        };
        Ok(Report {
            n: self.n,
            r2,
            mse: times_power_of_two(mse, 2 * e),
            rmse: times_power_of_two(mse.sqrt(), e),
            mae: times_power_of_two(self.abs_sum / n, e),
            max_error: times_power_of_two(self.abs_max, e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        // residuals: 0.5, -0.5, 0, 1  -> squares 0.25, 0.25, 0, 1
        let truth = [3.0, -0.5, 2.0, 7.0];
        let predicted = [2.5, 0.0, 2.0, 8.0];
        let r = Report::compute(&truth, &predicted).unwrap();
        assert_eq!(r.n, 4);
        assert!((r.mse - 0.375).abs() < 1e-15);
        assert!((r.rmse - 0.375f64.sqrt()).abs() < 1e-15);
        assert!((r.mae - 0.5).abs() < 1e-15);
        assert_eq!(r.max_error, 1.0);
        // mean 2.875; ss_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
        assert!((r.r2 - (1.0 - 1.5 / 29.1875)).abs() < 1e-15);
        assert_eq!(r2(&truth, &predicted).unwrap(), r.r2);
        assert_eq!(mse(&truth, &predicted).unwrap(), r.mse);
        assert_eq!(rmse(&truth, &predicted).unwrap(), r.rmse);
        assert_eq!(mae(&truth, &predicted).unwrap(), r.mae);
        assert_eq!(max_error(&truth, &predicted).unwrap(), r.max_error);
    }

    #[test]
    fn r2_of_a_constant_target_is_undefined() {
        for (truth, predicted) in [
            (&[2.0, 2.0][..], &[2.0, 2.0][..]),
            (&[2.0, 2.0], &[2.0, 2.1]),
            (&[5.0], &[4.0]),
            (&[0.1; 1000], &[0.2; 1000]),
        ] {
            let report = Report::compute(truth, predicted).unwrap();
            assert!(report.r2.is_nan(), "{truth:?}: {}", report.r2);
            assert_eq!(report.r2_defined(), None);
        }
        assert_eq!(
            Report::compute(&[1.0, 2.0], &[1.0, 2.0])
                .unwrap()
                .r2_defined(),
            Some(1.0)
        );
    }

    #[test]
    fn an_undefined_r2_is_null_in_json_and_reads_back() {
        let report = Report::compute(&[3.0, 3.0], &[3.0, 2.0]).unwrap();
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"r2\":null"), "{json}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert!(back.r2.is_nan());
        assert_eq!(back.mse, report.mse);
    }

    /// Values at any scale give the metrics of the unit-scale values, scaled.
    #[test]
    fn metrics_scale_with_the_values() {
        let truth: Vec<f64> = (0..100).map(|i| ((i * 37) % 101) as f64 / 50.0).collect();
        let predicted: Vec<f64> = truth.iter().map(|t| t * 0.9 + 0.05).collect();
        let unit = Report::compute(&truth, &predicted).unwrap();
        for factor in [1e-300, 1e-160, 1e160, 1e300] {
            let t: Vec<f64> = truth.iter().map(|v| v * factor).collect();
            let p: Vec<f64> = predicted.iter().map(|v| v * factor).collect();
            let r = Report::compute(&t, &p).unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
            assert!(close(r.r2, unit.r2), "x {factor}: R² {}", r.r2);
            assert!(
                close(r.rmse, unit.rmse * factor),
                "x {factor}: RMSE {}",
                r.rmse
            );
            assert!(close(r.mae, unit.mae * factor), "x {factor}");
            assert!(close(r.max_error, unit.max_error * factor), "x {factor}");
            // The MSE is the square: representable at 1e-160, not at 1e-300 or 1e300.
            let mse = unit.mse * factor * factor;
            if mse.is_normal() {
                assert!(close(r.mse, mse), "x {factor}: MSE {}", r.mse);
            }
        }
        let huge = Report::compute(&[1e300, -1e300], &[-1e300, 1e300]).unwrap();
        assert_eq!(huge.mse, f64::INFINITY);
        assert_eq!(huge.rmse, 2e300);
    }

    /// The streamed report does not depend on how the values are cut into pieces, nor on a
    /// large value arriving late.
    #[test]
    fn streamed_pieces_give_the_whole_report() {
        let truth: Vec<f64> = (0..500)
            .map(|i| (i as f64 * 0.37).sin() * 3.0 + 1.0)
            .collect();
        let mut predicted: Vec<f64> = truth.iter().map(|t| t + 0.1).collect();
        predicted[400] = 1e6;
        let whole = Report::compute(&truth, &predicted).unwrap();
        for piece in [1, 7, 128, 499] {
            let mut builder = ReportBuilder::new();
            for (t, p) in truth.chunks(piece).zip(predicted.chunks(piece)) {
                builder.extend(t, p).unwrap();
            }
            assert_eq!(builder.len(), 500);
            assert_eq!(builder.finish().unwrap(), whole, "pieces of {piece}");
        }
        assert_eq!(ReportBuilder::new().finish(), Err(MetricsError::Empty));
        let mut zeros = ReportBuilder::new();
        zeros.extend(&[0.0, 0.0], &[0.0, 0.0]).unwrap();
        let zeros = zeros.finish().unwrap();
        assert!(zeros.r2.is_nan());
        assert_eq!((zeros.mse, zeros.max_error), (0.0, 0.0));
    }

    /// Predictions far larger than the truth (the issue's 1e300 target among values near
    /// ±2 gave a model predicting about 1e298): the truth's spread is not lost to
    /// underflow, so R² is defined (and dreadful), not "the target is constant".
    #[test]
    fn huge_predictions_do_not_make_the_truth_look_constant() {
        let truth: Vec<f64> = (0..60).map(|i| (i as f64 * 0.7).sin() * 2.0).collect();
        let naive = |t: &[f64], p: &[f64]| {
            let mean = t.iter().sum::<f64>() / t.len() as f64;
            let ss_tot: f64 = t.iter().map(|v| (v - mean).powi(2)).sum();
            let ss_res: f64 = t.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum();
            1.0 - ss_res / ss_tot
        };
        for big in [1e10, 1e150, 1e298, 1e308] {
            let mut predicted = truth.clone();
            predicted[17] = big;
            let r = Report::compute(&truth, &predicted).unwrap();
            assert!(r.r2_defined().is_some(), "{big}: {}", r.r2);
            let expected = naive(&truth, &predicted);
            if expected.is_finite() {
                assert!(
                    (r.r2 - expected).abs() <= 1e-12 * expected.abs(),
                    "{big}: {} vs {expected}",
                    r.r2
                );
            } else {
                // Beyond f64: the most negative number there is.
                assert_eq!(r.r2, f64::MIN, "{big}");
            }
            assert!(
                (r.max_error - (big - truth[17])).abs() <= 1e-12 * big,
                "{big}"
            );
        }
        // And one true value of 1e300 among values near ±2, predicted well.
        let mut truth = truth;
        truth[5] = 1e300;
        let predicted: Vec<f64> = truth.iter().map(|t| t * (1.0 + 1e-3)).collect();
        let r = Report::compute(&truth, &predicted).unwrap();
        assert!(r.r2 > 0.99 && r.r2 < 1.0, "{}", r.r2);
    }

    #[test]
    fn r2_can_be_negative() {
        assert!(r2(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() < 0.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(mse(&[], &[]), Err(MetricsError::Empty));
        assert_eq!(
            Report::compute(&[1.0], &[1.0, 2.0]),
            Err(MetricsError::LengthMismatch {
                truth: 1,
                predicted: 2
            })
        );
        match r2(&[1.0, f64::NAN], &[1.0, 2.0]) {
            Err(MetricsError::NonFinite {
                which: "true",
                index: 1,
                ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        match mae(&[1.0, 2.0], &[f64::INFINITY, 2.0]) {
            Err(MetricsError::NonFinite {
                which: "predicted",
                index: 0,
                ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn report_serializes_to_json() {
        let r = Report::compute(&[1.0, 2.0], &[1.0, 2.5]).unwrap();
        let json = serde_json::to_value(r).unwrap();
        for key in ["n", "r2", "mse", "rmse", "mae", "max_error"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
