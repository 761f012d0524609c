//! Measurements in fresh processes: the parent re-runs its own executable as
//! `xtask bench-worker`, writes one [`Job`] as JSON to its stdin and reads one [`Outcome`] as
//! JSON from its stdout. Each worker process does one measurement, so its peak RSS belongs to
//! that measurement alone.

use crate::alloc_counter::HeapMark;
use crate::baselines::{self, Method};
use crate::machine;
use crate::model::{BaselineRun, FitRun, Memory, Metrics, Phases, PredictRun};
use fivedreg::{FitOptions, Interpolator};
use fivedreg_data::{Dataset, Split, SplitFractions, TestFunction};
use fivedreg_nn::MlpParams;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The seed task: `n` rows of X ~ N(0,1)^d, y = sum(x^2) + N(0, noise^2).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Task {
    /// Rows.
    pub n_samples: usize,
    /// Inputs.
    pub n_inputs: usize,
    /// Noise standard deviation.
    pub noise: f64,
    /// Seed of the data, the split and the network.
    pub seed: u64,
}

impl Task {
    /// Generates the rows.
    pub fn dataset(&self) -> Result<Dataset, String> {
        fivedreg_data::generate(
            TestFunction::SumOfSquares,
            self.n_samples,
            self.n_inputs,
            self.noise,
            self.seed,
        )
        .map_err(|e| format!("generating {} rows: {e}", self.n_samples))
    }

    /// The 60/20/20 split `Interpolator::fit` makes of the same rows with the same seed.
    pub fn split(&self, data: &Dataset) -> Result<Split, String> {
        fivedreg_data::split(data, SplitFractions::default(), self.seed)
            .map_err(|e| format!("splitting {} rows: {e}", self.n_samples))
    }
}

/// Network settings of a fit job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitSettings {
    /// Early stopping on the validation R².
    pub early_stopping: bool,
    /// Epoch limit.
    pub max_epochs: usize,
    /// Patience.
    pub patience: usize,
    /// Training threads, when the network exposes the setting.
    pub threads: Option<usize>,
    /// Also score the first this-many test rows (the rows the alternative regressors predict).
    pub head_test_rows: usize,
}

/// One measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// `Interpolator::fit` on the task; optionally saves the model file.
    Fit {
        /// Data.
        task: Task,
        /// Network settings.
        settings: FitSettings,
        /// Where to write the model file.
        model_out: Option<PathBuf>,
    },
    /// Loads a model file and predicts the task's test split.
    Predict {
        /// Data (regenerated to find the test split).
        task: Task,
        /// The model file.
        model: PathBuf,
    },
    /// Fits an alternative regressor on the training split (its first `cap` rows) and
    /// predicts the test split.
    Baseline {
        /// Data.
        task: Task,
        /// Which regressor.
        method: Method,
        /// Training rows used at most.
        cap: Option<usize>,
        /// Test rows predicted at most (the first rows of the test split).
        test_cap: Option<usize>,
        /// Smaller ensembles.
        quick: bool,
    },
}

/// What a worker sends back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Outcome {
    /// From [`Job::Fit`].
    Fit(FitRun),
    /// From [`Job::Predict`].
    Predict(PredictRun),
    /// From [`Job::Baseline`].
    Baseline(BaselineRun),
}

/// Runs `f`, returning its value and wall-clock seconds.
pub fn timed<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(T, f64), String> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed().as_secs_f64()))
}

/// Runs `f` as one measured phase: resets the heap peak and the RSS high-water mark, then
/// returns its value, wall-clock seconds and memory.
pub fn measure<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(T, f64, Memory), String> {
    let rss_reset = machine::reset_peak_rss();
    let mark = HeapMark::start();
    let start = Instant::now();
    let value = f()?;
    let seconds = start.elapsed().as_secs_f64();
    let memory = Memory {
        heap_peak_bytes: mark.peak_above_start() as u64,
        heap_allocations: mark.allocations() as u64,
        rss_peak_kib: machine::peak_rss_kib().unwrap_or(0),
        rss_reset,
    };
    Ok((value, seconds, memory))
}

fn fit_options(task: &Task, settings: &FitSettings) -> Result<fivedreg::ValidFitOptions, String> {
    let network = MlpParams {
        early_stopping: settings.early_stopping,
        max_epochs: settings.max_epochs,
        patience: settings.patience,
        seed: task.seed,
        ..Default::default()
    };
    // `threads` is applied by `crate::threads::apply` when the network exposes it.
    let network = crate::threads::apply(network, settings.threads);
    FitOptions {
        network,
        ..Default::default()
    }
    .check()
    .map_err(|e| format!("fit options: {e}"))
}

fn run_fit(
    task: Task,
    settings: FitSettings,
    model_out: Option<PathBuf>,
) -> Result<FitRun, String> {
    let data = task.dataset()?;
    let options = fit_options(&task, &settings)?;
    let cpu_before = machine::process_cpu_seconds().unwrap_or(0.0);
    let (fitted, fit_seconds, memory) = measure(|| {
        Interpolator::fit(&data, &options, &mut |_| {}).map_err(|e| format!("fit: {e}"))
    })?;
    let cpu_seconds = machine::process_cpu_seconds().unwrap_or(0.0) - cpu_before;
    let model = fitted.interpolator;
    let history = fitted.history;
    // The baselines and scikit-learn use the split xtask makes; check it is fit's split by
    // scoring the model on it and comparing with the metrics fit recorded.
    let split = task.split(&data)?;
    let predictions = model
        .predict(split.test.features())
        .map_err(|e| format!("predict: {e}"))?;
    let test = Metrics::compute(split.test.targets(), &predictions)?;
    let head_rows = settings.head_test_rows.min(predictions.len());
    let test_head = Metrics::compute(
        &split.test.targets()[..head_rows],
        &predictions[..head_rows],
    )?;
    let summary = model.summary();
    if let Some(recorded) = &summary.test_metrics {
        if (recorded.mse - test.mse).abs() > 1e-9 * test.mse.max(1.0) {
            return Err(format!(
                "xtask's split differs from Interpolator::fit's: test MSE {} vs recorded {}",
                test.mse, recorded.mse
            ));
        }
    }
    let bytes = model.to_bytes().map_err(|e| format!("model file: {e}"))?;
    if let Some(path) = &model_out {
        std::fs::write(path, &bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(FitRun {
        n_samples: task.n_samples,
        train_rows: summary.train_samples,
        validation_rows: summary.validation_samples,
        test_rows: summary.test_samples,
        early_stopping: settings.early_stopping,
        max_epochs: settings.max_epochs,
        patience: settings.patience,
        threads: settings.threads,
        fit_seconds,
        train_seconds: history.seconds,
        cpu_seconds,
        epochs: history.epochs,
        best_epoch: history.best_epoch,
        best_validation_r2: history.best_validation_r2,
        stop_reason: format!("{:?}", history.stop_reason),
        phases: Phases {
            forward: history.phase_seconds.forward,
            backward: history.phase_seconds.backward,
            update: history.phase_seconds.update,
            validation: history.phase_seconds.validation,
        },
        train_loss: history.train_loss,
        validation_r2: history.validation_r2,
        test,
        test_head_rows: head_rows,
        test_head,
        memory,
        model_bytes: bytes.len() as u64,
        n_parameters: model.n_parameters() as u64,
        dataset_csv_bytes: csv_bytes(&data)?,
        test_csv_bytes: csv_bytes(&split.test)?,
    })
}

/// Counts the bytes written through it.
struct CountingWriter(u64);

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Size of `data` as a CSV file, written by fivedreg's own CSV writer.
fn csv_bytes(data: &Dataset) -> Result<u64, String> {
    let mut counter = CountingWriter(0);
    fivedreg_data::write_csv(data, &mut counter).map_err(|e| format!("CSV size: {e}"))?;
    Ok(counter.0)
}

fn run_predict(task: Task, model_path: PathBuf) -> Result<PredictRun, String> {
    let data = task.dataset()?;
    let split = task.split(&data)?;
    drop(data);
    let features = split.test.features().to_vec();
    drop(split);
    let (model, load_seconds) = timed(|| {
        let bytes = std::fs::read(&model_path)
            .map_err(|e| format!("reading {}: {e}", model_path.display()))?;
        Interpolator::from_bytes(&bytes, &model_path.display().to_string())
            .map_err(|e| format!("loading model: {e}"))
    })?;
    let (predictions, seconds, memory) = measure(|| {
        model
            .predict(&features)
            .map_err(|e| format!("predict: {e}"))
    })?;
    Ok(PredictRun {
        n_samples: task.n_samples,
        rows: predictions.len(),
        seconds,
        load_seconds,
        memory,
    })
}

fn run_baseline(
    task: Task,
    method: Method,
    cap: Option<usize>,
    test_cap: Option<usize>,
    quick: bool,
) -> Result<BaselineRun, String> {
    let data = task.dataset()?;
    let split = task.split(&data)?;
    drop(data);
    let train_rows = split.train.n_rows();
    let used = cap.map_or(train_rows, |c| c.min(train_rows));
    let train = if used < train_rows {
        split.train.select(&(0..used).collect::<Vec<_>>())
    } else {
        split.train
    };
    let test_rows = split.test.n_rows();
    let test_used = test_cap.map_or(test_rows, |c| c.min(test_rows));
    let test_split = if test_used < test_rows {
        split.test.select(&(0..test_used).collect::<Vec<_>>())
    } else {
        split.test
    };
    let measured = baselines::fit_and_predict(method, &train, &test_split, task.seed, quick)?;
    let test = Metrics::compute(test_split.targets(), &measured.predictions)?;
    Ok(BaselineRun {
        method: method.name().to_string(),
        implementation: method.implementation().to_string(),
        settings: method.settings(quick),
        n_samples: task.n_samples,
        train_rows,
        train_rows_used: used,
        test_rows,
        test_rows_used: test_used,
        fit_seconds: measured.fit_seconds,
        predict_seconds: measured.predict_seconds,
        memory: measured.fit_memory,
        test,
    })
}

/// The `bench-worker` subcommand: one job from stdin, one outcome on stdout.
pub fn worker_main() -> Result<(), String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("reading the job from stdin: {e}"))?;
    let job: Job = serde_json::from_str(&input).map_err(|e| format!("job JSON: {e}"))?;
    let outcome = match job {
        Job::Fit {
            task,
            settings,
            model_out,
        } => Outcome::Fit(run_fit(task, settings, model_out)?),
        Job::Predict { task, model } => Outcome::Predict(run_predict(task, model)?),
        Job::Baseline {
            task,
            method,
            cap,
            test_cap,
            quick,
        } => Outcome::Baseline(run_baseline(task, method, cap, test_cap, quick)?),
    };
    let json = serde_json::to_string(&outcome).map_err(|e| format!("outcome JSON: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{json}").map_err(|e| format!("writing the outcome: {e}"))?;
    Ok(())
}

/// Runs `job` in a fresh child process of this executable and returns its outcome.
pub fn run_in_child(job: &Job) -> Result<Outcome, String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding xtask's executable: {e}"))?;
    let mut child = Command::new(exe)
        .arg("bench-worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting a bench worker: {e}"))?;
    let json = serde_json::to_string(job).map_err(|e| format!("job JSON: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("the worker has no stdin")?
        .write_all(json.as_bytes())
        .map_err(|e| format!("sending the job: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for the worker: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "bench worker failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().ok_or("the worker printed nothing")?;
    serde_json::from_str(line).map_err(|e| format!("worker outcome JSON: {e}: {line}"))
}
