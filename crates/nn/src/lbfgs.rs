//! Full-batch L-BFGS on the shared loss (scikit-learn's `lbfgs` solver).
//!
//! scikit-learn hands its loss to SciPy's L-BFGS-B with 10 correction pairs and stops when
//! (a) `max_iter` iterations ran, (b) `max_fun` loss evaluations were made, (c) an iteration
//! lowered the loss by a relative `ftol` = 2.2e-9 or less, `(f_k − f_k+1) / max(|f_k|,
//! |f_k+1|, 1) ≤ ftol`, or (d) the largest gradient component is at most `tol`. These are the
//! rules here, exactly. The quasi-Newton update is the classic two-loop recursion
//! (Nocedal & Wright, Algorithm 7.4) and the step satisfies the strong Wolfe conditions with
//! SciPy's constants (sufficient decrease 1e-3, curvature 0.9), found by bracketing and
//! cubic interpolation (Nocedal & Wright, Algorithms 3.5 and 3.6).
//!
//! Why not a crate: argmin's L-BFGS stops on the gradient's L2 norm and on an absolute
//! change of the loss, and has no cap on evaluations; reproducing scikit-learn's rules
//! through it took more code than the algorithm itself. The loss and gradient are ours
//! ([`FullBatch`]), evaluated in f32 on the kernels with every thread; the L-BFGS vectors
//! are f64.

use crate::mlp::Mlp;
use crate::objective::{FullBatch, SHARDS};
use crate::pool::with_pool;
use crate::train::{r2_from_sums, total_sum_of_squares};
use crate::{
    EpochStats, MlpValidParams, NnError, PredictWorkspace, Result, Samples, StopReason, Trained,
    TrainingHistory,
};
use std::collections::VecDeque;
use std::time::Instant;

/// Correction pairs kept (SciPy's default `maxcor`).
const MEMORY: usize = 10;
/// SciPy's `factr` · machine epsilon: the relative improvement below which an iteration
/// counts as converged.
const FTOL: f64 = 1e7 * f64::EPSILON;
/// Sufficient-decrease constant of the line search (SciPy's `ftol` of `dcsrch`).
const C1: f64 = 1e-3;
/// Curvature constant of the line search (SciPy's `gtol` of `dcsrch`).
const C2: f64 = 0.9;
/// Most loss evaluations one line search may make.
const LINE_SEARCH_EVALS: usize = 20;

/// A point of the search: parameters, loss, gradient.
#[derive(Clone)]
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

/// The objective seen by the optimiser, with an evaluation count.
struct Evaluator<'f> {
    objective: &'f mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    evaluations: usize,
}

impl Evaluator<'_> {
    fn point(&mut self, x: Vec<f64>) -> Point {
        let mut g = vec![0.0; x.len()];
        let f = (self.objective)(&x, &mut g);
        self.evaluations += 1;
        Point { x, f, g }
    }

    /// Evaluates at `from.x + step · d`, into `out`; returns the directional derivative.
    fn along(&mut self, from: &Point, d: &[f64], step: f64, out: &mut Point) -> f64 {
        for ((x, &x0), &di) in out.x.iter_mut().zip(&from.x).zip(d) {
            *x = x0 + step * di;
        }
        out.f = (self.objective)(&out.x, &mut out.g);
        self.evaluations += 1;
        dot(&out.g, d)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// The minimiser of the cubic through `(a, fa, da)` and `(b, fb, db)`, kept inside the
/// bracket (with a margin); bisection when the cubic has no usable minimiser.
fn cubic_min(a: f64, fa: f64, da: f64, b: f64, fb: f64, db: f64) -> f64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let margin = 0.1 * (hi - lo);
    let d1 = da + db - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - da * db;
    let mid = 0.5 * (a + b);
    if !disc.is_finite() || disc < 0.0 {
        return mid;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let t = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
    if t.is_finite() && t >= lo + margin && t <= hi - margin {
        t
    } else {
        mid
    }
}

/// A step along `d` from `start` (whose slope along `d` is `slope0 < 0`) that satisfies the
/// strong Wolfe conditions, or failing that the lowest point found with sufficient
/// decrease; `None` if no step lowered the loss.
fn line_search(
    ev: &mut Evaluator<'_>,
    start: &Point,
    d: &[f64],
    first_step: f64,
    max_evaluations: usize,
) -> Option<Point> {
    let f0 = start.f;
    let slope0 = dot(&start.g, d);
    let mut trial = start.clone();
    // The bracket's low end: the best step with sufficient decrease so far.
    let mut lo = (0.0, f0, slope0);
    let mut lo_point: Option<Point> = None;
    let mut hi: Option<(f64, f64, f64)> = None;
    let mut step = first_step;
    let mut evaluations = 0;
    while evaluations < max_evaluations.min(LINE_SEARCH_EVALS) {
        let slope = ev.along(start, d, step, &mut trial);
        evaluations += 1;
        let f = trial.f;
        if !f.is_finite()
            || f > f0 + C1 * step * slope0
            || (hi.is_none() && f >= lo.1 && lo.0 > 0.0)
        {
            hi = Some((step, if f.is_finite() { f } else { f64::MAX }, slope));
        } else if slope.abs() <= -C2 * slope0 {
            return Some(trial);
        } else {
            if hi.is_none() && slope >= 0.0 {
                // The minimum lies between the last good step and this one.
                hi = Some(lo);
            } else if let Some(h) = hi {
                if slope * (h.0 - step) >= 0.0 {
                    hi = Some(lo);
                }
            }
            lo = (step, f, slope);
            lo_point = Some(trial.clone());
        }
        step = match hi {
            // Expanding: no upper end yet.
            None => 4.0 * step,
            Some((hs, hf, hd)) if hf.is_finite() && hf < f64::MAX => {
                cubic_min(lo.0, lo.1, lo.2, hs, hf, hd)
            }
            Some((hs, _, _)) => 0.5 * (lo.0 + hs),
        };
        if let Some((hs, _, _)) = hi {
            if (hs - lo.0).abs() <= 1e-12 * hs.abs().max(1e-300) {
                break;
            }
        }
    }
    lo_point
}

/// Two-loop recursion: the quasi-Newton direction `−H·g` from the stored pairs.
fn direction(g: &[f64], pairs: &VecDeque<(Vec<f64>, Vec<f64>, f64)>) -> Vec<f64> {
    let mut q: Vec<f64> = g.to_vec();
    let mut alphas = vec![0.0; pairs.len()];
    for (i, (s, y, rho)) in pairs.iter().enumerate().rev() {
        let a = rho * dot(s, &q);
        alphas[i] = a;
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
    }
    if let Some((s, y, _)) = pairs.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for ((s, y, rho), a) in pairs.iter().zip(&alphas) {
        let b = rho * dot(y, &q);
        q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
    }
    q.iter_mut().for_each(|v| *v = -*v);
    q
}

/// When [`minimize`] stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsLimits {
    /// Most iterations (quasi-Newton steps).
    pub max_iterations: usize,
    /// Most objective evaluations, line searches included.
    pub max_evaluations: usize,
    /// Stop once the largest gradient component is at most this.
    pub tol: f64,
}

/// What [`minimize`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The last accepted point.
    pub x: Vec<f64>,
    /// The objective there (not finite when the starting point's is not).
    pub f: f64,
    /// Iterations made.
    pub iterations: usize,
    /// Objective evaluations made.
    pub evaluations: usize,
    /// Why it stopped: [`StopReason::Converged`], [`StopReason::MaxEpochs`] (the iteration
    /// cap) or [`StopReason::MaxEvaluations`].
    pub stop: StopReason,
}

/// Minimises `objective` (which returns the value at `x` and writes the gradient into its
/// second argument) from `x0` by L-BFGS with scikit-learn's (SciPy's) stopping rules: see
/// the module's documentation. A point where the objective is not finite counts as too far
/// for the line search. `on_iteration` sees each accepted point (iteration number from 1,
/// point, value) and may stop the search by returning `false`. When the starting value is
/// not finite it returns at once, with no iteration.
pub fn minimize(
    objective: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    limits: &LbfgsLimits,
    on_iteration: &mut dyn FnMut(usize, &[f64], f64) -> bool,
) -> Minimum {
    let mut ev = Evaluator {
        objective,
        evaluations: 0,
    };
    let mut current = ev.point(x0);
    let finish = |current: Point, iterations: usize, evaluations: usize, stop| Minimum {
        x: current.x,
        f: current.f,
        iterations,
        evaluations,
        stop,
    };
    if !current.f.is_finite() || max_abs(&current.g) <= limits.tol {
        return finish(current, 0, ev.evaluations, StopReason::Converged);
    }
    let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    let mut iterations = 0;
    let mut stop = StopReason::MaxEpochs;
    for iteration in 1..=limits.max_iterations {
        let mut d = direction(&current.g, &pairs);
        if dot(&d, &current.g) >= 0.0 {
            // Not a descent direction (the curvature pairs went stale): start afresh.
            pairs.clear();
            d = current.g.iter().map(|v| -v).collect();
        }
        // SciPy's first step: unit length along the first direction; 1 afterwards.
        let first_step = if pairs.is_empty() {
            (1.0 / dot(&d, &d).sqrt()).min(1.0)
        } else {
            1.0
        };
        let budget = limits.max_evaluations.saturating_sub(ev.evaluations);
        let mut next = line_search(&mut ev, &current, &d, first_step, budget);
        if next.is_none() && !pairs.is_empty() && ev.evaluations < limits.max_evaluations {
            // SciPy's recovery: forget the curvature pairs, retry along −g.
            pairs.clear();
            let d: Vec<f64> = current.g.iter().map(|v| -v).collect();
            let first_step = (1.0 / dot(&d, &d).sqrt()).min(1.0);
            let budget = limits.max_evaluations.saturating_sub(ev.evaluations);
            next = line_search(&mut ev, &current, &d, first_step, budget);
        }
        let Some(next) = next else {
            // No step lowers the objective at the precision it is computed in: a minimum.
            stop = StopReason::Converged;
            break;
        };
        let s: Vec<f64> = next.x.iter().zip(&current.x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next.g.iter().zip(&current.g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        // SciPy skips a pair whose curvature is not safely positive.
        if sy > f64::EPSILON * dot(&y, &y) {
            if pairs.len() == MEMORY {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        let improvement = (current.f - next.f) / current.f.abs().max(next.f.abs()).max(1.0);
        current = next;
        iterations = iteration;
        if !on_iteration(iteration, &current.x, current.f) {
            break;
        }
        if improvement <= FTOL || max_abs(&current.g) <= limits.tol {
            stop = StopReason::Converged;
            break;
        }
        if ev.evaluations >= limits.max_evaluations {
            stop = StopReason::MaxEvaluations;
            break;
        }
    }
    finish(current, iterations, ev.evaluations, stop)
}

/// Trains by full-batch L-BFGS (inputs already checked by the caller). `validation`, when
/// given, is only watched: its R² per iteration goes into the history.
pub(crate) fn train_lbfgs(
    params: &MlpValidParams,
    initial: Mlp,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let started = Instant::now();
    let p = params.params();
    let objective = FullBatch::new(initial.sizes(), initial.activation(), train);
    let layout = objective.layout().clone();
    let mut flat = vec![0.0f32; layout.total];
    initial.write_flat(&layout, &mut flat);
    let threads = params.resolved_threads().min(SHARDS);
    let ss_tot = total_sum_of_squares(validation);
    let mut history = TrainingHistory::empty(p.max_epochs, validation.is_some());
    let mut mlp = initial;
    let mut workspace = PredictWorkspace::new(&mlp);
    let mut predictions = vec![0.0f32; validation.map_or(0, |v| v.n_rows())];
    let limits = LbfgsLimits {
        max_iterations: p.max_epochs,
        max_evaluations: p.max_fun,
        tol: p.tol,
    };

    let mut validation_error = None;
    let mut stopped = false;
    let minimum = with_pool(threads, &objective, |pool| {
        // The loss and gradient in f32 on the kernels, every thread; the optimiser's
        // vectors in f64.
        let mut x32 = vec![0.0f32; layout.total];
        let mut g32 = vec![0.0f32; layout.total];
        let mut loss = |x: &[f64], g: &mut [f64]| -> f64 {
            for (dst, &v) in x32.iter_mut().zip(x) {
                *dst = v as f32;
            }
            let f = objective.evaluate(pool, &x32, p.alpha, &mut g32);
            for (dst, &v) in g.iter_mut().zip(&g32) {
                *dst = f64::from(v);
            }
            f
        };
        let mut on_iteration = |iteration: usize, x: &[f64], f: f64| -> bool {
            if p.stop.is_set() {
                stopped = true;
                return false;
            }
            let validation_r2 = match validation {
                Some(v) => {
                    let narrow: Vec<f32> = x.iter().map(|&x| x as f32).collect();
                    mlp.read_flat(&layout, &narrow);
                    if let Err(e) = mlp.predict_into(v.x, &mut predictions, &mut workspace) {
                        validation_error = Some(e);
                        return false;
                    }
                    let ss_res: f64 = predictions
                        .iter()
                        .zip(v.y)
                        .map(|(&p, &y)| (f64::from(p) - f64::from(y)).powi(2))
                        .sum();
                    let r2 = r2_from_sums(ss_res, ss_tot);
                    history.validation_r2.push(r2);
                    Some(r2)
                }
                None => None,
            };
            history.epochs = iteration;
            history.best_epoch = iteration;
            history.train_loss.push(f);
            on_epoch(&EpochStats {
                member: 0,
                epoch: iteration,
                train_loss: f,
                validation_r2,
            });
            true
        };
        minimize(
            &mut loss,
            flat.iter().map(|&v| f64::from(v)).collect(),
            &limits,
            &mut on_iteration,
        )
    });
    if let Some(e) = validation_error {
        return Err(e);
    }
    if stopped {
        return Err(NnError::Stopped);
    }
    if !minimum.f.is_finite() && minimum.iterations == 0 {
        return Err(NnError::Diverged {
            epoch: 0,
            loss: minimum.f,
        });
    }
    history.stop_reason = minimum.stop;
    let narrow: Vec<f32> = minimum.x.iter().map(|&x| x as f32).collect();
    if narrow.iter().any(|v| !v.is_finite()) {
        return Err(NnError::Diverged {
            epoch: history.epochs,
            loss: history.train_loss.last().copied().unwrap_or(f64::NAN),
        });
    }
    mlp.read_flat(&layout, &narrow);
    history.best_validation_r2 = history.validation_r2.last().copied();
    history.seconds = started.elapsed().as_secs_f64();
    Ok(Trained { mlp, history })
}

#[cfg(test)]
mod tests {
    use super::{cubic_min, minimize, LbfgsLimits};
    use crate::StopReason;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    #[test]
    fn it_finds_rosenbrocks_minimum_and_keeps_to_its_limits() {
        let limits = LbfgsLimits {
            max_iterations: 200,
            max_evaluations: 500,
            tol: 1e-10,
        };
        let mut seen = 0;
        let m = minimize(&mut rosenbrock, vec![-1.2, 1.0], &limits, &mut |i, _, _| {
            seen = i;
            true
        });
        assert_eq!(m.stop, StopReason::Converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{m:?}"
        );
        assert_eq!(seen, m.iterations);
        // The iteration cap, the evaluation cap and a stop asked for by the caller.
        let few = LbfgsLimits {
            max_iterations: 3,
            ..limits
        };
        let m = minimize(&mut rosenbrock, vec![-1.2, 1.0], &few, &mut |_, _, _| true);
        assert_eq!((m.iterations, m.stop), (3, StopReason::MaxEpochs));
        let cheap = LbfgsLimits {
            max_evaluations: 5,
            ..limits
        };
        let m = minimize(&mut rosenbrock, vec![-1.2, 1.0], &cheap, &mut |_, _, _| {
            true
        });
        assert_eq!(m.stop, StopReason::MaxEvaluations);
        assert!(m.evaluations <= 6, "{m:?}");
        let m = minimize(&mut rosenbrock, vec![-1.2, 1.0], &limits, &mut |i, _, _| {
            i < 2
        });
        assert_eq!(m.iterations, 2);
    }

    #[test]
    fn a_point_where_the_objective_is_not_finite_is_too_far() {
        // f = x − ln(x), minimum at 1, undefined (NaN) for x ≤ 0: a full first step from
        // 5 overshoots into x < 0.
        let mut f = |x: &[f64], g: &mut [f64]| {
            g[0] = 1.0 - 1.0 / x[0];
            x[0] - x[0].ln()
        };
        let limits = LbfgsLimits {
            max_iterations: 100,
            max_evaluations: 300,
            tol: 1e-9,
        };
        let m = minimize(&mut f, vec![20.0], &limits, &mut |_, _, _| true);
        assert!((m.x[0] - 1.0).abs() < 1e-6, "{m:?}");
        let m = minimize(&mut f, vec![-1.0], &limits, &mut |_, _, _| true);
        assert!(m.f.is_nan() && m.iterations == 0);
    }

    #[test]
    fn the_cubic_step_finds_a_quadratics_minimum() {
        // f(t) = (t − 0.3)², sampled at 0 and 1 with its slopes.
        let f = |t: f64| (t - 0.3) * (t - 0.3);
        let df = |t: f64| 2.0 * (t - 0.3);
        let t = cubic_min(0.0, f(0.0), df(0.0), 1.0, f(1.0), df(1.0));
        assert!((t - 0.3).abs() < 1e-12, "{t}");
    }
}
