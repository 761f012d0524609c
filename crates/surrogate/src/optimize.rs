//! The best predicted value within the box: multi-start L-BFGS-B on the model's prediction.
//!
//! Each start runs a projected L-BFGS (the box-constrained L-BFGS in the projected form of
//! Kim, Sra and Dhillon 2010, not Byrd et al.'s Cauchy-point and subspace steps): the
//! L-BFGS direction over the inputs not held at a bound by the gradient, an Armijo
//! backtracking search along its projection onto the box, and SciPy's stopping rules
//! (relative decrease below 2.2·10⁻⁹, projected gradient below 10⁻⁸, or `max_iter`). It
//! works in the box scaled to the unit cube. Gradients are central finite differences of
//! step 10⁻⁴ of each range (one-sided at a bound) for every model kind: a network predicts
//! in f32, whose rounding a smaller step would turn into gradient noise. Starts are the
//! first points of a scrambled Sobol' sequence, so they cover the box; optima closer than
//! 1% of every range are merged, and all are reported, best first.
//!
//! | parameter | default | meaning | valid |
//! |---|---|---|---|
//! | `minimize` | `true` | minimise (else maximise) the prediction | |
//! | `starts` | 10 | starting points | 1 to 10000 |
//! | `max_iter` | 200 | L-BFGS iterations per start | 1 to 100000 |
//! | `seed` | 42 | seed of the starts' scrambling | any `u64` |

use crate::error::check;
use crate::sobol::SobolSequence;
use crate::surrogate::finite;
use crate::{Bounds, Result, Surrogate};
use serde::Serialize;

/// Unchecked parameters; [`check`](OptimizeParams::check) them.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeParams {
    /// Minimise (`true`) or maximise.
    pub minimize: bool,
    /// Starting points.
    pub starts: usize,
    /// Iterations per start.
    pub max_iter: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for OptimizeParams {
    fn default() -> Self {
        OptimizeParams {
            minimize: true,
            starts: 10,
            max_iter: 200,
            seed: crate::DEFAULT_SEED,
        }
    }
}

/// Whether to minimise, from `--minimize` and `--maximize`: exactly one of them.
pub fn minimize_from(minimize: bool, maximize: bool) -> Result<bool> {
    match (minimize, maximize) {
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        _ => Err(crate::SurrogateError::OneOf {
            first: "--minimize",
            second: "--maximize",
        }),
    }
}

/// Checked [`OptimizeParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidOptimizeParams(OptimizeParams);

impl OptimizeParams {
    /// Checks the parameters.
    pub fn check(self) -> Result<ValidOptimizeParams> {
        check(
            "--starts",
            self.starts,
            (1..=10_000).contains(&self.starts),
            "1 to 10000",
        )?;
        check(
            "max iterations",
            self.max_iter,
            (1..=100_000).contains(&self.max_iter),
            "1 to 100000",
        )?;
        Ok(ValidOptimizeParams(self))
    }
}

/// One local optimum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optimum {
    /// The point, in the inputs' order.
    pub point: Vec<f64>,
    /// The predicted value there.
    pub value: f64,
    /// The predicted std there, if the model has one.
    pub std: Option<f64>,
    /// How many starts ended here.
    pub starts: usize,
}

/// The optima found, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optima {
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// `minimize` or `maximize`.
    pub goal: &'static str,
    /// Distinct optima, best first.
    pub optima: Vec<Optimum>,
    /// Model evaluations made.
    pub evaluations: usize,
}

/// Finite-difference step in the unit cube.
const STEP: f64 = 1e-4;
/// L-BFGS memory.
const MEMORY: usize = 10;

struct Problem<'a> {
    model: &'a dyn Surrogate,
    bounds: &'a Bounds,
    sign: f64,
    evaluations: usize,
}

impl Problem<'_> {
    fn user(&self, unit: &mut [f64]) {
        self.bounds.scale(unit);
    }

    /// The objective at each row-major unit point.
    fn values(&mut self, unit: &[f64]) -> Result<Vec<f64>> {
        let mut x = unit.to_vec();
        self.user(&mut x);
        self.evaluations += x.len() / self.bounds.dim();
        Ok(finite(self.model, &x)?
            .into_iter()
            .map(|v| self.sign * v)
            .collect())
    }

    /// The objective and its finite-difference gradient at `u`, in one batch of 2d + 1 rows.
    fn value_and_gradient(&mut self, u: &[f64]) -> Result<(f64, Vec<f64>)> {
        let d = u.len();
        let mut rows = u.to_vec();
        let mut steps = Vec::with_capacity(d);
        for k in 0..d {
            let hi = (u[k] + STEP).min(1.0);
            let lo = (u[k] - STEP).max(0.0);
            for v in [hi, lo] {
                rows.extend_from_slice(u);
                let last = rows.len() - d + k;
                rows[last] = v;
            }
            steps.push(hi - lo);
        }
        let y = self.values(&rows)?;
        let g = (0..d)
            .map(|k| (y[1 + 2 * k] - y[2 + 2 * k]) / steps[k])
            .collect();
        Ok((y[0], g))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Whether coordinate `k` is held at a bound: the gradient would push it out of the box.
fn held(u: f64, g: f64) -> bool {
    (u <= 0.0 && g > 0.0) || (u >= 1.0 && g < 0.0)
}

/// One projected L-BFGS run from `u`; returns the end point and its value.
fn local(problem: &mut Problem<'_>, mut u: Vec<f64>, max_iter: usize) -> Result<(Vec<f64>, f64)> {
    let d = u.len();
    let (mut f, mut g) = problem.value_and_gradient(&u)?;
    let mut memory: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for _ in 0..max_iter {
        let projected = (0..d)
            .map(|k| ((u[k] - g[k]).clamp(0.0, 1.0) - u[k]).abs())
            .fold(0.0, f64::max);
        if projected < 1e-8 {
            break;
        }
        let free: Vec<bool> = (0..d).map(|k| !held(u[k], g[k])).collect();
        // The two-loop recursion on the free coordinates' gradient.
        let mut q: Vec<f64> = (0..d).map(|k| if free[k] { g[k] } else { 0.0 }).collect();
        let mut alphas = Vec::with_capacity(memory.len());
        for (s, y, rho) in memory.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        let gamma = memory.last().map_or(
            0.1 / g.iter().fold(1e-12_f64, |m, v| m.max(v.abs())),
            |(s, y, _)| dot(s, y) / dot(y, y),
        );
        q.iter_mut().for_each(|v| *v *= gamma);
        for ((s, y, rho), a) in memory.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut dir: Vec<f64> = (0..d).map(|k| if free[k] { -q[k] } else { 0.0 }).collect();
        if dot(&dir, &g) >= 0.0 {
            // Not a descent direction (curvature pairs gone stale at a bound): restart.
            memory.clear();
            let scale = 0.1 / g.iter().fold(1e-12_f64, |m, v| m.max(v.abs()));
            dir = (0..d)
                .map(|k| if free[k] { -g[k] * scale } else { 0.0 })
                .collect();
        }
        // Armijo backtracking along the projected path.
        let mut t = 1.0;
        let mut next = None;
        for _ in 0..40 {
            let trial: Vec<f64> = (0..d)
                .map(|k| (u[k] + t * dir[k]).clamp(0.0, 1.0))
                .collect();
            let ft = problem.values(&trial)?[0];
            let step: Vec<f64> = trial.iter().zip(&u).map(|(a, b)| a - b).collect();
            if ft <= f + 1e-4 * dot(&g, &step) {
                next = Some((trial, ft));
                break;
            }
            t *= 0.5;
        }
        let Some((trial, _)) = next else {
            break;
        };
        let (f_new, g_new) = problem.value_and_gradient(&trial)?;
        let s: Vec<f64> = trial.iter().zip(&u).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-10 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() && sy > 0.0 {
            if memory.len() == MEMORY {
                memory.remove(0);
            }
            memory.push((s, y, 1.0 / sy));
        }
        let decrease = (f - f_new) / f.abs().max(f_new.abs()).max(1.0);
        u = trial;
        f = f_new;
        g = g_new;
        if decrease <= 2.2e-9 {
            break;
        }
    }
    Ok((u, f))
}

/// The optima of `model`'s prediction within `bounds`.
pub fn optimize(
    model: &dyn Surrogate,
    bounds: &Bounds,
    params: &ValidOptimizeParams,
) -> Result<Optima> {
    let p = &params.0;
    let d = bounds.dim();
    let mut problem = Problem {
        model,
        bounds,
        sign: if p.minimize { 1.0 } else { -1.0 },
        evaluations: 0,
    };
    let starts = SobolSequence::scrambled(d, p.seed)?.points(p.starts)?;
    let mut found: Vec<(Vec<f64>, f64, usize)> = Vec::new();
    for start in starts.chunks_exact(d) {
        let (u, f) = local(&mut problem, start.to_vec(), p.max_iter)?;
        match found
            .iter_mut()
            .find(|(v, _, _)| v.iter().zip(&u).all(|(a, b)| (a - b).abs() < 0.01))
        {
            Some(same) => {
                same.2 += 1;
                if f < same.1 {
                    (same.0, same.1) = (u, f);
                }
            }
            None => found.push((u, f, 1)),
        }
    }
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut points: Vec<f64> = found
        .iter()
        .flat_map(|(u, _, _)| u.iter().copied())
        .collect();
    bounds.scale(&mut points);
    let std = if model.has_std() {
        Some(model.predict_with_std(&points)?.1)
    } else {
        None
    };
    let optima = found
        .iter()
        .enumerate()
        .map(|(i, (_, f, n))| Optimum {
            point: points[i * d..(i + 1) * d].to_vec(),
            value: problem.sign * f,
            std: std.as_ref().map(|s| s[i]),
            starts: *n,
        })
        .collect();
    Ok(Optima {
        inputs: bounds.names().to_vec(),
        goal: if p.minimize { "minimize" } else { "maximize" },
        optima,
        evaluations: problem.evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FnSurrogate, RangeSpec};
    use std::f64::consts::PI;

    pub(crate) fn branin(x: &[f64]) -> f64 {
        let (a, b, c) = (1.0, 5.1 / (4.0 * PI * PI), 5.0 / PI);
        let (r, s, t) = (6.0, 10.0, 1.0 / (8.0 * PI));
        a * (x[1] - b * x[0] * x[0] + c * x[0] - r).powi(2) + s * (1.0 - t) * x[0].cos() + s
    }

    #[test]
    fn finds_the_three_minima_of_branin() {
        let bounds =
            Bounds::from_specs(&RangeSpec::parse_list("x1=-5:10,x2=0:15").unwrap()).unwrap();
        let params = OptimizeParams {
            starts: 20,
            ..OptimizeParams::default()
        }
        .check()
        .unwrap();
        let o = optimize(&FnSurrogate::new(2, branin), &bounds, &params).unwrap();
        for (x1, x2) in [(-PI, 12.275), (PI, 2.275), (9.42478, 2.475)] {
            let hit = o
                .optima
                .iter()
                .find(|m| (m.point[0] - x1).abs() < 0.15 && (m.point[1] - x2).abs() < 0.15);
            let hit = hit.unwrap_or_else(|| panic!("({x1}, {x2}) not found: {:?}", o.optima));
            assert!((hit.value - 0.397887).abs() < 1e-4, "{}", hit.value);
        }
        assert!(o.optima[0].value <= o.optima.last().unwrap().value);
    }

    #[test]
    fn maximising_stops_at_the_box() {
        // A plane: its maximum is the corner (1, 0) of the box, and L-BFGS-B must hold both
        // inputs at their bounds.
        let bounds = Bounds::from_specs(&RangeSpec::parse_list("a=-1:1,b=0:2").unwrap()).unwrap();
        let params = OptimizeParams {
            minimize: false,
            starts: 3,
            ..OptimizeParams::default()
        }
        .check()
        .unwrap();
        let o = optimize(
            &FnSurrogate::new(2, |x: &[f64]| 2.0 * x[0] - x[1]),
            &bounds,
            &params,
        )
        .unwrap();
        assert_eq!(o.optima.len(), 1);
        assert_eq!(o.optima[0].point, vec![1.0, 0.0]);
        assert_eq!(o.optima[0].value, 2.0);
        assert_eq!(o.optima[0].starts, 3);
        assert!(OptimizeParams {
            starts: 0,
            ..OptimizeParams::default()
        }
        .check()
        .is_err());
    }
}
