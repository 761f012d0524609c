//! `--auto`: K-fold cross-validation over a small candidate list within a work budget; the
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
//! Three candidates of gradient-boosted oblivious trees (see [`fivedreg_trees`]) join the
//! list: depth 6 with L2 3 at a learning rate of 0.05 (CatBoost's defaults, near enough)
//! second, then depth 4 and depth 8 last; each fold's model grows up to its tree count, and
//! the count kept is the one whose pooled held-out error is least.
//!
//! The budget counts work, not wall time: each candidate's work is estimated from its
//! operation count (a network's parameters × rows × epochs, a kernel fit's LU, a search's
//! evaluations, a tree model's histogram passes) at fixed rates, in work-seconds. The list
//! is walked in order and a candidate runs when its estimate fits in what is left (the
//! first always runs; a costly one that does not fit is skipped and cheaper ones after it
//! may still run); the likelihood search's refinement is decided the same way. The first
//! candidate is bounded too: when its estimate on every row exceeds the budget, the whole
//! search runs on a subsample of the rows (drawn from the seed, at least
//! 2,000 rows) on which it fits, so that a budget of a few seconds on a million rows
//! ends in a few seconds' work; a data set on which it fits is searched whole, as before. A network's
//! account then counts the epochs its members ran. None of this reads a clock, so the same
//! data, options and seed give the same candidates, and the same model file, on an idle
//! machine and a busy one, with any thread count.
//!
//! When the whole list ran, the best two are tried again with a power transform of skewed
//! inputs; then, round after round, two nearby settings of the best model of each of the
//! two leading families (trees deeper or shallower, more or less regularized, or at half the
//! learning rate with twice the trees; kernels with more or less smoothing; networks with
//! more or less L2), until a round does not raise the best cross-validated R² by 1e-4 or
//! the budget ends. The leaderboard says why the search stopped.
//!
//! With two or more threads, up to four candidates train at once ("lanes"), each on its
//! share of the threads; which candidates run was decided beforehand, and a candidate's
//! model depends on its settings and the seed only, so lanes change only the wall time.
//!
//! Last, the held-out predictions of the best six candidates, and of the best of each
//! family not among them, choose a blend by greedy ensemble
//! selection (see [`crate::blend`]): when a weighted mean of several of them errs at least
//! 1% less than the best one alone on the held-out rows, the final model is that mean (the
//! most-weighted candidate's model holding the others, with their weights, in its model
//! file), and the leaderboard gains a `blend` row. Its cross-validated R² is optimistic, the
//! weights being chosen on the same held-out rows; the test rows are the honest measure.

use crate::blend::{self, Blend, BlendPart, BlendStd, MIN_ERROR_RATIO, SELECTION_ROUNDS};
use crate::error::{Error, Result};
use crate::interpolator::{
    quantile, Fitted, HeldOut, Interpolator, LeaderboardEntry, SearchStop, SearchSummary,
};
use crate::kernel::{
    marginal_likelihood_search, search_input_weights, RbfKernel, FIT_MAX_CENTERS,
    LIKELIHOOD_REFINE_ROWS, LIKELIHOOD_ROWS,
};
use crate::options::{FitOptions, KernelOptions, TreeOptions};
use fivedreg_data::{Dataset, StandardScaler};
use fivedreg_nn::{MlpParams, Solver};
use std::time::Instant;

/// Longest budget accepted (a week).
pub const MAX_BUDGET_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// Skewness above which a feature is deemed worth a power transform.
const SKEW_THRESHOLD: f64 = 0.75;
/// The best candidates a blend may draw on: more would fit the weights to the held-out
/// rows' noise.
const BLEND_CANDIDATES: usize = 6;
/// Fewest rows [`rows_within_budget`] subsamples a data set to: below it the first
/// candidate runs on every row, whatever the budget.
const SUBSAMPLE_MIN_ROWS: usize = 2_000;
/// The index of the seed that draws the rows of a subsample (see [`rows_within_budget`]).
const SUBSAMPLE_INDEX: u64 = 1 << 42;

/// Unchecked options of [`Interpolator::fit_auto`]; [`AutoOptions::check`] validates them.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `budget_seconds` | 10 | work-seconds the search may spend: candidates' operation counts at fixed rates, not wall time | finite, > 0, at most a week |
/// | `folds` | 5 | cross-validation folds (and members of the final ensemble) | 2..=64 |
/// | `base` | [`FitOptions::default`] | the split, the seed and the thread count (the rest is the candidates') | see [`FitOptions`] |
#[derive(Debug, Clone, PartialEq)]
pub struct AutoOptions {
    /// Work-seconds the search may spend (operation counts at fixed rates, not wall time).
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
    /// Its estimated work, in work-seconds (set when it is planned).
    work: f64,
    /// Whether a likelihood search may run its refinement (decided when it is planned).
    refine: bool,
}

impl Candidate {
    fn new(options: FitOptions, input_weights: Option<Vec<f64>>, search: bool) -> Candidate {
        Candidate {
            name: describe(&options, input_weights.as_deref(), search),
            options,
            input_weights,
            search,
            work: 0.0,
            refine: false,
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
    if let Some(t) = &o.trees {
        return format!(
            "trees depth {} lr {} l2 {} subsample {} up to {}{inputs}",
            t.depth,
            short(t.learning_rate),
            short(t.l2),
            short(t.subsample),
            t.trees
        );
    }
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
        trees: None,
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
        trees: None,
        ..base.clone()
    };
    let trees = |depth: usize, learning_rate: f64, l2: f64, count: usize| FitOptions {
        ensemble: folds,
        power_transform: false,
        kernel: None,
        trees: Some(TreeOptions {
            trees: count,
            learning_rate,
            depth,
            l2,
            subsample: 0.8,
        }),
        ..base.clone()
    };
    let plain = |options| Candidate::new(options, None, false);
    vec![
        plain(make(Solver::Lbfgs, &scaled, 1e-4, 1e-3)),
        // CatBoost's defaults, near enough: oblivious trees of depth 6, L2 3 on the leaves,
        // a learning rate of 0.05; the folds choose how many of the 1,500 trees to keep.
        plain(trees(6, 0.05, 3.0, 1500)),
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
        plain(trees(4, 0.05, 1.0, 2000)),
        plain(trees(8, 0.03, 10.0, 1500)),
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
    (0.9 * 50.0 * first.powi(3), 0.9 * 8.0 * second.powi(3))
}

/// The rates that turn a candidate's operation count into work-seconds, the unit of
/// `--budget`: what the 2-core development machine runs in a second with both cores busy
/// (2026-12-03; docs/performance.md), so that the default budget of 10 buys about what 10
/// wall-clock seconds bought there before the budget counted work. They are constants, so
/// which candidates fit in the budget depends on the data, the options and the seed only,
/// never on how busy the machine is: a busy machine stretches the wall time instead of
/// changing the model.
///
/// Network flops: 6 per parameter per training row per epoch (forward 2, backward 4); an
/// L-BFGS ensemble of five [64, 32, 16] networks on 5,176 rows counted 8.9e10 in 200
/// iterations and took 1.2 s of CPU time on one thread (AVX-512): 7e10 a core-second.
const NETWORK_FLOPS_PER_WORK_SECOND: f64 = 1e11;
/// Kernel flops (LU, Cholesky), counted as above: the blocked LU runs at about 8e9 a
/// core-second here; the likelihood search's evaluations at about that rate too.
const KERNEL_FLOPS_PER_WORK_SECOND: f64 = 1.6e10;
/// Tree operations, as [`fivedreg_trees::fit_operations`] counts them (the trees crate's
/// `fit_rate` example: 1.5e9 a core-second at depths 4 to 8 on 6,400 rows).
const TREE_OPS_PER_WORK_SECOND: f64 = 3e9;
/// Epochs an Adam candidate with early stopping is expected to run, for its estimate (its
/// account then counts the epochs its members ran).
const ADAM_EXPECTED_EPOCHS: f64 = 150.0;

/// Whether `options` are the Gaussian-process kernel's (its search is the likelihood
/// search, its fit the costliest kernel fit).
fn is_gaussian_process(options: &FitOptions) -> bool {
    options
        .kernel
        .as_ref()
        .is_some_and(|k| k.kernel == RbfKernel::GaussianProcess)
}

/// The model families `--auto` searches; refinements go to the leading ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Networks,
    Kernels,
    Trees,
}

fn family(options: &FitOptions) -> Family {
    match (&options.kernel, &options.trees) {
        (Some(_), _) => Family::Kernels,
        (None, Some(_)) => Family::Trees,
        (None, None) => Family::Networks,
    }
}

/// A candidate's work, in work-seconds, from operation counts alone.
struct WorkModel {
    pool_rows: usize,
    folds: usize,
    n_features: usize,
}

impl WorkModel {
    /// Rows each fold's model trains on.
    fn fold_rows(&self) -> f64 {
        self.pool_rows as f64 * (1.0 - 1.0 / self.folds as f64)
    }

    /// A network candidate's work for `member_epochs` epochs summed over its members.
    fn network(&self, options: &FitOptions, member_epochs: f64) -> f64 {
        6.0 * parameter_count(options, self.n_features) * self.fold_rows() * member_epochs
            / NETWORK_FLOPS_PER_WORK_SECOND
    }

    /// A kernel fit's work (every fold's model and the final one).
    fn kernel_fit(&self) -> f64 {
        kernel_flops(self.pool_rows, self.folds) / KERNEL_FLOPS_PER_WORK_SECOND
    }

    /// `candidate`'s estimated work; a likelihood search's refinement counted when `refine`.
    fn estimate(&self, candidate: &Candidate, refine: bool) -> f64 {
        let o = &candidate.options;
        if let Some(t) = &o.trees {
            let params = fivedreg_trees::BoostParams {
                trees: t.trees,
                learning_rate: t.learning_rate,
                depth: t.depth,
                l2: t.l2,
                subsample: t.subsample,
                ..Default::default()
            };
            let fold_rows = self.fold_rows().ceil() as usize;
            let fit = fivedreg_trees::fit_operations(fold_rows, self.n_features, &params);
            return self.folds as f64 * fit / TREE_OPS_PER_WORK_SECOND;
        }
        if o.kernel.is_some() {
            let search = match (candidate.search, is_gaussian_process(o)) {
                (false, _) => 0.0,
                (true, true) => {
                    let (first, second) = likelihood_stage_flops(self.pool_rows);
                    first + if refine { second } else { 0.0 }
                }
                (true, false) => search_flops(self.n_features),
            };
            return self.kernel_fit() + search / KERNEL_FLOPS_PER_WORK_SECOND;
        }
        let epochs = match o.network.solver {
            Solver::Adam => (o.network.max_epochs as f64).min(ADAM_EXPECTED_EPOCHS),
            Solver::Lbfgs => o.network.max_epochs as f64,
        };
        self.network(o, epochs * self.folds as f64)
    }

    /// The work a trained candidate counts: a network's epochs as its members ran them;
    /// a kernel or tree candidate's as estimated.
    fn spent(&self, trained: &Trained) -> f64 {
        if family(&trained.options) != Family::Networks {
            return trained.work;
        }
        let epochs: usize = trained
            .fitted
            .interpolator
            .summary()
            .ensemble
            .as_ref()
            .map_or(0, |e| e.members.iter().map(|m| m.epochs).sum());
        self.network(&trained.options, epochs as f64)
    }
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

/// Trainable parameters of a candidate's network on `n_features` inputs (for the work
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
/// search, a small fit's serial setup).
const MAX_LANES: usize = 4;

/// Rounds of refinement after the candidate list (see [`refinements`]).
const MAX_REFINE_ROUNDS: usize = 8;
/// A refinement round must raise the best cross-validated R² by more than this to go on:
/// smaller gains are within what choosing among more candidates on the same folds adds by
/// chance.
const MIN_REFINE_GAIN: f64 = 1e-4;

/// A place in a run's list; its index orders the leaderboard's equals.
enum Planned {
    /// Ready to start.
    Ready(Box<Candidate>),
    /// The Gaussian kernel with a linear tail, waiting for the length scales and noise of
    /// the Gaussian-process candidate at this index; its work as planned.
    LinearAfter(usize, f64),
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
    /// Wall seconds of the whole candidate (shown on the leaderboard, never decisive).
    seconds: f64,
    /// Its estimated work, in work-seconds.
    work: f64,
}

/// What a lane reports: its candidate's place in the list, and its result or its panic.
type LaneReport = (usize, std::thread::Result<Result<Trained>>);

/// Searches (when asked) and fits one candidate on `threads` threads. An error means the
/// candidate drops out (a kernel system made singular by a two-valued column, say); the
/// others still compete.
fn train_candidate(
    data: &Dataset,
    base: &FitOptions,
    candidate: &Candidate,
    threads: usize,
) -> Result<Trained> {
    base.network.stop.check()?;
    let t0 = Instant::now();
    let mut options = candidate.options.clone();
    options.network.threads = threads;
    let mut input_weights = candidate.input_weights.clone();
    let mut name = candidate.name.clone();
    if let (true, Some(kernel)) = (candidate.search, options.kernel.as_mut()) {
        let (x, y) = standardized_pool(data, base)?;
        let (weights, smoothing) = if kernel.kernel == RbfKernel::GaussianProcess {
            // The refinement was decided when the candidate was planned, from operation
            // counts: the same on any machine.
            let refine = candidate.refine;
            marginal_likelihood_search(
                &x,
                &y,
                data.n_features(),
                base.network.seed,
                threads,
                &mut |_, _| refine,
                &base.network.stop,
            )?
        } else {
            search_input_weights(
                &x,
                &y,
                data.n_features(),
                (kernel.kernel, kernel.smoothing),
                base.network.seed,
                threads,
                &base.network.stop,
            )?
        };
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
        work: candidate.work,
    })
}

/// The Gaussian kernel with a linear tail on a likelihood-searched candidate's length
/// scales and noise (`None` if `searched` is not a kernel candidate).
fn with_linear_tail(searched: &Trained, work: f64) -> Option<Candidate> {
    let kernel = searched.options.kernel?;
    let options = FitOptions {
        kernel: Some(KernelOptions {
            kernel: RbfKernel::GaussianLinear,
            ..kernel
        }),
        ..searched.options.clone()
    };
    let mut candidate = Candidate::new(options, searched.input_weights.clone(), false);
    candidate.work = work;
    Some(candidate)
}

/// A trained candidate on the board: its place in the search (orders equals), its entry,
/// its fit and a kernel model's input weights.
type BoardRow = (usize, LeaderboardEntry, Fitted, Option<Vec<f64>>);

/// `board`'s rows, best cross-validated R² first, equals in the order they were planned.
fn ranked(board: &[BoardRow]) -> Vec<&BoardRow> {
    let mut rows: Vec<&BoardRow> = board.iter().collect();
    rows.sort_by_key(|b| b.0);
    rows.sort_by(|a, b| b.1.cv_r2_mean.total_cmp(&a.1.cv_r2_mean));
    rows
}

/// The best two of `board` again, with a power transform of skewed inputs.
fn best_two_transformed(board: &[BoardRow]) -> Vec<Candidate> {
    ranked(board)
        .iter()
        .take(2)
        .map(|(_, _, f, weights)| {
            let options = FitOptions {
                power_transform: true,
                ..f.interpolator.options().clone()
            };
            Candidate::new(options, weights.clone(), false)
        })
        .collect()
}

/// The next settings to try around the best model of each of the two leading families
/// (by their best cross-validated R²), two per family, skipping names already tried: trees
/// one level deeper or shallower, more regularized or less, at half the learning rate with
/// twice the trees; kernels with four times more or less smoothing; networks with ten
/// times more or less L2.
fn refinements(board: &[BoardRow]) -> Vec<Candidate> {
    let tried: std::collections::HashSet<&str> =
        board.iter().map(|b| b.1.config.as_str()).collect();
    let mut leaders: Vec<&BoardRow> = Vec::new();
    for row in ranked(board) {
        let f = family(row.2.interpolator.options());
        if !leaders
            .iter()
            .any(|l| family(l.2.interpolator.options()) == f)
        {
            leaders.push(row);
        }
    }
    let mut next = Vec::new();
    for (_, _, fitted, weights) in leaders.into_iter().take(2) {
        let base = FitOptions {
            power_transform: fitted.interpolator.options().power_transform,
            ..fitted.interpolator.options().clone()
        };
        let mut neighbours: Vec<FitOptions> = Vec::new();
        if let Some(t) = base.trees {
            let with = |t: TreeOptions| FitOptions {
                trees: Some(t),
                ..base.clone()
            };
            if t.depth < fivedreg_trees::MAX_DEPTH {
                neighbours.push(with(TreeOptions {
                    depth: t.depth + 1,
                    ..t
                }));
            }
            if t.depth > 2 {
                neighbours.push(with(TreeOptions {
                    depth: t.depth - 1,
                    ..t
                }));
            }
            neighbours.push(with(TreeOptions {
                l2: t.l2 * 4.0,
                ..t
            }));
            neighbours.push(with(TreeOptions {
                learning_rate: t.learning_rate / 2.0,
                trees: (t.trees * 2).min(fivedreg_trees::MAX_TREES),
                ..t
            }));
            neighbours.push(with(TreeOptions {
                l2: t.l2 / 4.0,
                ..t
            }));
        } else if let Some(k) = base.kernel {
            for factor in [4.0, 0.25, 16.0, 1.0 / 16.0] {
                neighbours.push(FitOptions {
                    kernel: Some(KernelOptions {
                        smoothing: k.smoothing * factor,
                        ..k
                    }),
                    ..base.clone()
                });
            }
        } else {
            for factor in [10.0, 0.1, 100.0, 0.01] {
                let mut o = base.clone();
                o.network.alpha *= factor;
                neighbours.push(o);
            }
        }
        let mut added = 0;
        for options in neighbours {
            let candidate = Candidate::new(options, weights.clone(), false);
            if added < 2
                && !tried.contains(candidate.name.as_str())
                && !next.iter().any(|c: &Candidate| c.name == candidate.name)
                && candidate.options.clone().check().is_ok()
            {
                next.push(candidate);
                added += 1;
            }
        }
    }
    next
}

/// What [`run_candidates`] gives: the trained candidates with their places in the list,
/// and the first error.
type RunOutcome = (Vec<(usize, Trained)>, Option<Error>);

/// Trains `list`'s candidates, up to `lanes` at once, each on `lane_threads` threads; a
/// [`Planned::LinearAfter`] starts once its Gaussian-process candidate is done. Returns the
/// trained candidates with their places in `list`, and the first error (a candidate that
/// fails drops out). Which candidates run, and what each gives, does not depend on the
/// lanes: they only decide what runs beside what.
fn run_candidates(
    data: &Dataset,
    base: &FitOptions,
    mut list: Vec<Planned>,
    lanes: usize,
    lane_threads: usize,
    on_candidate: &mut dyn FnMut(&LeaderboardEntry),
) -> Result<RunOutcome> {
    let mut done = Vec::new();
    let mut first_error = None;
    let mut running = 0;
    std::thread::scope(|scope| -> Result<()> {
        let (report, reports) = std::sync::mpsc::channel::<LaneReport>();
        loop {
            // Start ready candidates while a lane is free, the costliest first, so that no
            // lane waits idle for a long last one.
            // Asked to stop: no new candidate; the running ones see the flag themselves.
            while running < lanes && !base.network.stop.is_set() {
                let next = list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| match p {
                        Planned::Ready(c) => Some((i, c.work)),
                        _ => None,
                    })
                    .fold(None, |best: Option<(usize, f64)>, (i, w)| match best {
                        Some((_, bw)) if bw >= w => best,
                        _ => Some((i, w)),
                    });
                let Some((i, _)) = next else {
                    break;
                };
                let Planned::Ready(candidate) = std::mem::replace(&mut list[i], Planned::Taken)
                else {
                    break;
                };
                let report = report.clone();
                scope.spawn(move || {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        train_candidate(data, base, &candidate, lane_threads)
                    }));
                    // The receiver lives until every lane has reported.
                    let _ = report.send((i, outcome));
                });
                running += 1;
            }
            if running == 0 {
                return Ok(());
            }
            let Ok((i, outcome)) = reports.recv() else {
                return Err(Error::Inconsistent("a candidate's lane vanished".into()));
            };
            running -= 1;
            let result = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let waiting = list.iter().enumerate().find_map(|(w, p)| match p {
                Planned::LinearAfter(g, work) if *g == i => Some((w, *work)),
                _ => None,
            });
            match result {
                Ok(trained) => {
                    if let Some((w, work)) = waiting {
                        list[w] = with_linear_tail(&trained, work)
                            .map_or(Planned::Taken, |c| Planned::Ready(Box::new(c)));
                    }
                    on_candidate(&entry_of(&trained));
                    done.push((i, trained));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                    if let Some((w, _)) = waiting {
                        list[w] = Planned::Taken;
                    }
                }
            }
        }
    })?;
    Ok((done, first_error))
}

/// A trained candidate's leaderboard entry.
fn entry_of(trained: &Trained) -> LeaderboardEntry {
    let fold_r2 = trained
        .fitted
        .interpolator
        .summary()
        .ensemble
        .as_ref()
        .map(|e| e.fold_r2.clone())
        .unwrap_or_default();
    let (cv_r2_mean, cv_r2_std) = mean_std(&fold_r2);
    LeaderboardEntry {
        config: trained.name.clone(),
        cv_r2_mean,
        cv_r2_std,
        seconds: (trained.seconds * 1000.0).round() / 1000.0,
    }
}

/// The best cross-validated R² on `board` (−∞ when empty).
fn best_cv(board: &[BoardRow]) -> f64 {
    board
        .iter()
        .map(|b| b.1.cv_r2_mean)
        .filter(|v| !v.is_nan())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The number of rows of `data` to search on when the first candidate's estimated work on
/// every row exceeds the budget (`None` when it fits, or when `data` has at most
/// [`SUBSAMPLE_MIN_ROWS`] rows): the row count is scaled down by the ratio of the budget
/// to the estimate until the estimate fits, but not below [`SUBSAMPLE_MIN_ROWS`]. Operation
/// counts only, so the answer depends on the data's shape and the options alone.
fn rows_within_budget(n_rows: usize, n_features: usize, auto: &AutoOptions) -> Option<usize> {
    let budget = auto.budget_seconds;
    let first_work = |rows: usize| {
        let (train, validation, _) = auto.base.split.counts(rows);
        let pool_rows = train + validation;
        let work = WorkModel {
            pool_rows,
            folds: auto.folds,
            n_features,
        };
        candidates(&auto.base, auto.folds, pool_rows)
            .first()
            .map_or(0.0, |c| work.estimate(c, false))
    };
    let mut rows = n_rows;
    while rows > SUBSAMPLE_MIN_ROWS {
        let work = first_work(rows);
        if work <= budget {
            break;
        }
        // Work grows with the rows (linearly at a given network size; the sizes shrink
        // with the rows), so one step nearly always lands within the budget.
        let scaled = (rows as f64 * budget / work).floor() as usize;
        rows = scaled.clamp(SUBSAMPLE_MIN_ROWS, rows - 1);
    }
    (rows < n_rows).then_some(rows)
}

/// `rows` of `data`'s rows drawn from `seed` (in the file's order).
fn subsample(data: &Dataset, rows: usize, seed: u64) -> Dataset {
    let order = fivedreg_rng::shuffled_indices(
        data.n_rows(),
        fivedreg_rng::derive_seed(seed, SUBSAMPLE_INDEX),
        fivedreg_rng::Stream::Folds,
    );
    let mut kept = order[..rows.min(order.len())].to_vec();
    kept.sort_unstable();
    data.select(&kept)
}

impl Interpolator {
    /// Chooses a model by K-fold cross-validation over the candidate list (see the `auto`
    /// module's table) within the budget, and returns the winner's fold models as an
    /// ensemble (or a blend), with the leaderboard (best first) and the search's account in
    /// its summary. `on_candidate` is called after each candidate with its leaderboard
    /// entry.
    ///
    /// The budget counts work from operation counts, not wall time, and which candidates
    /// run is decided from those counts alone; with two or more threads, up to four
    /// candidates train at once, each on its share of the threads, and a candidate's result
    /// depends on its settings and the seed only. So the model file is the same whatever
    /// the thread count and however busy the machine is.
    ///
    /// When the first candidate's estimated work on every row exceeds the budget, the
    /// search runs on a subsample of the rows drawn from the seed (see the module's
    /// documentation); the model's summary then counts the subsample's rows.
    pub fn fit_auto(
        data: &Dataset,
        options: &ValidAutoOptions,
        on_candidate: &mut dyn FnMut(&LeaderboardEntry),
    ) -> Result<Fitted> {
        let started = Instant::now();
        let auto = options.options();
        let (train, validation, _) = auto.base.split.counts(data.n_rows());
        // Said in --auto's words before any candidate runs: the folds' own check would
        // suggest fewer ensemble members, which --auto does not take.
        if train + validation < 2 * auto.folds {
            return Err(Error::TooFewRowsForAuto {
                rows: train + validation,
                folds: auto.folds,
            });
        }
        let subsampled = rows_within_budget(data.n_rows(), data.n_features(), auto)
            .map(|rows| subsample(data, rows, auto.base.network.seed));
        let data = subsampled.as_ref().unwrap_or(data);
        let (train, validation, _) = auto.base.split.counts(data.n_rows());
        let pool_rows = train + validation;
        let budget = auto.budget_seconds;
        let work = WorkModel {
            pool_rows,
            folds: auto.folds,
            n_features: data.n_features(),
        };
        // The candidate list, in order, each admitted while its estimated work fits in what
        // the budget has left (the first always runs; one that does not fit is skipped, and
        // cheaper ones after it may still run).
        let mut list: Vec<Planned> = Vec::new();
        let mut committed = 0.0;
        let mut over_budget = false;
        for mut candidate in candidates(&auto.base, auto.folds, pool_rows) {
            let gaussian_search = candidate.search && is_gaussian_process(&candidate.options);
            candidate.refine = gaussian_search
                && committed + work.estimate(&candidate, true) + work.kernel_fit() <= budget;
            candidate.work = work.estimate(&candidate, candidate.refine);
            if !list.is_empty() && committed + candidate.work > budget {
                over_budget = true;
                continue;
            }
            committed += candidate.work;
            list.push(Planned::Ready(Box::new(candidate)));
            // The Gaussian process's length scales and noise serve its linear-mean variant
            // too, tried next.
            if gaussian_search {
                if committed + work.kernel_fit() <= budget {
                    committed += work.kernel_fit();
                    list.push(Planned::LinearAfter(list.len() - 1, work.kernel_fit()));
                } else {
                    over_budget = true;
                }
            }
        }
        let threads = fivedreg_nn::resolve_threads(auto.base.network.threads);
        let lanes = threads.clamp(1, MAX_LANES);
        // The threads of one lane: for the members, the folds' fits and the searches.
        let lane_threads = (threads / lanes).max(1);
        let mut board: Vec<BoardRow> = Vec::new();
        let mut first_error: Option<Error> = None;
        let mut spent = 0.0;
        // Each run's candidates are numbered after all those planned before them.
        let mut planned_so_far = 0;
        let mut run = |list: Vec<Planned>,
                       board: &mut Vec<BoardRow>,
                       first_error: &mut Option<Error>,
                       spent: &mut f64|
         -> Result<()> {
            let offset = planned_so_far;
            planned_so_far += list.len();
            let (done, error) =
                run_candidates(data, &auto.base, list, lanes, lane_threads, on_candidate)?;
            // Asked to stop: no further candidate started, and none is kept.
            auto.base.network.stop.check()?;
            if let Some(e) = error {
                first_error.get_or_insert(e);
            }
            let mut done = done;
            // In list order, so that the board and the account do not depend on which lane
            // finished first.
            done.sort_by_key(|d| d.0);
            for (i, trained) in done {
                *spent += work.spent(&trained);
                board.push((
                    offset + i,
                    entry_of(&trained),
                    trained.fitted,
                    trained.input_weights,
                ));
            }
            Ok(())
        };
        run(list, &mut board, &mut first_error, &mut spent)?;
        // When the list ran whole: the best two with a power transform of skewed inputs,
        // then rounds of refinement around the leading families, while they pay.
        let skewed = fivedreg_data::column_skewness(data.features(), data.n_features())
            .iter()
            .any(|s| s.abs() > SKEW_THRESHOLD);
        let mut stop = if over_budget {
            SearchStop::Budget
        } else {
            SearchStop::ListDone
        };
        let mut transforms_pending = skewed && !board.is_empty();
        let mut rounds = 0;
        while stop != SearchStop::Budget && rounds < MAX_REFINE_ROUNDS && !board.is_empty() {
            let transforms = transforms_pending;
            let next = if transforms {
                transforms_pending = false;
                best_two_transformed(&board)
            } else {
                rounds += 1;
                refinements(&board)
            };
            if next.is_empty() {
                break;
            }
            let mut planned = spent;
            let mut list = Vec::new();
            for mut candidate in next {
                candidate.work = work.estimate(&candidate, false);
                if planned + candidate.work <= budget {
                    planned += candidate.work;
                    list.push(Planned::Ready(Box::new(candidate)));
                } else {
                    stop = SearchStop::Budget;
                }
            }
            if list.is_empty() {
                break;
            }
            let before = best_cv(&board);
            run(list, &mut board, &mut first_error, &mut spent)?;
            if !transforms && best_cv(&board) <= before + MIN_REFINE_GAIN {
                if stop != SearchStop::Budget {
                    stop = SearchStop::NoGain;
                }
                break;
            }
        }
        if board.is_empty() {
            return Err(first_error
                .unwrap_or_else(|| Error::Inconsistent("no candidate was trained".into())));
        }
        // Best first; ties keep the order they were planned in.
        board.sort_by_key(|b| b.0);
        let mut board: Vec<(LeaderboardEntry, Fitted, Option<Vec<f64>>)> =
            board.into_iter().map(|(_, e, f, w)| (e, f, w)).collect();
        board.sort_by(|a, b| b.0.cv_r2_mean.total_cmp(&a.0.cv_r2_mean));
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
                std_rule: BlendStd::WeightedParts,
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
        winner.interpolator.summary.search = Some(SearchSummary {
            budget,
            spent,
            stop,
        });
        winner.history.seconds = started.elapsed().as_secs_f64();
        Ok(winner)
    }
}

/// An `--auto` search that found nothing better than the mean predictor on its own folds
/// (see [`Fitted::auto_below_the_mean`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BelowTheMean {
    /// The best cross-validated R² of the search (its leaderboard's first entry).
    pub best_cv_r2: f64,
    /// The cross-validated R² of the mean predictor on the same folds: each fold predicted
    /// by the mean target of the other folds' rows.
    pub mean_cv_r2: f64,
}

impl Fitted {
    /// For a model of [`Interpolator::fit_auto`]: `Some` when no candidate beat the mean
    /// predictor (each fold predicted by the mean target of the other folds) on the folds
    /// every candidate was scored on, as on data whose inputs say nothing of the target.
    /// The model is kept as it is (a constant model has no place in this model file
    /// format); the caller should say so. `None` for other models, when the search did
    /// better, or when R² is undefined (a constant target).
    pub fn auto_below_the_mean(&self) -> Option<BelowTheMean> {
        let model = &self.interpolator;
        let best_cv_r2 = model.summary().leaderboard.as_ref()?.first()?.cv_r2_mean;
        let truth = &self.held_out.as_ref()?.truth;
        let options = model.options();
        let folds =
            crate::ensemble::folds(truth.len(), options.ensemble, options.network.seed).ok()?;
        let total: f64 = truth.iter().sum();
        let mut fold_r2 = Vec::with_capacity(folds.len());
        for fold in &folds {
            let inside: Vec<f64> = fold.iter().map(|&i| truth[i]).collect();
            let outside = truth.len().checked_sub(inside.len()).filter(|&n| n > 0)?;
            let mean = (total - inside.iter().sum::<f64>()) / outside as f64;
            fold_r2.push(fivedreg_metrics::r2(&inside, &vec![mean; inside.len()]).ok()?);
        }
        let (mean_cv_r2, _) = mean_std(&fold_r2);
        (best_cv_r2.is_finite() && mean_cv_r2.is_finite() && best_cv_r2 < mean_cv_r2).then_some(
            BelowTheMean {
                best_cv_r2,
                mean_cv_r2,
            },
        )
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
    // The best few, and the best of each family that is not among them: families err in
    // different places, which is what a blend feeds on.
    let mut chosen: Vec<usize> = (0..board.len().min(BLEND_CANDIDATES)).collect();
    for (i, (_, f, _)) in board.iter().enumerate().skip(BLEND_CANDIDATES) {
        let kind = family(f.interpolator.options());
        if !chosen
            .iter()
            .any(|&c| family(board[c].1.interpolator.options()) == kind)
        {
            chosen.push(i);
        }
    }
    let pool: Vec<(usize, &HeldOut)> = chosen
        .into_iter()
        .filter_map(|i| Some((i, board[i].1.held_out.as_ref()?)))
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
    // The blend's std is its models' stds, weighted as in the mean and summed (see
    // `BlendStd::WeightedParts`); each is calibrated on its own out-of-fold errors, so the
    // ratio scales their weighted sum to the blend's.
    let parts_q95: f64 = weights
        .iter()
        .zip(&predictions)
        .filter(|(&w, _)| w > 0.0)
        .map(|(w, p)| w * q95_error(p))
        .sum();
    let std_ratio = if parts_q95 > 0.0 {
        q95_error(&mixed) / parts_q95
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

    /// The first candidate's work bounds the rows searched: a million rows at a budget of 5
    /// are cut to a subsample on which it fits; a data set on which it fits already, or one
    /// of at most 2,000 rows, is searched whole.
    #[test]
    fn the_budget_bounds_the_first_candidate_by_subsampling() {
        let auto = |budget_seconds: f64| AutoOptions {
            budget_seconds,
            ..Default::default()
        };
        let first_work = |rows: usize, budget: f64| {
            let (train, validation, _) = auto(budget).base.split.counts(rows);
            let work = WorkModel {
                pool_rows: train + validation,
                folds: 5,
                n_features: 5,
            };
            work.estimate(
                &candidates(&auto(budget).base, 5, train + validation)[0],
                false,
            )
        };
        assert!(first_work(1_000_000, 5.0) > 5.0 * 50.0);
        let rows = rows_within_budget(1_000_000, 5, &auto(5.0)).unwrap();
        assert!((SUBSAMPLE_MIN_ROWS..1_000_000).contains(&rows), "{rows}");
        assert!(first_work(rows, 5.0) <= 5.0, "{rows}");
        // Where the budget suffices nothing changes: the accuracy report's sizes at the
        // default budget, and small sets at any budget.
        assert_eq!(rows_within_budget(10_000, 5, &auto(10.0)), None);
        assert_eq!(rows_within_budget(1_500, 5, &auto(2.0)), None);
        assert_eq!(rows_within_budget(2_000, 5, &auto(1e-3)), None);
        // A tiny budget stops at the floor.
        assert_eq!(
            rows_within_budget(1_000_000, 5, &auto(1e-3)),
            Some(SUBSAMPLE_MIN_ROWS)
        );
        // The rows come from the seed, in the file's order.
        let data =
            fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 5_000, 2, 0.1, 4)
                .unwrap();
        let a = subsample(&data, 2_500, 9);
        assert_eq!(a.n_rows(), 2_500);
        assert_eq!(a.targets(), subsample(&data, 2_500, 9).targets());
        assert_ne!(a.targets(), subsample(&data, 2_500, 10).targets());
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
        assert_eq!(
            small[1].name,
            "trees depth 6 lr 0.05 l2 3 subsample 0.8 up to 1500"
        );
        assert_eq!(small[3].name, "rbf quintic smoothing 10 weights searched");
        assert_eq!(
            small[4].name,
            "rbf gaussian-process smoothing 0.1 weights searched"
        );
        assert_eq!(small[5].name, "lbfgs 500 it linear alpha 0.0001");
        assert!(small[5].options.network.hidden_layers.is_empty());
        assert_eq!(
            (short(1.0 / 3.0), short(1e-3 / 3.0), short(0.0)),
            ("0.3333".into(), "3.33e-4".into(), "0".into())
        );
    }
}
