//! Orchestrates one benchmark run: every measurement in a fresh worker process, scikit-learn
//! through its runner, then the report files.

use crate::baselines::Method;
use crate::machine::MachineInfo;
use crate::model::{
    BaselineRun, BenchConfig, BenchReport, FitRun, SizeRuns, SklearnSection, ThroughputRun,
};
use crate::sklearn::{self, Sklearn};
use crate::worker::{run_in_child, FitSettings, Job, Outcome, Task};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Whether to run scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SklearnChoice {
    /// When importable (the default; `--quick` skips it).
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
        if quick {
            BenchOptions {
                command: "cargo xtask bench".to_string(),
                out: PathBuf::from("target/bench-report"),
                sizes: vec![500, 1_000, 2_000],
                quick,
                seed: 42,
                sklearn: SklearnChoice::Auto,
                max_epochs: 100,
                no_early_stopping_max_n: usize::MAX,
                sklearn_max_n: usize::MAX,
                throughput_samples: 2_000,
                throughput_epochs: 20,
                caps: vec![
                    (Method::LeastSquares, None),
                    (Method::RandomForest, Some(1_000)),
                    (Method::GradientBoosting, Some(1_000)),
                    (Method::NearestNeighbours, Some(1_000)),
                    (Method::SupportVector, Some(500)),
                ],
                baseline_test_cap: 20_000,
            }
        } else {
            BenchOptions {
                command: "cargo xtask bench".to_string(),
                out: PathBuf::from("target/bench-report"),
                sizes: vec![1_000, 5_000, 10_000],
                quick,
                seed: 42,
                sklearn: SklearnChoice::Auto,
                max_epochs: 500,
                no_early_stopping_max_n: 100_000,
                sklearn_max_n: 100_000,
                throughput_samples: 10_000,
                throughput_epochs: 60,
                caps: vec![
                    (Method::LeastSquares, None),
                    (Method::RandomForest, Some(20_000)),
                    (Method::GradientBoosting, Some(20_000)),
                    (Method::NearestNeighbours, Some(100_000)),
                    (Method::SupportVector, Some(3_000)),
                ],
                baseline_test_cap: 20_000,
            }
        }
    }
}

pub(crate) const N_INPUTS: usize = 5;
pub(crate) const NOISE: f64 = 0.1;
pub(crate) const PATIENCE: usize = 10;

fn progress(message: &str) {
    eprintln!("[bench] {message}");
}

/// Runs one fit in a fresh worker process.
pub(crate) fn fit_job(
    task: Task,
    settings: FitSettings,
    model_out: Option<PathBuf>,
) -> Result<FitRun, String> {
    match run_in_child(&Job::Fit {
        task,
        settings,
        model_out,
    })? {
        Outcome::Fit(run) => Ok(run),
        other => Err(format!("expected a fit outcome, got {other:?}")),
    }
}

/// Runs every measurement and writes the report into `options.out`.
pub fn bench(options: &BenchOptions, repo: &Path) -> Result<BenchReport, String> {
    let started = Instant::now();
    let machine = MachineInfo::collect(repo);
    let workdir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let mut sizes = options.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.iter().any(|&n| n < 50) {
        return Err(
            "every size must be at least 50 rows (the split needs rows in each part)".into(),
        );
    }

    let task = |n: usize| Task {
        n_samples: n,
        n_inputs: N_INPUTS,
        noise: NOISE,
        seed: options.seed,
    };
    let default_settings = FitSettings {
        early_stopping: true,
        max_epochs: options.max_epochs,
        patience: PATIENCE,
        threads: None,
        head_test_rows: options.baseline_test_cap,
    };

    let mut size_runs = Vec::new();
    for &n in &sizes {
        progress(&format!("fivedreg, n = {n}: fit (early stopping on)"));
        let model_path = workdir.path().join(format!("model_{n}.fdr"));
        let fit = fit_job(task(n), default_settings.clone(), Some(model_path.clone()))?;
        progress(&format!(
            "  {:.3} s, {} epochs, test R² {:.4}",
            fit.fit_seconds, fit.epochs, fit.test.r2
        ));
        progress(&format!("fivedreg, n = {n}: predict the test split"));
        let predict = match run_in_child(&Job::Predict {
            task: task(n),
            model: model_path,
        })? {
            Outcome::Predict(run) => run,
            other => return Err(format!("expected a predict outcome, got {other:?}")),
        };
        let fit_without_early_stopping = if n <= options.no_early_stopping_max_n {
            progress(&format!("fivedreg, n = {n}: fit (early stopping off)"));
            let settings = FitSettings {
                early_stopping: false,
                ..default_settings.clone()
            };
            Some(fit_job(task(n), settings, None)?)
        } else {
            None
        };
        size_runs.push(SizeRuns {
            n_samples: n,
            fit,
            fit_without_early_stopping,
            predict,
        });
    }

    let mut baselines: Vec<BaselineRun> = Vec::new();
    let mut baseline_failures: Vec<String> = Vec::new();
    for &n in &sizes {
        for &(method, cap) in &options.caps {
            progress(&format!("{}, n = {n}", method.name()));
            let job = Job::Baseline {
                task: task(n),
                method,
                cap,
                test_cap: Some(options.baseline_test_cap),
                quick: options.quick,
            };
            // A failing library must not cost the rest of the run: it is reported instead.
            match run_in_child(&job) {
                Ok(Outcome::Baseline(run)) => {
                    progress(&format!(
                        "  {} rows, {:.3} s, test R² {:.4}",
                        run.train_rows_used, run.fit_seconds, run.test.r2
                    ));
                    baselines.push(run);
                }
                Ok(other) => return Err(format!("expected a baseline outcome, got {other:?}")),
                Err(why) => {
                    let failure = format!("{} at n = {n}: {why}", method.name());
                    progress(&format!("  failed: {failure}"));
                    baseline_failures.push(failure);
                }
            }
        }
    }

    let mut throughput = Vec::new();
    let throughput_task = task(options.throughput_samples);
    let thread_counts: Vec<Option<usize>> = if crate::threads::SUPPORTED {
        vec![Some(1), Some(2)]
    } else {
        vec![None]
    };
    for threads in thread_counts {
        progress(&format!(
            "fivedreg throughput: {} epochs on {} samples, threads {:?}",
            options.throughput_epochs, options.throughput_samples, threads
        ));
        let settings = FitSettings {
            early_stopping: false,
            max_epochs: options.throughput_epochs,
            // Above the epoch count: the training-loss rule can never stop it early.
            patience: options.throughput_epochs + 1,
            threads,
            head_test_rows: options.baseline_test_cap,
        };
        let run = fit_job(throughput_task, settings, None)?;
        throughput.push(ThroughputRun {
            engine: "fivedreg".to_string(),
            threads,
            n_samples: options.throughput_samples,
            train_rows: run.train_rows,
            epochs: run.epochs,
            seconds: run.fit_seconds,
        });
    }

    let sklearn = run_sklearn(options, &sizes, workdir.path(), &mut throughput)?;

    let config = BenchConfig {
        command: options.command.clone(),
        sizes: sizes.clone(),
        seed: options.seed,
        quick: options.quick,
        max_epochs: options.max_epochs,
        patience: PATIENCE,
        no_early_stopping_max_n: options.no_early_stopping_max_n,
        sklearn_max_n: options.sklearn_max_n,
        baseline_test_cap: options.baseline_test_cap,
        noise: NOISE,
        n_inputs: N_INPUTS,
        throughput_samples: options.throughput_samples,
        throughput_epochs: options.throughput_epochs,
    };
    let load_average_at_end = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
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
        load_average_at_end,
    };
    crate::output::write_all(&report, &options.out)?;
    Ok(report)
}

fn run_sklearn(
    options: &BenchOptions,
    sizes: &[usize],
    workdir: &Path,
    throughput: &mut Vec<ThroughputRun>,
) -> Result<SklearnSection, String> {
    let python = sklearn::interpreter();
    let mut section = SklearnSection {
        status: String::new(),
        python: None,
        sklearn_version: None,
        numpy_version: None,
        blas: None,
        runs: Vec::new(),
    };
    let wanted = match options.sklearn {
        SklearnChoice::Off => false,
        SklearnChoice::On => true,
        SklearnChoice::Auto => !options.quick,
    };
    if !wanted {
        section.status = if options.quick {
            "scikit-learn was not run (`--quick` skips it; add `--sklearn` to include it).".into()
        } else {
            "scikit-learn was not run (`--no-sklearn`).".into()
        };
        return Ok(section);
    }
    let sk = match Sklearn::probe(&python, workdir) {
        Ok(sk) => sk,
        Err(why) => {
            section.status = format!(
                "scikit-learn could not be imported with `{python}` ({why}); set FIVEDREG_PYTHON \
                 to an interpreter that has it to include the comparison."
            );
            progress(&section.status);
            return Ok(section);
        }
    };
    section.python = Some(format!("{} (Python {})", sk.python(), sk.python_version));
    section.sklearn_version = Some(sk.sklearn_version.clone());
    section.numpy_version = Some(sk.numpy_version.clone());
    section.blas = sk.blas.clone();
    match sklearn_runs(options, sizes, workdir, &sk, &mut section, throughput) {
        Ok(()) => {
            section.status = format!(
                "scikit-learn {} ran with {} (numpy {}, BLAS: {}), OPENBLAS_CORETYPE=SKYLAKEX.",
                sk.sklearn_version,
                section.python.as_deref().unwrap_or("?"),
                sk.numpy_version,
                sk.blas.as_deref().unwrap_or("unknown")
            );
        }
        Err(why) => {
            // Keep what did run; say what did not.
            section.status = format!(
                "scikit-learn {} with {} failed part-way ({why}); the runs before the failure \
                 are shown.",
                sk.sklearn_version,
                section.python.as_deref().unwrap_or("?"),
            );
            progress(&section.status);
        }
    }
    Ok(section)
}

fn sklearn_runs(
    options: &BenchOptions,
    sizes: &[usize],
    workdir: &Path,
    sk: &Sklearn,
    section: &mut SklearnSection,
    throughput: &mut Vec<ThroughputRun>,
) -> Result<(), String> {
    for &n in sizes.iter().filter(|&&n| n <= options.sklearn_max_n) {
        progress(&format!("scikit-learn MLPRegressor, n = {n}"));
        let task = Task {
            n_samples: n,
            n_inputs: N_INPUTS,
            noise: NOISE,
            seed: options.seed,
        };
        let data = task.dataset()?;
        let split = task.split(&data)?;
        let run = sk.seed_run(
            n,
            &split.train,
            &split.test,
            options.seed,
            options.max_epochs,
            workdir,
        )?;
        progress(&format!(
            "  {:.3} s, {} epochs, test R² {:.4}",
            run.fit_seconds, run.iterations, run.test.r2
        ));
        section.runs.push(run);
    }
    progress("scikit-learn throughput");
    let task = Task {
        n_samples: options.throughput_samples,
        n_inputs: N_INPUTS,
        noise: NOISE,
        seed: options.seed,
    };
    let data = task.dataset()?;
    let split = task.split(&data)?;
    let (train_rows, epochs, seconds) = sk.fixed_epochs(
        &split.train,
        options.throughput_epochs,
        options.seed,
        workdir,
    )?;
    throughput.push(ThroughputRun {
        engine: "scikit-learn MLPRegressor".to_string(),
        threads: None,
        n_samples: options.throughput_samples,
        train_rows,
        epochs,
        seconds,
    });
    Ok(())
}
