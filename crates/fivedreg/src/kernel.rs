//! Radial-basis-function interpolation, the model `--auto` tries next to the networks on small
//! data sets: `f(x) = Σⱼ wⱼ φ(‖x − xⱼ‖) + c₀ + c·x` on the standardized inputs, with a
//! polyharmonic kernel φ and a linear polynomial tail, as SciPy's `RBFInterpolator`. The
//! weights solve `[[K + λI, P], [Pᵀ, 0]] [w; c] = [y; 0]` (λ the smoothing; 0 interpolates
//! the training rows exactly), by a blocked LU in f64.

use crate::error::{Error, Result};
use fivedreg_linalg::dense64::Lu;
use serde::{Deserialize, Serialize};

/// Most centres (training rows) a kernel model may hold: its fit costs n³ and its
/// prediction n per row, so larger sets are the networks' ground.
pub const MAX_CENTERS: usize = 6_000;

/// The radial function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RbfKernel {
    /// φ(r) = r² log r (thin-plate spline: the smoothest interpolant in 2-D's sense).
    ThinPlateSpline,
    /// φ(r) = r³.
    Cubic,
    /// φ(r) = −r⁵, with a quadratic tail (SciPy's minimum degree for it).
    Quintic,
}

impl RbfKernel {
    fn phi(self, r: f64) -> f64 {
        match self {
            RbfKernel::ThinPlateSpline => {
                if r > 0.0 {
                    r * r * r.ln()
                } else {
                    0.0
                }
            }
            RbfKernel::Cubic => r * r * r,
            RbfKernel::Quintic => -(r * r * r * r * r),
        }
    }

    /// Degree of the polynomial tail.
    fn degree(self) -> usize {
        match self {
            RbfKernel::ThinPlateSpline | RbfKernel::Cubic => 1,
            RbfKernel::Quintic => 2,
        }
    }

    /// The name in a leaderboard: `thin-plate` or `cubic`.
    pub fn name(self) -> &'static str {
        match self {
            RbfKernel::ThinPlateSpline => "thin-plate",
            RbfKernel::Cubic => "cubic",
            RbfKernel::Quintic => "quintic",
        }
    }
}

/// A fitted RBF interpolant on standardized inputs (its targets standardized too).
/// Deserializing checks every size and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RbfParts")]
pub struct RbfModel {
    kernel: RbfKernel,
    smoothing: f64,
    n_inputs: usize,
    centers: Vec<f64>,
    weights: Vec<f64>,
    tail: Vec<f64>,
}

/// An [`RbfModel`] as a file holds it, before it is checked.
#[derive(Deserialize)]
struct RbfParts {
    kernel: RbfKernel,
    smoothing: f64,
    n_inputs: usize,
    centers: Vec<f64>,
    weights: Vec<f64>,
    tail: Vec<f64>,
}

impl TryFrom<RbfParts> for RbfModel {
    type Error = Error;
    fn try_from(p: RbfParts) -> Result<RbfModel> {
        let n = p.weights.len();
        let sizes_agree = p.n_inputs > 0
            && n > 0
            && n <= MAX_CENTERS
            && Some(p.centers.len()) == n.checked_mul(p.n_inputs)
            && p.tail.len() == tail_len(p.n_inputs, p.kernel.degree());
        let finite = p
            .centers
            .iter()
            .chain(&p.weights)
            .chain(&p.tail)
            .all(|v| v.is_finite());
        if !(sizes_agree && finite && p.smoothing >= 0.0 && p.smoothing.is_finite()) {
            return Err(Error::Inconsistent(
                "a kernel model's sizes or values are inconsistent".into(),
            ));
        }
        Ok(RbfModel {
            kernel: p.kernel,
            smoothing: p.smoothing,
            n_inputs: p.n_inputs,
            centers: p.centers,
            weights: p.weights,
            tail: p.tail,
        })
    }
}

/// Number of terms of a polynomial of `degree` (1 or 2) in `d` variables.
fn tail_len(d: usize, degree: usize) -> usize {
    if degree >= 2 {
        1 + d + d * (d + 1) / 2
    } else {
        1 + d
    }
}

/// The tail's terms at `x`: 1, the xᵢ, then (degree 2) the xᵢxⱼ for i ≤ j.
fn tail_terms(x: &[f64], degree: usize, out: &mut Vec<f64>) {
    out.clear();
    out.push(1.0);
    out.extend_from_slice(x);
    if degree >= 2 {
        for i in 0..x.len() {
            for j in i..x.len() {
                out.push(x[i] * x[j]);
            }
        }
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

impl RbfModel {
    /// Fits on row-major `x` (`n × n_inputs`, standardized) and `y`.
    pub fn fit(
        x: &[f64],
        y: &[f64],
        n_inputs: usize,
        kernel: RbfKernel,
        smoothing: f64,
    ) -> Result<RbfModel> {
        let n = y.len();
        if n == 0 || n > MAX_CENTERS || x.len() != n * n_inputs {
            return Err(Error::OutOfRange(format!(
                "a kernel model takes 1 to {MAX_CENTERS} rows, not {n}"
            )));
        }
        let terms = tail_len(n_inputs, kernel.degree());
        let size = n + terms;
        let mut a = vec![0.0; size * size];
        let mut tail = Vec::with_capacity(terms);
        for i in 0..n {
            let xi = &x[i * n_inputs..(i + 1) * n_inputs];
            for j in 0..i {
                let v = kernel.phi(distance(xi, &x[j * n_inputs..(j + 1) * n_inputs]));
                a[i * size + j] = v;
                a[j * size + i] = v;
            }
            a[i * size + i] = smoothing;
            tail_terms(xi, kernel.degree(), &mut tail);
            for (t, &v) in tail.iter().enumerate() {
                a[i * size + n + t] = v;
                a[(n + t) * size + i] = v;
            }
        }
        let lu = Lu::factor(a, size).map_err(|_| {
            Error::OutOfRange("the kernel system is singular (repeated input rows?)".to_string())
        })?;
        let mut rhs = y.to_vec();
        rhs.resize(size, 0.0);
        lu.solve(&mut rhs);
        if rhs.iter().any(|v| !v.is_finite()) {
            return Err(Error::OutOfRange(
                "the kernel system has no finite solution".into(),
            ));
        }
        let tail = rhs.split_off(n);
        Ok(RbfModel {
            kernel,
            smoothing,
            n_inputs,
            centers: x.to_vec(),
            weights: rhs,
            tail,
        })
    }

    /// Predicts each row of row-major `x` (standardized) into `out`.
    pub fn predict_into(&self, x: &[f64], out: &mut [f64]) {
        let d = self.n_inputs;
        let mut tail = Vec::with_capacity(self.tail.len());
        for (row, dst) in x.chunks_exact(d).zip(out.iter_mut()) {
            tail_terms(row, self.kernel.degree(), &mut tail);
            let mut s: f64 = tail.iter().zip(&self.tail).map(|(t, c)| t * c).sum();
            for (center, w) in self.centers.chunks_exact(d).zip(&self.weights) {
                s += w * self.kernel.phi(distance(row, center));
            }
            *dst = s;
        }
    }

    /// The radial function.
    pub fn kernel(&self) -> RbfKernel {
        self.kernel
    }
    /// The smoothing λ.
    pub fn smoothing(&self) -> f64 {
        self.smoothing
    }
    /// Number of centres (training rows).
    pub fn n_centers(&self) -> usize {
        self.weights.len()
    }
    /// Number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_smoothing_it_interpolates_and_it_reproduces_linear_functions() {
        // 20 scattered points of the square (no three on a line, no six on a conic).
        let x: Vec<f64> = (0..20)
            .flat_map(|i| {
                let t = i as f64;
                [
                    (t * 0.618_034).fract() * 2.0 - 1.0,
                    (t * t * 0.414_214).fract() * 2.0 - 1.0,
                ]
            })
            .collect();
        let n = 20;
        let y: Vec<f64> = x
            .chunks(2)
            .map(|r| (3.0 * r[0]).sin() + r[1] * r[1])
            .collect();
        for kernel in [
            RbfKernel::ThinPlateSpline,
            RbfKernel::Cubic,
            RbfKernel::Quintic,
        ] {
            let m = RbfModel::fit(&x, &y, 2, kernel, 0.0).unwrap();
            let mut out = vec![0.0; n];
            m.predict_into(&x, &mut out);
            for (p, t) in out.iter().zip(&y) {
                assert!((p - t).abs() < 1e-8, "{kernel:?}: {p} vs {t}");
            }
            // A linear function lies in the tail: reproduced everywhere.
            let linear: Vec<f64> = x.chunks(2).map(|r| 2.0 - r[0] + 0.5 * r[1]).collect();
            let m = RbfModel::fit(&x, &linear, 2, kernel, 0.0).unwrap();
            let mut at = vec![0.0; 1];
            m.predict_into(&[0.123, -0.456], &mut at);
            assert!((at[0] - (2.0 - 0.123 - 0.228)).abs() < 1e-8, "{at:?}");
        }
    }

    #[test]
    fn repeated_rows_are_a_clear_error_and_serde_checks_sizes() {
        let x = vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        assert!(RbfModel::fit(&x, &[1.0, 2.0, 3.0], 2, RbfKernel::Cubic, 0.0).is_err());
        // Three distinct rows of one input: enough for the tail (2 terms) and one weight.
        let m = RbfModel::fit(&[0.0, 1.0, 2.0], &[1.0, 0.0, 4.0], 1, RbfKernel::Cubic, 0.1);
        assert!(m.is_ok());
        let parts = RbfParts {
            kernel: RbfKernel::Cubic,
            smoothing: 0.0,
            n_inputs: 2,
            centers: vec![0.0; 3],
            weights: vec![1.0, 2.0],
            tail: vec![0.0; 3],
        };
        assert!(RbfModel::try_from(parts).is_err());
    }
}
