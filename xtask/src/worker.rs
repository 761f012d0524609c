//! Measurements in fresh processes: the parent re-runs its own executable as
//! `xtask bench-worker`, writes one [`Job`] as JSON to its stdin and reads one [`Outcome`] as
//! JSON from its stdout. Each worker process does one measurement, so its peak RSS belongs to
//! that measurement alone.

use crate::baselines::{self, Method};
use crate::machine;
use crate::measure::{measure, timed};
use crate::model::{BaselineRun, FitRun, Metrics, Phases, PredictRun};
use crate::stats;
use crate::task::{FitSettings, Task};
use anyhow::{bail, ensure, Context, Result};
use fivedreg::{FitOptions, Interpolator};
use fivedreg_data::Dataset;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;

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
    /// Loads a model file and predicts the task's test split, repeatedly.
    Predict {
        /// Data (regenerated to find the test split).
        task: Task,
        /// The model file.
        model: PathBuf,
    },
    /// Fits an alternative regressor on the training split (its first `cap` rows) and
    /// predicts the test split, repeatedly.
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

fn run_fit(task: Task, settings: FitSettings, model_out: Option<PathBuf>) -> Result<FitRun> {
    let data = task.dataset()?;
    let options = FitOptions {
        network: settings.network(task.seed),
        ..Default::default()
    }
    .check()
    .context("fit options")?;
    let cpu_before = machine::process_cpu_seconds().unwrap_or(0.0);
    let (fitted, fit_seconds, memory) =
        measure(|| Interpolator::fit(&data, &options, &mut |_| {}).context("fit"))?;
    let cpu_seconds = machine::process_cpu_seconds().unwrap_or(0.0) - cpu_before;
    let model = fitted.interpolator;
    let history = fitted.history;
    // The baselines and scikit-learn use the split xtask makes; check it is fit's split by
    // scoring the model on it and comparing with the metrics fit recorded.
    let split = task.split(&data)?;
    let predictions = model.predict(split.test.features()).context("predict")?;
    let test = Metrics::compute(split.test.targets(), &predictions)?;
    let head_rows = settings.head_test_rows.min(predictions.len());
    let test_head = Metrics::compute(
        &split.test.targets()[..head_rows],
        &predictions[..head_rows],
    )?;
    let summary = model.summary();
    if let Some(recorded) = &summary.test_metrics {
        ensure!(
            (recorded.mse - test.mse).abs() <= 1e-9 * test.mse.max(1.0),
            "xtask's split differs from Interpolator::fit's: test MSE {} vs recorded {}",
            test.mse,
            recorded.mse
        );
    }
    let bytes = model.to_bytes().context("model file")?;
    if let Some(path) = &model_out {
        fivedreg::AtomicFile::write(path, &bytes)?;
    }
    Ok(FitRun {
        n_samples: task.n_samples,
        seed: task.seed,
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
        stop_reason: history.stop_reason.name().to_string(),
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
fn csv_bytes(data: &Dataset) -> Result<u64> {
    let mut counter = CountingWriter(0);
    fivedreg_data::write_csv(data, &mut counter).context("CSV size")?;
    Ok(counter.0)
}

/// Runs `once` (which returns the seconds it took among its results) until
/// [`stats::enough`], in this process.
fn repeated<T>(mut once: impl FnMut() -> Result<(T, f64)>) -> Result<Vec<T>> {
    let mut all = Vec::new();
    let mut seconds = Vec::new();
    while !stats::enough(&seconds) {
        let (value, took) = once()?;
        all.push(value);
        seconds.push(took);
    }
    Ok(all)
}

fn run_predict(task: Task, model_path: PathBuf) -> Result<PredictRun> {
    let data = task.dataset()?;
    let split = task.split(&data)?;
    drop(data);
    let features = split.test.features().to_vec();
    drop(split);
    let runs = repeated(|| {
        let (model, load_seconds) = timed(|| {
            let bytes = std::fs::read(&model_path)
                .with_context(|| format!("reading {}", model_path.display()))?;
            Interpolator::from_bytes(&bytes, &model_path.display().to_string())
                .context("loading the model")
        })?;
        let (predictions, seconds, memory) =
            measure(|| model.predict(&features).context("predict"))?;
        Ok(((predictions.len(), seconds, load_seconds, memory), seconds))
    })?;
    Ok(PredictRun {
        n_samples: task.n_samples,
        rows: runs[0].0,
        seconds: runs.iter().map(|r| r.1).collect(),
        load_seconds: runs.iter().map(|r| r.2).collect(),
        memory: runs[0].3,
    })
}

/// The first `cap` rows of `data` (all of them without a cap).
fn head(data: Dataset, cap: Option<usize>) -> Dataset {
    match cap {
        Some(cap) if cap < data.n_rows() => data.select(&(0..cap).collect::<Vec<_>>()),
        _ => data,
    }
}

fn run_baseline(
    task: Task,
    method: Method,
    cap: Option<usize>,
    test_cap: Option<usize>,
    quick: bool,
) -> Result<BaselineRun> {
    let data = task.dataset()?;
    let split = task.split(&data)?;
    drop(data);
    let (train_rows, test_rows) = (split.train.n_rows(), split.test.n_rows());
    let train = head(split.train, cap);
    let test_split = head(split.test, test_cap);
    let runs = repeated(|| {
        let measured = baselines::fit_and_predict(method, &train, &test_split, task.seed, quick)?;
        let seconds = measured.fit_seconds + measured.predict_seconds;
        Ok((measured, seconds))
    })?;
    let test = Metrics::compute(test_split.targets(), &runs[0].predictions)?;
    Ok(BaselineRun {
        method: method.name().to_string(),
        implementation: method.implementation().to_string(),
        settings: method.settings(quick),
        n_samples: task.n_samples,
        train_rows,
        train_rows_used: train.n_rows(),
        test_rows,
        test_rows_used: test_split.n_rows(),
        fit_seconds: runs.iter().map(|r| r.fit_seconds).collect(),
        predict_seconds: runs.iter().map(|r| r.predict_seconds).collect(),
        memory: runs[0].fit_memory,
        test,
    })
}

/// The `bench-worker` subcommand: one job from stdin, one outcome on stdout.
pub fn worker_main() -> Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the job from stdin")?;
    let job: Job = serde_json::from_str(&input).context("reading the job's JSON")?;
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
    let json = serde_json::to_string(&outcome).context("writing the outcome's JSON")?;
    writeln!(std::io::stdout().lock(), "{json}").context("writing the outcome")?;
    Ok(())
}

/// Runs `job` in a fresh child process of this executable and returns its outcome.
pub fn run_in_child(job: &Job) -> Result<Outcome> {
    let exe = std::env::current_exe().context("finding xtask's executable")?;
    let json = serde_json::to_string(job).context("writing the job's JSON")?;
    crate::child::run_json(Command::new(exe).arg("bench-worker"), Some(json.as_bytes()))
}

/// Runs one fit in a fresh worker process.
pub fn fit(task: Task, settings: FitSettings, model_out: Option<PathBuf>) -> Result<FitRun> {
    match run_in_child(&Job::Fit {
        task,
        settings,
        model_out,
    })? {
        Outcome::Fit(run) => Ok(run),
        other => bail!("expected a fit outcome, got {other:?}"),
    }
}

/// Predicts the test split with a saved model in a fresh worker process.
pub fn predict(task: Task, model: PathBuf) -> Result<PredictRun> {
    match run_in_child(&Job::Predict { task, model })? {
        Outcome::Predict(run) => Ok(run),
        other => bail!("expected a predict outcome, got {other:?}"),
    }
}

/// Fits and scores an alternative regressor in a fresh worker process.
pub fn baseline(job: Job) -> Result<BaselineRun> {
    match run_in_child(&job)? {
        Outcome::Baseline(run) => Ok(run),
        other => bail!("expected a baseline outcome, got {other:?}"),
    }
}
