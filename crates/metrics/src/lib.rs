//! Regression metrics for fivedreg: R², MSE, RMSE, MAE and maximum absolute error.
//!
//! All sums accumulate in `f64`. Every function checks its inputs: empty slices, slices of
//! different lengths and non-finite values are typed errors, never panics.
//!
//! R² follows scikit-learn's `r2_score`: `1 - SS_res / SS_tot`, and for a constant target
//! (`SS_tot == 0`) it is `1.0` when the predictions are perfect and `0.0` otherwise. A single
//! value is a constant target here too, where scikit-learn returns NaN with a warning.
//! `tests/sklearn_parity.rs` checks every metric against scikit-learn to 1e-12 relative.
//!
//! ```
//! let truth = [1.0, 2.0, 3.0];
//! let predicted = [1.0, 2.0, 4.0];
//! let report = fivedreg_metrics::Report::compute(&truth, &predicted).unwrap();
//! assert!((report.mse - 1.0 / 3.0).abs() < 1e-12);
//! assert_eq!(report.max_error, 1.0);
//! ```

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

fn check(truth: &[f64], predicted: &[f64]) -> Result<()> {
    if truth.len() != predicted.len() {
        return Err(MetricsError::LengthMismatch {
            truth: truth.len(),
            predicted: predicted.len(),
        });
    }
    if truth.is_empty() {
        return Err(MetricsError::Empty);
    }
    for (which, values) in [("true", truth), ("predicted", predicted)] {
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(MetricsError::NonFinite {
                which,
                index,
                value,
            });
        }
    }
    Ok(())
}

/// Mean squared error.
pub fn mse(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check(truth, predicted)?;
    Ok(sum_squared_residuals(truth, predicted) / truth.len() as f64)
}

/// Root mean squared error.
pub fn rmse(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    mse(truth, predicted).map(f64::sqrt)
}

/// Mean absolute error.
pub fn mae(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check(truth, predicted)?;
    let sum: f64 = truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p).abs())
        .sum();
    Ok(sum / truth.len() as f64)
}

/// Largest absolute error.
pub fn max_error(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check(truth, predicted)?;
    Ok(truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p).abs())
        .fold(0.0, f64::max))
}

/// Coefficient of determination, with scikit-learn's convention for a constant target.
pub fn r2(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check(truth, predicted)?;
    Ok(r2_unchecked(truth, predicted))
}

fn sum_squared_residuals(truth: &[f64], predicted: &[f64]) -> f64 {
    truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p) * (t - p))
        .sum()
}

fn r2_unchecked(truth: &[f64], predicted: &[f64]) -> f64 {
    let n = truth.len() as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|t| (t - mean) * (t - mean)).sum();
    let ss_res = sum_squared_residuals(truth, predicted);
    if ss_tot == 0.0 {
        // scikit-learn: a constant target scores 1.0 only when predicted exactly.
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

/// The metrics of one set of predictions against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Number of values compared.
    pub n: usize,
    /// Coefficient of determination.
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
        check(truth, predicted)?;
        let n = truth.len();
        let mse = sum_squared_residuals(truth, predicted) / n as f64;
        let (abs_sum, abs_max) = truth
            .iter()
            .zip(predicted)
            .map(|(t, p)| (t - p).abs())
            .fold((0.0, 0.0_f64), |(s, m), e| (s + e, m.max(e)));
        Ok(Report {
            n,
            r2: r2_unchecked(truth, predicted),
            mse,
            rmse: mse.sqrt(),
            mae: abs_sum / n as f64,
            max_error: abs_max,
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
    fn constant_target_follows_sklearn() {
        assert_eq!(r2(&[2.0, 2.0], &[2.0, 2.0]).unwrap(), 1.0);
        assert_eq!(r2(&[2.0, 2.0], &[2.0, 2.1]).unwrap(), 0.0);
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
