//! The benchmark report's data: every figure the Markdown, JSON and plots show comes from here,
//! and every field here was measured in the run (or derived from measured fields).

use crate::machine::MachineInfo;
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
    pub fn compute(truth: &[f64], predicted: &[f64]) -> Result<Metrics, String> {
        let report = fivedreg_metrics::Report::compute(truth, predicted)
            .map_err(|e| format!("metrics: {e}"))?;
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

/// One fivedreg training run (`Interpolator::fit`) and its test metrics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitRun {
    /// Rows generated.
    pub n_samples: usize,
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
    /// Training threads, when the network exposes the setting.
    pub threads: Option<usize>,
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
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch.
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
    /// Training rows × epochs / training-loop seconds.
    pub fn sample_epochs_per_second(&self) -> f64 {
        (self.train_rows * self.epochs) as f64 / self.train_seconds
    }
    /// The seed system's figure: dataset rows / fit seconds.
    pub fn naive_samples_per_second(&self) -> f64 {
        self.n_samples as f64 / self.fit_seconds
    }
}

/// Prediction of one model on its test split, in a fresh worker process that loaded the
/// model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictRun {
    /// Size of the dataset the model was trained on.
    pub n_samples: usize,
    /// Rows predicted (the test split).
    pub rows: usize,
    /// Wall-clock seconds of `Interpolator::predict`.
    pub seconds: f64,
    /// Seconds to read the model file and decode it.
    pub load_seconds: f64,
    /// Memory of the `predict` call.
    pub memory: Memory,
}

/// One alternative regressor fitted on the same training split, scored on the same test split.
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
    /// Wall-clock seconds of fitting.
    pub fit_seconds: f64,
    /// Wall-clock seconds of predicting the test split.
    pub predict_seconds: f64,
    /// Memory of the fit.
    pub memory: Memory,
    /// Test-split metrics.
    pub test: Metrics,
}

/// One scikit-learn MLPRegressor run, reported by the Python runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SklearnRun {
    /// Rows generated.
    pub n_samples: usize,
    /// Rows given to `fit` (sklearn carves its own 10% validation out of them).
    pub train_rows: usize,
    /// `fit` seconds (untraced run).
    pub fit_seconds: f64,
    /// `n_iter_` (epochs).
    pub iterations: usize,
    /// Test metrics.
    pub test: Metrics,
    /// `predict` seconds on the test split.
    pub predict_seconds: f64,
    /// `len(pickle.dumps(model))` in bytes.
    pub model_bytes: u64,
    /// `tracemalloc` peak of a second, traced `fit`, in bytes.
    pub tracemalloc_peak_bytes: Option<u64>,
    /// `tracemalloc` peak of `predict` on the test split, in bytes.
    pub tracemalloc_predict_peak_bytes: Option<u64>,
    /// Peak RSS of the Python process (`ru_maxrss`), in KiB.
    pub rss_peak_kib: u64,
}

/// Whether and how scikit-learn ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SklearnSection {
    /// One line: what was found, or why it did not run.
    pub status: String,
    /// Python interpreter used.
    pub python: Option<String>,
    /// scikit-learn version.
    pub sklearn_version: Option<String>,
    /// numpy version.
    pub numpy_version: Option<String>,
    /// BLAS kernel in use (threadpoolctl), when it could be read.
    pub blas: Option<String>,
    /// The seed-configuration runs, one per size.
    pub runs: Vec<SklearnRun>,
}

/// A fixed-epoch throughput measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThroughputRun {
    /// `fivedreg` or `scikit-learn MLPRegressor`.
    pub engine: String,
    /// Training threads (fivedreg), when set.
    pub threads: Option<usize>,
    /// Rows generated.
    pub n_samples: usize,
    /// Training rows.
    pub train_rows: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Training-loop seconds.
    pub seconds: f64,
}

impl ThroughputRun {
    /// Training rows × epochs / seconds.
    pub fn sample_epochs_per_second(&self) -> f64 {
        (self.train_rows * self.epochs) as f64 / self.seconds
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
    /// The default run (early stopping on).
    pub fit: FitRun,
    /// The same run with early stopping off, when measured at this size.
    pub fit_without_early_stopping: Option<FitRun>,
    /// Prediction of the default run's model on the test split.
    pub predict: PredictRun,
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
    /// Fixed-epoch throughput: dataset rows and epochs.
    pub throughput_samples: usize,
    /// Fixed-epoch throughput: epochs.
    pub throughput_epochs: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    /// Machine and build.
    pub machine: MachineInfo,
    /// Configuration.
    pub config: BenchConfig,
    /// fivedreg per size.
    pub sizes: Vec<SizeRuns>,
    /// Alternative regressors per size.
    pub baselines: Vec<BaselineRun>,
    /// Alternative regressors that failed, with why.
    pub baseline_failures: Vec<String>,
    /// Training-row caps of the slow baselines, as `(method, cap)`.
    pub baseline_caps: Vec<(String, usize)>,
    /// scikit-learn, when it ran.
    pub sklearn: SklearnSection,
    /// Fixed-epoch throughput.
    pub throughput: Vec<ThroughputRun>,
    /// Wall-clock seconds of the whole benchmark run.
    pub total_seconds: f64,
    /// 1-minute load average at the end of the run.
    pub load_average_at_end: f64,
}

impl BenchReport {
    /// Scaling of fit time in n (default runs).
    pub fn time_scaling(&self) -> Option<PowerFit> {
        PowerFit::fit(
            &self
                .sizes
                .iter()
                .map(|s| (s.n_samples, s.fit.fit_seconds))
                .collect::<Vec<_>>(),
        )
    }
    /// Scaling of time per epoch in n (removes the effect of early stopping).
    pub fn epoch_time_scaling(&self) -> Option<PowerFit> {
        PowerFit::fit(
            &self
                .sizes
                .iter()
                .map(|s| {
                    (
                        s.n_samples,
                        s.fit.train_seconds / s.fit.epochs.max(1) as f64,
                    )
                })
                .collect::<Vec<_>>(),
        )
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
