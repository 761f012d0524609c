//! `--auto`: K-fold cross-validation over a small candidate list within a time budget; the
//! final model is the winner's fold models as an ensemble, or a blend of the best.
//!
//! Every candidate is fitted as an ensemble of K members on the same folds of the same
//! training rows (the split and the folds come from the one seed), so the out-of-fold R² of
//! the candidates compare like for like and the winner needs no refit: its fold models are
//! the final ensemble, its held-out predictions calibrate the spread.
//!
//! The candidates, in the order they are tried (sizes scaled to the training rows `n`, as
//! the seed system's performance page advises: `[32, 16]` below 2,000 rows, `[64, 32, 16]`
//! up to 20,000, `[128, 64, 32]` above):
//!
//! | # | solver | hidden | alpha | learning rate | inputs |
//! |---|---|---|---|---|---|
//! | 1 | L-BFGS | scaled | 1e-4 | | standardized |
//! | 2 | Adam + early stopping | scaled | 1e-4 | 1e-3 | standardized |
//! | 3 | L-BFGS | scaled | 1e-2 | | standardized |
//! | 4 | L-BFGS | scaled | 1 | | standardized |
//! | 5 | Adam + early stopping | scaled | 1e-4 | 3e-3 | standardized |
//! | 6 | L-BFGS | `[16]` | 10 | | standardized |
//! | 7 | L-BFGS | one size up | 1e-3 | | standardized |
//! | 8, 9 | the best two so far | | | | Yeo-Johnson, then standardized (only when a feature's skewness exceeds 0.75) |
//!
//! Eight kernel candidates follow the first two: RBF interpolation (SciPy's
//! `RBFInterpolator`: a radial kernel with a polynomial tail, on the standardized inputs).
//! First the quintic kernel (quadratic tail) with a weight per input and the smoothing
//! chosen by a small cross-validated search started at 10 (automatic relevance
//! determination for kernels that have no likelihood: see
//! [`search_input_weights`](crate::kernel::search_input_weights)); then the Gaussian kernel
//! (no tail) with a weight per input and the smoothing chosen as a Gaussian process
//! chooses its length scales and noise, by maximising the marginal likelihood on a subsample
//! of 600 rows, then, when the budget allows (judged from the first stage's measured time),
//! three iterations on up to 1,600 (see [`marginal_likelihood_search`](crate::kernel::marginal_likelihood_search)):
//! its model is then that Gaussian process's posterior mean; then the same Gaussian kernel
//! with a linear tail (the process's mean a linear function of the inputs), with the length
//! scales and noise just found; then least squares on the inputs (an L-BFGS network
//! without hidden layers, alpha 1e-4: alone it rarely wins, but it errs where the smooth
//! models do not, which the blend below can use); then the cubic kernel (linear
//! tail) searched as the quintic, from smoothing 1; then, with every
//! weight 1, the quintic at smoothing 10, the cubic at 1, the quintic at 1, the cubic at
//! 0.01 and the thin-plate kernel at 0.1. On smooth
//! data sets they often beat any network (as a Gaussian process does). The searched
//! candidates' settings are chosen on all the pooled rows, held-out folds included, so their
//! cross-validated R² is slightly optimistic against the networks'. Their fold models
//! give the cross-validated R² and calibrate the standard deviation; the final kernel model
//! is refitted on every training row (a denser interpolant is a more accurate one), or,
//! above 2,000 rows, on a subset of 2,000 drawn from the seed (the fit costs the cube of
//! the centres; each fold's model is then fitted on the subset's rows outside the fold and
//! scored on all the fold's rows).
//!
//! L-BFGS runs at most 500 iterations below 2,000 rows and 200 above (scikit-learn's default).
//! When the budget would be exceeded by the next candidate (estimated from the time of the
//! last one of the same solver, scaled by its parameter count; a kernel candidate's from the
//! longest kernel fit's and the last search's times, the first ones and the likelihood search's from
//! their operation counts),
//! exploring stops and the best so far is kept; the first candidate always runs.
//!
//! With two or more threads, up to four candidates train at once ("lanes"), each on its
//! share of the threads: a candidate alone leaves the second core idle in much of its time
//! (a likelihood search evaluates one point at a time, a weight search has three folds, a
//! small fit has a serial setup). Lanes start candidates in the list's order, except that
//! once every ready candidate's time is estimated from a measured one of its kind and all
//! of them fit in the budget together, the longest starts first, so that no lane waits idle
//! for a long last one. A candidate's model depends on its settings and the seed only, not
//! on its thread count; the Gaussian kernel with a linear tail waits for its likelihood
//! search, the power transforms wait for the whole base list, and the leaderboard ranks
//! equals by their place in the list: with a budget every candidate fits in, the model file
//! is the same whatever the thread count.
//!
//! Last, the best six candidates' held-out predictions choose a blend by greedy ensemble
//! selection (see [`crate::blend`]): when a weighted mean of several of them errs at least
//! 1% less than the best one alone on the held-out rows, the final model is that mean (the
//! most-weighted candidate's model holding the others, with their weights, in its model
//! file), and the leaderboard gains a `blend` row. Its cross-validated R² is optimistic, the
//! weights being chosen on the same held-out rows; the test rows are the honest measure.

use crate::blend::{self, Blend, BlendPart, MIN_ERROR_RATIO, SELECTION_ROUNDS};
use crate::error::{Error, Result};
use crate::interpolator::{quantile, Fitted, HeldOut, Interpolator, LeaderboardEntry};
use crate::kernel::{
    marginal_likelihood_search, search_input_weights, RbfKernel, FIT_MAX_CENTERS,
    LIKELIHOOD_REFINE_ROWS, LIKELIHOOD_ROWS,
};
use crate::options::{FitOptions, KernelOptions};
use fivedreg_data::{Dataset, StandardScaler};
use fivedreg_nn::{MlpParams, Solver};
use std::time::Instant;

/// Longest budget accepted (a week).
pub const MAX_BUDGET_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// Floating-point operations per second per core assumed for the first kernel fit's and the
/// first search's time estimates (a rough figure, about half what the blocked LU reaches
/// on an idle core here; later estimates use the measured times).
const KERNEL_FLOPS_PER_CORE: f64 = 4e9;
/// Skewness above which a feature is deemed worth a power transform.
const SKEW_THRESHOLD: f64 = 0.75;
/// The best candidates a blend may draw on: more would fit the weights to the held-out
/// rows' noise.
const BLEND_CANDIDATES: usize = 6;

/// Unchecked options of [`Interpolator::fit_auto`]; [`AutoOptions::check`] validates them.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `budget_seconds` | 10 | wall-clock time after which no new candidate starts | finite, > 0, at most a week |
/// | `folds` | 5 | cross-validation folds (and members of the final ensemble) | 2..=64 |
/// | `base` | [`FitOptions::default`] | the split, the seed and the thread count (the rest is the candidates') | see [`FitOptions`] |
#[derive(Debug, Clone, PartialEq)]
pub struct AutoOptions {
    /// Seconds after which no new candidate starts.
    pub budget_seconds: f64,
    /// Cross-validation folds.
    pub folds: usize,
    /// Split, seed and threads.
    pub base: FitOptions,
}

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions {
            budget_seconds: 10.0,
            folds: 5,
            base: FitOptions::default(),
        }
    }
}

/// Checked [`AutoOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAutoOptions(AutoOptions);

impl ValidAutoOptions {
    /// The checked options.
    pub fn options(&self) -> &AutoOptions {
        &self.0
    }
}

impl AutoOptions {
    /// Validates every option, naming the first that is out of range.
    pub fn check(self) -> Result<ValidAutoOptions> {
        let b = self.budget_seconds;
        if !(b.is_finite() && b > 0.0 && b <= MAX_BUDGET_SECONDS) {
            return Err(Error::InvalidOption {
                name: "budget",
                value: b.to_string(),
                valid: "a number of seconds above 0 and at most 604800",
            });
        }
        if !(2..=crate::options::MAX_ENSEMBLE).contains(&self.folds) {
            return Err(Error::InvalidOption {
                name: "folds",
                value: self.folds.to_string(),
                valid: "in 2..=64",
            });
        }
        // The base options must be valid themselves (split, seed, threads).
        FitOptions {
            ensemble: self.folds,
            ..self.base.clone()
        }
        .check()?;
        Ok(ValidAutoOptions(self))
    }
}

/// One candidate: its options, a kernel model's input weights, and its name on the
/// leaderboard.
struct Candidate {
    options: FitOptions,
    input_weights: Option<Vec<f64>>,
    /// Whether the input weights and the smoothing are to be searched before fitting.
    search: bool,
    name: String,
}

impl Candidate {
    fn new(options: FitOptions, input_weights: Option<Vec<f64>>, search: bool) -> Candidate {
        Candidate {
            name: describe(&options, input_weights.as_deref(), search),
            options,
            input_weights,
            search,
        }
    }
}

/// A number in a few significant digits (for the leaderboard's searched values): four
/// decimals from 0.01 up, three significant digits in exponent form below.
fn short(v: f64) -> String {
    if v == 0.0 || v.abs() >= 0.01 {
        format!("{}", (v * 1e4).round() / 1e4)
    } else {
        format!("{v:.2e}")
    }
}

fn describe(o: &FitOptions, input_weights: Option<&[f64]>, search: bool) -> String {
    let inputs = if o.power_transform {
        " yeo-johnson"
    } else {
        ""
    };
    if let Some(k) = &o.kernel {
        let weights = match input_weights {
            Some(w) => format!(
                " weights {}",
                w.iter().map(|&v| short(v)).collect::<Vec<_>>().join(",")
            ),
            None if search => " weights searched".to_string(),
            None => String::new(),
        };
        return format!(
            "rbf {} smoothing {}{weights}{inputs}",
            k.kernel.name(),
            short(k.smoothing)
        );
    }
    let p = &o.network;
    let hidden = if p.hidden_layers.is_empty() {
        "linear".to_string()
    } else {
        p.hidden_layers
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let solver = match p.solver {
        Solver::Adam => format!("adam lr {}", p.learning_rate),
        Solver::Lbfgs => format!("lbfgs {} it", p.max_epochs),
    };
    let inputs = if o.power_transform {
        " yeo-johnson"
    } else {
        ""
    };
    format!("{solver} {hidden} alpha {}{inputs}", p.alpha)
}

/// The candidate list for `n` training rows (see the module's table).
fn candidates(base: &FitOptions, folds: usize, n: usize) -> Vec<Candidate> {
    let (scaled, bigger): (Vec<usize>, Vec<usize>) = if n < 2_000 {
        (vec![32, 16], vec![64, 32, 16])
    } else if n <= 20_000 {
        (vec![64, 32, 16], vec![128, 64, 32])
    } else {
        (vec![128, 64, 32], vec![256, 128, 64])
    };
    let lbfgs_iterations = if n < 2_000 { 500 } else { 200 };
    let make = |solver: Solver, hidden: &[usize], alpha: f64, learning_rate: f64| FitOptions {
        ensemble: folds,
        power_transform: false,
        kernel: None,
        network: MlpParams {
            solver,
            hidden_layers: hidden.to_vec(),
            alpha,
            learning_rate,
            max_epochs: match solver {
                Solver::Adam => base.network.max_epochs,
                Solver::Lbfgs => lbfgs_iterations,
            },
            early_stopping: true,
            ..base.network.clone()
        },
        ..base.clone()
    };
    let rbf = |kernel: RbfKernel, smoothing: f64| FitOptions {
        ensemble: folds,
        power_transform: false,
        kernel: Some(KernelOptions { kernel, smoothing }),
        ..base.clone()
    };
    let plain = |options| Candidate::new(options, None, false);
    vec![
        plain(make(Solver::Lbfgs, &scaled, 1e-4, 1e-3)),
        plain(make(Solver::Adam, &scaled, 1e-4, 1e-3)),
        Candidate::new(rbf(RbfKernel::Quintic, 10.0), None, true),
        Candidate::new(rbf(RbfKernel::GaussianProcess, 0.1), None, true),
        // Least squares on the inputs: alone it rarely wins, but it errs where the smooth
        // models do not, so a blend can draw on it.
        plain(make(Solver::Lbfgs, &[], 1e-4, 1e-3)),
        Candidate::new(rbf(RbfKernel::Cubic, 1.0), None, true),
        plain(rbf(RbfKernel::Quintic, 10.0)),
        plain(rbf(RbfKernel::Cubic, 1.0)),
        plain(rbf(RbfKernel::Quintic, 1.0)),
        plain(rbf(RbfKernel::Cubic, 1e-2)),
        plain(rbf(RbfKernel::ThinPlateSpline, 1e-1)),
        plain(make(Solver::Lbfgs, &scaled, 1e-2, 1e-3)),
        plain(make(Solver::Lbfgs, &scaled, 1.0, 1e-3)),
        plain(make(Solver::Adam, &scaled, 1e-4, 3e-3)),
        plain(make(Solver::Lbfgs, &[16], 10.0, 1e-3)),
        plain(make(Solver::Lbfgs, &bigger, 1e-3, 1e-3)),
    ]
}

/// Rough floating-point operations of a kernel candidate's fit on `pool` rows in `folds`
/// folds: one LU (⅔ size³) per fold and one for the final model, on at most
/// [`FIT_MAX_CENTERS`] centres.
fn kernel_flops(pool: usize, folds: usize) -> f64 {
    let centers = pool.min(FIT_MAX_CENTERS) as f64;
    let fold = centers * (1.0 - 1.0 / folds as f64);
    (folds as f64 * fold.powi(3) + centers.powi(3)) * 2.0 / 3.0
}

/// Rough floating-point operations of one [`search_input_weights`] on `d` inputs: three
/// sweeps of `2 + 2d` cross-validations, each three LUs of two thirds of its subsample
/// (with the quadratic tail).
fn search_flops(d: usize) -> f64 {
    let rows = (crate::kernel::SEARCH_ROWS as f64) * 2.0 / 3.0 + ((d + 1) * (d + 2) / 2) as f64;
    let evaluations = 1.0 + 3.0 * (2.0 + 2.0 * d as f64);
    evaluations * 3.0 * rows.powi(3) * 2.0 / 3.0
}

/// Rough floating-point operations of the two stages of one [`marginal_likelihood_search`]
/// on `pool` rows: at most 50 evaluations on the first subsample and 8 on the second (its
/// refinement, only when the pool is larger than the first subsample), each a Cholesky
/// factorisation and an inverse (about 0.9 m³ for m rows).
fn likelihood_stage_flops(pool: usize) -> (f64, f64) {
    let first = pool.min(LIKELIHOOD_ROWS) as f64;
    let second = if pool > LIKELIHOOD_ROWS {
        pool.min(LIKELIHOOD_REFINE_ROWS) as f64
    } else {
        0.0
    };
    (
        0.9 * FIRST_STAGE_EVALUATIONS * first.powi(3),
        0.9 * 8.0 * second.powi(3),
    )
}

/// Most objective evaluations of the likelihood search's first stage.
const FIRST_STAGE_EVALUATIONS: f64 = 50.0;

/// The likelihood search's stages run at about these multiples of the rate of a kernel
/// fit's LU, as measured here (2 threads, Friedman #3's 1,600 rows, 2026-12-01: the kernel
/// fit 9.9 GFLOP/s; the first stage 0.97 s for its 9.7 GFLOP counted; the refinement 1.44 s
/// for its 29.5, its products being larger and its evaluations fewer than counted). Each is
/// set 10% below what was measured, so that the estimate errs long. (The single rate of 0.5
/// used before made the refinement look 3.3 times its cost, and `--auto` skipped it on
/// every 2,000-row set here.)
const FIRST_STAGE_RATE: f64 = 0.9;
const REFINE_STAGE_RATE: f64 = 1.8;

/// A network candidate's estimate before any network has been timed (a second lane starts
/// one beside the first candidate): their times here run from 0.01 s to several seconds, and
/// one that may overrun a budget of under a second is not worth starting.
const UNTIMED_NETWORK_SECONDS: f64 = 1.0;

/// Whether `options` are the Gaussian-process kernel's (its search is the likelihood
/// search, its fit the costliest kernel fit).
fn is_gaussian_process(options: &FitOptions) -> bool {
    options
        .kernel
        .as_ref()
        .is_some_and(|k| k.kernel == RbfKernel::GaussianProcess)
}

/// Which of the three cost records a candidate's time is estimated from: Adam networks,
/// L-BFGS networks, kernel models.
fn cost_kind(options: &FitOptions) -> usize {
    match (&options.kernel, options.network.solver) {
        (Some(_), _) => 2,
        (None, Solver::Lbfgs) => 1,
        (None, Solver::Adam) => 0,
    }
}

/// A candidate's estimated time.
struct Estimate {
    seconds: f64,
    /// Whether the estimate rests on a measured candidate of the same kind (networks of the
    /// same solver; kernel fits, and weight searches for a searched candidate).
    measured: bool,
}

/// What the budget check knows of the candidates' costs, on one lane's threads: the time of
/// the last trained network of each solver, of the longest kernel fit and of the last
/// weight search.
struct Costs {
    /// Seconds per parameter of the last network candidate of each solver (Adam, L-BFGS),
    /// seconds of the longest kernel fit (a searched candidate's without its search).
    per_kind: [Option<f64>; 3],
    /// Seconds of the last weight search (not the likelihood search's).
    search: Option<f64>,
    /// Estimates before any kernel fit or weight search has run, from operation counts.
    first_fit_seconds: f64,
    first_search_seconds: f64,
    fit_flops: f64,
    pool_rows: usize,
    n_features: usize,
}

impl Costs {
    fn new(pool_rows: usize, folds: usize, n_features: usize, threads: usize) -> Costs {
        let fit_flops = kernel_flops(pool_rows, folds);
        Costs {
            per_kind: [None; 3],
            search: None,
            first_fit_seconds: fit_flops / (KERNEL_FLOPS_PER_CORE * threads as f64),
            first_search_seconds: search_flops(n_features)
                / (KERNEL_FLOPS_PER_CORE * threads.min(3) as f64),
            fit_flops,
            pool_rows,
            n_features,
        }
    }

    /// The estimated time of `candidate` started `elapsed` seconds into a budget of
    /// `budget` (a likelihood search's refinement counted when the budget allows it).
    fn estimate(&self, candidate: &Candidate, elapsed: f64, budget: f64) -> Estimate {
        let kind = cost_kind(&candidate.options);
        if kind != 2 {
            let per_parameter = self.per_kind[kind]
                .or(self.per_kind[1])
                .or(self.per_kind[0]);
            return Estimate {
                seconds: per_parameter.map_or(UNTIMED_NETWORK_SECONDS, |p| {
                    p * parameter_count(&candidate.options, self.n_features)
                }),
                measured: self.per_kind[kind].is_some(),
            };
        }
        let gaussian = is_gaussian_process(&candidate.options);
        // Seconds per operation: at the rate the slowest kernel fit ran, once there is one.
        let per_flop =
            self.per_kind[2].map_or(1.0 / KERNEL_FLOPS_PER_CORE, |fit| fit / self.fit_flops);
        let fit = match self.per_kind[2] {
            // The Gaussian kernel's fit costs more than the polynomial kernels' measured so
            // far (see `RefineRule::allows`).
            Some(longest) if gaussian => longest.max(self.first_fit_seconds),
            Some(longest) => longest,
            None => self.first_fit_seconds,
        };
        let search = match (candidate.search, gaussian) {
            (false, _) => 0.0,
            (true, true) => {
                let (first, second) = likelihood_stage_flops(self.pool_rows);
                let first = per_flop * first / FIRST_STAGE_RATE;
                let refined = per_flop * second / REFINE_STAGE_RATE;
                // The refinement when the budget allows it (decided again, on the first
                // stage's time: see `RefineRule`).
                let refine = elapsed + fit + first + refined <= budget;
                first + if refine { refined } else { 0.0 }
            }
            (true, false) => self.search.unwrap_or(self.first_search_seconds),
        };
        Estimate {
            seconds: fit + search,
            measured: self.per_kind[2].is_some()
                && (!candidate.search || gaussian || self.search.is_some()),
        }
    }

    /// Records a trained candidate's times.
    fn record(&mut self, trained: &Trained) {
        let kind = cost_kind(&trained.options);
        self.per_kind[kind] = Some(if kind == 2 {
            // The longest so far: kernel fits differ little in work, but two lanes' fits at
            // once contend for memory, and a fit that ends after the budget is worse than
            // one not started.
            let fit = trained.seconds - trained.search_seconds;
            self.per_kind[2].map_or(fit, |longest| longest.max(fit))
        } else {
            trained.seconds / parameter_count(&trained.options, self.n_features)
        });
        // A weight search's time (the likelihood search's is estimated apart).
        let weight_search =
            trained.options.kernel.is_some() && !is_gaussian_process(&trained.options);
        if trained.search_seconds > 0.0 && weight_search {
            self.search = Some(trained.search_seconds);
        }
    }
}

/// The next candidate to start: the first ready one in the list; but with several lanes,
/// once every ready candidate's time is estimated from measurements and all of them fit in
/// the budget together, the longest (so that no lane is left waiting for a long last one).
fn next_candidate(
    list: &[Planned],
    costs: &Costs,
    lanes: usize,
    elapsed: f64,
    budget: f64,
) -> Option<usize> {
    let ready: Vec<(usize, &Candidate)> = list
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Planned::Ready(c) => Some((i, &**c)),
            _ => None,
        })
        .collect();
    let &(first, _) = ready.first()?;
    if lanes == 1 {
        return Some(first);
    }
    let estimates: Vec<(usize, Estimate)> = ready
        .iter()
        .map(|&(i, c)| (i, costs.estimate(c, elapsed, budget)))
        .collect();
    let total: f64 = estimates.iter().map(|(_, e)| e.seconds).sum();
    if !estimates.iter().all(|(_, e)| e.measured) || elapsed + total / lanes as f64 > budget {
        return Some(first);
    }
    let longest = estimates.iter().fold(&estimates[0], |best, e| {
        if e.1.seconds > best.1.seconds {
            e
        } else {
            best
        }
    });
    Some(longest.0)
}

/// The pooled training rows a kernel candidate of `base` fits (the training and
/// validation rows of the split), standardized as its fit standardizes them: features and
/// target, in f64.
fn standardized_pool(data: &Dataset, base: &FitOptions) -> Result<(Vec<f64>, Vec<f64>)> {
    let parts = fivedreg_data::split_indices(data.n_rows(), base.split, base.network.seed)?;
    let mut rows = parts.train;
    rows.extend_from_slice(&parts.validation);
    let pool = data.select(&rows);
    let n_features = data.n_features();
    let mut x = pool.features().to_vec();
    if base.scale_features {
        StandardScaler::fit(&x, n_features)?.transform_in_place(&mut x);
    }
    let mut y = pool.targets().to_vec();
    if base.scale_target {
        StandardScaler::fit(&y, 1)?.transform_in_place(&mut y);
    }
    Ok((x, y))
}

/// Trainable parameters of a candidate's network on `n_features` inputs (for the time
/// estimate).
fn parameter_count(options: &FitOptions, n_features: usize) -> f64 {
    let mut sizes = vec![n_features];
    sizes.extend_from_slice(&options.network.hidden_layers);
    sizes.push(1);
    sizes.windows(2).map(|w| (w[0] * w[1] + w[1]) as f64).sum()
}

/// Mean and standard deviation (population) of the fold R².
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Most candidates trained at once (each on its share of the threads): two lanes take the
/// second core where a candidate alone scales poorly (a likelihood search, a 3-fold weight
/// search, a small fit's serial setup); more than four would start candidates before any
/// time estimate exists.
const MAX_LANES: usize = 4;

/// A place in the candidate list; its index is the candidate's rank among equals on the
/// leaderboard (the order a single lane tries them in).
enum Planned {
    /// Ready to start.
    Ready(Box<Candidate>),
    /// The Gaussian kernel with a linear tail, waiting for the length scales and noise of
    /// the Gaussian-process candidate at this index.
    LinearAfter(usize),
    /// Started, or dropped.
    Taken,
}

/// A candidate a lane trained.
struct Trained {
    fitted: Fitted,
    name: String,
    input_weights: Option<Vec<f64>>,
    /// Its options, the searched smoothing included.
    options: FitOptions,
    /// Seconds of the whole candidate, and of its search.
    seconds: f64,
    search_seconds: f64,
}

/// What a lane reports: its candidate's place in the list, and its result or its panic.
type LaneReport = (usize, std::thread::Result<Result<Trained>>);

/// Whether a likelihood search may run its refinement: decided when its first stage is
/// done, from that stage's measured time (which says how fast this lane runs, beside
/// whatever the other lanes run), so that the refinement and the candidate's fit end within
/// the budget.
#[derive(Clone, Copy)]
struct RefineRule {
    started: Instant,
    budget: f64,
    pool_rows: usize,
    fit_flops: f64,
    /// Seconds of the longest kernel fit so far, when there is one.
    fit_seconds: Option<f64>,
    /// A kernel fit's seconds from its operation count at the assumed rate.
    first_fit_seconds: f64,
}

/// Seconds of the likelihood search's refinement per counted operation (8 evaluations of
/// 0.9 m³ on its m rows), over its first stage's (its evaluations made, of 0.9 m³ on its
/// rows): measured 0.42–0.56 on one thread (1.5–1.9 s for 19–50 evaluations at 600 rows,
/// 2.6–3.2 s for 4–5 at 1,600, on Friedman #1 and #3, Ishigami and borehole) and 0.49 on two;
/// set above the largest, so that the estimate errs long.
const REFINE_OVER_FIRST_STAGE: f64 = 0.6;
/// Seconds of a kernel fit per counted operation, over the first stage's: about 1 on one
/// thread (the Gaussian-process candidate's fit on Friedman #1's 16,000 rows); set 10% above.
const FIT_OVER_FIRST_STAGE: f64 = 1.1;

impl RefineRule {
    fn allows(&self, first_stage_seconds: f64, evaluations: usize) -> bool {
        let (first, second) = likelihood_stage_flops(self.pool_rows);
        // Seconds per counted operation of the first stage, as this lane ran it (the count
        // assumes its most evaluations; it made `evaluations`).
        let counted = first * evaluations.max(1) as f64 / FIRST_STAGE_EVALUATIONS;
        let per_flop = first_stage_seconds / counted;
        let refined = REFINE_OVER_FIRST_STAGE * per_flop * second;
        // The Gaussian kernel's fit costs more than the polynomial kernels' whose time may
        // be the longest measured (an exponential per entry, and every held-out row
        // predicted): never less than the operation count's at the assumed rate.
        let fit = (FIT_OVER_FIRST_STAGE * per_flop * self.fit_flops)
            .max(self.first_fit_seconds)
            .max(self.fit_seconds.unwrap_or(0.0));
        self.started.elapsed().as_secs_f64() + refined + fit <= self.budget
    }
}

/// Searches (when asked) and fits one candidate on `threads` threads. An error means the
/// candidate drops out (a kernel system made singular by a two-valued column, say); the
/// others still compete.
fn train_candidate(
    data: &Dataset,
    base: &FitOptions,
    candidate: &Candidate,
    threads: usize,
    refine: RefineRule,
) -> Result<Trained> {
    let t0 = Instant::now();
    let mut options = candidate.options.clone();
    options.network.threads = threads;
    let mut input_weights = candidate.input_weights.clone();
    let mut name = candidate.name.clone();
    let mut search_seconds = 0.0;
    if let (true, Some(kernel)) = (candidate.search, options.kernel.as_mut()) {
        let (x, y) = standardized_pool(data, base)?;
        let (weights, smoothing) = if kernel.kernel == RbfKernel::GaussianProcess {
            marginal_likelihood_search(
                &x,
                &y,
                data.n_features(),
                base.network.seed,
                threads,
                &mut |seconds, evaluations| refine.allows(seconds, evaluations),
            )?
        } else {
            search_input_weights(
                &x,
                &y,
                data.n_features(),
                kernel.kernel,
                kernel.smoothing,
                base.network.seed,
                threads,
            )?
        };
        search_seconds = t0.elapsed().as_secs_f64();
        kernel.smoothing = smoothing;
        name = describe(&options, Some(&weights), false);
        input_weights = Some(weights);
    }
    let checked = options.clone().check()?;
    let fitted = Interpolator::fit_weighted(data, &checked, input_weights.as_deref(), &mut |_| {})?;
    Ok(Trained {
        fitted,
        name,
        input_weights,
        options,
        seconds: t0.elapsed().as_secs_f64(),
        search_seconds,
    })
}

/// The Gaussian kernel with a linear tail on a likelihood-searched candidate's length
/// scales and noise (`None` if `searched` is not a kernel candidate).
fn with_linear_tail(searched: &Trained) -> Option<Candidate> {
    let kernel = searched.options.kernel?;
    let options = FitOptions {
        kernel: Some(KernelOptions {
            kernel: RbfKernel::GaussianLinear,
            ..kernel
        }),
        ..searched.options.clone()
    };
    Some(Candidate::new(
        options,
        searched.input_weights.clone(),
        false,
    ))
}

/// The best two of `board` (sorted by list place first, so that equals rank as one lane
/// would rank them) again, with a power transform of skewed inputs.
fn best_two_transformed(
    board: &mut [(usize, LeaderboardEntry, Fitted, Option<Vec<f64>>)],
) -> Vec<Planned> {
    board.sort_by_key(|b| b.0);
    let mut ranked: Vec<_> = board.iter().collect();
    ranked.sort_by(|a, b| b.1.cv_r2_mean.total_cmp(&a.1.cv_r2_mean));
    ranked
        .iter()
        .take(2)
        .map(|(_, _, f, weights)| {
            let options = FitOptions {
                power_transform: true,
                ..f.interpolator.options().clone()
            };
            Planned::Ready(Box::new(Candidate::new(options, weights.clone(), false)))
        })
        .collect()
}

impl Interpolator {
    /// Chooses a model by K-fold cross-validation over the candidate list (see the `auto`
    /// module's table) within the budget, and returns the winner's fold models as an
    /// ensemble, with the leaderboard (best first) in its summary. `on_candidate` is called
    /// after each candidate with its leaderboard entry.
    ///
    /// With two or more threads, up to four candidates train at once, each on its
    /// share of the threads; a candidate's result depends on its settings and the seed
    /// only, and the leaderboard ranks equals by their place in the list, so a budget that
    /// lets every candidate run gives the same model file whatever the thread count.
    pub fn fit_auto(
        data: &Dataset,
        options: &ValidAutoOptions,
        on_candidate: &mut dyn FnMut(&LeaderboardEntry),
    ) -> Result<Fitted> {
        let started = Instant::now();
        let auto = options.options();
        let (train, validation, _) = auto.base.split.counts(data.n_rows());
        let pool_rows = train + validation;
        // Said in --auto's words before any candidate runs: the folds' own check would
        // suggest fewer ensemble members, which --auto does not take.
        if pool_rows < 2 * auto.folds {
            return Err(Error::TooFewRowsForAuto {
                rows: pool_rows,
                folds: auto.folds,
            });
        }
        let mut list: Vec<Planned> = Vec::new();
        for candidate in candidates(&auto.base, auto.folds, pool_rows) {
            let gaussian_search = candidate.search && is_gaussian_process(&candidate.options);
            list.push(Planned::Ready(Box::new(candidate)));
            // The Gaussian process's length scales and noise serve its linear-mean variant
            // too, tried next.
            if gaussian_search {
                list.push(Planned::LinearAfter(list.len() - 1));
            }
        }
        let skewed = fivedreg_data::column_skewness(data.features(), data.n_features())
            .iter()
            .any(|s| s.abs() > SKEW_THRESHOLD);
        // The candidates trained, with their place in the list.
        let mut board: Vec<(usize, LeaderboardEntry, Fitted, Option<Vec<f64>>)> = Vec::new();
        let threads = fivedreg_nn::resolve_threads(auto.base.network.threads);
        let lanes = threads.clamp(1, MAX_LANES);
        // The threads of one lane: for the members, the folds' kernel fits and the
        // searches.
        let lane_threads = (threads / lanes).max(1);
        let mut costs = Costs::new(pool_rows, auto.folds, data.n_features(), lane_threads);
        let mut transforms_added = false;
        let mut first_error: Option<Error> = None;
        let mut exploring = true;
        let mut running = 0;
        std::thread::scope(|scope| -> Result<()> {
            let (report, reports) = std::sync::mpsc::channel::<LaneReport>();
            loop {
                // Start candidates while a lane is free (see `next_candidate`).
                while exploring && running < lanes {
                    let elapsed = started.elapsed().as_secs_f64();
                    let Some(i) =
                        next_candidate(&list, &costs, lanes, elapsed, auto.budget_seconds)
                    else {
                        break;
                    };
                    let Planned::Ready(candidate) = &list[i] else {
                        break;
                    };
                    let estimate = costs.estimate(candidate, elapsed, auto.budget_seconds);
                    let refine = RefineRule {
                        started,
                        budget: auto.budget_seconds,
                        pool_rows,
                        fit_flops: costs.fit_flops,
                        fit_seconds: costs.per_kind[2],
                        first_fit_seconds: costs.first_fit_seconds,
                    };
                    // Until one candidate has trained, one runs whatever the budget.
                    if !(board.is_empty() && running == 0)
                        && elapsed + estimate.seconds > auto.budget_seconds
                    {
                        exploring = false;
                        break;
                    }
                    let Planned::Ready(candidate) = std::mem::replace(&mut list[i], Planned::Taken)
                    else {
                        break;
                    };
                    let report = report.clone();
                    let base = &auto.base;
                    scope.spawn(move || {
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                train_candidate(data, base, &candidate, lane_threads, refine)
                            }));
                        // The receiver lives until every lane has reported.
                        let _ = report.send((i, outcome));
                    });
                    running += 1;
                }
                if running == 0 {
                    // After the base list, try the best two with a power transform of
                    // skewed inputs.
                    let base_done = list.iter().all(|p| matches!(p, Planned::Taken));
                    if exploring && base_done && skewed && !transforms_added {
                        transforms_added = true;
                        list.extend(best_two_transformed(&mut board));
                        continue;
                    }
                    return Ok(());
                }
                let Ok((i, outcome)) = reports.recv() else {
                    return Err(Error::Inconsistent("a candidate's lane vanished".into()));
                };
                running -= 1;
                let result = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                let waiting = list
                    .iter()
                    .position(|p| matches!(p, Planned::LinearAfter(g) if *g == i));
                let trained = match result {
                    Ok(trained) => trained,
                    Err(e) => {
                        first_error.get_or_insert(e);
                        if let Some(w) = waiting {
                            list[w] = Planned::Taken;
                        }
                        continue;
                    }
                };
                costs.record(&trained);
                let fold_r2 = trained
                    .fitted
                    .interpolator
                    .summary()
                    .ensemble
                    .as_ref()
                    .map(|e| e.fold_r2.clone())
                    .unwrap_or_default();
                let (cv_r2_mean, cv_r2_std) = mean_std(&fold_r2);
                let entry = LeaderboardEntry {
                    config: trained.name.clone(),
                    cv_r2_mean,
                    cv_r2_std,
                    seconds: (trained.seconds * 1000.0).round() / 1000.0,
                };
                on_candidate(&entry);
                if let Some(w) = waiting {
                    list[w] = with_linear_tail(&trained)
                        .map_or(Planned::Taken, |c| Planned::Ready(Box::new(c)));
                }
                board.push((i, entry, trained.fitted, trained.input_weights));
            }
        })?;
        // Best first; ties keep the list's order (a stable sort).
        board.sort_by_key(|b| b.0);
        let mut board: Vec<(LeaderboardEntry, Fitted, Option<Vec<f64>>)> =
            board.into_iter().map(|(_, e, f, w)| (e, f, w)).collect();
        board.sort_by(|a, b| b.0.cv_r2_mean.total_cmp(&a.0.cv_r2_mean));
        if board.is_empty() {
            return Err(first_error
                .unwrap_or_else(|| Error::Inconsistent("no candidate was trained".into())));
        }
        let blend_started = Instant::now();
        let chosen = choose_blend(&board, auto.folds, auto.base.network.seed)?;
        let mut leaderboard: Vec<LeaderboardEntry> =
            board.iter().map(|(e, ..)| e.clone()).collect();
        let mut fitted: Vec<Option<Fitted>> = board.into_iter().map(|(_, f, _)| Some(f)).collect();
        let Some(mut winner) = fitted[chosen.as_ref().map_or(0, |c| c.main)].take() else {
            return Err(Error::Inconsistent("no candidate was trained".into()));
        };
        if let Some(chosen) = chosen {
            let parts = chosen
                .others
                .iter()
                .filter_map(|&(i, weight)| {
                    let model = fitted[i].take()?.interpolator;
                    Some(BlendPart { weight, model })
                })
                .collect();
            winner.interpolator.set_blend(Blend {
                parts,
                std_ratio: chosen.std_ratio,
            })?;
            // The test rows' metrics are the blend's.
            let split = fivedreg_data::split_indices(
                data.n_rows(),
                auto.base.split,
                auto.base.network.seed,
            )?;
            winner
                .interpolator
                .measure_test(&data.select(&split.test), threads)?;
            let entry = LeaderboardEntry {
                seconds: (blend_started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
                ..chosen.entry
            };
            on_candidate(&entry);
            leaderboard.push(entry);
            leaderboard.sort_by(|a, b| b.cv_r2_mean.total_cmp(&a.cv_r2_mean));
        }
        winner.interpolator.set_leaderboard(leaderboard);
        winner.history.seconds = started.elapsed().as_secs_f64();
        Ok(winner)
    }
}

/// The blend chosen among the best candidates: which is the main model, the others with
/// their weights, the std ratio and its leaderboard entry.
struct ChosenBlend {
    main: usize,
    others: Vec<(usize, f64)>,
    std_ratio: f64,
    entry: LeaderboardEntry,
}

/// Greedy ensemble selection (see [`crate::blend`]) over the held-out predictions of the
/// best [`BLEND_CANDIDATES`] of `board` (sorted best first); `None` unless the blend errs
/// less than [`MIN_ERROR_RATIO`] times the best single candidate. The main model is the one
/// chosen most often (the better-ranked on a tie). The entry's per-fold R² are the blend's
/// held-out predictions' on the `folds` folds drawn from `seed`, the same folds every
/// candidate held out; they are optimistic, the weights being chosen on the same rows.
fn choose_blend(
    board: &[(LeaderboardEntry, Fitted, Option<Vec<f64>>)],
    folds: usize,
    seed: u64,
) -> Result<Option<ChosenBlend>> {
    let pool: Vec<(usize, &HeldOut)> = board
        .iter()
        .take(BLEND_CANDIDATES)
        .enumerate()
        .filter_map(|(i, (_, f, _))| Some((i, f.held_out.as_ref()?)))
        .collect();
    let Some(&(_, first)) = pool.first() else {
        return Ok(None);
    };
    let truth = &first.truth;
    if pool.iter().any(|(_, h)| h.truth != *truth) {
        return Err(Error::Inconsistent(
            "the candidates held out different rows".into(),
        ));
    }
    let predictions: Vec<&[f64]> = pool.iter().map(|(_, h)| &h.predicted[..]).collect();
    let counts = blend::select(&predictions, truth, SELECTION_ROUNDS);
    let total: usize = counts.iter().sum();
    if counts.iter().filter(|&&c| c > 0).count() < 2 {
        return Ok(None);
    }
    let weights: Vec<f64> = counts.iter().map(|&c| c as f64 / total as f64).collect();
    let mixed = blend::weighted_mean(&predictions, &weights);
    let best_single = predictions
        .iter()
        .map(|p| blend::squared_error(p, truth))
        .fold(f64::INFINITY, f64::min);
    let mixed_error = blend::squared_error(&mixed, truth);
    if mixed_error.is_nan() || mixed_error > MIN_ERROR_RATIO * best_single {
        return Ok(None);
    }
    // The most chosen; `max_by_key` would keep the last of equals, so compare by hand.
    let main = (0..counts.len()).fold(0, |m, c| if counts[c] > counts[m] { c } else { m });
    let q95_error = |p: &[f64]| {
        let mut e: Vec<f64> = p.iter().zip(truth).map(|(p, y)| (p - y).abs()).collect();
        quantile(&mut e, 0.95)
    };
    let main_q95 = q95_error(predictions[main]);
    let std_ratio = if main_q95 > 0.0 {
        q95_error(&mixed) / main_q95
    } else {
        1.0
    };
    let mut fold_r2 = Vec::with_capacity(folds);
    for fold in crate::ensemble::folds(truth.len(), folds, seed)? {
        let t: Vec<f64> = fold.iter().map(|&i| truth[i]).collect();
        let p: Vec<f64> = fold.iter().map(|&i| mixed[i]).collect();
        fold_r2.push(fivedreg_metrics::r2(&t, &p)?);
    }
    let (cv_r2_mean, cv_r2_std) = mean_std(&fold_r2);
    let mut order: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(counts[c]));
    let words: Vec<String> = order
        .iter()
        .map(|&c| format!("{} × ({})", short(weights[c]), board[pool[c].0].0.config))
        .collect();
    Ok(Some(ChosenBlend {
        main: pool[main].0,
        others: order
            .iter()
            .filter(|&&c| c != main)
            .map(|&c| (pool[c].0, weights[c]))
            .collect(),
        std_ratio,
        entry: LeaderboardEntry {
            config: format!("blend {}", words.join(" + ")),
            cv_r2_mean,
            cv_r2_std,
            seconds: 0.0,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_budgets_and_folds_are_refused_by_name() {
        for budget in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            let e = AutoOptions {
                budget_seconds: budget,
                ..Default::default()
            }
            .check()
            .unwrap_err();
            assert!(
                matches!(e, Error::InvalidOption { name: "budget", .. }),
                "{e}"
            );
        }
        let e = AutoOptions {
            folds: 1,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert!(
            matches!(e, Error::InvalidOption { name: "folds", .. }),
            "{e}"
        );
    }

    /// Candidates whose held-out errors cancel are blended half and half, the worse one
    /// left out; a candidate that is exact on its own is kept alone.
    #[test]
    fn the_blend_is_chosen_on_held_out_predictions_and_only_when_it_helps() {
        use fivedreg_data::TestFunction;
        let data = fivedreg_data::generate(TestFunction::SumOfSquares, 60, 2, 0.0, 1).unwrap();
        let fitted = Interpolator::fit(
            &data,
            &kernel_options(RbfKernel::Cubic, 0.1, 3).check().unwrap(),
            &mut |_| {},
        )
        .unwrap();
        let truth: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
        let shifted = |by: f64| truth.iter().map(|y| y + by).collect::<Vec<f64>>();
        let candidate = |name: &str, predicted: Vec<f64>| {
            let entry = LeaderboardEntry {
                config: name.into(),
                cv_r2_mean: 0.0,
                cv_r2_std: 0.0,
                seconds: 0.0,
            };
            let held_out = Some(HeldOut {
                predicted,
                truth: truth.clone(),
            });
            (
                entry,
                Fitted {
                    held_out,
                    ..fitted.clone()
                },
                None,
            )
        };
        let board = vec![
            candidate("up", shifted(0.2)),
            candidate("worse", shifted(0.5)),
            candidate("down", shifted(-0.2)),
        ];
        let chosen = choose_blend(&board, 5, 7).unwrap().unwrap();
        assert_eq!(chosen.main, 0);
        assert_eq!(chosen.others, vec![(2, 0.5)]);
        assert_eq!(chosen.entry.config, "blend 0.5 × (up) + 0.5 × (down)");
        assert!((chosen.entry.cv_r2_mean - 1.0).abs() < 1e-12);
        // The blend's errors are zero: its std is none of the main model's.
        assert!(chosen.std_ratio < 1e-12);

        let board = vec![
            candidate("up", shifted(0.2)),
            candidate("exact", truth.clone()),
            candidate("down", shifted(-0.2)),
        ];
        // The best alone is exact: no blend (ties included) can err 1% less.
        assert!(choose_blend(&board, 5, 7).unwrap().is_none());
        // Candidates that held out other rows cannot be blended.
        let mut board = board;
        if let Some(h) = board[2].1.held_out.as_mut() {
            h.truth[0] += 1.0;
        }
        assert!(choose_blend(&board, 5, 7).is_err());
    }

    fn kernel_options(kernel: RbfKernel, smoothing: f64, folds: usize) -> FitOptions {
        FitOptions {
            split: fivedreg_data::SplitFractions::new(1.0, 0.0, 0.0).unwrap(),
            ensemble: folds,
            kernel: Some(KernelOptions { kernel, smoothing }),
            ..Default::default()
        }
    }

    /// Plain reference: the weighted kernel model predicts, in the user's units, what an RBF
    /// fitted by hand on the standardized inputs times the weights predicts.
    #[test]
    fn a_weighted_kernel_model_predicts_as_a_plain_fit_on_weighted_inputs() {
        use fivedreg_data::TestFunction;
        let data = fivedreg_data::generate(TestFunction::SumOfSquares, 200, 3, 0.1, 3).unwrap();
        let options = kernel_options(RbfKernel::Cubic, 0.1, 3);
        let weights = [2.0, 0.5, 1.0];
        let fitted = Interpolator::fit_weighted(
            &data,
            &options.clone().check().unwrap(),
            Some(&weights),
            &mut |_| {},
        )
        .unwrap()
        .interpolator;
        // By hand: standardize the pooled rows, weight them, fit, unscale.
        let parts = fivedreg_data::split_indices(200, options.split, options.network.seed).unwrap();
        let pool = data.select(&parts.train);
        let fx = StandardScaler::fit(pool.features(), 3).unwrap();
        let fy = StandardScaler::fit(pool.targets(), 1).unwrap();
        let weigh = |values: &[f64]| -> Vec<f64> {
            let mut x = values.to_vec();
            fx.transform_in_place(&mut x);
            x.chunks(3)
                .flat_map(|r| {
                    r.iter()
                        .zip(&weights)
                        .map(|(v, w)| v * w)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let mut y = pool.targets().to_vec();
        fy.transform_in_place(&mut y);
        let model =
            crate::kernel::RbfModel::fit(&weigh(pool.features()), &y, 3, RbfKernel::Cubic, 0.1)
                .unwrap();
        let probe = [0.3, -1.2, 0.7, 1.5, 0.2, -0.4, -0.8, -0.9, 2.0];
        let mut expected = vec![0.0; 3];
        model.predict_into(&weigh(&probe), &mut expected);
        let got = fitted.predict(&probe).unwrap();
        for (g, e) in got.iter().zip(&expected) {
            let e = e * fy.scale()[0] + fy.mean()[0];
            assert!((g - e).abs() <= 1e-8 * e.abs().max(1.0), "{g} vs {e}");
        }
        // The weights live in the stored scaler, so the file round-trips them.
        let back = Interpolator::from_bytes(&fitted.to_bytes().unwrap(), "m").unwrap();
        assert_eq!(back.predict(&probe).unwrap(), got);
        assert!((back.feature_scaler().scale()[0] - fx.scale()[0] / 2.0).abs() < 1e-12);
    }

    #[test]
    fn above_the_centre_cap_a_kernel_model_keeps_a_seeded_subset() {
        use fivedreg_data::TestFunction;
        let n = FIT_MAX_CENTERS + 300;
        let data = fivedreg_data::generate(TestFunction::SumOfSquares, n, 2, 0.1, 4).unwrap();
        let options = kernel_options(RbfKernel::ThinPlateSpline, 0.01, 2)
            .check()
            .unwrap();
        let fit = || {
            Interpolator::fit(&data, &options, &mut |_| {})
                .unwrap()
                .interpolator
        };
        let model = fit();
        match model.members() {
            crate::Members::Kernels(k) => assert_eq!(k[0].n_centers(), FIT_MAX_CENTERS),
            other => panic!("{other:?}"),
        }
        let bytes = model.to_bytes().unwrap();
        assert_eq!(
            bytes,
            fit().to_bytes().unwrap(),
            "the subset depends on the seed only"
        );
        let back = Interpolator::from_bytes(&bytes, "m").unwrap();
        let features = &data.features()[..20];
        assert_eq!(
            back.predict(features).unwrap(),
            model.predict(features).unwrap()
        );
        // Every row was held out by a fold model that never saw it: the held-out R² is that
        // of a real prediction.
        let summary = model.summary().ensemble.as_ref().unwrap();
        assert!(summary.heldout_r2 > 0.99, "{}", summary.heldout_r2);
    }

    #[test]
    fn the_candidates_scale_with_the_data() {
        let small = candidates(&FitOptions::default(), 5, 500);
        let large = candidates(&FitOptions::default(), 5, 50_000);
        assert_eq!(small[0].options.network.hidden_layers, vec![32, 16]);
        assert_eq!(large[0].options.network.hidden_layers, vec![128, 64, 32]);
        assert_eq!(small[0].options.network.solver, Solver::Lbfgs);
        assert!(small.iter().all(|c| c.options.clone().check().is_ok()));
        assert_eq!(small[0].name, "lbfgs 500 it 32,16 alpha 0.0001");
        assert_eq!(small[2].name, "rbf quintic smoothing 10 weights searched");
        assert_eq!(
            small[3].name,
            "rbf gaussian-process smoothing 0.1 weights searched"
        );
        assert_eq!(small[4].name, "lbfgs 500 it linear alpha 0.0001");
        assert!(small[4].options.network.hidden_layers.is_empty());
        assert_eq!(
            (short(1.0 / 3.0), short(1e-3 / 3.0), short(0.0)),
            ("0.3333".into(), "3.33e-4".into(), "0".into())
        );
    }
}
