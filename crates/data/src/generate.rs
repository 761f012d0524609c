//! Synthetic test functions for surrogate modelling, and [`generate`] to sample them.
//!
//! Each row draws its inputs first, then its noise, from one ChaCha8 stream keyed by the
//! seed, so `n` rows are the first `n` rows of any larger sample with the same seed.

use crate::dataset::{Dataset, NumberCsv};
use crate::error::{DataError, Result};
use crate::split::{rng_from_seed, unit_f64, GENERATOR_STREAM};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

/// Standard deviation of the noise on y in the seed task.
pub const DEFAULT_NOISE: f64 = 0.1;

/// The synthetic test functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestFunction {
    /// The seed task: X ~ N(0,1)^d, y = Σ xᵢ². Any d ≥ 1 (default 5).
    SumOfSquares,
    /// Friedman #1: X ~ U(0,1)^d, y = 10 sin(π x₁x₂) + 20 (x₃ − ½)² + 10 x₄ + 5 x₅; inputs
    /// beyond the fifth are irrelevant. Any d ≥ 5 (default 5).
    Friedman1,
    /// Ishigami (a = 7, b = 0.1): X ~ U(−π, π)³, y = sin x₁ + a sin² x₂ + b x₃⁴ sin x₁.
    /// Exactly 3 inputs.
    Ishigami,
    /// Rosenbrock: X ~ U(−2.048, 2.048)^d, y = Σᵢ₌₁^{d−1} 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)².
    /// Any d ≥ 2 (default 5).
    Rosenbrock,
    /// Styblinski–Tang: X ~ U(−5, 5)^d, y = ½ Σ (xᵢ⁴ − 16 xᵢ² + 5 xᵢ). Any d ≥ 1 (default 5).
    StyblinskiTang,
    /// Borehole water flow (Harper & Gupta 1983), 8 inputs, each uniform on its range:
    /// r_w ∈ [0.05, 0.15], r ∈ [100, 50000], T_u ∈ [63070, 115600], H_u ∈ [990, 1110],
    /// T_l ∈ [63.1, 116], H_l ∈ [700, 820], L ∈ [1120, 1680], K_w ∈ [9855, 12045];
    /// y = 2π T_u (H_u − H_l) / (ln(r/r_w) (1 + 2 L T_u / (ln(r/r_w) r_w² K_w) + T_u/T_l)).
    /// Exactly 8 inputs.
    Borehole,
}

/// Ranges of the Borehole inputs, in the order x1..x8 (r_w, r, T_u, H_u, T_l, H_l, L, K_w).
const BOREHOLE_RANGES: [(f64, f64); 8] = [
    (0.05, 0.15),
    (100.0, 50_000.0),
    (63_070.0, 115_600.0),
    (990.0, 1_110.0),
    (63.1, 116.0),
    (700.0, 820.0),
    (1_120.0, 1_680.0),
    (9_855.0, 12_045.0),
];

impl TestFunction {
    /// Every test function.
    pub const ALL: [TestFunction; 6] = [
        TestFunction::SumOfSquares,
        TestFunction::Friedman1,
        TestFunction::Ishigami,
        TestFunction::Rosenbrock,
        TestFunction::StyblinskiTang,
        TestFunction::Borehole,
    ];

    /// The kebab-case name used on the command line (`sum-of-squares`, `friedman1`, …).
    pub fn name(self) -> &'static str {
        match self {
            TestFunction::SumOfSquares => "sum-of-squares",
            TestFunction::Friedman1 => "friedman1",
            TestFunction::Ishigami => "ishigami",
            TestFunction::Rosenbrock => "rosenbrock",
            TestFunction::StyblinskiTang => "styblinski-tang",
            TestFunction::Borehole => "borehole",
        }
    }

    /// The input count used when none is given.
    pub fn default_inputs(self) -> usize {
        match self {
            TestFunction::Ishigami => 3,
            TestFunction::Borehole => 8,
            _ => 5,
        }
    }

    /// Checks that the function is defined for `n_inputs` inputs.
    pub fn check_inputs(self, n_inputs: usize) -> Result<()> {
        let (ok, expected) = match self {
            TestFunction::SumOfSquares | TestFunction::StyblinskiTang => {
                (n_inputs >= 1, "at least 1")
            }
            TestFunction::Friedman1 => (n_inputs >= 5, "at least 5"),
            TestFunction::Rosenbrock => (n_inputs >= 2, "at least 2"),
            TestFunction::Ishigami => (n_inputs == 3, "exactly 3"),
            TestFunction::Borehole => (n_inputs == 8, "exactly 8"),
        };
        if ok {
            Ok(())
        } else {
            Err(DataError::InvalidInputCount {
                function: self.name(),
                n_inputs,
                expected,
            })
        }
    }

    /// The sampling domain, in words.
    pub fn domain(self) -> &'static str {
        match self {
            TestFunction::SumOfSquares => "x ~ N(0, 1) in every input",
            TestFunction::Friedman1 => "x ~ U(0, 1) in every input",
            TestFunction::Ishigami => "x ~ U(-pi, pi) in every input",
            TestFunction::Rosenbrock => "x ~ U(-2.048, 2.048) in every input",
            TestFunction::StyblinskiTang => "x ~ U(-5, 5) in every input",
            TestFunction::Borehole => {
                "rw U(0.05,0.15), r U(100,50000), Tu U(63070,115600), Hu U(990,1110), \
                 Tl U(63.1,116), Hl U(700,820), L U(1120,1680), Kw U(9855,12045)"
            }
        }
    }

    /// The noiseless value at `x`. `x.len()` must be valid for the function (see
    /// [`check_inputs`](Self::check_inputs)); otherwise the result is meaningless (inputs
    /// beyond the ones the function uses are ignored; missing ones panic).
    pub fn evaluate(self, x: &[f64]) -> f64 {
        match self {
            TestFunction::SumOfSquares => x.iter().map(|v| v * v).sum(),
            TestFunction::Friedman1 => {
                10.0 * (PI * x[0] * x[1]).sin()
                    + 20.0 * (x[2] - 0.5).powi(2)
                    + 10.0 * x[3]
                    + 5.0 * x[4]
            }
            TestFunction::Ishigami => {
                let (a, b) = (7.0, 0.1);
                x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
            }
            TestFunction::Rosenbrock => x
                .windows(2)
                .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
                .sum(),
            TestFunction::StyblinskiTang => {
                0.5 * x
                    .iter()
                    .map(|v| v.powi(4) - 16.0 * v * v + 5.0 * v)
                    .sum::<f64>()
            }
            TestFunction::Borehole => {
                let [rw, r, tu, hu, tl, hl, l, kw] =
                    [x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]];
                let log_ratio = (r / rw).ln();
                2.0 * PI * tu * (hu - hl)
                    / (log_ratio * (1.0 + 2.0 * l * tu / (log_ratio * rw * rw * kw) + tu / tl))
            }
        }
    }

    /// Draws one input vector from the function's domain.
    fn sample_inputs(self, rng: &mut impl Rng, x: &mut [f64]) {
        let uniform = |rng: &mut _, lo: f64, hi: f64| lo + (hi - lo) * unit_f64(rng);
        match self {
            TestFunction::SumOfSquares => {
                x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal))
            }
            TestFunction::Friedman1 => x.iter_mut().for_each(|v| *v = uniform(rng, 0.0, 1.0)),
            TestFunction::Ishigami => x.iter_mut().for_each(|v| *v = uniform(rng, -PI, PI)),
            TestFunction::Rosenbrock => x.iter_mut().for_each(|v| *v = uniform(rng, -2.048, 2.048)),
            TestFunction::StyblinskiTang => x.iter_mut().for_each(|v| *v = uniform(rng, -5.0, 5.0)),
            TestFunction::Borehole => {
                for (v, &(lo, hi)) in x.iter_mut().zip(&BOREHOLE_RANGES) {
                    *v = uniform(rng, lo, hi);
                }
            }
        }
    }
}

impl fmt::Display for TestFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TestFunction {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        TestFunction::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| DataError::UnknownFunction {
                name: s.to_string(),
                valid: TestFunction::ALL.map(TestFunction::name).join(", "),
            })
    }
}

/// Most inputs a generated sample may have: with its target, the most columns the CSV
/// reader accepts by default ([`CsvOptions::max_columns`](crate::CsvOptions::max_columns)),
/// so that every file `generate` writes can be read back.
pub const MAX_INPUTS: usize = 1023;

/// Largest noise standard deviation accepted: the noise (a standard normal draw, below 40
/// in magnitude) times this stays far inside `f64`'s range, so no target is infinite.
pub const MAX_NOISE: f64 = 1e300;

/// Draws the rows of a synthetic sample one at a time, in constant memory; [`generate`]
/// collects them into a [`Dataset`], [`Generator::write_csv`] streams them to a CSV file.
/// Both give the same values for the same arguments.
pub struct Generator {
    function: TestFunction,
    n_inputs: usize,
    noise: f64,
    rng: rand_chacha::ChaCha8Rng,
    /// Rows drawn so far.
    drawn: usize,
    rows: usize,
}

impl Generator {
    /// A generator of `n` rows of `function` over `n_inputs` inputs with Gaussian noise
    /// `noise` (its standard deviation) added to y. Refuses `n == 0`, an input count the
    /// function does not take or above [`MAX_INPUTS`], and a `noise` that is negative,
    /// not finite or above [`MAX_NOISE`].
    pub fn new(
        function: TestFunction,
        n: usize,
        n_inputs: usize,
        noise: f64,
        seed: u64,
    ) -> Result<Generator> {
        function.check_inputs(n_inputs)?;
        if n_inputs > MAX_INPUTS {
            return Err(DataError::InvalidGeneratorArgument(format!(
                "{n_inputs} inputs; at most {MAX_INPUTS} (with the target, the {} columns a \
                 CSV file may have)",
                MAX_INPUTS + 1
            )));
        }
        if n == 0 {
            return Err(DataError::InvalidGeneratorArgument(
                "at least one sample is needed".into(),
            ));
        }
        if !(noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise)) {
            return Err(DataError::InvalidGeneratorArgument(format!(
                "noise must be a standard deviation in [0, {MAX_NOISE:e}], not {noise:?}"
            )));
        }
        Ok(Generator {
            function,
            n_inputs,
            noise,
            rng: rng_from_seed(seed, GENERATOR_STREAM),
            drawn: 0,
            rows: n,
        })
    }

    /// Inputs per row.
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// Rows not drawn yet.
    pub fn remaining(&self) -> usize {
        self.rows - self.drawn
    }

    /// The feature names `x1..xd`.
    pub fn feature_names(&self) -> Vec<String> {
        (1..=self.n_inputs).map(|i| format!("x{i}")).collect()
    }

    /// Draws the next row's inputs into `x` (of [`n_inputs`](Self::n_inputs) values) and
    /// returns its target; `None` once every row is drawn. Every value is finite: the
    /// domains are bounded or Gaussian, and the noise is at most [`MAX_NOISE`].
    ///
    /// # Panics
    /// If `x.len()` is not [`n_inputs`](Self::n_inputs) (a caller's bug).
    pub fn next_row(&mut self, x: &mut [f64]) -> Option<f64> {
        assert_eq!(x.len(), self.n_inputs, "a row of the wrong width");
        if self.drawn == self.rows {
            return None;
        }
        self.drawn += 1;
        self.function.sample_inputs(&mut self.rng, x);
        let eps: f64 = self.rng.sample(StandardNormal);
        Some(self.function.evaluate(x) + self.noise * eps)
    }

    /// Writes every remaining row as CSV (a header `x1,..,xd,y`, then one line a row, each
    /// number written so that it reads back exactly), holding one row at a time.
    pub fn write_csv<W: Write>(mut self, writer: W) -> Result<()> {
        let mut names = self.feature_names();
        names.push("y".into());
        let mut out = NumberCsv::new(writer, &names)?;
        let mut row = vec![0.0; self.n_inputs + 1];
        let d = self.n_inputs;
        while let Some(y) = self.next_row(&mut row[..d]) {
            row[d] = y;
            out.write_row(&row)?;
        }
        out.finish()
    }
}

/// Samples `n` rows of `function` over `n_inputs` inputs with Gaussian noise `noise` (its
/// standard deviation) added to y. Feature names are `x1..xd`, the target is `y`.
/// Refuses what [`Generator::new`] refuses.
pub fn generate(
    function: TestFunction,
    n: usize,
    n_inputs: usize,
    noise: f64,
    seed: u64,
) -> Result<Dataset> {
    let mut generator = Generator::new(function, n, n_inputs, noise, seed)?;
    // Refuse an impossible size with an error rather than aborting on allocation.
    let too_many = || {
        DataError::InvalidGeneratorArgument(format!(
            "{n} samples of {n_inputs} inputs do not fit in memory"
        ))
    };
    let mut features = Vec::new();
    let mut targets = Vec::new();
    let len = n.checked_mul(n_inputs).ok_or_else(too_many)?;
    features.try_reserve_exact(len).map_err(|_| too_many())?;
    targets.try_reserve_exact(n).map_err(|_| too_many())?;
    features.resize(len, 0.0);
    for x in features.chunks_exact_mut(n_inputs) {
        match generator.next_row(x) {
            Some(y) => targets.push(y),
            None => break,
        }
    }
    let names = generator.feature_names();
    Ok(Dataset::new_unchecked(names, "y".into(), features, targets))
}
