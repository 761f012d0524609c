//! The reports' data: every figure REPORT.md, SPEED.md, the JSON and the plots show comes from
//! here, and every field here was measured in the run. The figures derived from the measured
//! ones (throughput, ratios, medians, exponents) are computed by the methods below and by
//! [`crate::stats`], in one place, so that the formula tests can check them.

use crate::machine::MachineInfo;
use crate::stats::{median_index, MeanStd, Spread};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Test-split metrics in the target's own units.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Metrics {
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
}

impl Metrics {
    /// Computes the metrics of `predicted` against `truth`.
    pub fn compute(truth: &[f64], predicted: &[f64]) -> Result<Metrics> {
        let report = fivedreg_metrics::Report::compute(truth, predicted).context("metrics")?;
        Ok(Metrics {
            r2: report.r2,
            mse: report.mse,
            rmse: report.rmse,
            mae: report.mae,
        })
    }
}

/// Seconds per training phase, summed over the epochs (from `TrainingHistory.phase_seconds`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Phases {
    /// Forward passes over minibatches.
    pub forward: f64,
    /// Backward passes.
    pub backward: f64,
    /// Adam updates.
    pub update: f64,
    /// Validation passes.
    pub validation: f64,
}

/// Heap and RSS peaks of one measured phase, in a fresh worker process.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Memory {
    /// Most heap bytes live at once during the phase, above what was live at its start
    /// (counting global allocator; the same quantity as Python's `tracemalloc` peak).
    pub heap_peak_bytes: u64,
    /// Heap allocations made during the phase.
    pub heap_allocations: u64,
    /// Peak resident set size of the worker process (VmHWM), in KiB, after its high-water mark
    /// was reset at the phase's start when the kernel allows (`rss_reset`).
    pub rss_peak_kib: u64,
    /// Whether VmHWM was reset at the phase's start (else it covers the whole worker).
    pub rss_reset: bool,
}

/// Training rows × epochs / seconds: rows pushed through the network per second.
pub fn sample_epochs_per_second(train_rows: usize, epochs: usize, seconds: f64) -> f64 {
    (train_rows * epochs) as f64 / seconds
}

/// One fivedreg training run (`Interpolator::fit`) and its test metrics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitRun {
    /// Rows generated.
    pub n_samples: usize,
    /// Seed of the data, the split and the network.
    pub seed: u64,
    /// Rows in the training split.
    pub train_rows: usize,
    /// Rows in the validation split.
    pub validation_rows: usize,
    /// Rows in the test split.
    pub test_rows: usize,
    /// Early stopping on the validation R² (else sklearn's rule on the training loss).
    pub early_stopping: bool,
    /// Epoch limit.
    pub max_epochs: usize,
    /// Patience (epochs without improvement tolerated).
    pub patience: usize,
    /// Training threads (0: the default, every core).
    pub threads: usize,
    /// Wall-clock seconds of `Interpolator::fit`, measured by the worker around the call
    /// (split, scaling, training, test metrics).
    pub fit_seconds: f64,
    /// Wall-clock seconds of the training loop alone (`TrainingHistory.seconds`).
    pub train_seconds: f64,
    /// CPU seconds (user + system, all threads) the worker used during the fit.
    pub cpu_seconds: f64,
    /// Epochs run.
    pub epochs: usize,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Best validation R², when watched.
    pub best_validation_r2: Option<f64>,
    /// Why training ended.
    pub stop_reason: String,
    /// Time per phase, summed.
    pub phases: Phases,
    /// Training loss per epoch (kept for the first run of a repeated fit only: the repeats
    /// train the same network).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch (first run only, as `train_loss`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_r2: Vec<f64>,
    /// Test-split metrics.
    pub test: Metrics,
    /// Rows of the test split's head also scored on their own (what the alternative
    /// regressors predict when the test split is capped).
    pub test_head_rows: usize,
    /// Metrics on those first rows.
    pub test_head: Metrics,
    /// Memory of the `fit` call.
    pub memory: Memory,
    /// Bytes of the model file (`Interpolator::to_bytes`).
    pub model_bytes: u64,
    /// Trainable parameters of the network.
    pub n_parameters: u64,
    /// Bytes of the whole dataset written as CSV (`fivedreg_data::write_csv`).
    pub dataset_csv_bytes: u64,
    /// Bytes of the test split written as CSV (a prediction input, with its target column).
    pub test_csv_bytes: u64,
}

impl FitRun {
    /// Training-loop milliseconds per epoch of `seconds` (a phase's or the whole loop's).
    pub fn per_epoch_ms(&self, seconds: f64) -> f64 {
        seconds * 1e3 / self.epochs.max(1) as f64
    }
}

/// Repeated runs of one fivedreg fit (same seed, so the same network; only the timings
/// differ), in run order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepeatedFit {
    /// The runs.
    pub runs: Vec<FitRun>,
}

impl RepeatedFit {
    /// Checks that the runs trained the same network (same epochs and test metrics: a fit is
    /// reproducible by design) and keeps the per-epoch curves of the first run only.
    pub fn new(mut runs: Vec<FitRun>) -> Result<RepeatedFit> {
        let first = runs
            .first()
            .context("a repeated fit needs at least one run")?;
        let (epochs, mse) = (first.epochs, first.test.mse);
        if let Some(odd) = runs
            .iter()
            .find(|r| r.epochs != epochs || r.test.mse.to_bits() != mse.to_bits())
        {
            anyhow::bail!(
                "repeats of the same fit differ (epochs {} vs {epochs}, test MSE {} vs {mse}): \
                 fits are meant to be reproducible",
                odd.epochs,
                odd.test.mse
            );
        }
        for run in runs.iter_mut().skip(1) {
            run.train_loss.clear();
            run.validation_r2.clear();
        }
        Ok(RepeatedFit { runs })
    }

    /// The first run: epochs, metrics, memory, sizes (the same in every run).
    pub fn first(&self) -> &FitRun {
        &self.runs[0]
    }

    /// The run with the median fit time: its per-phase and CPU times stand for the repeats.
    pub fn median_run(&self) -> &FitRun {
        let times: Vec<f64> = self.runs.iter().map(|r| r.fit_seconds).collect();
        &self.runs[median_index(&times)]
    }

    /// Fit seconds over the runs.
    pub fn fit_seconds(&self) -> Spread {
        Spread::of(&self.runs.iter().map(|r| r.fit_seconds).collect::<Vec<_>>())
    }

    /// Training-loop seconds over the runs.
    pub fn train_seconds(&self) -> Spread {
        Spread::of(
            &self
                .runs
                .iter()
                .map(|r| r.train_seconds)
                .collect::<Vec<_>>(),
        )
    }

    /// Training rows × epochs / median training-loop seconds.
    pub fn sample_epochs_per_second(&self) -> f64 {
        let f = self.first();
        sample_epochs_per_second(f.train_rows, f.epochs, self.train_seconds().median)
    }

    /// The seed page's figure: dataset rows / median fit seconds.
    pub fn naive_samples_per_second(&self) -> f64 {
        self.first().n_samples as f64 / self.fit_seconds().median
    }

    /// Median training-loop milliseconds per epoch.
    pub fn epoch_ms(&self) -> f64 {
        self.first().per_epoch_ms(self.train_seconds().median)
    }
}

/// Prediction of one model on its test split, in a fresh worker process that loaded the
/// model file, repeated in that process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictRun {
    /// Size of the dataset the model was trained on.
    pub n_samples: usize,
    /// Rows predicted (the test split).
    pub rows: usize,
    /// Wall-clock seconds of `Interpolator::predict`, per repeat.
    pub seconds: Vec<f64>,
    /// Seconds to read the model file and decode it, per repeat.
    pub load_seconds: Vec<f64>,
    /// Memory of the first `predict` call.
    pub memory: Memory,
}

impl PredictRun {
    /// Rows / median prediction seconds.
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / Spread::of(&self.seconds).median
    }
}

/// One alternative regressor fitted on the same training split, scored on the same test split,
/// fit and prediction repeated in its worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineRun {
    /// Method's name.
    pub method: String,
    /// Implementation (crate and type).
    pub implementation: String,
    /// Settings used.
    pub settings: String,
    /// Rows generated.
    pub n_samples: usize,
    /// Training rows available.
    pub train_rows: usize,
    /// Training rows used (the first rows of the training split, when capped).
    pub train_rows_used: usize,
    /// Rows in the test split.
    pub test_rows: usize,
    /// Test rows predicted and scored (the first rows of the test split, when capped).
    pub test_rows_used: usize,
    /// Wall-clock seconds of fitting, per repeat.
    pub fit_seconds: Vec<f64>,
    /// Wall-clock seconds of predicting the test split, per repeat.
    pub predict_seconds: Vec<f64>,
    /// Memory of the first fit.
    pub memory: Memory,
    /// Test-split metrics (of the first fit).
    pub test: Metrics,
}

/// One scikit-learn MLPRegressor run, reported by the Python runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SklearnRun {
    /// Rows generated.
    pub n_samples: usize,
    /// Seed of the data, the split and `random_state`.
    pub seed: u64,
    /// Rows given to `fit` (sklearn carves its own 10% validation out of them).
    pub train_rows: usize,
    /// `fit` seconds (untraced).
    pub fit_seconds: f64,
    /// `n_iter_` (epochs).
    pub iterations: usize,
    /// Test metrics.
    pub test: Metrics,
    /// `predict` seconds on the test split.
    pub predict_seconds: f64,
    /// `len(pickle.dumps(model))` in bytes.
    pub model_bytes: u64,
    /// `tracemalloc` peak of a second, traced `fit`, in bytes (first run of a size only).
    pub tracemalloc_peak_bytes: Option<u64>,
    /// `tracemalloc` peak of `predict` on the test split, in bytes (first run only).
    pub tracemalloc_predict_peak_bytes: Option<u64>,
    /// Peak RSS of the Python process (`ru_maxrss`), in KiB.
    pub rss_peak_kib: u64,
}

/// Test R² and epochs of one seed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed of the data, the split and the network.
    pub seed: u64,
    /// Test R².
    pub r2: f64,
    /// Epochs run.
    pub epochs: usize,
}

/// R² over seeds: [`crate::stats::ACCURACY_SEEDS`] seeds where a fit takes under 10 s, else
/// the one seed of the timed runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeedAccuracy {
    /// fivedreg, one entry per seed.
    pub fivedreg: Vec<SeedResult>,
    /// scikit-learn, the same seeds (empty when it did not run).
    pub sklearn: Vec<SeedResult>,
}

impl SeedAccuracy {
    /// fivedreg's R² mean ± std over the seeds.
    pub fn fivedreg_r2(&self) -> MeanStd {
        MeanStd::of(&self.fivedreg.iter().map(|s| s.r2).collect::<Vec<_>>())
    }
    /// scikit-learn's R² mean ± std over the seeds, when it ran.
    pub fn sklearn_r2(&self) -> Option<MeanStd> {
        (!self.sklearn.is_empty())
            .then(|| MeanStd::of(&self.sklearn.iter().map(|s| s.r2).collect::<Vec<_>>()))
    }
}

/// The default fit of one size, fivedreg and scikit-learn alternating (A B A B …): pair `i`
/// is `fivedreg.runs[i]` and `sklearn[i]`, run back to back after reading the load average
/// `load_averages[i]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitPairs {
    /// Rows generated.
    pub n_samples: usize,
    /// fivedreg's runs.
    pub fivedreg: RepeatedFit,
    /// scikit-learn's runs (empty when it did not run at this size).
    pub sklearn: Vec<SklearnRun>,
    /// 1-minute load average read before each pair.
    pub load_averages: Vec<f64>,
    /// Test R² over seeds, both sides.
    pub seeds: SeedAccuracy,
}

impl FitPairs {
    /// scikit-learn's fit seconds over its runs.
    pub fn sklearn_fit_seconds(&self) -> Spread {
        Spread::of(
            &self
                .sklearn
                .iter()
                .map(|r| r.fit_seconds)
                .collect::<Vec<_>>(),
        )
    }

    /// The fit-time ratio of each pair: scikit-learn's fit seconds / fivedreg's. It is the
    /// user-facing figure: each side runs its own epoch count and validation setup.
    pub fn fit_time_ratios(&self) -> Vec<f64> {
        self.fivedreg
            .runs
            .iter()
            .zip(&self.sklearn)
            .map(|(ours, theirs)| theirs.fit_seconds / ours.fit_seconds)
            .collect()
    }

    /// Median and range of the per-pair fit-time ratios, when scikit-learn ran.
    pub fn fit_time_ratio(&self) -> Option<Spread> {
        (!self.sklearn.is_empty()).then(|| Spread::of(&self.fit_time_ratios()))
    }
}

/// One pair of the fixed-epoch throughput: fivedreg on one thread, fivedreg on the default
/// thread count, scikit-learn, back to back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThroughputPair {
    /// 1-minute load average read before the pair.
    pub load_average: f64,
    /// fivedreg's fit seconds on one thread.
    pub one_thread_seconds: f64,
    /// fivedreg's fit seconds on the default thread count.
    pub default_threads_seconds: f64,
    /// The longer fit seconds of two one-thread fits run at the same time, each in its own
    /// process (only with two or more logical CPUs): what two cores give work that needs
    /// no synchronisation at all, the reference for every two-core figure.
    #[serde(default)]
    pub two_at_once_seconds: Option<f64>,
    /// scikit-learn's fit seconds (when it ran).
    pub sklearn_seconds: Option<f64>,
}

/// Fixed-epoch training throughput: the same rows and exactly the same epochs on both sides,
/// early stopping off, so the ratio compares the cost of an epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Throughput {
    /// Rows generated.
    pub n_samples: usize,
    /// fivedreg's training rows.
    pub train_rows: usize,
    /// fivedreg's epochs.
    pub epochs: usize,
    /// scikit-learn's training rows and epochs (`n_iter_`), when it ran.
    pub sklearn_rows_epochs: Option<(usize, usize)>,
    /// The default thread count's meaning here (logical CPUs).
    pub default_threads: usize,
    /// The pairs, in run order.
    pub pairs: Vec<ThroughputPair>,
}

impl Throughput {
    fn rates(&self, seconds: impl Fn(&ThroughputPair) -> f64) -> Vec<f64> {
        self.pairs
            .iter()
            .map(|p| sample_epochs_per_second(self.train_rows, self.epochs, seconds(p)))
            .collect()
    }
    /// fivedreg's sample-epochs/s on one thread, per pair.
    pub fn one_thread_rates(&self) -> Vec<f64> {
        self.rates(|p| p.one_thread_seconds)
    }
    /// fivedreg's sample-epochs/s on the default thread count, per pair.
    pub fn default_threads_rates(&self) -> Vec<f64> {
        self.rates(|p| p.default_threads_seconds)
    }
    /// The aggregate sample-epochs/s of two one-thread fits at once, per pair that ran them.
    pub fn two_at_once_rates(&self) -> Vec<f64> {
        self.pairs
            .iter()
            .filter_map(|p| p.two_at_once_seconds)
            .map(|s| 2.0 * sample_epochs_per_second(self.train_rows, self.epochs, s))
            .collect()
    }
    /// Per pair: a rate over the same pair's one-thread rate (`rate` is `None` where the
    /// pair has no such figure).
    pub fn over_one_thread(&self, rate: impl Fn(&ThroughputPair) -> Option<f64>) -> Vec<f64> {
        self.pairs
            .iter()
            .filter_map(|p| rate(p).map(|seconds| (seconds, p.one_thread_seconds)))
            .map(|(seconds, one)| one / seconds)
            .collect()
    }
    /// scikit-learn's sample-epochs/s, per pair (empty when it did not run).
    pub fn sklearn_rates(&self) -> Vec<f64> {
        let Some((rows, epochs)) = self.sklearn_rows_epochs else {
            return Vec::new();
        };
        self.pairs
            .iter()
            .filter_map(|p| p.sklearn_seconds)
            .map(|s| sample_epochs_per_second(rows, epochs, s))
            .collect()
    }
    /// The per-epoch throughput ratio of each pair: fivedreg's sample-epochs/s (on one
    /// thread, or on the default thread count) / scikit-learn's.
    pub fn ratios(&self, one_thread: bool) -> Vec<f64> {
        let ours = if one_thread {
            self.one_thread_rates()
        } else {
            self.default_threads_rates()
        };
        ours.iter()
            .zip(self.sklearn_rates())
            .map(|(a, b)| a / b)
            .collect()
    }
    /// The headline: median and range of the per-pair ratios on the default thread count.
    pub fn headline_ratio(&self) -> Option<Spread> {
        let ratios = self.ratios(false);
        (!ratios.is_empty()).then(|| Spread::of(&ratios))
    }
}

/// Least-squares fit of `ln y = a + b ln n`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PowerFit {
    /// The exponent `b`.
    pub exponent: f64,
    /// R² of the fit in log space.
    pub r2_log: f64,
    /// The sizes it was fitted over.
    pub sizes: Vec<usize>,
}

impl PowerFit {
    /// Fits `ln y` against `ln n`; `None` with fewer than two distinct sizes.
    pub fn fit(points: &[(usize, f64)]) -> Option<PowerFit> {
        let logs: Vec<(f64, f64)> = points
            .iter()
            .filter(|(n, y)| *n > 0 && *y > 0.0)
            .map(|&(n, y)| ((n as f64).ln(), y.ln()))
            .collect();
        let k = logs.len() as f64;
        if logs.len() < 2 {
            return None;
        }
        let mx = logs.iter().map(|p| p.0).sum::<f64>() / k;
        let my = logs.iter().map(|p| p.1).sum::<f64>() / k;
        let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let syy: f64 = logs.iter().map(|p| (p.1 - my).powi(2)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let exponent = sxy / sxx;
        let r2_log = if syy > 0.0 {
            (sxy * sxy) / (sxx * syy)
        } else {
            1.0
        };
        Some(PowerFit {
            exponent,
            r2_log,
            sizes: points.iter().map(|p| p.0).collect(),
        })
    }
}

/// All measurements of one size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizeRuns {
    /// Rows generated.
    pub n_samples: usize,
    /// The default fit, fivedreg and scikit-learn alternating, and R² over seeds.
    pub pairs: FitPairs,
    /// The same fit with early stopping off, repeated, when measured at this size.
    pub without_early_stopping: Option<RepeatedFit>,
    /// Prediction of the default fit's model on the test split.
    pub predict: PredictRun,
}

impl SizeRuns {
    /// The default fit's runs.
    pub fn fit(&self) -> &RepeatedFit {
        &self.pairs.fivedreg
    }
}

/// How the run was configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchConfig {
    /// The command that reproduces the run (without `--out`).
    pub command: String,
    /// Dataset sizes.
    pub sizes: Vec<usize>,
    /// Seed of the data, the split and the network.
    pub seed: u64,
    /// `--quick` mode.
    pub quick: bool,
    /// Epoch limit of the default runs.
    pub max_epochs: usize,
    /// Patience of the default runs.
    pub patience: usize,
    /// Minimum improvement that counts (the training-loss rule with early stopping off).
    pub tol: f64,
    /// Early stopping off is measured for sizes up to this.
    pub no_early_stopping_max_n: usize,
    /// scikit-learn runs up to this size.
    pub sklearn_max_n: usize,
    /// The alternative regressors predict at most this many test rows.
    pub baseline_test_cap: usize,
    /// Noise standard deviation of the seed task.
    pub noise: f64,
    /// Inputs of the seed task.
    pub n_inputs: usize,
}

/// Whether and how scikit-learn ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SklearnInfo {
    /// One line: what was found, or why it did not run (or stopped).
    pub status: String,
    /// Python interpreter used.
    pub python: Option<String>,
    /// scikit-learn version.
    pub sklearn_version: Option<String>,
    /// numpy version.
    pub numpy_version: Option<String>,
    /// BLAS kernel in use (threadpoolctl), when it could be read.
    pub blas: Option<String>,
}

/// The whole benchmark report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    /// Machine and build.
    pub machine: MachineInfo,
    /// Configuration.
    pub config: BenchConfig,
    /// fivedreg (and scikit-learn) per size.
    pub sizes: Vec<SizeRuns>,
    /// Alternative regressors per size.
    pub baselines: Vec<BaselineRun>,
    /// Alternative regressors that failed, with why.
    pub baseline_failures: Vec<String>,
    /// Training-row caps of the slow baselines, as `(method, cap)`.
    pub baseline_caps: Vec<(String, usize)>,
    /// scikit-learn's interpreter and versions, or why it did not run.
    pub sklearn: SklearnInfo,
    /// Fixed-epoch throughput.
    pub throughput: Throughput,
    /// Wall-clock seconds of the whole benchmark run.
    pub total_seconds: f64,
    /// 1-minute load average at the end of the run.
    pub load_average_at_end: f64,
}

impl BenchReport {
    /// Scaling of the median fit time in n (default runs).
    pub fn time_scaling(&self) -> Option<PowerFit> {
        PowerFit::fit(
            &self
                .sizes
                .iter()
                .map(|s| (s.n_samples, s.fit().fit_seconds().median))
                .collect::<Vec<_>>(),
        )
    }
    /// Scaling of the median time per epoch in n (removes the effect of early stopping).
    pub fn epoch_time_scaling(&self) -> Option<PowerFit> {
        PowerFit::fit(
            &self
                .sizes
                .iter()
                .map(|s| (s.n_samples, s.fit().epoch_ms()))
                .collect::<Vec<_>>(),
        )
    }
    /// The sizes where scikit-learn ran.
    pub fn sklearn_sizes(&self) -> impl Iterator<Item = &SizeRuns> {
        self.sizes.iter().filter(|s| !s.pairs.sklearn.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_fit_recovers_an_exact_power_law() {
        let points: Vec<(usize, f64)> = [1_000usize, 5_000, 10_000, 50_000]
            .iter()
            .map(|&n| (n, 3e-4 * (n as f64).powf(0.8)))
            .collect();
        let fit = PowerFit::fit(&points).unwrap();
        assert!((fit.exponent - 0.8).abs() < 1e-12, "{}", fit.exponent);
        assert!((fit.r2_log - 1.0).abs() < 1e-12);
        assert_eq!(fit.sizes, vec![1_000, 5_000, 10_000, 50_000]);
    }

    #[test]
    fn power_fit_needs_two_sizes() {
        assert!(PowerFit::fit(&[(1_000, 1.0)]).is_none());
        assert!(PowerFit::fit(&[(1_000, 1.0), (1_000, 2.0)]).is_none());
    }
}
