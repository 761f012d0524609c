//! Sobol' sensitivity indices of a model over a box: which inputs its output depends on.
//!
//! The sample is Saltelli's, laid out as SALib's `sobol.sample(..., calc_second_order=False)`
//! lays it out: from a scrambled Sobol' sequence of 2·d dimensions, point i gives A_i (its
//! first d coordinates), then AB_i^(1..d) (A_i with coordinate k taken from B_i), then B_i
//! (its last d coordinates): n·(d + 2) rows. The estimators are SALib's `sobol.analyze`
//! with `calc_second_order=False`, on the outputs standardised by their mean and standard
//! deviation over all rows:
//!
//! - first order (Saltelli et al. 2010): S1_k = mean(f_B · (f_ABk − f_A)) / var([f_A, f_B]),
//! - total effect (Jansen 1999): ST_k = ½ mean((f_A − f_ABk)²) / var([f_A, f_B]),
//!
//! with `var` the population variance. Their 95% intervals are SALib's: ±1.96 times the
//! standard deviation (n − 1 in the denominator) of the index over bootstrap resamples of
//! the n rows, each drawn from [`Stream::Bootstrap`].
//!
//! | parameter | default | meaning | valid |
//! |---|---|---|---|
//! | `n` | 4096 | base points (the model is evaluated n·(d + 2) times); a power of 2 keeps the Sobol' balance | 2 to [`MAX_BASE_POINTS`], n·(d + 2) ≤ [`MAX_EVALUATIONS`] |
//! | `resamples` | 100 | bootstrap resamples for the intervals | 2 to 10000 |
//! | `seed` | 42 | seed of the scrambling and the resamples | any `u64` |

use crate::error::check;
use crate::sobol::{SobolSequence, MAX_DIMS};
use crate::surrogate::finite;
use crate::{Bounds, Result, Surrogate};
use fivedreg_rng::Stream;
use serde::Serialize;

/// The most base points.
pub const MAX_BASE_POINTS: usize = 1 << 22;
/// The most model evaluations one analysis makes.
pub const MAX_EVALUATIONS: usize = 50_000_000;
/// The most inputs (the Saltelli base needs twice as many Sobol' dimensions).
pub const MAX_INPUTS: usize = MAX_DIMS / 2;

/// Unchecked parameters; [`check`](SobolParams::check) them.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolParams {
    /// Base points.
    pub n: usize,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for SobolParams {
    fn default() -> Self {
        SobolParams {
            n: 4096,
            resamples: 100,
            seed: crate::DEFAULT_SEED,
        }
    }
}

/// Checked [`SobolParams`] for `d` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSobolParams(SobolParams);

impl SobolParams {
    /// Checks the parameters for a model of `d` inputs.
    pub fn check(self, d: usize) -> Result<ValidSobolParams> {
        check(
            "--n",
            self.n,
            (2..=MAX_BASE_POINTS).contains(&self.n),
            "2 to 4194304",
        )?;
        check(
            "number of inputs",
            d,
            (1..=MAX_INPUTS).contains(&d),
            "1 to 32 for Sobol' indices",
        )?;
        check(
            "--n",
            self.n,
            self.n.saturating_mul(d + 2) <= MAX_EVALUATIONS,
            "such that n·(inputs + 2) is at most 50000000",
        )?;
        check(
            "resamples",
            self.resamples,
            (2..=10_000).contains(&self.resamples),
            "2 to 10000",
        )?;
        Ok(ValidSobolParams(self))
    }
}

/// The indices of each input, in the box's input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SobolIndices {
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// First-order indices.
    pub s1: Vec<f64>,
    /// Half-widths of their 95% intervals.
    pub s1_conf: Vec<f64>,
    /// Total-effect indices.
    pub st: Vec<f64>,
    /// Half-widths of their 95% intervals.
    pub st_conf: Vec<f64>,
    /// Base points.
    pub n: usize,
    /// Model evaluations made.
    pub evaluations: usize,
}

/// One input's indices, as the command line's and the server's JSON show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    /// The input.
    pub input: String,
    /// First-order index.
    #[serde(rename = "S1")]
    pub s1: f64,
    /// Half-width of its 95% interval.
    #[serde(rename = "S1_conf")]
    pub s1_conf: f64,
    /// Total-effect index.
    #[serde(rename = "ST")]
    pub st: f64,
    /// Half-width of its 95% interval.
    #[serde(rename = "ST_conf")]
    pub st_conf: f64,
}

impl SobolIndices {
    /// One row per input, in the inputs' order.
    pub fn rows(&self) -> Vec<IndexRow> {
        (0..self.inputs.len())
            .map(|k| IndexRow {
                input: self.inputs[k].clone(),
                s1: self.s1[k],
                s1_conf: self.s1_conf[k],
                st: self.st[k],
                st_conf: self.st_conf[k],
            })
            .collect()
    }
}

/// Saltelli's sample of `n` base points over `bounds`, row-major (`n·(d + 2)` rows), from
/// the Sobol' sequence of 2·d dimensions scrambled by `seed`.
pub fn saltelli_sample(bounds: &Bounds, n: usize, seed: u64) -> Result<Vec<f64>> {
    let d = bounds.dim();
    let base = SobolSequence::scrambled(2 * d, seed)?.points(n)?;
    let mut out = Vec::with_capacity(n * (d + 2) * d);
    for row in base.chunks_exact(2 * d) {
        let (a, b) = row.split_at(d);
        out.extend_from_slice(a);
        for k in 0..d {
            out.extend(
                a.iter()
                    .enumerate()
                    .map(|(j, &v)| if j == k { b[j] } else { v }),
            );
        }
        out.extend_from_slice(b);
    }
    bounds.scale(&mut out);
    Ok(out)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (s, c) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    s / c as f64
}

/// The outputs of one input, split as SALib splits them.
struct Split<'a> {
    a: &'a [f64],
    b: &'a [f64],
    ab: &'a [f64],
}

/// S1 and ST of one input over the rows `rows` (all of them: `None`).
fn indices(s: &Split<'_>, rows: Option<&[usize]>) -> (f64, f64) {
    let all: Vec<usize>;
    let rows = match rows {
        Some(r) => r,
        None => {
            all = (0..s.a.len()).collect();
            &all
        }
    };
    let ab: Vec<f64> = rows
        .iter()
        .map(|&i| s.a[i])
        .chain(rows.iter().map(|&i| s.b[i]))
        .collect();
    let (lo, hi) = ab
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    // SALib's: an output that does not vary has no variance to share out.
    if lo == hi {
        return (0.0, 0.0);
    }
    let m = mean(ab.iter().copied());
    let var = mean(ab.iter().map(|v| (v - m) * (v - m)));
    let s1 = mean(rows.iter().map(|&i| s.b[i] * (s.ab[i] - s.a[i]))) / var;
    let st = 0.5 * mean(rows.iter().map(|&i| (s.a[i] - s.ab[i]).powi(2))) / var;
    (s1, st)
}

fn sample_std(values: &[f64]) -> f64 {
    let m = mean(values.iter().copied());
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (values.len() as f64 - 1.0)).sqrt()
}

/// The indices from the outputs `y` of a Saltelli sample of `d` inputs (`n·(d + 2)`
/// values, in [`saltelli_sample`]'s order), as SALib's `sobol.analyze` computes them;
/// `names` label the inputs.
pub fn analyze(y: &[f64], names: &[String], params: &ValidSobolParams) -> Result<SobolIndices> {
    let d = names.len();
    let step = d + 2;
    check(
        "outputs",
        y.len(),
        y.len().is_multiple_of(step) && y.len() >= 2 * step,
        "a whole number (at least 2) of groups of inputs + 2 values",
    )?;
    let n = y.len() / step;
    let m = mean(y.iter().copied());
    let sd = mean(y.iter().map(|v| (v - m) * (v - m))).sqrt();
    // Standardised as SALib does: the first-order numerator depends on the outputs' mean.
    let z: Vec<f64> = if sd > 0.0 {
        y.iter().map(|v| (v - m) / sd).collect()
    } else {
        vec![0.0; y.len()]
    };
    let column = |c: usize| -> Vec<f64> { z.iter().skip(c).step_by(step).copied().collect() };
    let a = column(0);
    let b = column(step - 1);
    let mut rng = fivedreg_rng::rng(params.0.seed, Stream::Bootstrap);
    let resamples: Vec<Vec<usize>> = (0..params.0.resamples)
        .map(|_| {
            (0..n)
                .map(|_| fivedreg_rng::below(&mut rng, n as u64) as usize)
                .collect()
        })
        .collect();
    let mut out = SobolIndices {
        inputs: names.to_vec(),
        s1: Vec::with_capacity(d),
        s1_conf: Vec::with_capacity(d),
        st: Vec::with_capacity(d),
        st_conf: Vec::with_capacity(d),
        n,
        evaluations: y.len(),
    };
    for k in 0..d {
        let ab = column(k + 1);
        let split = Split {
            a: &a,
            b: &b,
            ab: &ab,
        };
        let (s1, st) = indices(&split, None);
        let (boot_s1, boot_st): (Vec<f64>, Vec<f64>) =
            resamples.iter().map(|r| indices(&split, Some(r))).unzip();
        out.s1.push(s1);
        out.st.push(st);
        out.s1_conf.push(fivedreg::Z95 * sample_std(&boot_s1));
        out.st_conf.push(fivedreg::Z95 * sample_std(&boot_st));
    }
    Ok(out)
}

/// The Sobol' indices of `model` over `bounds` (each input uniform over its range).
pub fn sobol_indices(
    model: &dyn Surrogate,
    bounds: &Bounds,
    params: &ValidSobolParams,
) -> Result<SobolIndices> {
    let x = saltelli_sample(bounds, params.0.n, params.0.seed)?;
    let y = finite(model, &x)?;
    analyze(&y, bounds.names(), params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FnSurrogate, RangeSpec};
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    fn cube(names: &str, lo: f64, hi: f64) -> Bounds {
        let text: Vec<String> = names.split(',').map(|n| format!("{n}={lo}:{hi}")).collect();
        Bounds::from_specs(&RangeSpec::parse_list(&text.join(",")).unwrap()).unwrap()
    }

    /// The Ishigami function's analytic indices (a = 7, b = 0.1), from the function itself.
    #[test]
    fn ishigami_indices_match_the_analytic_values() {
        let bounds = cube("x1,x2,x3", -PI, PI);
        let params = SobolParams {
            n: 1 << 15,
            ..SobolParams::default()
        }
        .check(3)
        .unwrap();
        let s = sobol_indices(&FnSurrogate::new(3, ishigami), &bounds, &params).unwrap();
        let (a, b) = (7.0f64, 0.1f64);
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        let s1 = [v1 / v, v2 / v, 0.0];
        let st = [(v1 + v13) / v, v2 / v, v13 / v];
        for k in 0..3 {
            assert!(
                (s.s1[k] - s1[k]).abs() < 0.01,
                "S1 {k}: {} vs {}",
                s.s1[k],
                s1[k]
            );
            assert!(
                (s.st[k] - st[k]).abs() < 0.01,
                "ST {k}: {} vs {}",
                s.st[k],
                st[k]
            );
            assert!(s.s1_conf[k] > 0.0 && s.s1_conf[k] < 0.05);
        }
        assert_eq!(s.evaluations, (1 << 15) * 5);
    }

    /// The sample's layout: A, AB_1..AB_d, B per base point.
    #[test]
    fn the_sample_is_laid_out_as_salibs() {
        let bounds = cube("p,q", 0.0, 1.0);
        let x = saltelli_sample(&bounds, 4, 1).unwrap();
        let base = SobolSequence::scrambled(4, 1).unwrap().points(4).unwrap();
        for i in 0..4 {
            let (a, b) = (&base[i * 4..i * 4 + 2], &base[i * 4 + 2..i * 4 + 4]);
            let rows = &x[i * 8..(i + 1) * 8];
            assert_eq!(&rows[0..2], a);
            assert_eq!(&rows[2..4], &[b[0], a[1]]);
            assert_eq!(&rows[4..6], &[a[0], b[1]]);
            assert_eq!(&rows[6..8], b);
        }
    }

    /// Against the estimators written out for one tiny case, and a constant output.
    #[test]
    fn estimators_match_their_formulas() {
        let names = vec!["u".to_string()];
        let params = SobolParams {
            n: 2,
            ..SobolParams::default()
        }
        .check(1)
        .unwrap();
        // Rows per point: A, AB, B.
        let y = [1.0, 2.0, 4.0, 3.0, 5.0, 6.0];
        let s = analyze(&y, &names, &params).unwrap();
        let m = y.iter().sum::<f64>() / 6.0;
        let sd = (y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 6.0).sqrt();
        let z: Vec<f64> = y.iter().map(|v| (v - m) / sd).collect();
        let (a, ab, b) = ([z[0], z[3]], [z[1], z[4]], [z[2], z[5]]);
        let all = [a[0], a[1], b[0], b[1]];
        let mm = all.iter().sum::<f64>() / 4.0;
        let var = all.iter().map(|v| (v - mm).powi(2)).sum::<f64>() / 4.0;
        let s1 = (b[0] * (ab[0] - a[0]) + b[1] * (ab[1] - a[1])) / 2.0 / var;
        let st = 0.5 * ((a[0] - ab[0]).powi(2) + (a[1] - ab[1]).powi(2)) / 2.0 / var;
        assert!((s.s1[0] - s1).abs() < 1e-12 && (s.st[0] - st).abs() < 1e-12);
        let flat = analyze(&[2.0; 6], &names, &params).unwrap();
        assert_eq!((flat.s1[0], flat.st[0]), (0.0, 0.0));
        assert!(analyze(&y[..5], &names, &params).is_err());
        assert!(SobolParams {
            n: 1,
            ..SobolParams::default()
        }
        .check(1)
        .is_err());
        assert!(SobolParams::default().check(33).is_err());
    }
}
