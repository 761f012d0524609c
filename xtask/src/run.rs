//! Orchestrates one benchmark run: every measurement in a fresh worker process, scikit-learn
//! through its runner and alternating with fivedreg, then the report files.

use crate::baselines::Method;
use crate::machine::{load_average, MachineInfo};
use crate::model::{BaselineRun, BenchConfig, BenchReport, SizeRuns, SklearnInfo};
use crate::pairs::{self, SklearnSide};
use crate::sklearn::{self, Sklearn};
use crate::task::{FitSettings, Task, NOISE, N_INPUTS};
use crate::worker::{self, Job};
use anyhow::{ensure, Result};
use fivedreg_nn::MlpParams;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Whether to run scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SklearnChoice {
    /// When importable (the default, `--quick` included).
    Auto,
    /// Asked for with `--sklearn`.
    On,
    /// Refused with `--no-sklearn`.
    Off,
}

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The command line that reproduces the run (without `--out`).
    pub command: String,
    /// Output folder.
    pub out: PathBuf,
    /// Dataset sizes.
    pub sizes: Vec<usize>,
    /// Small and fast.
    pub quick: bool,
    /// Seed of data, split and network.
    pub seed: u64,
    /// scikit-learn.
    pub sklearn: SklearnChoice,
    /// Epoch limit of the default runs.
    pub max_epochs: usize,
    /// Early stopping off is measured up to this size.
    pub no_early_stopping_max_n: usize,
    /// scikit-learn runs up to this size.
    pub sklearn_max_n: usize,
    /// Fixed-epoch throughput: dataset rows.
    pub throughput_samples: usize,
    /// Fixed-epoch throughput: epochs.
    pub throughput_epochs: usize,
    /// Training-row caps of the alternative regressors.
    pub caps: Vec<(Method, Option<usize>)>,
    /// The alternative regressors predict at most this many test rows.
    pub baseline_test_cap: usize,
}

impl BenchOptions {
    /// The defaults of `cargo xtask bench` (`quick`: of `--quick`).
    pub fn defaults(quick: bool) -> BenchOptions {
        // Training-row caps of the slow alternative regressors, quick and full.
        let cap =
            |quick_cap: usize, full_cap: usize| Some(if quick { quick_cap } else { full_cap });
        BenchOptions {
            command: "cargo xtask bench".to_string(),
            out: PathBuf::from("target/bench-report"),
            sizes: if quick {
                vec![500, 1_000, 2_000]
            } else {
                vec![1_000, 5_000, 10_000]
            },
            quick,
            seed: 42,
            sklearn: SklearnChoice::Auto,
            max_epochs: if quick {
                100
            } else {
                MlpParams::default().max_epochs
            },
            no_early_stopping_max_n: if quick { usize::MAX } else { 100_000 },
            sklearn_max_n: if quick { usize::MAX } else { 100_000 },
            throughput_samples: if quick { 2_000 } else { 10_000 },
            throughput_epochs: if quick { 20 } else { 60 },
            caps: vec![
                (Method::LeastSquares, None),
                (Method::RandomForest, cap(1_000, 20_000)),
                (Method::GradientBoosting, cap(1_000, 20_000)),
                (Method::NearestNeighbours, cap(1_000, 100_000)),
                (Method::SupportVector, cap(500, 3_000)),
            ],
            baseline_test_cap: 20_000,
        }
    }
}

fn progress(message: &str) {
    eprintln!("[bench] {message}");
}

/// Runs every measurement and writes the report into `options.out`.
pub fn bench(options: &BenchOptions, repo: &Path) -> Result<BenchReport> {
    let started = Instant::now();
    let machine = MachineInfo::collect(repo);
    let workdir = tempfile::tempdir()?;
    let mut sizes = options.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    ensure!(
        sizes.iter().all(|&n| n >= 50),
        "every size must be at least 50 rows (the split needs rows in each part)"
    );
    let (mut side, status) = sklearn_side(options, workdir.path());
    let task = |n: usize| Task::seed_task(n, options.seed);
    let default_settings = FitSettings::default_fit(options.max_epochs, options.baseline_test_cap);

    let mut size_runs = Vec::new();
    for &n in &sizes {
        progress(&format!(
            "n = {n}: the default fit, fivedreg and scikit-learn alternating"
        ));
        let model_path = workdir.path().join(format!("model_{n}.fdr"));
        let pairs = pairs::fit_pairs(
            task(n),
            &default_settings,
            Some(model_path.clone()),
            &mut side,
            n <= options.sklearn_max_n,
            workdir.path(),
        )?;
        progress(&format!("n = {n}: fivedreg predicts the test split"));
        let predict = worker::predict(task(n), model_path)?;
        let without_early_stopping = if n <= options.no_early_stopping_max_n {
            progress(&format!("n = {n}: fivedreg with early stopping off"));
            let settings = FitSettings {
                early_stopping: false,
                ..default_settings.clone()
            };
            Some(pairs::repeated_fit(task(n), &settings)?)
        } else {
            None
        };
        size_runs.push(SizeRuns {
            n_samples: n,
            pairs,
            without_early_stopping,
            predict,
        });
    }

    let (baselines, baseline_failures) = run_baselines(options, &sizes);

    progress(&format!(
        "fixed-epoch throughput: {} epochs on {} samples",
        options.throughput_epochs, options.throughput_samples
    ));
    let throughput = pairs::throughput(
        task(options.throughput_samples),
        options.throughput_epochs,
        &mut side,
        workdir.path(),
        machine.logical_cpus,
    )?;

    let defaults = MlpParams::default();
    let config = BenchConfig {
        command: options.command.clone(),
        sizes: sizes.clone(),
        seed: options.seed,
        quick: options.quick,
        max_epochs: options.max_epochs,
        patience: defaults.patience,
        tol: defaults.tol,
        no_early_stopping_max_n: options.no_early_stopping_max_n,
        sklearn_max_n: options.sklearn_max_n,
        baseline_test_cap: options.baseline_test_cap,
        noise: NOISE,
        n_inputs: N_INPUTS,
    };
    let sklearn = match (side.get(), side.failure()) {
        (_, Some(why)) => SklearnInfo {
            status: format!(
                "scikit-learn failed part-way ({why}); the sizes it completed before are shown."
            ),
            ..status
        },
        _ => status,
    };
    let report = BenchReport {
        machine,
        config,
        sizes: size_runs,
        baselines,
        baseline_failures,
        baseline_caps: options
            .caps
            .iter()
            .filter_map(|(m, cap)| cap.map(|c| (m.name().to_string(), c)))
            .collect(),
        sklearn,
        throughput,
        total_seconds: started.elapsed().as_secs_f64(),
        load_average_at_end: load_average(),
    };
    crate::output::write_all(&report, &options.out)?;
    Ok(report)
}

/// Every alternative regressor at every size; a failing library must not cost the rest of
/// the run, so failures are collected for the report instead.
fn run_baselines(options: &BenchOptions, sizes: &[usize]) -> (Vec<BaselineRun>, Vec<String>) {
    let mut baselines = Vec::new();
    let mut failures = Vec::new();
    for &n in sizes {
        for &(method, cap) in &options.caps {
            progress(&format!("{}, n = {n}", method.name()));
            let job = Job::Baseline {
                task: Task::seed_task(n, options.seed),
                method,
                cap,
                test_cap: Some(options.baseline_test_cap),
                quick: options.quick,
            };
            match worker::baseline(job) {
                Ok(run) => {
                    progress(&format!(
                        "  {} rows, {} runs, first {:.3} s, test R² {:.4}",
                        run.train_rows_used,
                        run.fit_seconds.len(),
                        run.fit_seconds[0],
                        run.test.r2
                    ));
                    baselines.push(run);
                }
                Err(why) => {
                    let failure = format!("{} at n = {n}: {why:#}", method.name());
                    progress(&format!("  failed: {failure}"));
                    failures.push(failure);
                }
            }
        }
    }
    (baselines, failures)
}

/// scikit-learn for this run, and the report's line about it.
fn sklearn_side(options: &BenchOptions, workdir: &Path) -> (SklearnSide, SklearnInfo) {
    let wanted = match options.sklearn {
        SklearnChoice::Off => false,
        SklearnChoice::On => true,
        SklearnChoice::Auto => true,
    };
    let not_run = |status: String| {
        (
            SklearnSide::new(None),
            SklearnInfo {
                status,
                ..Default::default()
            },
        )
    };
    if !wanted {
        return not_run("scikit-learn was not run (`--no-sklearn`).".into());
    }
    let python = sklearn::interpreter();
    match Sklearn::probe(&python, workdir) {
        Ok(sk) => {
            let info = sk.info(format!("{}.", sk.describe()));
            (SklearnSide::new(Some(sk)), info)
        }
        Err(why) => {
            let status = format!(
                "scikit-learn could not be imported with `{python}` ({why:#}); set FIVEDREG_PYTHON \
                 to an interpreter that has it to include the comparison."
            );
            progress(&status);
            not_run(status)
        }
    }
}
