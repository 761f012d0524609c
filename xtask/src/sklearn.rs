//! scikit-learn's MLPRegressor on the same splits, through `python/sklearn_runner.py`.
//!
//! The interpreter is `$FIVEDREG_PYTHON` when set, else `python3` from `PATH`. Each run is a
//! fresh Python process with `OPENBLAS_CORETYPE=SKYLAKEX` in its environment (numpy 1.26's
//! bundled OpenBLAS otherwise picks slow kernels on this CPU), so the peer runs at its best.

use crate::model::{Metrics, SklearnRun};
use fivedreg_data::Dataset;
use serde::Deserialize;
use std::io::Write;
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

#[derive(Deserialize)]
struct FixedOut {
    train_rows: usize,
    epochs: usize,
    fit_seconds: f64,
}

/// The interpreter to use: `$FIVEDREG_PYTHON`, else `python3`.
pub fn interpreter() -> String {
    std::env::var("FIVEDREG_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

impl Sklearn {
    /// Writes the runner into `workdir` and checks that `python` imports scikit-learn.
    /// The error is one line saying why not.
    pub fn probe(python: &str, workdir: &Path) -> Result<Sklearn, String> {
        let runner = workdir.join("sklearn_runner.py");
        std::fs::write(&runner, RUNNER)
            .map_err(|e| format!("writing {}: {e}", runner.display()))?;
        let mut sk = Sklearn {
            python: python.to_string(),
            runner,
            python_version: String::new(),
            sklearn_version: String::new(),
            numpy_version: String::new(),
            blas: None,
        };
        let probe: Probe = sk.run(&["probe"])?;
        sk.python_version = probe.python;
        sk.sklearn_version = probe.sklearn;
        sk.numpy_version = probe.numpy;
        sk.blas = probe.blas;
        Ok(sk)
    }

    /// The interpreter's name as given.
    pub fn python(&self) -> &str {
        &self.python
    }

    fn run<T: for<'de> Deserialize<'de>>(&self, args: &[&str]) -> Result<T, String> {
        let output = Command::new(&self.python)
            .arg(&self.runner)
            .args(args)
            .env("OPENBLAS_CORETYPE", "SKYLAKEX")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.python))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(format!("{} failed: {}", self.python, last.trim()));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().last().unwrap_or("");
        serde_json::from_str(line).map_err(|e| format!("sklearn runner output: {e}: {line}"))
    }

    /// The seed configuration on `train`, scored on `test`.
    pub fn seed_run(
        &self,
        n_samples: usize,
        train: &Dataset,
        test: &Dataset,
        seed: u64,
        max_iter: usize,
        workdir: &Path,
    ) -> Result<SklearnRun, String> {
        let train_path = workdir.join(format!("train_{n_samples}.npy"));
        let test_path = workdir.join(format!("test_{n_samples}.npy"));
        write_npy(&train_path, train)?;
        write_npy(&test_path, test)?;
        let out: SeedOut = self.run(&[
            "seed",
            &train_path.display().to_string(),
            &test_path.display().to_string(),
            &seed.to_string(),
            &max_iter.to_string(),
        ])?;
        let _ = std::fs::remove_file(&train_path);
        let _ = std::fs::remove_file(&test_path);
        Ok(SklearnRun {
            n_samples,
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

    /// Exactly `epochs` epochs on `train`, early stopping off: `(train rows, epochs, seconds)`.
    pub fn fixed_epochs(
        &self,
        train: &Dataset,
        epochs: usize,
        seed: u64,
        workdir: &Path,
    ) -> Result<(usize, usize, f64), String> {
        let train_path = workdir.join("throughput_train.npy");
        write_npy(&train_path, train)?;
        let out: FixedOut = self.run(&[
            "fixed",
            &train_path.display().to_string(),
            &epochs.to_string(),
            &seed.to_string(),
        ])?;
        let _ = std::fs::remove_file(&train_path);
        Ok((out.train_rows, out.epochs, out.fit_seconds))
    }
}

/// Writes the features and target of `data` as a little-endian float64 `.npy` array of shape
/// `(rows, features + 1)`, the target last.
pub fn write_npy(path: &Path, data: &Dataset) -> Result<(), String> {
    let rows = data.n_rows();
    let cols = data.n_features() + 1;
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple
    // of 64 bytes and ended by a newline (format version 1.0).
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let header_len = u16::try_from(header.len()).map_err(|_| "npy header too long")?;
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
    let mut file =
        std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    file.write_all(&bytes)
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
