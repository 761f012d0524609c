//! `--auto`: K-fold cross-validation over a small candidate list within a time budget; the
//! final model is the winner's fold models as an ensemble.
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
//! Up to 2,500 training rows, five kernel candidates follow the first two: RBF interpolation
//! (SciPy's `RBFInterpolator`: a polyharmonic kernel with a linear tail, on the standardized
//! inputs) with the quintic kernel (quadratic tail) at smoothing 10 and 1, the cubic kernel
//! (linear tail) at 1 and 0.01, and the thin-plate kernel at 0.1. On small, smooth data sets they often beat any network (as a Gaussian process does).
//! Their fold models give the cross-validated R² and calibrate the standard deviation; the
//! final kernel model is refitted on every training row (a denser interpolant is a more
//! accurate one).
//!
//! L-BFGS runs at most 500 iterations below 2,000 rows and 200 above (scikit-learn's default).
//! When the budget would be exceeded by the next candidate (estimated from the time of the
//! last one of the same solver, scaled by its parameter count), exploring stops and the best
//! so far is kept; the first candidate always runs.

use crate::error::{Error, Result};
use crate::interpolator::{Fitted, Interpolator, LeaderboardEntry};
use crate::kernel::RbfKernel;
use crate::options::{FitOptions, KernelOptions};
use fivedreg_data::Dataset;
use fivedreg_nn::{MlpParams, Solver};
use std::time::Instant;

/// Longest budget accepted (a week).
pub const MAX_BUDGET_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// Most training rows (before the folds) at which the kernel candidates are tried: a fold's
/// fit costs the cube of its rows.
const KERNEL_MAX_ROWS: usize = 2_500;
/// Skewness above which a feature is deemed worth a power transform.
const SKEW_THRESHOLD: f64 = 0.75;

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

/// One candidate: its options and its name on the leaderboard.
struct Candidate {
    options: FitOptions,
    name: String,
}

fn describe(o: &FitOptions) -> String {
    let inputs = if o.power_transform {
        " yeo-johnson"
    } else {
        ""
    };
    if let Some(k) = &o.kernel {
        return format!("rbf {} smoothing {}{inputs}", k.kernel.name(), k.smoothing);
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
    let kernels = if n <= KERNEL_MAX_ROWS {
        vec![
            rbf(RbfKernel::Quintic, 10.0),
            rbf(RbfKernel::Cubic, 1.0),
            rbf(RbfKernel::Quintic, 1.0),
            rbf(RbfKernel::Cubic, 1e-2),
            rbf(RbfKernel::ThinPlateSpline, 1e-1),
        ]
    } else {
        Vec::new()
    };
    [
        make(Solver::Lbfgs, &scaled, 1e-4, 1e-3),
        make(Solver::Adam, &scaled, 1e-4, 1e-3),
    ]
    .into_iter()
    .chain(kernels)
    .chain([
        make(Solver::Lbfgs, &scaled, 1e-2, 1e-3),
        make(Solver::Lbfgs, &scaled, 1.0, 1e-3),
        make(Solver::Adam, &scaled, 1e-4, 3e-3),
        make(Solver::Lbfgs, &[16], 10.0, 1e-3),
        make(Solver::Lbfgs, &bigger, 1e-3, 1e-3),
    ])
    .map(|options| Candidate {
        name: describe(&options),
        options,
    })
    .collect()
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

impl Interpolator {
    /// Chooses a model by K-fold cross-validation over the candidate list (see the `auto`
    /// module's table) within the budget, and returns the winner's fold models as an
    /// ensemble, with the leaderboard (best first) in its summary. `on_candidate` is called
    /// after each candidate with its leaderboard entry.
    pub fn fit_auto(
        data: &Dataset,
        options: &ValidAutoOptions,
        on_candidate: &mut dyn FnMut(&LeaderboardEntry),
    ) -> Result<Fitted> {
        let started = Instant::now();
        let auto = options.options();
        let (train, validation, _) = auto.base.split.counts(data.n_rows());
        let pool_rows = train + validation;
        let mut list = candidates(&auto.base, auto.folds, pool_rows);
        let skewed = fivedreg_data::column_skewness(data.features(), data.n_features())
            .iter()
            .any(|s| s.abs() > SKEW_THRESHOLD);
        let mut board: Vec<(LeaderboardEntry, Fitted)> = Vec::new();
        // Seconds per parameter of the last candidate of each kind (Adam, L-BFGS, kernel).
        let mut cost: [Option<f64>; 3] = [None, None, None];
        let mut transforms_added = false;
        let mut first_error: Option<Error> = None;
        let mut i = 0;
        while i < list.len() {
            let candidate = &list[i];
            let params = parameter_count(&candidate.options, data.n_features());
            let slot = match (&candidate.options.kernel, candidate.options.network.solver) {
                (Some(_), _) => 2,
                (None, Solver::Lbfgs) => 1,
                (None, Solver::Adam) => 0,
            };
            let elapsed = started.elapsed().as_secs_f64();
            if !board.is_empty() {
                let per_param = cost[slot].or(cost[1]).or(cost[0]).unwrap_or(0.0);
                if elapsed + per_param * params > auto.budget_seconds {
                    break;
                }
            }
            let t0 = Instant::now();
            let checked = candidate.options.clone().check()?;
            let fitted = match Interpolator::fit(data, &checked, &mut |_| {}) {
                Ok(fitted) => fitted,
                // A candidate the data cannot support (a kernel system made singular by a
                // two-valued column, say) drops out; the others still compete.
                Err(e) => {
                    first_error.get_or_insert(e);
                    i += 1;
                    continue;
                }
            };
            let seconds = t0.elapsed().as_secs_f64();
            cost[slot] = Some(seconds / params);
            let fold_r2 = fitted
                .interpolator
                .summary()
                .ensemble
                .as_ref()
                .map(|e| e.fold_r2.clone())
                .unwrap_or_default();
            let (cv_r2_mean, cv_r2_std) = mean_std(&fold_r2);
            let entry = LeaderboardEntry {
                config: candidate.name.clone(),
                cv_r2_mean,
                cv_r2_std,
                seconds: (seconds * 1000.0).round() / 1000.0,
            };
            on_candidate(&entry);
            board.push((entry, fitted));
            i += 1;
            // After the base list, try the best two with a power transform of skewed inputs.
            if i == list.len() && skewed && !transforms_added {
                transforms_added = true;
                let mut ranked: Vec<&(LeaderboardEntry, Fitted)> = board.iter().collect();
                ranked.sort_by(|a, b| b.0.cv_r2_mean.total_cmp(&a.0.cv_r2_mean));
                let extra: Vec<Candidate> = ranked
                    .iter()
                    .take(2)
                    .map(|(_, f)| {
                        let options = FitOptions {
                            power_transform: true,
                            ..f.interpolator.options().clone()
                        };
                        Candidate {
                            name: describe(&options),
                            options,
                        }
                    })
                    .collect();
                list.extend(extra);
            }
        }
        // Best first; ties keep the order tried (a stable sort).
        board.sort_by(|a, b| b.0.cv_r2_mean.total_cmp(&a.0.cv_r2_mean));
        let leaderboard: Vec<LeaderboardEntry> = board.iter().map(|(e, _)| e.clone()).collect();
        let Some((_, mut winner)) = board.into_iter().next() else {
            return Err(first_error
                .unwrap_or_else(|| Error::Inconsistent("no candidate was trained".into())));
        };
        winner.interpolator.set_leaderboard(leaderboard);
        winner.history.seconds = started.elapsed().as_secs_f64();
        Ok(winner)
    }
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

    #[test]
    fn the_candidates_scale_with_the_data() {
        let small = candidates(&FitOptions::default(), 5, 500);
        let large = candidates(&FitOptions::default(), 5, 50_000);
        assert_eq!(small[0].options.network.hidden_layers, vec![32, 16]);
        assert_eq!(large[0].options.network.hidden_layers, vec![128, 64, 32]);
        assert_eq!(small[0].options.network.solver, Solver::Lbfgs);
        assert!(small.iter().all(|c| c.options.clone().check().is_ok()));
        assert_eq!(small[0].name, "lbfgs 500 it 32,16 alpha 0.0001");
    }
}
