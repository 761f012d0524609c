//! [`StandardScaler`]: per-column standardization, as scikit-learn's `StandardScaler`.

use crate::error::{DataError, Result};
use serde::{Deserialize, Serialize};

/// Per-column standardization: `(x - mean) / scale`, with the population standard
/// deviation (ddof 0, as scikit-learn) as scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

/// Whether `len` values make whole rows of `n_columns > 0` columns. (Spelled with a division
/// so that it reads the same under every supported toolchain's lints.)
fn whole_rows(len: usize, n_columns: usize) -> bool {
    n_columns > 0 && len / n_columns * n_columns == len
}

fn check_shape(len: usize, n_columns: usize) -> Result<()> {
    if n_columns == 0 {
        return Err(DataError::Scaler("zero columns".into()));
    }
    if !whole_rows(len, n_columns) {
        return Err(DataError::Scaler(format!(
            "{len} values do not make rows of {n_columns} columns"
        )));
    }
    Ok(())
}

impl StandardScaler {
    /// Fits on row-major `values` of `n_columns` columns. Means and variances are two-pass
    /// sums in `f64`. A constant or near-constant column (std < 1e-12·max(1, |mean|)) gets
    /// scale 1, so it is centred but not blown up. Refuses empty input, zero columns, a
    /// length that is not a multiple of `n_columns`, and non-finite values.
    pub fn fit(values: &[f64], n_columns: usize) -> Result<StandardScaler> {
        check_shape(values.len(), n_columns)?;
        if values.is_empty() {
            return Err(DataError::Scaler("cannot fit on zero rows".into()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Scaler(format!(
                "value of row {}, column {} is not finite ({})",
                i / n_columns + 1,
                i % n_columns + 1,
                values[i]
            )));
        }
        let n = (values.len() / n_columns) as f64;
        let mut mean = vec![0.0; n_columns];
        for row in values.chunks_exact(n_columns) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; n_columns];
        for row in values.chunks_exact(n_columns) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let scale = var
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let std = (s / n).sqrt();
                if std < 1e-12 * m.abs().max(1.0) {
                    1.0
                } else {
                    std
                }
            })
            .collect();
        Ok(StandardScaler { mean, scale })
    }

    /// The identity scaler (mean 0, scale 1) for `n_columns` columns.
    pub fn identity(n_columns: usize) -> StandardScaler {
        StandardScaler {
            mean: vec![0.0; n_columns],
            scale: vec![1.0; n_columns],
        }
    }
    /// Column means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Column scales (standard deviations, or 1 for a constant column).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.mean.len()
    }

    /// Standardizes row-major values in place.
    ///
    /// # Panics
    /// If `values.len()` is not a multiple of [`n_columns`](Self::n_columns) (a caller's
    /// bug; [`transform`](Self::transform) returns an error instead).
    pub fn transform_in_place(&self, values: &mut [f64]) {
        self.assert_shape(values.len());
        for row in values.chunks_exact_mut(self.n_columns()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Undoes [`transform_in_place`](Self::transform_in_place).
    ///
    /// # Panics
    /// If `values.len()` is not a multiple of [`n_columns`](Self::n_columns).
    pub fn inverse_transform_in_place(&self, values: &mut [f64]) {
        self.assert_shape(values.len());
        for row in values.chunks_exact_mut(self.n_columns()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = *v * s + m;
            }
        }
    }

    /// Standardized copy of row-major `values`; an error if the shape does not fit.
    pub fn transform(&self, values: &[f64]) -> Result<Vec<f64>> {
        check_shape(values.len(), self.n_columns())?;
        let mut out = values.to_vec();
        self.transform_in_place(&mut out);
        Ok(out)
    }

    /// Standardized row-major `values` as `f32` (the network's precision); the arithmetic
    /// is done in `f64` and rounded once.
    pub fn transform_to_f32(&self, values: &[f64]) -> Result<Vec<f32>> {
        check_shape(values.len(), self.n_columns())?;
        let d = self.n_columns();
        Ok(values
            .iter()
            .enumerate()
            .map(|(i, v)| ((v - self.mean[i % d]) / self.scale[i % d]) as f32)
            .collect())
    }

    /// Undoes the scaling of `f32` network outputs, returning `f64` in the user's units.
    pub fn inverse_transform_from_f32(&self, values: &[f32]) -> Result<Vec<f64>> {
        check_shape(values.len(), self.n_columns())?;
        let d = self.n_columns();
        Ok(values
            .iter()
            .enumerate()
            .map(|(i, &v)| f64::from(v) * self.scale[i % d] + self.mean[i % d])
            .collect())
    }

    fn assert_shape(&self, len: usize) {
        let d = self.n_columns();
        assert!(
            whole_rows(len, d),
            "{len} values do not make rows of {d} columns"
        );
    }
}
