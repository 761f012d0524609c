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

/// Most training rows a kernel model fitted by [`Interpolator::fit`](crate::Interpolator::fit)
/// takes as centres: above it, a subset of this many drawn from the seed (the fit costs the
/// cube of the centres; on a smooth function 2,000 well-spread centres already resolve
/// what the noise lets one resolve, and the held-out rows of every fold still measure it).
pub const FIT_MAX_CENTERS: usize = 2_000;

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

/// Rows of the subsample on which [`search_input_weights`] cross-validates.
pub(crate) const SEARCH_ROWS: usize = 450;
/// Folds of that cross-validation.
const SEARCH_FOLDS: usize = 3;
/// The factor by which each sweep over the inputs divides and multiplies the smoothing
/// (before it halves and doubles every weight): coarse first, then finer.
const SEARCH_SMOOTHING_STEPS: [f64; 3] = [10.0, 10.0, 3.0];

/// Sum of squared held-out errors of `kernel` at `smoothing` on `x` (row-major, `d` wide)
/// with each input multiplied by its weight, over `folds` (fold `m` predicted by a model
/// fitted on the other folds).
fn held_out_sse(
    x: &[f64],
    y: &[f64],
    d: usize,
    folds: &[Vec<usize>],
    weights: &[f64],
    kernel: RbfKernel,
    smoothing: f64,
) -> Result<f64> {
    let weighted: Vec<f64> = x
        .chunks_exact(d)
        .flat_map(|row| row.iter().zip(weights).map(|(v, w)| v * w))
        .collect();
    let mut in_fold = vec![usize::MAX; y.len()];
    for (m, fold) in folds.iter().enumerate() {
        fold.iter().for_each(|&i| in_fold[i] = m);
    }
    let fold_sse = |m: usize| -> Result<f64> {
        let fold = &folds[m];
        let rows: Vec<usize> = (0..y.len()).filter(|&i| in_fold[i] != m).collect();
        let xs: Vec<f64> = rows
            .iter()
            .flat_map(|&i| weighted[i * d..(i + 1) * d].iter().copied())
            .collect();
        let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let model = RbfModel::fit(&xs, &ys, d, kernel, smoothing)?;
        let xv: Vec<f64> = fold
            .iter()
            .flat_map(|&i| weighted[i * d..(i + 1) * d].iter().copied())
            .collect();
        let mut predicted = vec![0.0; fold.len()];
        model.predict_into(&xv, &mut predicted);
        Ok(fold
            .iter()
            .zip(&predicted)
            .map(|(&i, p)| (y[i] - p).powi(2))
            .sum::<f64>())
    };
    // The folds in parallel; summed in fold order, so the result is the same whatever the
    // core count.
    let per_fold: Vec<Result<f64>> = std::thread::scope(|scope| {
        let fold_sse = &fold_sse;
        let handles: Vec<_> = (1..folds.len())
            .map(|m| scope.spawn(move || fold_sse(m)))
            .collect();
        let mut results = vec![fold_sse(0)];
        for handle in handles {
            results.push(match handle.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            });
        }
        results
    });
    per_fold.into_iter().sum()
}

/// Chooses a weight per input (each standardized input is multiplied by its weight before
/// the kernel sees it) and the smoothing, by coordinate search on the held-out error of a
/// small cross-validation: a GP's automatic relevance determination, cheaply. On a
/// subsample of at most [`SEARCH_ROWS`] rows of `x` (standardized, row-major, `d` wide) and
/// `y` (standardized), cut into 3 folds, both drawn from `seed`; starting from weights 1
/// and `smoothing`, each of three sweeps tries dividing and multiplying the smoothing (by
/// 10, 10, then 3), then halving and doubling each weight in turn, keeping a change only
/// when it lowers the held-out error. Deterministic: the same inputs and seed give the same result. Fails when the
/// starting point's kernel system is singular.
pub(crate) fn search_input_weights(
    x: &[f64],
    y: &[f64],
    d: usize,
    kernel: RbfKernel,
    smoothing: f64,
    seed: u64,
) -> Result<(Vec<f64>, f64)> {
    let mut rows = fivedreg_rng::shuffled_indices(y.len(), seed, fivedreg_rng::Stream::Folds);
    rows.truncate(SEARCH_ROWS);
    rows.sort_unstable();
    let xs: Vec<f64> = rows
        .iter()
        .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
        .collect();
    let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let mut folds = vec![Vec::new(); SEARCH_FOLDS];
    for i in 0..ys.len() {
        folds[i % SEARCH_FOLDS].push(i);
    }
    let mut weights = vec![1.0; d];
    let mut smoothing = smoothing;
    let mut best = held_out_sse(&xs, &ys, d, &folds, &weights, kernel, smoothing)?;
    for step in SEARCH_SMOOTHING_STEPS {
        for factor in [1.0 / step, step] {
            let trial = smoothing * factor;
            if let Ok(sse) = held_out_sse(&xs, &ys, d, &folds, &weights, kernel, trial) {
                if sse < best {
                    best = sse;
                    smoothing = trial;
                }
            }
        }
        for j in 0..d {
            for factor in [0.5, 2.0] {
                let mut trial = weights.clone();
                trial[j] *= factor;
                // A trial whose system is singular is simply not taken.
                if let Ok(sse) = held_out_sse(&xs, &ys, d, &folds, &trial, kernel, smoothing) {
                    if sse < best {
                        best = sse;
                        weights = trial;
                    }
                }
            }
        }
    }
    Ok((weights, smoothing))
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

    /// Plain reference of the search's error: one model per fold, fitted by hand.
    #[test]
    fn the_search_weights_the_relevant_input_up_and_is_deterministic() {
        // y depends on x1 only; x2 is noise for the kernel.
        let n = 240;
        let x: Vec<f64> = (0..n)
            .flat_map(|i| {
                let t = i as f64;
                [
                    (t * 0.618_034).fract() * 3.4 - 1.7,
                    (t * t * 0.414_214).fract() * 3.4 - 1.7,
                ]
            })
            .collect();
        let y: Vec<f64> = x.chunks(2).map(|r| (2.0 * r[0]).sin()).collect();
        let (w, s) = search_input_weights(&x, &y, 2, RbfKernel::Cubic, 1e-3, 5).unwrap();
        assert!(w[0] > w[1], "{w:?}");
        assert!(s > 0.0 && s.is_finite());
        assert_eq!(
            (w.clone(), s),
            search_input_weights(&x, &y, 2, RbfKernel::Cubic, 1e-3, 5).unwrap()
        );
        // The held-out error against a by-hand fit of each fold.
        let folds = vec![
            (0..n).step_by(2).collect::<Vec<_>>(),
            (1..n).step_by(2).collect(),
        ];
        let weights = [1.5, 0.5];
        let sse = held_out_sse(&x, &y, 2, &folds, &weights, RbfKernel::Cubic, 0.1).unwrap();
        let scaled: Vec<f64> = x.chunks(2).flat_map(|r| [r[0] * 1.5, r[1] * 0.5]).collect();
        let mut reference = 0.0;
        for (fit_rows, test_rows) in [(&folds[1], &folds[0]), (&folds[0], &folds[1])] {
            let pick = |rows: &[usize]| -> Vec<f64> {
                rows.iter()
                    .flat_map(|&i| [scaled[2 * i], scaled[2 * i + 1]])
                    .collect()
            };
            let ys: Vec<f64> = fit_rows.iter().map(|&i| y[i]).collect();
            let m = RbfModel::fit(&pick(fit_rows), &ys, 2, RbfKernel::Cubic, 0.1).unwrap();
            let mut p = vec![0.0; test_rows.len()];
            m.predict_into(&pick(test_rows), &mut p);
            reference += test_rows
                .iter()
                .zip(&p)
                .map(|(&i, p)| (y[i] - p).powi(2))
                .sum::<f64>();
        }
        assert!(
            (sse - reference).abs() <= 1e-12 * reference.max(1.0),
            "{sse} {reference}"
        );
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
