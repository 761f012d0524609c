//! Radial-basis-function interpolation, the model `--auto` tries next to the networks on small
//! data sets: `f(x) = Σⱼ wⱼ φ(‖x − xⱼ‖) + c₀ + c·x` on the standardized inputs, with a
//! polyharmonic kernel φ and a linear polynomial tail, as SciPy's `RBFInterpolator`. The
//! weights solve `[[K + λI, P], [Pᵀ, 0]] [w; c] = [y; 0]` (λ the smoothing; 0 interpolates
//! the training rows exactly), by a blocked LU in f64.

use crate::error::{Error, Result};
use fivedreg_linalg::dense64::{sub_product, Cholesky, FactorEnd, Lu};
use fivedreg_nn::{minimize, LbfgsLimits};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Most centres (training rows) a kernel model may hold: its fit costs n³ and its
/// prediction n per row, so larger sets are the networks' ground.
pub const MAX_CENTERS: usize = 6_000;

/// Most training rows a kernel model fitted by [`Interpolator::fit`](crate::Interpolator::fit)
/// takes as centres: above it, a subset of this many drawn from the seed (the fit costs the
/// cube of the centres; on a smooth function 2,000 well-spread centres already resolve
/// what the noise lets one resolve, and the held-out rows of every fold still measure it).
pub const FIT_MAX_CENTERS: usize = 2_000;

/// Most centres the position-dependent std (the power function, see
/// [`RbfModel::power_into`]) is computed from: a spread-out subset of the model's centres,
/// chosen by farthest-point sampling. It costs about (this + the tail's terms)² operations
/// per row, twice the prediction's own cost at 2,000 centres, and is rebuilt from the stored
/// centres when first needed, so model files do not grow.
pub const STD_BASIS_CENTERS: usize = 200;

/// The radial function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RbfKernel {
    /// φ(r) = r² log r (thin-plate spline: the smoothest interpolant in 2-D's sense).
    ThinPlateSpline,
    /// φ(r) = r³.
    Cubic,
    /// φ(r) = −r⁵, with a quadratic tail (SciPy's minimum degree for it).
    Quintic,
    /// φ(r) = exp(−r²), with a constant tail: with the smoothing λ, the posterior mean of a
    /// Gaussian process with a squared-exponential covariance and noise variance λ (in units
    /// of the signal variance). Its length scales are the inputs' weights, which `--auto`
    /// chooses by maximum marginal likelihood. Listed last: a model file stores the
    /// variant's index.
    Gaussian,
    /// φ(r) = exp(−r²), with a linear tail: the Gaussian process's mean is a linear
    /// function of the inputs, estimated with it (universal kriging). `--auto` tries it with
    /// the length scales and noise chosen for [`Gaussian`](Self::Gaussian): on nearly linear
    /// data (scikit-learn's diabetes set) it predicts better.
    GaussianLinear,
    /// φ(r) = exp(−r²), without a tail: the posterior mean of the zero-mean Gaussian process
    /// on the standardized target, exactly the model whose marginal likelihood `--auto`'s
    /// search maximises (and scikit-learn's `GaussianProcessRegressor` with
    /// `normalize_y=True` fits). `--auto`'s Gaussian-process candidate.
    GaussianProcess,
}

impl RbfKernel {
    /// Every radial function, in the order of the variants.
    pub const ALL: [RbfKernel; 6] = [
        RbfKernel::ThinPlateSpline,
        RbfKernel::Cubic,
        RbfKernel::Quintic,
        RbfKernel::Gaussian,
        RbfKernel::GaussianLinear,
        RbfKernel::GaussianProcess,
    ];

    /// φ(r), the radial function at distance `r`.
    pub fn phi(self, r: f64) -> f64 {
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
            RbfKernel::Gaussian | RbfKernel::GaussianLinear | RbfKernel::GaussianProcess => {
                (-r * r).exp()
            }
        }
    }

    /// Degree of the polynomial tail (`None`: no tail; 0 a constant, 1 linear, 2 quadratic).
    pub fn degree(self) -> Option<usize> {
        match self {
            RbfKernel::ThinPlateSpline | RbfKernel::Cubic | RbfKernel::GaussianLinear => Some(1),
            RbfKernel::Quintic => Some(2),
            RbfKernel::Gaussian => Some(0),
            RbfKernel::GaussianProcess => None,
        }
    }

    /// The name in a leaderboard: `thin-plate`, `cubic`, `quintic`, `gaussian`,
    /// `gaussian-linear` or `gaussian-process`.
    pub fn name(self) -> &'static str {
        match self {
            RbfKernel::ThinPlateSpline => "thin-plate",
            RbfKernel::Cubic => "cubic",
            RbfKernel::Quintic => "quintic",
            RbfKernel::Gaussian => "gaussian",
            RbfKernel::GaussianLinear => "gaussian-linear",
            RbfKernel::GaussianProcess => "gaussian-process",
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
    /// Derived from the fields above on first use; never stored.
    #[serde(skip)]
    basis: LazyBasis,
}

/// A subset of the centres and the factor of their kernel system, which the power function
/// reads.
#[derive(Debug, Clone)]
struct PowerBasis {
    /// The subset's centres, row-major.
    centers: Vec<f64>,
    form: PowerForm,
}

/// What a kernel model's power function is computed from, on a subset of its centres
/// (see [`RbfModel::power_into`]); `k` is a row's kernel values to those centres and `p`
/// its tail terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerForm {
    /// The Gaussian kernels (whose `Φ + λI = LLᵀ` is positive definite): `Zᵀ`, the
    /// transpose of `Z = L⁻¹` (`m × m`, upper triangular, so that the rows' `w = Z·k` are
    /// one product `K·Zᵀ`), `B = Z·P` (`m × t`, the tail terms of the centres seen
    /// through `Z`) and `S⁻¹ = (BᵀB)⁻¹` (`t × t`), all row-major. Then with `w = Z·k` and
    /// `r = p − Bᵀw`, `P² = φ(0) − ‖w‖² + rᵀS⁻¹r`: universal kriging's variance, with no
    /// explicit inverse of an ill-conditioned matrix (a Gaussian process with little noise
    /// has one) to lose digits to cancellation.
    Cholesky {
        /// `Zᵀ = L⁻ᵀ`.
        lower_inverse_t: Vec<f64>,
        /// `B = Z·P`.
        tail_basis: Vec<f64>,
        /// `(BᵀB)⁻¹` (empty without a tail).
        tail_inverse: Vec<f64>,
    },
    /// The polyharmonic kernels (only conditionally positive definite): the whole system's
    /// inverse `[[Φ + λI, P], [Pᵀ, 0]]⁻¹`, row-major, `(m + t)²`; `P² = φ(0) − vᵀA⁻¹v` with
    /// `v = [k; p]`.
    Saddle {
        /// `A⁻¹`.
        inverse: Vec<f64>,
    },
    /// The system is singular: the power function is 0 everywhere.
    Singular,
}

/// A [`PowerBasis`] built on first use. Equal to every other: it is a function of the
/// model's stored fields, so models compare by those alone.
#[derive(Debug, Clone, Default)]
struct LazyBasis(OnceLock<PowerBasis>);

impl PartialEq for LazyBasis {
    fn eq(&self, _: &Self) -> bool {
        true
    }
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
            basis: LazyBasis::default(),
        })
    }
}

/// Number of terms of a polynomial of `degree` (0, 1 or 2; `None`: no polynomial) in `d`
/// variables.
fn tail_len(d: usize, degree: Option<usize>) -> usize {
    match degree {
        None => 0,
        Some(0) => 1,
        Some(1) => 1 + d,
        Some(_) => 1 + d + d * (d + 1) / 2,
    }
}

/// The tail's terms at `x`: 1, then (degree ≥ 1) the xᵢ, then (degree 2) the xᵢxⱼ for i ≤ j;
/// none without a tail.
fn tail_terms(x: &[f64], degree: Option<usize>, out: &mut Vec<f64>) {
    out.clear();
    let Some(degree) = degree else {
        return;
    };
    out.push(1.0);
    if degree >= 1 {
        out.extend_from_slice(x);
    }
    if degree >= 2 {
        for i in 0..x.len() {
            for j in i..x.len() {
                out.push(x[i] * x[j]);
            }
        }
    }
}

/// The kernel system `[[Φ + λI, P], [Pᵀ, 0]]` of the centres `x` (row-major, `n_inputs`
/// wide), row-major, and its size.
fn system_matrix(
    x: &[f64],
    n_inputs: usize,
    kernel: RbfKernel,
    smoothing: f64,
) -> (Vec<f64>, usize) {
    let n = x.len() / n_inputs;
    let size = n + tail_len(n_inputs, kernel.degree());
    let mut a = vec![0.0; size * size];
    let mut tail = Vec::with_capacity(size - n);
    for i in 0..n {
        let xi = &x[i * n_inputs..(i + 1) * n_inputs];
        for j in 0..i {
            let v = kernel.phi(distance(xi, &x[j * n_inputs..(j + 1) * n_inputs]));
            a[i * size + j] = v;
            a[j * size + i] = v;
        }
        a[i * size + i] = kernel.phi(0.0) + smoothing;
        tail_terms(xi, kernel.degree(), &mut tail);
        for (t, &v) in tail.iter().enumerate() {
            a[i * size + n + t] = v;
            a[(n + t) * size + i] = v;
        }
    }
    (a, size)
}

/// Indices of `count` of the rows of `x` (row-major, `d` wide) spread as far apart as
/// greedy farthest-point sampling spreads them: first the row nearest the rows' mean, then
/// each time the row farthest from those already chosen (the first such on a tie).
fn farthest_points(x: &[f64], d: usize, count: usize) -> Vec<usize> {
    let n = x.len() / d;
    let count = count.min(n);
    if count == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0; d];
    for row in x.chunks_exact(d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, v)| *m += v / n as f64);
    }
    let nearest = |to: &[f64]| -> Vec<f64> { x.chunks_exact(d).map(|r| distance(r, to)).collect() };
    let first = argmax(nearest(&mean).iter().map(|v| -v));
    let mut chosen = vec![first];
    let mut gap = nearest(&x[first * d..(first + 1) * d]);
    while chosen.len() < count {
        let next = argmax(gap.iter().copied());
        chosen.push(next);
        let row = &x[next * d..(next + 1) * d];
        for (g, r) in gap.iter_mut().zip(x.chunks_exact(d)) {
            *g = g.min(distance(r, row));
        }
    }
    chosen
}

/// Index of the largest value (the first of equals).
fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// [`PowerForm::Cholesky`] of the system `a` (`size × size`, the first `m` rows and
/// columns `Φ + λI`, then the tail); `None` when `Φ + λI` is not positive definite to
/// working precision or a number is not finite.
fn cholesky_form(a: &[f64], size: usize, m: usize) -> Option<PowerForm> {
    let t = size - m;
    let phi: Vec<f64> = (0..m)
        .flat_map(|i| a[i * size..i * size + m].iter().copied())
        .collect();
    let lower_inverse = Cholesky::factor(phi, m, 1).ok()?.lower_inverse(1);
    // B = Z·P, P's row i the tail terms of centre i (a's row i past column m).
    let mut tail_basis = vec![0.0; m * t];
    let mut lower_inverse_t = vec![0.0; m * m];
    for i in 0..m {
        for c in 0..t {
            tail_basis[i * t + c] = (0..=i)
                .map(|j| lower_inverse[i * m + j] * a[j * size + m + c])
                .sum();
        }
        for j in 0..=i {
            lower_inverse_t[j * m + i] = lower_inverse[i * m + j];
        }
    }
    let mut tail_inverse = Vec::new();
    if t > 0 {
        let mut gram = vec![0.0; t * t];
        for a_ in 0..t {
            for b in 0..t {
                gram[a_ * t + b] = (0..m)
                    .map(|i| tail_basis[i * t + a_] * tail_basis[i * t + b])
                    .sum();
            }
        }
        tail_inverse = inverse_of(&Lu::factor(gram, t).ok()?, t);
    }
    let finite = lower_inverse_t
        .iter()
        .chain(&tail_basis)
        .chain(&tail_inverse)
        .all(|v| v.is_finite());
    finite.then_some(PowerForm::Cholesky {
        lower_inverse_t,
        tail_basis,
        tail_inverse,
    })
}

/// The inverse of the factored `n × n` matrix, row-major, column by column.
fn inverse_of(lu: &Lu, n: usize) -> Vec<f64> {
    let mut inverse = vec![0.0; n * n];
    let mut column = vec![0.0; n];
    for c in 0..n {
        column.fill(0.0);
        column[c] = 1.0;
        lu.solve(&mut column);
        for (r, &v) in column.iter().enumerate() {
            inverse[r * n + c] = v;
        }
    }
    inverse
}

/// [`PowerForm::Saddle`] of the system `a` (`size × size`), or [`PowerForm::Singular`].
fn saddle_form(a: Vec<f64>, size: usize) -> PowerForm {
    let Ok(lu) = Lu::factor(a, size) else {
        return PowerForm::Singular;
    };
    let inverse = inverse_of(&lu, size);
    if inverse.iter().all(|v| v.is_finite()) {
        PowerForm::Saddle { inverse }
    } else {
        PowerForm::Singular
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
        RbfModel::fit_until(x, y, n_inputs, kernel, smoothing, &|| false)
    }

    /// [`fit`](Self::fit), asking `stop` before each block of the factorization (at 2,000
    /// centres, about every 1/30 of the fit) and ending with a stopped error
    /// ([`NnError::Stopped`](fivedreg_nn::NnError::Stopped)) when it says so.
    pub fn fit_until(
        x: &[f64],
        y: &[f64],
        n_inputs: usize,
        kernel: RbfKernel,
        smoothing: f64,
        stop: &dyn Fn() -> bool,
    ) -> Result<RbfModel> {
        let n = y.len();
        if n == 0 || n > MAX_CENTERS || x.len() != n * n_inputs {
            return Err(Error::OutOfRange(format!(
                "a kernel model takes 1 to {MAX_CENTERS} rows, not {n}"
            )));
        }
        let (a, size) = system_matrix(x, n_inputs, kernel, smoothing);
        let lu = Lu::factor_until(a, size, stop).map_err(|end| match end {
            FactorEnd::Stopped => Error::Nn(fivedreg_nn::NnError::Stopped),
            FactorEnd::Singular(_) => Error::OutOfRange(
                "the kernel system is singular (repeated input rows?)".to_string(),
            ),
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
            basis: LazyBasis::default(),
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

    /// The power function at each row of row-major `x` (standardized) into `out`: how far
    /// the row is from what the centres pin down, in the kernel's own units. It is the
    /// kriging standard deviation, `√(φ(0) − vᵀA⁻¹v)` with `v` the row's kernel values and
    /// tail terms and `A` the kernel system: for the Gaussian kernels a Gaussian process's
    /// posterior standard deviation (in units of the signal's), for the polyharmonic ones
    /// the power function of approximation theory, which bounds the interpolant's error by
    /// it times the function's native norm. 0 at a centre (without smoothing), it grows
    /// with the distance from the centres. Computed from a spread-out subset of at most
    /// [`STD_BASIS_CENTERS`] centres (so it is never below the whole set's).
    pub fn power_into(&self, x: &[f64], out: &mut [f64]) {
        // Rows at a time: the quadratic forms of a block are one matrix product.
        const BLOCK_ROWS: usize = 256;
        let basis = self.basis.0.get_or_init(|| self.power_basis());
        let d = self.n_inputs;
        let m = basis.centers.len() / d;
        let t = tail_len(d, self.kernel.degree());
        let phi0 = self.kernel.phi(0.0);
        let mut tail = Vec::with_capacity(t);
        for (xb, ob) in x.chunks(BLOCK_ROWS * d).zip(out.chunks_mut(BLOCK_ROWS)) {
            let rows = ob.len();
            // Each row's kernel values to the subset, then its tail terms: `[k; p]`.
            let size = m + t;
            let mut v = vec![0.0; rows * size];
            for (row, vr) in xb.chunks_exact(d).zip(v.chunks_exact_mut(size)) {
                for (vj, center) in vr[..m].iter_mut().zip(basis.centers.chunks_exact(d)) {
                    *vj = self.kernel.phi(distance(row, center));
                }
                tail_terms(row, self.kernel.degree(), &mut tail);
                vr[m..].copy_from_slice(&tail);
            }
            match &basis.form {
                PowerForm::Singular => ob.fill(0.0),
                PowerForm::Saddle { inverse } => {
                    // −V·A⁻¹, then each row's −vᵀA⁻¹v.
                    let mut w = vec![0.0; rows * size];
                    sub_product(rows, size, size, &v, size, inverse, size, &mut w, size);
                    for ((dst, wr), vr) in ob
                        .iter_mut()
                        .zip(w.chunks_exact(size))
                        .zip(v.chunks_exact(size))
                    {
                        let q: f64 = -wr.iter().zip(vr).map(|(a, b)| a * b).sum::<f64>();
                        *dst = (phi0 - q).max(0.0).sqrt();
                    }
                }
                PowerForm::Cholesky {
                    lower_inverse_t,
                    tail_basis,
                    tail_inverse,
                } => {
                    // W = K·Zᵀ (the product gives −W), then R = P − W·B.
                    let mut w = vec![0.0; rows * m];
                    sub_product(rows, m, m, &v, size, lower_inverse_t, m, &mut w, m);
                    w.iter_mut().for_each(|value| *value = -*value);
                    let mut r = vec![0.0; rows * t];
                    for (rr, vr) in r.chunks_exact_mut(t.max(1)).zip(v.chunks_exact(size)) {
                        rr.copy_from_slice(&vr[m..]);
                    }
                    sub_product(rows, m, t, &w, m, tail_basis, t, &mut r, t);
                    for (i, dst) in ob.iter_mut().enumerate() {
                        let wr = &w[i * m..(i + 1) * m];
                        let explained: f64 = wr.iter().map(|v| v * v).sum();
                        let rr = &r[i * t..(i + 1) * t];
                        let tail_variance: f64 = (0..t)
                            .map(|a| {
                                rr[a] * (0..t).map(|b| tail_inverse[a * t + b] * rr[b]).sum::<f64>()
                            })
                            .sum();
                        *dst = (phi0 - explained + tail_variance).max(0.0).sqrt();
                    }
                }
            }
        }
    }

    /// What [`power_into`](Self::power_into) computes from: the subset of centres
    /// (row-major) and the factor of their kernel system. For exporters that compute it
    /// elsewhere.
    pub fn power_basis_parts(&self) -> (&[f64], &PowerForm) {
        let basis = self.basis.0.get_or_init(|| self.power_basis());
        (&basis.centers, &basis.form)
    }

    /// The subset of centres and the factor of its system: Cholesky's for the Gaussian
    /// kernels when `Φ + λI` is positive definite to working precision, else the whole
    /// system's inverse.
    fn power_basis(&self) -> PowerBasis {
        let d = self.n_inputs;
        let chosen = farthest_points(&self.centers, d, STD_BASIS_CENTERS);
        let centers: Vec<f64> = chosen
            .iter()
            .flat_map(|&i| self.centers[i * d..(i + 1) * d].iter().copied())
            .collect();
        let (a, size) = system_matrix(&centers, d, self.kernel, self.smoothing);
        let m = chosen.len();
        let gaussian = self.kernel.phi(0.0) == 1.0;
        let form = gaussian
            .then(|| cholesky_form(&a, size, m))
            .flatten()
            .unwrap_or_else(|| saddle_form(a, size));
        PowerBasis { centers, form }
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
    /// The centres, row-major (`n_centers × n_inputs`, standardized inputs).
    pub fn centers(&self) -> &[f64] {
        &self.centers
    }
    /// The weight of each centre's radial function.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// The polynomial tail's coefficients, in the order of its terms: 1, then (degree ≥ 1)
    /// each input, then (degree 2) each product `xᵢxⱼ` for `i ≤ j` (empty without a tail).
    pub fn tail(&self) -> &[f64] {
        &self.tail
    }
}

/// At most `count` rows of `x` (row-major, `d` wide) and `y`: the first of a shuffle drawn
/// from `seed`, in their original order (so a larger count keeps a smaller one's rows).
fn seeded_subsample(
    x: &[f64],
    y: &[f64],
    d: usize,
    count: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let mut rows = fivedreg_rng::shuffled_indices(y.len(), seed, fivedreg_rng::Stream::Folds);
    rows.truncate(count);
    rows.sort_unstable();
    let xs = rows
        .iter()
        .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
        .collect();
    (xs, rows.iter().map(|&i| y[i]).collect())
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
/// fitted on the other folds), the folds on up to `threads` threads.
fn held_out_sse(
    x: &[f64],
    y: &[f64],
    d: usize,
    folds: &[Vec<usize>],
    weights: &[f64],
    (kernel, smoothing): (RbfKernel, f64),
    threads: usize,
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
    // thread count.
    crate::parallel::map_jobs(folds.len(), threads, fold_sse)
        .into_iter()
        .sum()
}

/// Chooses a weight per input (each standardized input is multiplied by its weight before
/// the kernel sees it) and the smoothing, by coordinate search on the held-out error of a
/// small cross-validation: a GP's automatic relevance determination, cheaply. On a
/// subsample of at most [`SEARCH_ROWS`] rows of `x` (standardized, row-major, `d` wide) and
/// `y` (standardized), cut into 3 folds, both drawn from `seed`; starting from weights 1
/// and `smoothing`, each of three sweeps tries dividing and multiplying the smoothing (by
/// 10, 10, then 3), then halving and doubling each weight in turn, keeping a change only
/// when it lowers the held-out error. The folds run on up to `threads` threads.
/// Deterministic: the same inputs and seed give the same result whatever `threads` is.
/// Fails when the starting point's kernel system is singular.
pub(crate) fn search_input_weights(
    x: &[f64],
    y: &[f64],
    d: usize,
    (kernel, smoothing): (RbfKernel, f64),
    seed: u64,
    threads: usize,
    stop: &fivedreg_nn::StopFlag,
) -> Result<(Vec<f64>, f64)> {
    let (xs, ys) = seeded_subsample(x, y, d, SEARCH_ROWS, seed);
    let mut folds = vec![Vec::new(); SEARCH_FOLDS];
    for i in 0..ys.len() {
        folds[i % SEARCH_FOLDS].push(i);
    }
    let mut weights = vec![1.0; d];
    let mut smoothing = smoothing;
    let mut best = held_out_sse(&xs, &ys, d, &folds, &weights, (kernel, smoothing), threads)?;
    for step in SEARCH_SMOOTHING_STEPS {
        stop.check()?;
        for factor in [1.0 / step, step] {
            let trial = smoothing * factor;
            if let Ok(sse) = held_out_sse(&xs, &ys, d, &folds, &weights, (kernel, trial), threads) {
                if sse < best {
                    best = sse;
                    smoothing = trial;
                }
            }
        }
        for j in 0..d {
            stop.check()?;
            for factor in [0.5, 2.0] {
                let mut trial = weights.clone();
                trial[j] *= factor;
                // A trial whose system is singular is simply not taken.
                if let Ok(sse) =
                    held_out_sse(&xs, &ys, d, &folds, &trial, (kernel, smoothing), threads)
                {
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

/// Rows of the subsample on which [`marginal_likelihood_search`] first fits the length
/// scales (each evaluation costs about this cubed).
pub(crate) const LIKELIHOOD_ROWS: usize = 600;
/// Rows of the larger subsample on which it then refines them for
/// [`LIKELIHOOD_REFINE_ITERATIONS`] iterations. The length scales and the noise a Gaussian
/// process finds shrink as the rows grow: on Friedman #3 (1,600 training rows, five draws)
/// the first subsample's optimum scored 0.005 below scikit-learn's Gaussian process, three
/// iterations on all the rows from there as well as it.
pub(crate) const LIKELIHOOD_REFINE_ROWS: usize = 1_600;
/// Iterations of the refinement (at most 8 evaluations).
pub(crate) const LIKELIHOOD_REFINE_ITERATIONS: usize = 3;
/// Smallest noise ratio: keeps the covariance matrix factorable on noise-free data.
const NOISE_FLOOR: f64 = 1e-8;
/// Bounds of the logarithms of the weights and of the noise ratio: outside, the objective
/// is infinite (a wall the line search backs away from).
const LOG_WEIGHT_RANGE: (f64, f64) = (-10.0, 4.0);
const LOG_NOISE_RANGE: (f64, f64) = (-25.0, 3.0);

/// The negative log marginal likelihood of a zero-mean Gaussian process with covariance
/// `σ²·(R + g·I)`, `R_ik = exp(−Σⱼ wⱼ²(x_ij − x_kj)²)`, on `x` (row-major, `d` wide) and
/// `y`, with σ² at its maximum-likelihood value `yᵀ(R + gI)⁻¹y / n` (profiled out), per
/// row and without its constant: `½ ln(yᵀK⁻¹y) + ln det K / (2n)` for `K = R + gI`. `theta`
/// is `(ln w₁ … ln w_d, ln(g − floor))`; the gradient with respect to it goes to `grad`.
/// Infinite where `K` cannot be factored or `theta` is out of bounds.
pub(crate) fn negative_log_likelihood(
    x: &[f64],
    y: &[f64],
    d: usize,
    theta: &[f64],
    grad: &mut [f64],
    threads: usize,
) -> f64 {
    let n = y.len();
    let in_bounds = theta[..d]
        .iter()
        .all(|t| (LOG_WEIGHT_RANGE.0..=LOG_WEIGHT_RANGE.1).contains(t))
        && (LOG_NOISE_RANGE.0..=LOG_NOISE_RANGE.1).contains(&theta[d]);
    if !in_bounds || theta.iter().any(|t| !t.is_finite()) {
        return f64::INFINITY;
    }
    let squared_weights: Vec<f64> = theta[..d].iter().map(|t| (2.0 * t).exp()).collect();
    let noise_excess = theta[d].exp();
    let g = NOISE_FLOOR + noise_excess;
    // R, then K = R + gI.
    let mut r = vec![0.0; n * n];
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        r[i * n + i] = 1.0;
        for k in 0..i {
            let xk = &x[k * d..(k + 1) * d];
            let s: f64 = xi
                .iter()
                .zip(xk)
                .zip(&squared_weights)
                .map(|((a, b), w)| w * (a - b) * (a - b))
                .sum();
            let v = (-s).exp();
            r[i * n + k] = v;
            r[k * n + i] = v;
        }
    }
    let mut k = r.clone();
    for i in 0..n {
        k[i * n + i] += g;
    }
    let Ok(chol) = Cholesky::factor(k, n, threads) else {
        return f64::INFINITY;
    };
    let mut alpha = y.to_vec();
    chol.solve(&mut alpha);
    let q: f64 = y.iter().zip(&alpha).map(|(a, b)| a * b).sum();
    if !(q.is_finite() && q > 0.0) {
        return f64::INFINITY;
    }
    let nf = n as f64;
    let value = 0.5 * q.ln() + 0.5 * chol.log_determinant() / nf;
    // ∂f/∂θ = tr(W·∂K/∂θ) / (2n) with W = K⁻¹ − (n/q)·ααᵀ;
    // ∂K_ik/∂ln wⱼ = −2wⱼ²(x_ij − x_kj)²·R_ik and ∂K/∂ln(g − floor) = (g − floor)·I.
    let inverse = chol.inverse(threads);
    let c = nf / q;
    grad.iter_mut().for_each(|v| *v = 0.0);
    let mut trace = 0.0;
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        trace += inverse[i * n + i] - c * alpha[i] * alpha[i];
        for k in 0..i {
            let wr = (inverse[i * n + k] - c * alpha[i] * alpha[k]) * r[i * n + k];
            let xk = &x[k * d..(k + 1) * d];
            for ((gj, (a, b)), w) in grad[..d]
                .iter_mut()
                .zip(xi.iter().zip(xk))
                .zip(&squared_weights)
            {
                // Both (i, k) and (k, i): twice the term, times −2wⱼ², over 2n.
                *gj -= 2.0 * wr * w * (a - b) * (a - b);
            }
        }
    }
    grad[..d].iter_mut().for_each(|v| *v /= nf);
    grad[d] = 0.5 * noise_excess * trace / nf;
    value
}

/// Chooses the Gaussian kernel's weight per input (the inverse length scale, times
/// 1/√2) and the smoothing (the noise variance over the signal variance) by maximising a
/// Gaussian process's marginal likelihood (type-II maximum likelihood, as scikit-learn's
/// `GaussianProcessRegressor` does) by L-BFGS: first from weights 0.5 and smoothing 0.1 on
/// a subsample of at most [`LIKELIHOOD_ROWS`] rows of `x` (standardized, row-major, `d`
/// wide) and `y` (standardized) drawn from `seed` (at most 40 iterations, 50
/// evaluations), then, when there are more rows, for [`LIKELIHOOD_REFINE_ITERATIONS`]
/// iterations on at most [`LIKELIHOOD_REFINE_ROWS`] of them (the first subsample's rows
/// among them), unless `refine`, asked with the first stage's seconds and objective
/// evaluations, says no (the caller's time budget). `threads` share the factorisation and
/// the inverse; the result is the same for any count. Fails when the starting point's
/// covariance cannot be factored.
pub(crate) fn marginal_likelihood_search(
    x: &[f64],
    y: &[f64],
    d: usize,
    seed: u64,
    threads: usize,
    refine: &mut dyn FnMut(f64, usize) -> bool,
    stop: &fivedreg_nn::StopFlag,
) -> Result<(Vec<f64>, f64)> {
    let started = std::time::Instant::now();
    let mut theta: Vec<f64> = vec![0.5f64.ln(); d];
    theta.push((0.1f64).ln());
    let stages = [
        (LIKELIHOOD_ROWS, 40, 50),
        (LIKELIHOOD_REFINE_ROWS, LIKELIHOOD_REFINE_ITERATIONS, 8),
    ];
    let mut first_evaluations = 0;
    for (stage, &(rows, max_iterations, max_evaluations)) in stages.iter().enumerate() {
        if stage > 0
            && !(y.len() > LIKELIHOOD_ROWS
                && refine(started.elapsed().as_secs_f64(), first_evaluations))
        {
            break;
        }
        let (xs, ys) = seeded_subsample(x, y, d, rows, seed);
        let limits = LbfgsLimits {
            max_iterations,
            max_evaluations,
            tol: 1e-5,
        };
        let mut objective = |theta: &[f64], grad: &mut [f64]| {
            negative_log_likelihood(&xs, &ys, d, theta, grad, threads)
        };
        let minimum = minimize(&mut objective, theta, &limits, &mut |_, _, _| {
            !stop.is_set()
        });
        stop.check()?;
        if !minimum.f.is_finite() {
            return Err(Error::OutOfRange(
                "the Gaussian kernel's covariance matrix cannot be factored".into(),
            ));
        }
        theta = minimum.x;
        first_evaluations = first_evaluations.max(minimum.evaluations);
    }
    let weights = theta[..d].iter().map(|t| t.exp()).collect();
    Ok((weights, NOISE_FLOOR + theta[d].exp()))
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
        for kernel in RbfKernel::ALL {
            let m = RbfModel::fit(&x, &y, 2, kernel, 0.0).unwrap();
            let mut out = vec![0.0; n];
            m.predict_into(&x, &mut out);
            for (p, t) in out.iter().zip(&y) {
                assert!((p - t).abs() < 1e-8, "{kernel:?}: {p} vs {t}");
            }
            if kernel == RbfKernel::GaussianProcess {
                // No tail: with smoothing g, the zero-mean posterior mean k*ᵀ(R + gI)⁻¹y
                // (as the likelihood test, the system solved by the LU).
                let g = 0.1;
                let m = RbfModel::fit(&x, &y, 2, kernel, g).unwrap();
                let r = |a: &[f64], b: &[f64]| (-(distance(a, b).powi(2))).exp();
                let mut k = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        k[i * n + j] = r(&x[2 * i..2 * i + 2], &x[2 * j..2 * j + 2]);
                    }
                    k[i * n + i] += g;
                }
                let mut alpha = y.clone();
                Lu::factor(k, n).unwrap().solve(&mut alpha);
                let point = [0.123, -0.456];
                let expected: f64 = (0..n)
                    .map(|i| alpha[i] * r(&point, &x[2 * i..2 * i + 2]))
                    .sum();
                let mut at = vec![0.0; 1];
                m.predict_into(&point, &mut at);
                assert!((at[0] - expected).abs() < 1e-9, "{at:?} vs {expected}");
                continue;
            }
            if kernel == RbfKernel::Gaussian {
                // A constant tail: only constants are reproduced exactly.
                let m = RbfModel::fit(&x, &vec![2.5; n], 2, kernel, 0.0).unwrap();
                let mut at = vec![0.0; 1];
                m.predict_into(&[0.123, -0.456], &mut at);
                assert!((at[0] - 2.5).abs() < 1e-8, "{at:?}");
                continue;
            }
            // A linear function lies in the tail: reproduced everywhere.
            let linear: Vec<f64> = x.chunks(2).map(|r| 2.0 - r[0] + 0.5 * r[1]).collect();
            let m = RbfModel::fit(&x, &linear, 2, kernel, 0.0).unwrap();
            let mut at = vec![0.0; 1];
            m.predict_into(&[0.123, -0.456], &mut at);
            assert!((at[0] - (2.0 - 0.123 - 0.228)).abs() < 1e-8, "{at:?}");
        }
    }

    /// `n` scattered points of the square [−1.7, 1.7]², row-major.
    fn scattered_square(n: usize) -> Vec<f64> {
        (0..n)
            .flat_map(|i| {
                let t = i as f64;
                [
                    (t * 0.618_034).fract() * 3.4 - 1.7,
                    (t * t * 0.414_214).fract() * 3.4 - 1.7,
                ]
            })
            .collect()
    }

    /// sin(2 x1) of the rows of `x` (2 wide), plus `noise` times a hashed uniform in [0, 1).
    fn sine_of_x1(x: &[f64], noise: f64) -> Vec<f64> {
        x.chunks(2)
            .enumerate()
            .map(|(i, r)| {
                (2.0 * r[0]).sin() + noise * ((i as f64 * 12.9898).sin() * 43_758.545).fract()
            })
            .collect()
    }

    /// Plain reference of the search's error: one model per fold, fitted by hand.
    #[test]
    fn the_search_weights_the_relevant_input_up_and_is_deterministic() {
        // y depends on x1 only; x2 is noise for the kernel.
        let n = 240;
        let x = scattered_square(n);
        let y: Vec<f64> = x.chunks(2).map(|r| (2.0 * r[0]).sin()).collect();
        let (w, s) = search_input_weights(
            &x,
            &y,
            2,
            (RbfKernel::Cubic, 1e-3),
            5,
            2,
            &Default::default(),
        )
        .unwrap();
        assert!(w[0] > w[1], "{w:?}");
        assert!(s > 0.0 && s.is_finite());
        assert_eq!(
            (w.clone(), s),
            search_input_weights(
                &x,
                &y,
                2,
                (RbfKernel::Cubic, 1e-3),
                5,
                2,
                &Default::default()
            )
            .unwrap()
        );
        // The held-out error against a by-hand fit of each fold.
        let folds = vec![
            (0..n).step_by(2).collect::<Vec<_>>(),
            (1..n).step_by(2).collect(),
        ];
        let weights = [1.5, 0.5];
        let sse = held_out_sse(&x, &y, 2, &folds, &weights, (RbfKernel::Cubic, 0.1), 2).unwrap();
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

    /// Finite differences of the negative log likelihood against its gradient.
    #[test]
    fn the_likelihoods_gradient_matches_finite_differences() {
        let n = 60;
        let d = 3;
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i as f64) * 0.618_034).fract() * 3.0 - 1.5)
            .collect();
        let y: Vec<f64> = x
            .chunks(d)
            .enumerate()
            .map(|(i, r)| (2.0 * r[0]).sin() + 0.3 * r[1] + 0.05 * ((i as f64) * 1.7).sin())
            .collect();
        let theta = [0.4f64.ln(), 0.9f64.ln(), 0.05f64.ln(), 0.02f64.ln()];
        let mut grad = vec![0.0; d + 1];
        let f = negative_log_likelihood(&x, &y, d, &theta, &mut grad, 1);
        assert!(f.is_finite());
        for j in 0..=d {
            let h = 1e-5;
            let mut plus = theta;
            plus[j] += h;
            let mut minus = theta;
            minus[j] -= h;
            let mut scratch = vec![0.0; d + 1];
            let numeric = (negative_log_likelihood(&x, &y, d, &plus, &mut scratch, 2)
                - negative_log_likelihood(&x, &y, d, &minus, &mut scratch, 2))
                / (2.0 * h);
            assert!(
                (numeric - grad[j]).abs() <= 1e-6 * numeric.abs().max(1e-3),
                "θ{j}: analytic {} numeric {numeric}",
                grad[j]
            );
        }
        // Out of bounds: a wall.
        let mut far = theta;
        far[0] = 9.0;
        assert_eq!(
            negative_log_likelihood(&x, &y, d, &far, &mut grad, 1),
            f64::INFINITY
        );
    }

    /// The likelihood's plain reference: the same quantity from an LU of K (determinant
    /// from its pivots' product, K⁻¹y by its solve).
    #[test]
    fn the_likelihood_matches_a_plain_lu_evaluation() {
        let n = 40;
        let d = 2;
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i as f64) * 0.414_214).fract())
            .collect();
        let y: Vec<f64> = x.chunks(d).map(|r| r[0] - r[1] * r[1]).collect();
        let (w, g) = ([0.8f64, 1.3], 0.01f64);
        let theta = [w[0].ln(), w[1].ln(), (g - NOISE_FLOOR).ln()];
        let mut k = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let s: f64 = (0..d)
                    .map(|c| (w[c] * (x[i * d + c] - x[j * d + c])).powi(2))
                    .sum();
                k[i * n + j] = (-s).exp() + if i == j { g } else { 0.0 };
            }
        }
        let log_det = {
            // Gaussian elimination without pivoting is fine on this SPD matrix.
            let mut a = k.clone();
            let mut sum = 0.0;
            for p in 0..n {
                sum += a[p * n + p].ln();
                for i in p + 1..n {
                    let f = a[i * n + p] / a[p * n + p];
                    for j in p..n {
                        a[i * n + j] -= f * a[p * n + j];
                    }
                }
            }
            sum
        };
        let lu = Lu::factor(k, n).unwrap();
        let mut alpha = y.clone();
        lu.solve(&mut alpha);
        let q: f64 = y.iter().zip(&alpha).map(|(a, b)| a * b).sum();
        let expected = 0.5 * q.ln() + 0.5 * log_det / n as f64;
        let mut grad = vec![0.0; d + 1];
        let got = negative_log_likelihood(&x, &y, d, &theta, &mut grad, 1);
        assert!((got - expected).abs() < 1e-10, "{got} vs {expected}");
    }

    /// `A·u = b` by Gauss–Jordan elimination with partial pivoting, written out plainly: the
    /// reference for the power function's factor.
    fn plain_solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for p in 0..n {
            let pivot = (p..n)
                .max_by(|&i, &j| a[i * n + p].abs().total_cmp(&a[j * n + p].abs()))
                .unwrap();
            for j in 0..n {
                a.swap(p * n + j, pivot * n + j);
            }
            b.swap(p, pivot);
            for i in 0..n {
                if i != p {
                    let f = a[i * n + p] / a[p * n + p];
                    for j in 0..n {
                        a[i * n + j] -= f * a[p * n + j];
                    }
                    b[i] -= f * b[p];
                }
            }
        }
        (0..n).map(|i| b[i] / a[i * n + i]).collect()
    }

    /// The power function is the kriging standard deviation √(φ(0) − vᵀA⁻¹v) of every
    /// radial function, computed plainly from its definition; 0 at the centres when the
    /// model interpolates, and growing away from them.
    #[test]
    fn the_power_function_matches_the_kriging_variance_computed_plainly() {
        let (n, d) = (60, 2);
        // Points on no conic (a Weyl sequence's pairs would lie on two lines, which makes
        // the quintic's quadratic tail singular).
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i as f64).powf(1.5) * 0.618_034).fract() * 2.0 - 1.0)
            .collect();
        let y: Vec<f64> = x.chunks(d).map(|r| r[0].sin() + r[1] * r[1]).collect();
        let probes = [0.1, -0.2, 0.5, 0.5, 3.0, 0.0, -2.5, 4.0];
        for kernel in RbfKernel::ALL {
            for smoothing in [0.0, 0.05] {
                let model = RbfModel::fit(&x, &y, d, kernel, smoothing)
                    .unwrap_or_else(|e| panic!("{kernel:?} λ {smoothing}: {e}"));
                let mut got = vec![0.0; probes.len() / d];
                model.power_into(&probes, &mut got);
                let terms = tail_len(d, kernel.degree());
                let size = n + terms;
                let mut a = vec![0.0; size * size];
                for i in 0..n {
                    for j in 0..n {
                        a[i * size + j] = kernel
                            .phi(distance(&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d]))
                            + if i == j { smoothing } else { 0.0 };
                    }
                    let mut t = Vec::new();
                    tail_terms(&x[i * d..(i + 1) * d], kernel.degree(), &mut t);
                    for (k, v) in t.into_iter().enumerate() {
                        a[i * size + n + k] = v;
                        a[(n + k) * size + i] = v;
                    }
                }
                for (probe, &got) in probes.chunks(d).zip(&got) {
                    let mut v: Vec<f64> = x
                        .chunks(d)
                        .map(|c| kernel.phi(distance(probe, c)))
                        .collect();
                    let mut t = Vec::new();
                    tail_terms(probe, kernel.degree(), &mut t);
                    v.extend(t);
                    let u = plain_solve(a.clone(), v.clone());
                    let q: f64 = v.iter().zip(&u).map(|(a, b)| a * b).sum();
                    let expected = (kernel.phi(0.0) - q).max(0.0).sqrt();
                    // Squares compared, to the system's rounding: without smoothing the
                    // Gaussian system is ill-conditioned and its P² cancels to ~1e-6.
                    assert!(
                        (got * got - expected * expected).abs() <= 1e-5 * (1.0 + q.abs()),
                        "{kernel:?} λ {smoothing} at {probe:?}: {got} vs {expected}"
                    );
                }
                // Far away more uncertain than inside; at the centres 0 when interpolating.
                assert!(got[3] > got[0], "{kernel:?}: {got:?}");
                if smoothing == 0.0 {
                    let mut at_centres = vec![0.0; n];
                    model.power_into(&x, &mut at_centres);
                    // (√ of a difference that cancels to rounding: relative to the far value.)
                    assert!(
                        at_centres.iter().all(|p| p * p < 1e-4 * got[3] * got[3]),
                        "{kernel:?}: {at_centres:?}"
                    );
                }
            }
        }
    }

    /// A stop asked from another thread while a 1,500-centre system is being factored
    /// ends the fit with `Stopped` (the factorization asks before each block of columns).
    #[test]
    fn a_stop_from_another_thread_ends_a_kernel_fit() {
        let (n, d) = (1500, 3);
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i as f64).powf(1.5) * 0.618_034).fract())
            .collect();
        let y: Vec<f64> = x.chunks(d).map(|r| r[0] + r[1] * r[2]).collect();
        let stop = fivedreg_nn::StopFlag::new();
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let result = std::thread::scope(|scope| {
            let flag = stop.clone();
            let asked = &asked;
            // Asked to stop once the factorization has asked twice (it is under way).
            scope.spawn(move || {
                while asked.load(std::sync::atomic::Ordering::Relaxed) < 2 {
                    std::thread::yield_now();
                }
                flag.stop();
            });
            RbfModel::fit_until(&x, &y, d, RbfKernel::Cubic, 1e-3, &|| {
                asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                stop.is_set()
            })
        });
        assert!(
            matches!(result, Err(Error::Nn(fivedreg_nn::NnError::Stopped))),
            "{result:?}"
        );
        // Not the whole factorization: 1,503 columns are 24 blocks.
        assert!(asked.load(std::sync::atomic::Ordering::Relaxed) < 24);
    }

    /// Farthest-point sampling starts nearest the mean, never repeats a row, and spreads
    /// its points further apart than the first rows of the same count are.
    #[test]
    fn farthest_points_spread_out() {
        let d = 3;
        let x: Vec<f64> = (0..500 * d)
            .map(|i| ((i as f64) * 0.754_877_7).fract())
            .collect();
        let chosen = farthest_points(&x, d, 40);
        assert_eq!(chosen.len(), 40);
        let mut unique = chosen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 40);
        let min_gap = |rows: &[usize]| {
            let mut gap = f64::INFINITY;
            for (i, &a) in rows.iter().enumerate() {
                for &b in &rows[..i] {
                    gap = gap.min(distance(&x[a * d..(a + 1) * d], &x[b * d..(b + 1) * d]));
                }
            }
            gap
        };
        let first: Vec<usize> = (0..40).collect();
        assert!(
            min_gap(&chosen) > min_gap(&first),
            "{} vs {}",
            min_gap(&chosen),
            min_gap(&first)
        );
        assert_eq!(farthest_points(&x, d, 40), chosen);
        assert_eq!(farthest_points(&x[..5 * d], d, 40).len(), 5);
    }

    /// Above the first subsample's rows, the refinement runs only when the caller says so,
    /// asked once with the first stage's time and evaluations.
    #[test]
    fn the_likelihood_search_refines_only_when_its_caller_allows() {
        let n = LIKELIHOOD_ROWS + 100;
        let x = scattered_square(n);
        let y = sine_of_x1(&x, 0.3);
        let mut asked = Vec::new();
        let first_only = marginal_likelihood_search(
            &x,
            &y,
            2,
            5,
            1,
            &mut |s, e| {
                asked.push((s, e));
                false
            },
            &Default::default(),
        )
        .unwrap();
        assert_eq!(asked.len(), 1);
        let (seconds, evaluations) = asked[0];
        assert!(
            seconds > 0.0 && (1..=50).contains(&evaluations),
            "{asked:?}"
        );
        let refined =
            marginal_likelihood_search(&x, &y, 2, 5, 1, &mut |_, _| true, &Default::default())
                .unwrap();
        assert_ne!(first_only, refined, "the refinement moved nothing");
    }

    #[test]
    fn the_likelihood_search_finds_the_relevant_input_and_the_noise() {
        // y depends on x1 only, with noise of standard deviation about 0.06 on a signal of
        // variance about 0.5.
        let n = 300;
        let x = scattered_square(n);
        let y = sine_of_x1(&x, 0.1);
        let (w, g) =
            marginal_likelihood_search(&x, &y, 2, 3, 2, &mut |_, _| true, &Default::default())
                .unwrap();
        assert!(w[0] > 10.0 * w[1], "{w:?}");
        assert!(g > 1e-4 && g < 0.1, "{g}");
        assert_eq!(
            (w.clone(), g),
            marginal_likelihood_search(&x, &y, 2, 3, 1, &mut |_, _| true, &Default::default())
                .unwrap()
        );
        // The model it chooses recovers the function well inside the noise (±0.1).
        let weighted: Vec<f64> = x
            .chunks(2)
            .flat_map(|r| [r[0] * w[0], r[1] * w[1]])
            .collect();
        let m = RbfModel::fit(&weighted, &y, 2, RbfKernel::GaussianProcess, g).unwrap();
        let mut at = vec![0.0; 1];
        m.predict_into(&[0.3 * w[0], -w[1]], &mut at);
        assert!((at[0] - 0.6f64.sin()).abs() < 0.02, "{at:?}");
    }
}
