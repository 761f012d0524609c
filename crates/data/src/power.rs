//! [`YeoJohnson`]: a per-column power transform that makes skewed columns more Gaussian, as
//! scikit-learn's `PowerTransformer(method="yeo-johnson", standardize=False)`.

use crate::error::{DataError, Result};
use serde::{Deserialize, Serialize};

/// Bounds of the search for each column's λ.
const LAMBDA_RANGE: (f64, f64) = (-3.0, 5.0);

/// Per-column Yeo-Johnson transform with one λ per column, each chosen by maximum likelihood
/// (scikit-learn's criterion). Deserializing checks every λ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct YeoJohnson {
    lambdas: Vec<f64>,
}

impl TryFrom<Vec<f64>> for YeoJohnson {
    type Error = DataError;
    fn try_from(lambdas: Vec<f64>) -> Result<YeoJohnson> {
        YeoJohnson::from_lambdas(lambdas)
    }
}

impl From<YeoJohnson> for Vec<f64> {
    fn from(t: YeoJohnson) -> Vec<f64> {
        t.lambdas
    }
}

/// The Yeo-Johnson transform of one value.
pub fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < 1e-12 {
            x.ln_1p()
        } else {
            ((x + 1.0).powf(lambda) - 1.0) / lambda
        }
    } else if (lambda - 2.0).abs() < 1e-12 {
        -(-x).ln_1p()
    } else {
        -((1.0 - x).powf(2.0 - lambda) - 1.0) / (2.0 - lambda)
    }
}

/// scikit-learn's negative log-likelihood of λ for one column.
fn neg_log_likelihood(column: &[f64], lambda: f64) -> f64 {
    let n = column.len() as f64;
    let transformed: Vec<f64> = column.iter().map(|&x| yeo_johnson(x, lambda)).collect();
    if transformed.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    let mean = transformed.iter().sum::<f64>() / n;
    let var = transformed.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    if var.is_nan() || var <= f64::MIN_POSITIVE || !var.is_finite() {
        return f64::INFINITY;
    }
    let jacobian: f64 = column.iter().map(|&x| x.signum() * x.abs().ln_1p()).sum();
    n / 2.0 * var.ln() - (lambda - 1.0) * jacobian
}

/// Golden-section search for the λ of least negative log-likelihood in [`LAMBDA_RANGE`].
fn best_lambda(column: &[f64]) -> f64 {
    let (mut a, mut b) = LAMBDA_RANGE;
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (neg_log_likelihood(column, c), neg_log_likelihood(column, d));
    while b - a > 1e-6 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = neg_log_likelihood(column, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = neg_log_likelihood(column, d);
        }
    }
    let best = 0.5 * (a + b);
    // A column the transform cannot model (constant, say) is left as it is (λ = 1).
    if neg_log_likelihood(column, best).is_finite() {
        best
    } else {
        1.0
    }
}

impl YeoJohnson {
    /// Fits one λ per column of row-major `values` (`n_columns` columns, finite values).
    pub fn fit(values: &[f64], n_columns: usize) -> Result<YeoJohnson> {
        if n_columns == 0 || values.is_empty() || !values.len().is_multiple_of(n_columns) {
            return Err(DataError::Scaler(format!(
                "cannot fit a power transform on {} values of {n_columns} columns",
                values.len()
            )));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(DataError::Scaler(
                "cannot fit a power transform on non-finite values".into(),
            ));
        }
        let lambdas = (0..n_columns)
            .map(|c| {
                let column: Vec<f64> = values.iter().skip(c).step_by(n_columns).copied().collect();
                best_lambda(&column)
            })
            .collect();
        Ok(YeoJohnson { lambdas })
    }

    /// A transform with the given λ per column (each finite).
    pub fn from_lambdas(lambdas: Vec<f64>) -> Result<YeoJohnson> {
        if lambdas.iter().any(|l| !l.is_finite()) {
            return Err(DataError::Scaler("a Yeo-Johnson λ is not finite".into()));
        }
        Ok(YeoJohnson { lambdas })
    }

    /// The λ of each column.
    pub fn lambdas(&self) -> &[f64] {
        &self.lambdas
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.lambdas.len()
    }

    /// Transforms row-major `values` in place.
    pub fn transform_in_place(&self, values: &mut [f64]) {
        let n = self.lambdas.len().max(1);
        for row in values.chunks_mut(n) {
            for (v, &l) in row.iter_mut().zip(&self.lambdas) {
                *v = yeo_johnson(*v, l);
            }
        }
    }
}

/// Sample skewness of each column of row-major `values` (0 for a constant column).
pub fn column_skewness(values: &[f64], n_columns: usize) -> Vec<f64> {
    (0..n_columns.max(1))
        .map(|c| {
            let column: Vec<f64> = values.iter().skip(c).step_by(n_columns).copied().collect();
            let n = column.len().max(1) as f64;
            let mean = column.iter().sum::<f64>() / n;
            let m2 = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let m3 = column.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
            if m2 > 0.0 {
                m3 / m2.powf(1.5)
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transform_matches_its_definition() {
        // Values worked by hand from the definition (scikit-learn's `_yeo_johnson_transform`).
        assert!((yeo_johnson(3.0, 0.5) - 2.0).abs() < 1e-12); // (4^0.5 − 1)/0.5
        assert!((yeo_johnson(3.0, 0.0) - 4f64.ln()).abs() < 1e-12);
        assert!((yeo_johnson(-3.0, 1.5) - -2.0).abs() < 1e-12); // −(4^0.5 − 1)/0.5
        assert!((yeo_johnson(-3.0, 2.0) - -(4f64.ln())).abs() < 1e-12);
        assert_eq!(yeo_johnson(0.7, 1.0), 0.7);
    }

    #[test]
    fn a_skewed_column_is_made_symmetric_and_a_normal_one_kept() {
        // Exponential-looking column (strongly right-skewed) and a symmetric one.
        let n = 2000;
        let values: Vec<f64> = (0..n)
            .flat_map(|i| {
                let u = (i as f64 + 0.5) / n as f64;
                [-(1.0 - u).ln() * 3.0, u - 0.5]
            })
            .collect();
        let before = column_skewness(&values, 2);
        assert!(before[0] > 1.5, "{before:?}");
        let t = YeoJohnson::fit(&values, 2).unwrap();
        let mut after = values.clone();
        t.transform_in_place(&mut after);
        let skew = column_skewness(&after, 2);
        assert!(skew[0].abs() < 0.3, "{skew:?} with λ {:?}", t.lambdas());
        assert!(skew[1].abs() < 0.1, "{skew:?}");
    }

    #[test]
    fn serde_checks_the_lambdas() {
        assert!(YeoJohnson::try_from(vec![f64::NAN]).is_err());
        assert!(YeoJohnson::try_from(vec![0.5]).is_ok());
    }
}
