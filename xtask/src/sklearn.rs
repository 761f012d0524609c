//! scikit-learn's MLPRegressor on the same splits, through `python/sklearn_runner.py`.
//!
//! The interpreter is `$FIVEDREG_PYTHON` when set, else `python3` from `PATH`. Each run is a
//! fresh Python process with `OPENBLAS_CORETYPE=SKYLAKEX` in its environment on a CPU with
//! AVX-512 (numpy 1.26's bundled OpenBLAS otherwise picks slow kernels there), so the peer
//! runs at its best; elsewhere OpenBLAS detects the CPU itself.
//! The network's settings are fivedreg's defaults (`MlpParams::default()`), passed to the
//! runner, so the two sides cannot drift apart.

use crate::model::{Metrics, SklearnInfo, SklearnRun};
use crate::task::Task;
use anyhow::{Context, Result};
use fivedreg_data::Dataset;
use fivedreg_nn::MlpParams;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const RUNNER: &str = include_str!("../python/sklearn_runner.py");

/// A usable Python with scikit-learn, and what it reported about itself.
#[derive(Debug, Clone)]
pub struct Sklearn {
    python: String,
    runner: PathBuf,
    /// Python version.
    pub python_version: String,
    /// scikit-learn version.
    pub sklearn_version: String,
    /// numpy version.
    pub numpy_version: String,
    /// BLAS in use, per threadpoolctl.
    pub blas: Option<String>,
}

#[derive(Deserialize)]
struct Probe {
    python: String,
    sklearn: String,
    numpy: String,
    blas: Option<String>,
}

#[derive(Deserialize)]
struct SeedOut {
    train_rows: usize,
    fit_seconds: f64,
    iterations: usize,
    r2: f64,
    mse: f64,
    rmse: f64,
    mae: f64,
    predict_seconds: f64,
    model_bytes: u64,
    tracemalloc_peak_bytes: Option<u64>,
    tracemalloc_predict_peak_bytes: Option<u64>,
    rss_peak_kib: u64,
}

/// What a fixed-epoch run reports.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct FixedOut {
    /// Rows given to `fit`.
    pub train_rows: usize,
    /// `n_iter_`.
    pub epochs: usize,
    /// `fit` seconds.
    pub fit_seconds: f64,
}

/// The interpreter to use: `$FIVEDREG_PYTHON`, else `python3`.
pub fn interpreter() -> String {
    std::env::var("FIVEDREG_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

/// The `OPENBLAS_CORETYPE` scikit-learn's processes get: the caller's, else `SKYLAKEX` on a
/// CPU with AVX-512 (where numpy's bundled OpenBLAS otherwise picks slow kernels), else none
/// (OpenBLAS's own detection: forcing SKYLAKEX kernels on a CPU without AVX-512, an AMD EPYC
/// for one, kills Python with an illegal instruction).
pub fn openblas_coretype() -> Option<String> {
    match std::env::var("OPENBLAS_CORETYPE") {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ if has_avx512() => Some("SKYLAKEX".into()),
        _ => None,
    }
}

fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Sets `OPENBLAS_CORETYPE` on `command` when [`openblas_coretype`] gives one.
pub fn with_openblas_coretype(command: &mut Command) -> &mut Command {
    if let Some(core) = openblas_coretype() {
        command.env("OPENBLAS_CORETYPE", core);
    }
    command
}

/// MLPRegressor's arguments for fivedreg's default network (scikit-learn's names).
fn network_arguments() -> Value {
    let p = MlpParams::default();
    json!({
        "hidden_layer_sizes": p.hidden_layers,
        "activation": p.activation.name(),
        "solver": p.solver.name(),
        "learning_rate_init": p.learning_rate,
        "alpha": p.alpha,
        "batch_size": p.batch_size.map_or_else(|| json!("auto"), |b| json!(b)),
        "beta_1": p.beta1,
        "beta_2": p.beta2,
        "epsilon": p.epsilon,
        "shuffle": p.shuffle,
        "tol": p.tol,
        "n_iter_no_change": p.patience,
        "early_stopping": true,
    })
}

/// A task's training and test split written as `.npy` files for the runner (removed when
/// dropped).
pub struct SplitFiles {
    task: Task,
    train: PathBuf,
    test: PathBuf,
}

impl SplitFiles {
    /// Writes the split `Interpolator::fit` makes of `task` into `workdir`.
    pub fn write(task: Task, workdir: &Path) -> Result<SplitFiles> {
        let data = task.dataset()?;
        let split = task.split(&data)?;
        let stem = format!("{}_{}", task.n_samples, task.seed);
        let files = SplitFiles {
            task,
            train: workdir.join(format!("train_{stem}.npy")),
            test: workdir.join(format!("test_{stem}.npy")),
        };
        write_npy(&files.train, &split.train)?;
        write_npy(&files.test, &split.test)?;
        Ok(files)
    }
}

impl Drop for SplitFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.train);
        let _ = std::fs::remove_file(&self.test);
    }
}

impl Sklearn {
    /// Writes the runner into `workdir` and checks that `python` imports scikit-learn.
    pub fn probe(python: &str, workdir: &Path) -> Result<Sklearn> {
        let runner = workdir.join("sklearn_runner.py");
        std::fs::write(&runner, RUNNER).with_context(|| format!("writing {}", runner.display()))?;
        let mut sk = Sklearn {
            python: python.to_string(),
            runner,
            python_version: String::new(),
            sklearn_version: String::new(),
            numpy_version: String::new(),
            blas: None,
        };
        let probe: Probe = sk.run("probe", &json!({}))?;
        sk.python_version = probe.python;
        sk.sklearn_version = probe.sklearn;
        sk.numpy_version = probe.numpy;
        sk.blas = probe.blas;
        Ok(sk)
    }

    /// What the report says about this interpreter.
    pub fn info(&self, status: String) -> SklearnInfo {
        SklearnInfo {
            status,
            python: Some(format!("{} (Python {})", self.python, self.python_version)),
            sklearn_version: Some(self.sklearn_version.clone()),
            numpy_version: Some(self.numpy_version.clone()),
            blas: self.blas.clone(),
        }
    }

    /// One line naming the versions, for the reports.
    pub fn describe(&self) -> String {
        format!(
            "scikit-learn {} (Python {} at `{}`, numpy {}, BLAS {}), OPENBLAS_CORETYPE={}",
            self.sklearn_version,
            self.python_version,
            self.python,
            self.numpy_version,
            self.blas.as_deref().unwrap_or("unknown"),
            openblas_coretype().unwrap_or_else(|| "unset (OpenBLAS detects the CPU)".into())
        )
    }

    fn run<T: for<'de> Deserialize<'de>>(&self, command: &str, config: &Value) -> Result<T> {
        crate::child::run_json(
            with_openblas_coretype(
                Command::new(&self.python)
                    .arg(&self.runner)
                    .arg(command)
                    .arg(config.to_string()),
            ),
            None,
        )
    }

    /// The seed configuration on the split's training rows, scored on its test rows; `trace`
    /// adds a second, traced fit for the `tracemalloc` peaks.
    pub fn seed_run(&self, files: &SplitFiles, max_iter: usize, trace: bool) -> Result<SklearnRun> {
        let mut network = network_arguments();
        network["max_iter"] = json!(max_iter);
        network["random_state"] = json!(files.task.seed);
        let out: SeedOut = self.run(
            "seed",
            &json!({
                "train": files.train,
                "test": files.test,
                "trace": trace,
                "network": network,
            }),
        )?;
        Ok(SklearnRun {
            n_samples: files.task.n_samples,
            seed: files.task.seed,
            train_rows: out.train_rows,
            fit_seconds: out.fit_seconds,
            iterations: out.iterations,
            test: Metrics {
                r2: out.r2,
                mse: out.mse,
                rmse: out.rmse,
                mae: out.mae,
            },
            predict_seconds: out.predict_seconds,
            model_bytes: out.model_bytes,
            tracemalloc_peak_bytes: out.tracemalloc_peak_bytes,
            tracemalloc_predict_peak_bytes: out.tracemalloc_predict_peak_bytes,
            rss_peak_kib: out.rss_peak_kib,
        })
    }

    /// Exactly `epochs` epochs on the split's training rows, early stopping off.
    pub fn fixed_epochs(&self, files: &SplitFiles, epochs: usize) -> Result<FixedOut> {
        let mut network = network_arguments();
        network["max_iter"] = json!(epochs);
        network["random_state"] = json!(files.task.seed);
        network["early_stopping"] = json!(false);
        // Above the epoch count: the loss rule can never stop it early.
        network["n_iter_no_change"] = json!(epochs + 1);
        self.run("fixed", &json!({"train": files.train, "network": network}))
    }
}

/// Writes the features and target of `data` as a little-endian float64 `.npy` array of shape
/// `(rows, features + 1)`, the target last.
pub fn write_npy(path: &Path, data: &Dataset) -> Result<()> {
    let rows = data.n_rows();
    let cols = data.n_features() + 1;
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple
    // of 64 bytes and ended by a newline (format version 1.0).
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let header_len = u16::try_from(header.len()).context("npy header too long")?;
    let mut bytes = Vec::with_capacity(10 + header.len() + rows * cols * 8);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for r in 0..rows {
        for v in data.row(r) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&data.targets()[r].to_le_bytes());
    }
    std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))
}
