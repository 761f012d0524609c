//! What the toolkit asks of a model.

use crate::{Result, SurrogateError};
use fivedreg::Interpolator;

/// A model of a few continuous inputs: predictions of row-major rows, and optionally a
/// standard deviation per row.
pub trait Surrogate {
    /// Number of inputs per row.
    fn n_inputs(&self) -> usize;
    /// Predictions for row-major `rows` (`n × n_inputs`), in the user's units.
    fn predict(&self, rows: &[f64]) -> Result<Vec<f64>>;
    /// Whether [`predict_with_std`](Self::predict_with_std) works.
    fn has_std(&self) -> bool;
    /// Predictions and their standard deviations.
    fn predict_with_std(&self, rows: &[f64]) -> Result<(Vec<f64>, Vec<f64>)>;
}

impl Surrogate for Interpolator {
    fn n_inputs(&self) -> usize {
        self.feature_names().len()
    }
    fn predict(&self, rows: &[f64]) -> Result<Vec<f64>> {
        Ok(Interpolator::predict(self, rows)?)
    }
    fn has_std(&self) -> bool {
        self.is_ensemble()
    }
    fn predict_with_std(&self, rows: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let out = Interpolator::predict_with_std(self, rows)?;
        Ok((out.mean, out.std))
    }
}

/// A plain function as a [`Surrogate`] (the tests' references): `f` maps one row to its
/// value, `std` (if any) to its standard deviation.
pub struct FnSurrogate<F, S = fn(&[f64]) -> f64> {
    /// Inputs per row.
    pub n_inputs: usize,
    /// The function.
    pub f: F,
    /// The standard deviation, if the function has one.
    pub std: Option<S>,
}

impl<F: Fn(&[f64]) -> f64> FnSurrogate<F> {
    /// `f` of `n_inputs` inputs, without a standard deviation.
    pub fn new(n_inputs: usize, f: F) -> Self {
        FnSurrogate {
            n_inputs,
            f,
            std: None,
        }
    }
}

impl<F: Fn(&[f64]) -> f64, S: Fn(&[f64]) -> f64> Surrogate for FnSurrogate<F, S> {
    fn n_inputs(&self) -> usize {
        self.n_inputs
    }
    fn predict(&self, rows: &[f64]) -> Result<Vec<f64>> {
        Ok(rows.chunks_exact(self.n_inputs).map(&self.f).collect())
    }
    fn has_std(&self) -> bool {
        self.std.is_some()
    }
    fn predict_with_std(&self, rows: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let std = self.std.as_ref().ok_or(SurrogateError::NoStd {
            what: "this function",
        })?;
        let mean = self.predict(rows)?;
        Ok((mean, rows.chunks_exact(self.n_inputs).map(std).collect()))
    }
}

/// Predictions that must all be finite (the optimiser and the indices cannot use others).
pub(crate) fn finite(model: &dyn Surrogate, rows: &[f64]) -> Result<Vec<f64>> {
    let y = model.predict(rows)?;
    finite_or_err(model.n_inputs(), rows, &y)?;
    Ok(y)
}

pub(crate) fn finite_or_err(d: usize, rows: &[f64], y: &[f64]) -> Result<()> {
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        let point: Vec<String> = rows[i * d..(i + 1) * d]
            .iter()
            .map(|v| v.to_string())
            .collect();
        return Err(SurrogateError::NotFinite(point.join(",")));
    }
    Ok(())
}
