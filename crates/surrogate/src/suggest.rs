//! The next runs to make: where the model is least sure, spread apart.
//!
//! Candidates are scrambled Sobol' points of the box; the picks are taken greedily by
//! largest predicted std, each at least r = ½·K^(−1/d) from the picks before it (distances
//! in the box scaled to the unit cube; half the spacing of K points spread evenly), so the
//! K runs cover the regions of high std instead of piling up at one peak. Should no
//! candidate be that far from every pick, r is halved until one is. A softer penalty (std
//! times 1 − exp(−r²/2ℓ²) per pick) was tried first: it let a pick at the edge of the
//! data, where the std is only moderate, beat the unexplored region's second-best points.
//!
//! | parameter | default | meaning | valid |
//! |---|---|---|---|
//! | `n` | — | points to suggest (K) | 1 to 10000, at most `candidates` |
//! | `candidates` | 4096 | Sobol' candidates scored | 1 to 1000000 |
//! | `seed` | 42 | seed of the candidates' scrambling | any `u64` |

use crate::error::check;
use crate::sobol::SobolSequence;
use crate::{Bounds, Result, Surrogate, SurrogateError};
use serde::Serialize;

/// Unchecked parameters; [`check`](SuggestParams::check) them.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestParams {
    /// Points to suggest.
    pub n: usize,
    /// Candidates scored.
    pub candidates: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for SuggestParams {
    fn default() -> Self {
        SuggestParams {
            n: 1,
            candidates: 4096,
            seed: crate::DEFAULT_SEED,
        }
    }
}

/// Checked [`SuggestParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSuggestParams(SuggestParams);

impl SuggestParams {
    /// Checks the parameters.
    pub fn check(self) -> Result<ValidSuggestParams> {
        check(
            "--candidates",
            self.candidates,
            (1..=1_000_000).contains(&self.candidates),
            "1 to 1000000",
        )?;
        check(
            "--n",
            self.n,
            (1..=10_000).contains(&self.n) && self.n <= self.candidates,
            "1 to 10000, at most the number of candidates",
        )?;
        Ok(ValidSuggestParams(self))
    }
}

/// The suggested points, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestions {
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// The points, each in the inputs' order.
    pub points: Vec<Vec<f64>>,
    /// The predicted value at each point.
    pub mean: Vec<f64>,
    /// The predicted std at each point.
    pub std: Vec<f64>,
    /// Whether the std was the same at every candidate (a kernel ensemble gives one width
    /// everywhere): the picks then only spread over the box.
    pub constant_std: bool,
}

/// One suggested run, as the command line's and the server's JSON show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The point, in the inputs' order.
    pub point: Vec<f64>,
    /// The predicted value there.
    pub prediction: f64,
    /// The predicted std there.
    pub std: f64,
}

impl Suggestions {
    /// One row per suggested point, best first.
    pub fn rows(&self) -> Vec<Suggestion> {
        (0..self.points.len())
            .map(|i| Suggestion {
                point: self.points[i].clone(),
                prediction: self.mean[i],
                std: self.std[i],
            })
            .collect()
    }
}

/// The next `n` runs of `model` within `bounds`; refuses a model without a std.
pub fn suggest(
    model: &dyn Surrogate,
    bounds: &Bounds,
    params: &ValidSuggestParams,
) -> Result<Suggestions> {
    let p = &params.0;
    if !model.has_std() {
        return Err(SurrogateError::NoStd { what: "suggest" });
    }
    let d = bounds.dim();
    let unit = SobolSequence::scrambled(d, p.seed)?.points(p.candidates)?;
    let mut x = unit.clone();
    bounds.scale(&mut x);
    let (mean, std) = model.predict_with_std(&x)?;
    crate::surrogate::finite_or_err(d, &x, &std)?;
    let mut min_dist = 0.5 * (p.n as f64).powf(-1.0 / d as f64);
    let mut taken = vec![false; p.candidates];
    let mut out = Suggestions {
        inputs: bounds.names().to_vec(),
        points: Vec::with_capacity(p.n),
        mean: Vec::with_capacity(p.n),
        std: Vec::with_capacity(p.n),
        constant_std: std.iter().all(|&s| s == std[0]),
    };
    let mut chosen: Vec<usize> = Vec::with_capacity(p.n);
    while chosen.len() < p.n {
        let far = |i: usize| {
            let row = &unit[i * d..(i + 1) * d];
            chosen.iter().all(|&c| {
                let other = &unit[c * d..(c + 1) * d];
                let r2: f64 = row.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum();
                r2 >= min_dist * min_dist
            })
        };
        // The largest std among the candidates far enough (ties: the earlier candidate).
        let best =
            (0..p.candidates)
                .filter(|&i| !taken[i] && far(i))
                .fold(None, |b: Option<usize>, i| match b {
                    Some(j) if std[j] >= std[i] => Some(j),
                    _ => Some(i),
                });
        let Some(best) = best else {
            // n ≤ candidates, so halving ends with some candidate far enough.
            min_dist *= 0.5;
            continue;
        };
        taken[best] = true;
        chosen.push(best);
        out.points.push(x[best * d..(best + 1) * d].to_vec());
        out.mean.push(mean[best]);
        out.std.push(std[best]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FnSurrogate, RangeSpec};

    fn square() -> Bounds {
        Bounds::from_specs(&RangeSpec::parse_list("x1=0:1,x2=0:1").unwrap()).unwrap()
    }

    #[test]
    fn picks_follow_the_std_and_spread_out() {
        // The std grows with x1: the picks lie at large x1, apart from each other.
        let model = FnSurrogate {
            n_inputs: 2,
            f: |x: &[f64]| x[0] + x[1],
            std: Some(|x: &[f64]| x[0]),
        };
        let params = SuggestParams {
            n: 4,
            candidates: 1024,
            seed: 1,
        }
        .check()
        .unwrap();
        let s = suggest(&model, &square(), &params).unwrap();
        assert_eq!(s.points.len(), 4);
        assert!(s.points[0][0] > 0.99);
        for p in &s.points {
            assert!(p[0] > 0.5, "{p:?}");
        }
        let min_gap = (0..4)
            .flat_map(|i| (i + 1..4).map(move |j| (i, j)))
            .map(|(i, j)| {
                let (a, b) = (&s.points[i], &s.points[j]);
                ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(min_gap > 0.2, "{min_gap}");
        assert_eq!(s.std[0], s.points[0][0]);
        assert!(!s.constant_std);
        assert_eq!(s.mean[0], s.points[0][0] + s.points[0][1]);
    }

    #[test]
    fn a_model_without_std_is_refused() {
        let model = FnSurrogate::new(2, |x: &[f64]| x[0]);
        let params = SuggestParams::default().check().unwrap();
        let e = suggest(&model, &square(), &params).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("suggest needs a model with a standard deviation"));
        assert!(SuggestParams {
            n: 5,
            candidates: 4,
            seed: 0
        }
        .check()
        .is_err());
    }
}
