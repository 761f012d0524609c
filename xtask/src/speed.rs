//! `cargo xtask speed`: issue #6's speed figures from one run, side by side with scikit-learn,
//! printed as a table and written to `<out>/SPEED.md`.
//!
//! Training runs each happen in a fresh worker process (the `bench` mechanism); the matrix
//! product and the library prediction throughput are measured in this process; the CLI runs
//! are child processes of the release `fivedreg` binary.

use crate::model::SklearnRun;
use crate::run::{fit_job, NOISE, N_INPUTS, PATIENCE};
use crate::sklearn::{self, Sklearn};
use crate::worker::{FitSettings, Task};
use fivedreg::Interpolator;
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What `speed` measures and where it writes.
#[derive(Debug, Clone)]
pub struct SpeedOptions {
    /// Output folder (SPEED.md goes there).
    pub out: PathBuf,
    /// Seed of the data, the split and the network.
    pub seed: u64,
    /// Side of the square matrix product.
    pub matrix_n: usize,
    /// Rows of the fixed-epoch throughput task.
    pub throughput_samples: usize,
    /// Epochs of the fixed-epoch throughput runs.
    pub throughput_epochs: usize,
    /// Rows of the full default training.
    pub full_samples: usize,
    /// Epoch limit of the full default training.
    pub full_max_epochs: usize,
    /// Rows of the prediction throughput and CLI runs.
    pub predict_rows: usize,
    /// Whether to run scikit-learn (when it can be imported).
    pub sklearn: bool,
    /// The `fivedreg` binary, when given.
    pub fivedreg: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
}

impl SpeedOptions {
    /// Issue #6's sizes, or small ones with `quick`.
    pub fn defaults(quick: bool) -> SpeedOptions {
        if quick {
            SpeedOptions {
                out: PathBuf::from("target/bench-report"),
                seed: 42,
                matrix_n: 256,
                throughput_samples: 2_000,
                throughput_epochs: 5,
                full_samples: 2_000,
                full_max_epochs: 30,
                predict_rows: 20_000,
                sklearn: true,
                fivedreg: None,
                command: String::new(),
            }
        } else {
            SpeedOptions {
                out: PathBuf::from("target/bench-report"),
                seed: 42,
                matrix_n: 1024,
                throughput_samples: 10_000,
                throughput_epochs: 60,
                full_samples: 10_000,
                full_max_epochs: 500,
                predict_rows: 1_000_000,
                sklearn: true,
                fivedreg: None,
                command: String::new(),
            }
        }
    }

    fn task(&self, n_samples: usize) -> Task {
        Task {
            n_samples,
            n_inputs: N_INPUTS,
            noise: NOISE,
            seed: self.seed,
        }
    }
}

fn progress(message: &str) {
    eprintln!("[speed] {message}");
}

/// One table row: figure, fivedreg, scikit-learn, comparison.
type Row = [String; 4];

/// Multiply-adds of one sample through the default network's layers, counted as flops:
/// forward `2 * sum(fan_in * fan_out)`, backward about twice the forward (gradients of the
/// weights and of the activations), so `3 * forward` per sample-epoch.
pub fn flops_per_sample_epoch(sizes: &[usize]) -> f64 {
    let forward: usize = sizes.windows(2).map(|w| 2 * w[0] * w[1]).sum();
    3.0 * forward as f64
}

/// Best GFLOP/s of a few `n x n x n` f32 products by nalgebra on one core.
fn matrix_gflops(n: usize) -> f64 {
    let a = DMatrix::<f32>::from_fn(n, n, |i, j| ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.5);
    let b = DMatrix::<f32>::from_fn(n, n, |i, j| ((i * 11 + j * 5) % 19) as f32 / 19.0 - 0.5);
    let mut c = DMatrix::<f32>::zeros(n, n);
    let mut best = f64::INFINITY;
    // The first product warms caches and page tables; the best of the rest counts.
    for _ in 0..4 {
        let start = Instant::now();
        a.mul_to(std::hint::black_box(&b), &mut c);
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::hint::black_box(&c);
    2.0 * (n * n * n) as f64 / best / 1e9
}

/// Best rows/s of `Mlp::predict_threads` on `rows` random rows, best of 3.
fn predict_rows_per_second(
    model: &Interpolator,
    rows: usize,
    threads: usize,
) -> Result<f64, String> {
    let mlp = model
        .mlp()
        .ok_or("the benchmark model has no network (a kernel model)")?;
    let inputs = mlp.n_inputs();
    let x: Vec<f32> = (0..rows * inputs)
        .map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0)
        .collect();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let y = mlp
            .predict_threads(&x, threads)
            .map_err(|e| format!("predict: {e}"))?;
        best = best.min(start.elapsed().as_secs_f64());
        std::hint::black_box(&y);
    }
    Ok(rows as f64 / best)
}

/// Wall seconds and peak RSS (KiB) of a child process, and how the peak was read.
struct ChildRun {
    seconds: f64,
    peak_rss_kib: u64,
    rss_method: &'static str,
}

const GNU_TIME: &str = "/usr/bin/time";

/// Runs `program args`, timing it; the peak RSS comes from GNU time's `%M` (the kernel's
/// rusage of the child) when /usr/bin/time exists, else from polling /proc/<pid>/status
/// VmHWM every 5 ms (may miss a final spike).
fn run_measured(program: &Path, args: &[String], workdir: &Path) -> Result<ChildRun, String> {
    let describe = || format!("{} {}", program.display(), args.join(" "));
    if Path::new(GNU_TIME).exists() {
        let report = workdir.join("time.txt");
        let start = Instant::now();
        let output = Command::new(GNU_TIME)
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("running {}: {e}", describe()))?;
        let seconds = start.elapsed().as_secs_f64();
        if !output.status.success() {
            return Err(format!(
                "{} failed: {}",
                describe(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let text = std::fs::read_to_string(&report)
            .map_err(|e| format!("reading {}: {e}", report.display()))?;
        let peak_rss_kib = text
            .lines()
            .rev()
            .find_map(|l| l.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("no peak RSS in {}: {text}", report.display()))?;
        return Ok(ChildRun {
            seconds,
            peak_rss_kib,
            rss_method: "GNU time %M (rusage maxrss)",
        });
    }
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("running {}: {e}", describe()))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            let hwm = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for {}: {e}", describe())),
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("{} failed ({status})", describe()));
    }
    Ok(ChildRun {
        seconds,
        peak_rss_kib: peak,
        rss_method: "VmHWM polled every 5 ms",
    })
}

/// The `fivedreg` binary: the one given, else the one beside this executable, else built
/// with cargo into this executable's target folder (release when xtask is a release build).
pub(crate) fn fivedreg_binary(given: Option<&Path>, repo: &Path) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let exe = std::env::current_exe().map_err(|e| format!("finding xtask's executable: {e}"))?;
    let dir = exe.parent().ok_or("xtask's executable has no folder")?;
    let binary = dir.join("fivedreg");
    if binary.exists() {
        return Ok(binary);
    }
    let target = dir.parent().ok_or("xtask's folder has no parent")?;
    let release = env!("XTASK_BUILD_PROFILE") == "release";
    progress(&format!(
        "building fivedreg-cli ({}) into {}",
        if release { "release" } else { "dev" },
        target.display()
    ));
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "-p", "fivedreg-cli"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(repo);
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .status()
        .map_err(|e| format!("running cargo build: {e}"))?;
    if !status.success() || !binary.exists() {
        return Err(format!(
            "cargo build -p fivedreg-cli did not produce {}",
            binary.display()
        ));
    }
    Ok(binary)
}

fn fmt_rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

fn ratio(ours: f64, theirs: Option<f64>, what: &str) -> String {
    match theirs {
        Some(t) if t > 0.0 => format!("{:.1}x {what}", ours / t),
        _ => "no scikit-learn figure".to_string(),
    }
}

/// Runs every measurement; returns the Markdown written to `<out>/SPEED.md`.
pub fn speed(options: &SpeedOptions, repo: &Path) -> Result<String, String> {
    std::fs::create_dir_all(&options.out)
        .map_err(|e| format!("creating {}: {e}", options.out.display()))?;
    let workdir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let sk = if options.sklearn {
        match Sklearn::probe(&sklearn::interpreter(), workdir.path()) {
            Ok(sk) => Some(sk),
            Err(why) => {
                progress(&format!("scikit-learn not available: {why}"));
                None
            }
        }
    } else {
        None
    };
    let mut rows: Vec<Row> = Vec::new();
    let na = || "n/a".to_string();

    // 1. The matrix-product ceiling.
    let n = options.matrix_n;
    progress(&format!("{n}x{n}x{n} f32 matrix product"));
    let gflops = matrix_gflops(n);
    let sizes: Vec<usize> = std::iter::once(N_INPUTS)
        .chain(fivedreg_nn::MlpParams::default().hidden_layers)
        .chain([1])
        .collect();
    let flops = flops_per_sample_epoch(&sizes);
    let ceiling = gflops * 1e9 / flops;
    rows.push([
        format!("{n}³ f32 matrix product (nalgebra, 1 core, best of 4)"),
        format!("{gflops:.1} GFLOP/s"),
        na(),
        "one core's ceiling".into(),
    ]);
    rows.push([
        format!(
            "One-core ceiling, sample-epochs/s (network {sizes:?}: {flops:.0} flops per \
             sample-epoch = 3 x 2 x Σ fan_in·fan_out)"
        ),
        fmt_rate(ceiling),
        na(),
        "GFLOP/s x 1e9 / flops per sample-epoch".into(),
    ]);

    // 2. Fixed-epoch training throughput.
    let throughput_task = options.task(options.throughput_samples);
    let sk_throughput = match &sk {
        Some(sk) => {
            progress("scikit-learn fixed-epoch throughput");
            let data = throughput_task.dataset()?;
            let split = throughput_task.split(&data)?;
            let (train_rows, epochs, seconds) = sk.fixed_epochs(
                &split.train,
                options.throughput_epochs,
                options.seed,
                workdir.path(),
            )?;
            Some((train_rows * epochs) as f64 / seconds)
        }
        None => None,
    };
    for threads in [1, 2] {
        progress(&format!(
            "fivedreg throughput: {} epochs, {} samples, threads {threads}",
            options.throughput_epochs, options.throughput_samples
        ));
        let settings = FitSettings {
            early_stopping: false,
            max_epochs: options.throughput_epochs,
            // Above the epoch count: the training-loss rule can never stop it early.
            patience: options.throughput_epochs + 1,
            threads: Some(threads),
            head_test_rows: usize::MAX,
        };
        let run = fit_job(throughput_task, settings, None)?;
        let rate = (run.train_rows * run.epochs) as f64 / run.fit_seconds;
        rows.push([
            format!(
                "Training, sample-epochs/s ({} samples, {} training rows, {} epochs, early \
                 stopping off), threads {threads}",
                options.throughput_samples, run.train_rows, run.epochs
            ),
            fmt_rate(rate),
            sk_throughput.map_or_else(na, fmt_rate),
            format!(
                "{}; {:.0}% of the one-core ceiling",
                ratio(rate, sk_throughput, "scikit-learn"),
                100.0 * rate / ceiling
            ),
        ]);
    }

    // 3. Full default training, early stopping on; its model feeds the prediction runs.
    let full_task = options.task(options.full_samples);
    let model_path = workdir.path().join("model.fdr");
    progress(&format!(
        "fivedreg default fit, {} samples",
        options.full_samples
    ));
    let settings = FitSettings {
        early_stopping: true,
        max_epochs: options.full_max_epochs,
        patience: PATIENCE,
        threads: None,
        head_test_rows: usize::MAX,
    };
    let fit = fit_job(full_task, settings, Some(model_path.clone()))?;
    let sk_fit: Option<SklearnRun> = match &sk {
        Some(sk) => {
            progress(&format!(
                "scikit-learn default fit, {} samples",
                options.full_samples
            ));
            let data = full_task.dataset()?;
            let split = full_task.split(&data)?;
            Some(sk.seed_run(
                options.full_samples,
                &split.train,
                &split.test,
                options.seed,
                options.full_max_epochs,
                workdir.path(),
            )?)
        }
        None => None,
    };
    rows.push([
        format!(
            "Default training, {} samples (early stopping on): fit seconds [epochs]",
            options.full_samples
        ),
        format!("{:.3} s [{}]", fit.fit_seconds, fit.epochs),
        sk_fit
            .as_ref()
            .map_or_else(na, |s| format!("{:.3} s [{}]", s.fit_seconds, s.iterations)),
        match &sk_fit {
            Some(s) if fit.fit_seconds > 0.0 => {
                format!("{:.1}x faster", s.fit_seconds / fit.fit_seconds)
            }
            _ => "no scikit-learn figure".into(),
        },
    ]);
    rows.push([
        "Default training: test R²".into(),
        format!("{:.4}", fit.test.r2),
        sk_fit
            .as_ref()
            .map_or_else(na, |s| format!("{:.4}", s.test.r2)),
        match &sk_fit {
            Some(s) => format!("{:+.4}", fit.test.r2 - s.test.r2),
            None => "no scikit-learn figure".into(),
        },
    ]);

    // 4. Library prediction throughput.
    let bytes =
        std::fs::read(&model_path).map_err(|e| format!("reading {}: {e}", model_path.display()))?;
    let model = Interpolator::from_bytes(&bytes, &model_path.display().to_string())
        .map_err(|e| format!("loading model: {e}"))?;
    let mut library_rate = 0.0f64;
    for threads in [1, 2] {
        progress(&format!(
            "library prediction, {} rows, threads {threads}",
            options.predict_rows
        ));
        let rate = predict_rows_per_second(&model, options.predict_rows, threads)?;
        library_rate = library_rate.max(rate);
        rows.push([
            format!(
                "Library prediction, rows/s ({} rows, Mlp::predict_threads, best of 3), \
                 threads {threads}",
                options.predict_rows
            ),
            fmt_rate(rate),
            na(),
            "-".into(),
        ]);
    }

    // 5. The CLI on a CSV file.
    let binary = fivedreg_binary(options.fivedreg.as_deref(), repo)?;
    let input = workdir.path().join("rows.csv");
    let output = workdir.path().join("predicted.csv");
    let rows_text = options.predict_rows.to_string();
    progress(&format!("fivedreg generate, {rows_text} rows"));
    let generate = run_measured(
        &binary,
        &[
            "generate".into(),
            "--samples".into(),
            rows_text.clone(),
            "--seed".into(),
            options.seed.to_string(),
            "-o".into(),
            input.display().to_string(),
        ],
        workdir.path(),
    )?;
    progress(&format!("fivedreg predict, {rows_text} rows"));
    let predict = run_measured(
        &binary,
        &[
            "predict".into(),
            model_path.display().to_string(),
            input.display().to_string(),
            "-o".into(),
            output.display().to_string(),
        ],
        workdir.path(),
    )?;
    let network_seconds = options.predict_rows as f64 / library_rate;
    rows.push([
        format!("`fivedreg predict` on a {rows_text}-row CSV: wall seconds, peak RSS"),
        format!(
            "{:.3} s, {:.1} MiB",
            predict.seconds,
            predict.peak_rss_kib as f64 / 1024.0
        ),
        na(),
        format!(
            "network part {:.3} s ({:.0}% of the wall time; the rest is CSV read/write)",
            network_seconds,
            100.0 * network_seconds / predict.seconds
        ),
    ]);
    rows.push([
        format!("`fivedreg generate` of the same {rows_text} rows (generate + write CSV)"),
        format!(
            "{:.3} s, {:.1} MiB",
            generate.seconds,
            generate.peak_rss_kib as f64 / 1024.0
        ),
        na(),
        format!(
            "predict / generate = {:.2}",
            predict.seconds / generate.seconds
        ),
    ]);

    let markdown = markdown_table(options, repo, &rows, sk.as_ref(), predict.rss_method);
    println!("{}", text_table(&rows));
    let path = options.out.join("SPEED.md");
    std::fs::write(&path, &markdown).map_err(|e| format!("writing {}: {e}", path.display()))?;
    progress(&format!("written {}", path.display()));
    Ok(markdown)
}

fn text_table(rows: &[Row]) -> String {
    let header: Row = [
        "Figure".into(),
        "fivedreg".into(),
        "scikit-learn".into(),
        "Comparison".into(),
    ];
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let widths: Vec<usize> = (0..4)
        .map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    all.iter()
        .map(|r| {
            (0..4)
                .map(|c| {
                    let pad = widths[c] - r[c].chars().count();
                    format!("{}{}", r[c], " ".repeat(pad))
                })
                .collect::<Vec<_>>()
                .join(" | ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn markdown_table(
    options: &SpeedOptions,
    repo: &Path,
    rows: &[Row],
    sk: Option<&Sklearn>,
    rss_method: &str,
) -> String {
    let machine = crate::machine::MachineInfo::collect(repo);
    let mut md = String::new();
    md.push_str("# fivedreg speed figures (issue #6)\n\n");
    md.push_str(&format!(
        "Command: `{}`. Machine: {}, {} logical CPUs; xtask build `{}` (opt-level {}), {}; \
         commit {}{}; {}; load average at the end {:.2} (other work on the machine makes \
         every figure noisy: compare ratios from the same run).\n\n",
        options.command,
        machine.cpu_model,
        machine.logical_cpus,
        machine.build_profile,
        machine.opt_level,
        machine.rustc_version,
        machine.git_commit,
        if machine.git_dirty { " (dirty)" } else { "" },
        machine.date_utc,
        machine.load_average_at_start,
    ));
    md.push_str(&match sk {
        Some(sk) => format!(
            "scikit-learn {} (Python {}, numpy {}, BLAS {}), OPENBLAS_CORETYPE=SKYLAKEX.\n\n",
            sk.sklearn_version,
            sk.python_version,
            sk.numpy_version,
            sk.blas.as_deref().unwrap_or("unknown")
        ),
        None => "scikit-learn was not run (not requested, or not importable via \
                 $FIVEDREG_PYTHON / python3).\n\n"
            .to_string(),
    });
    md.push_str("| Figure | fivedreg | scikit-learn | Comparison |\n|---|---|---|---|\n");
    for r in rows {
        md.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
    }
    md.push_str(&format!(
        "\nTraining throughput is training rows x epochs / fit seconds, each run in a fresh \
         worker process; the default fit uses every core. The matrix product and library \
         prediction run in the xtask process. The CLI's peak RSS is from {rss_method}. \
         \"Network part\" is the row count divided by the best library prediction rate.\n"
    ));
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_network_costs_about_17k_flops_per_sample_epoch() {
        // 5-64-32-16-1: Σ fan_in·fan_out = 320 + 2048 + 512 + 16 = 2896.
        assert_eq!(
            flops_per_sample_epoch(&[5, 64, 32, 16, 1]),
            3.0 * 2.0 * 2896.0
        );
    }
}
