//! [`StandardScaler`]: per-column standardization, as scikit-learn's `StandardScaler`.

use crate::error::{DataError, Result};
use fivedreg_linalg::times_power_of_two;
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

/// Standard deviations at most this fraction of a column's largest magnitude make the
/// column constant: its differences are rounding noise.
const CONSTANT_RELATIVE_STD: f64 = 1e-12;

/// The statistics of one column.
struct ColumnStats {
    mean: f64,
    std: f64,
    constant: bool,
}

/// The exponent `e` of a power of two with `x * 2^-e` in [0.5, 2] for a finite `x > 0`.
fn magnitude_exponent(x: f64) -> i32 {
    // log2 of a subnormal number is fine; the result need not be exact.
    x.log2().round() as i32
}

/// Mean, standard deviation (ddof 0) and constancy of each column, computed in a rescaled
/// domain (see [`StandardScaler::fit`]).
fn column_stats(values: &[f64], n_columns: usize) -> Result<Vec<ColumnStats>> {
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
    let rows = || values.chunks_exact(n_columns);
    let mut largest = vec![0.0f64; n_columns];
    for row in rows() {
        for (m, v) in largest.iter_mut().zip(row) {
            *m = m.max(v.abs());
        }
    }
    let exponents: Vec<i32> = largest
        .iter()
        .map(|&m| if m > 0.0 { magnitude_exponent(m) } else { 0 })
        .collect();
    let factors: Vec<f64> = exponents
        .iter()
        .map(|&e| times_power_of_two(1.0, -e))
        .collect();
    // Sums of the rescaled values: `v * factor` is exact unless the factor itself is not
    // representable (a subnormal column); then it is applied in steps.
    let rescale = |v: f64, c: usize| {
        if factors[c].is_finite() && factors[c] > 0.0 {
            v * factors[c]
        } else {
            times_power_of_two(v, -exponents[c])
        }
    };
    let mut sum = vec![0.0; n_columns];
    for row in rows() {
        for (c, (s, &v)) in sum.iter_mut().zip(row).enumerate() {
            *s += rescale(v, c);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut var = vec![0.0; n_columns];
    for row in rows() {
        for (c, ((s, &v), m)) in var.iter_mut().zip(row).zip(&mean).enumerate() {
            let d = rescale(v, c) - m;
            *s += d * d;
        }
    }
    let first = &values[..n_columns];
    Ok((0..n_columns)
        .map(|c| {
            let all_equal = rows().all(|row| row[c] == first[c]);
            let std = (var[c] / n).sqrt();
            let largest_rescaled = rescale(largest[c], c);
            ColumnStats {
                mean: if all_equal {
                    first[c]
                } else {
                    times_power_of_two(mean[c], exponents[c])
                },
                std: times_power_of_two(std, exponents[c]),
                constant: all_equal || std <= CONSTANT_RELATIVE_STD * largest_rescaled,
            }
        })
        .collect())
}

impl StandardScaler {
    /// Fits on row-major `values` of `n_columns` columns. Means and variances are two-pass
    /// sums in `f64`, taken over each column multiplied by a power of two that brings its
    /// largest magnitude near 1 (an exact scaling), so columns of any scale, from subnormal
    /// numbers to 1e300, neither underflow nor overflow when squared. A constant or
    /// near-constant column (std at most 1e-12 of the column's largest magnitude; see
    /// [`constant_columns`](Self::constant_columns)) gets scale 1, so it is centred but not
    /// blown up; a column whose values are all equal gets exactly that value as its mean.
    /// Refuses empty input, zero columns, a length that is not a multiple of `n_columns`,
    /// and non-finite values.
    pub fn fit(values: &[f64], n_columns: usize) -> Result<StandardScaler> {
        let stats = column_stats(values, n_columns)?;
        Ok(StandardScaler {
            mean: stats.iter().map(|c| c.mean).collect(),
            scale: stats
                .iter()
                .map(|c| if c.constant { 1.0 } else { c.std })
                .collect(),
        })
    }

    /// Which columns of row-major `values` [`fit`](Self::fit) treats as constant: those
    /// whose standard deviation is at most 1e-12 of their largest magnitude (all-zero
    /// columns included). A constant target carries no information to learn; a model
    /// predicts it exactly instead. Refuses what [`fit`](Self::fit) refuses.
    pub fn constant_columns(values: &[f64], n_columns: usize) -> Result<Vec<bool>> {
        Ok(column_stats(values, n_columns)?
            .iter()
            .map(|c| c.constant)
            .collect())
    }

    /// This scaler with column `c`'s scale divided by `weights[c]`, so that the scaled
    /// column is multiplied by it (a kernel model's input relevance: a larger weight makes
    /// the model vary faster along that input). Refuses a weight count other than the
    /// column count, and weights that are not finite and positive or that leave the scale
    /// non-finite or zero.
    pub fn reweighted(&self, weights: &[f64]) -> Result<StandardScaler> {
        if weights.len() != self.n_columns() {
            return Err(DataError::Scaler(format!(
                "{} weights for {} columns",
                weights.len(),
                self.n_columns()
            )));
        }
        let scale: Vec<f64> = self.scale.iter().zip(weights).map(|(s, w)| s / w).collect();
        let valid = weights.iter().all(|w| w.is_finite() && *w > 0.0)
            && scale.iter().all(|s| s.is_finite() && *s > 0.0);
        if !valid {
            return Err(DataError::Scaler(
                "input weights must be finite and positive".into(),
            ));
        }
        Ok(StandardScaler {
            mean: self.mean.clone(),
            scale,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reweighting_multiplies_the_scaled_columns_and_refuses_bad_weights() {
        let values = [1.0, 10.0, 3.0, 30.0, 5.0, 50.0];
        let plain = StandardScaler::fit(&values, 2).unwrap();
        let weighted = plain.reweighted(&[2.0, 0.5]).unwrap();
        let (mut a, mut b) = (values.to_vec(), values.to_vec());
        plain.transform_in_place(&mut a);
        weighted.transform_in_place(&mut b);
        for (i, (p, w)) in a.iter().zip(&b).enumerate() {
            let factor = if i % 2 == 0 { 2.0 } else { 0.5 };
            assert!((p * factor - w).abs() < 1e-12, "{p} {w}");
        }
        for bad in [[0.0, 1.0], [-1.0, 1.0], [f64::NAN, 1.0], [1e-320, 1.0]] {
            assert!(plain.reweighted(&bad).is_err(), "{bad:?}");
        }
        assert!(plain.reweighted(&[1.0]).is_err());
    }

    /// A column of varied values around 1 (std about 0.3).
    fn column() -> Vec<f64> {
        (0..200)
            .map(|i| 1.0 + ((i * 37) % 101) as f64 / 100.0)
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    /// Tiny, subnormal and huge columns get the statistics of the unit column, scaled: a
    /// standard deviation far below 1e-12 is not "constant" when the values are that small.
    #[test]
    fn statistics_scale_with_the_column() {
        let unit = StandardScaler::fit(&column(), 1).unwrap();
        for factor in [1e-20, 1e-300, 1e-310, 1e-320, 1e150, 1e300] {
            let values: Vec<f64> = column().iter().map(|v| v * factor).collect();
            let scaler = StandardScaler::fit(&values, 1).unwrap();
            assert_eq!(
                StandardScaler::constant_columns(&values, 1).unwrap(),
                [false],
                "x {factor}"
            );
            // Subnormal values carry fewer digits, so the comparison is looser there.
            let tolerance = if factor < 1e-307 { 1e-3 } else { 1e-12 };
            let near = |a: f64, b: f64| (a - b).abs() <= tolerance * a.abs().max(b.abs());
            assert!(
                near(scaler.mean()[0], unit.mean()[0] * factor),
                "x {factor}: mean {}",
                scaler.mean()[0]
            );
            assert!(
                near(scaler.scale()[0], unit.scale()[0] * factor),
                "x {factor}: scale {}",
                scaler.scale()[0]
            );
            let standardized = scaler.transform(&values).unwrap();
            let expected = unit.transform(&column()).unwrap();
            for (a, b) in standardized.iter().zip(&expected) {
                assert!((a - b).abs() < tolerance * 10.0, "x {factor}: {a} vs {b}");
            }
        }
    }

    /// Scaling by a power of two is exact, so ordinary columns get the plain two-pass
    /// statistics bit for bit.
    #[test]
    fn ordinary_columns_get_the_plain_two_pass_statistics() {
        let values = column();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let scaler = StandardScaler::fit(&values, 1).unwrap();
        assert_eq!(scaler.mean()[0], mean);
        assert_eq!(scaler.scale()[0], var.sqrt());
        assert!(close(scaler.scale()[0], var.sqrt()));
    }

    #[test]
    fn a_constant_column_keeps_its_value_exactly() {
        for value in [3.0, 0.1, -7.3e-5, 1e-300, 0.0, 2.5e300] {
            let values = vec![value; 1001];
            let scaler = StandardScaler::fit(&values, 1).unwrap();
            assert_eq!(scaler.mean()[0], value);
            assert_eq!(scaler.scale()[0], 1.0);
            assert_eq!(
                StandardScaler::constant_columns(&values, 1).unwrap(),
                [true]
            );
        }
        // Rounding noise on a large value is constant too; a real spread is not.
        let noisy = [1e6, 1e6 + 1e-7, 1e6 - 1e-7];
        assert_eq!(StandardScaler::constant_columns(&noisy, 1).unwrap(), [true]);
        assert_eq!(StandardScaler::fit(&noisy, 1).unwrap().scale()[0], 1.0);
        let spread = [1e6, 1e6 + 1.0, 1e6 - 1.0];
        assert_eq!(
            StandardScaler::constant_columns(&spread, 1).unwrap(),
            [false]
        );
    }

    #[test]
    fn powers_of_two_in_steps() {
        assert_eq!(
            times_power_of_two(1.0, 1030),
            2f64.powi(1000) * 2f64.powi(30)
        );
        assert_eq!(
            times_power_of_two(3.0, -1030),
            3.0 / 2f64.powi(1000) / 2f64.powi(30)
        );
        assert_eq!(times_power_of_two(5.0, 0), 5.0);
    }
}
