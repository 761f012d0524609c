//! `cargo xtask speed`: the speed figures from one run, side by side with scikit-learn,
//! printed as a table and written to `<out>/SPEED.md`.
//!
//! Every timed figure is the median of several runs with its range; fivedreg and scikit-learn
//! alternate (A B A B …) with the load average read before each pair, and ratios are taken
//! within a pair ([`crate::pairs`]). Training runs each happen in a fresh worker process; the
//! matrix product and the library prediction are measured in this process; the CLI runs are
//! child processes of the `fivedreg` binary.

use crate::child::{self, Measured};
use crate::machine::{load_average, MachineInfo};
use crate::markdown::{fit_pairs_table, pairs_table, seeds_table, throughput_pairs_table};
use crate::model::{FitPairs, Throughput};
use crate::pairs::{self, SklearnSide};
use crate::sklearn::{self, Sklearn};
use crate::stats::{self, Spread};
use crate::table::{int, mean_std, percent, rate, sig, spread, times, Table};
use crate::task::{default_layer_sizes, threads_description, FitSettings, Task};
use anyhow::{ensure, Context, Result};
use fivedreg::Interpolator;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Rows of the `--auto` runs.
    pub auto_rows: usize,
    /// `--budget` of the `--auto` runs, in work-seconds (a count of operations, so one
    /// thread and every core train the same candidates whatever it is).
    pub auto_budget: f64,
    /// Whether to run scikit-learn (when it can be imported).
    pub sklearn: bool,
    /// The `fivedreg` binary, when given.
    pub fivedreg: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
}

impl SpeedOptions {
    /// The measured sizes, or small ones with `quick`.
    pub fn defaults(quick: bool) -> SpeedOptions {
        SpeedOptions {
            out: PathBuf::from("target/bench-report"),
            seed: 42,
            matrix_n: if quick { 256 } else { 1024 },
            throughput_samples: if quick { 2_000 } else { 10_000 },
            throughput_epochs: if quick { 5 } else { 60 },
            full_samples: if quick { 2_000 } else { 10_000 },
            full_max_epochs: if quick { 30 } else { 500 },
            predict_rows: if quick { 20_000 } else { 1_000_000 },
            auto_rows: if quick { AUTO_ROWS_QUICK } else { AUTO_ROWS },
            auto_budget: if quick { 2.0 } else { 1000.0 },
            sklearn: true,
            fivedreg: None,
            command: String::new(),
        }
    }
}

/// `Mlp::predict_threads` on the same rows, repeated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LibraryPrediction {
    /// Threads (0: the default, every core).
    pub threads: usize,
    /// Rows predicted per call.
    pub rows: usize,
    /// Seconds of each call.
    pub seconds: Vec<f64>,
}

impl LibraryPrediction {
    /// Rows per second of each call.
    pub fn rates(&self) -> Spread {
        Spread::of(
            &self
                .seconds
                .iter()
                .map(|s| self.rows as f64 / s)
                .collect::<Vec<_>>(),
        )
    }
}

/// One pair of CLI runs: `fivedreg generate`, then `fivedreg predict` on what it wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CliPair {
    /// 1-minute load average read before the pair.
    pub load_average: f64,
    /// `fivedreg generate --samples N -o rows.csv`.
    pub generate: Measured,
    /// `fivedreg predict model rows.csv -o predicted.csv`.
    pub predict: Measured,
}

/// One pair of `fivedreg train` runs on the same file (`--ensemble 8`, or `--auto`): one
/// thread, then the default thread count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThreadPair {
    /// 1-minute load average read before the pair.
    pub load_average: f64,
    /// `--threads 1`.
    pub one_thread: Measured,
    /// `--threads 0` (every core).
    pub default_threads: Measured,
}

/// Members of the ensemble [`ensemble_pairs`] trains.
pub const ENSEMBLE_MEMBERS: usize = 8;

/// Rows of the `--auto` runs (the seed task, noise 0.1): every candidate runs within a few
/// seconds.
pub const AUTO_ROWS: usize = 1_000;
/// Rows of the `--auto` runs with `--quick`.
pub const AUTO_ROWS_QUICK: usize = 200;

/// Everything `speed` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpeedReport {
    /// Machine and build.
    pub machine: MachineInfo,
    /// The command line.
    pub command: String,
    /// scikit-learn's versions, or why it did not run.
    pub sklearn: String,
    /// Side of the square matrix product.
    pub matrix_n: usize,
    /// GFLOP/s of each product.
    pub gflops: Vec<f64>,
    /// The default network's layer widths on the seed task.
    pub layer_sizes: Vec<usize>,
    /// Fixed-epoch training throughput.
    pub throughput: Throughput,
    /// The default training, both sides alternating, and R² over seeds.
    pub default_fit: FitPairs,
    /// Library prediction on one thread and on the default thread count.
    pub prediction: Vec<LibraryPrediction>,
    /// Rows of the CLI runs.
    pub cli_rows: usize,
    /// The CLI runs.
    pub cli: Vec<CliPair>,
    /// Rows of the ensemble runs (0 in reports from before they were measured).
    #[serde(default)]
    pub ensemble_rows: usize,
    /// `fivedreg train --ensemble 8`, one thread against every core.
    #[serde(default)]
    pub ensemble: Vec<ThreadPair>,
    /// Rows of the `--auto` runs (0 in reports from before they were measured).
    #[serde(default)]
    pub auto_rows: usize,
    /// `--budget` of the `--auto` runs (0 in reports from before it was recorded).
    #[serde(default)]
    pub auto_budget: f64,
    /// `fivedreg train --auto --budget 1000` (every candidate runs), one thread against every
    /// core.
    #[serde(default)]
    pub auto: Vec<ThreadPair>,
    /// How the CLI's peak RSS was read.
    pub rss_method: String,
    /// 1-minute load average at the end.
    pub load_average_at_end: f64,
}

/// Multiply-adds of one sample through the network's layers, counted as flops: forward
/// `2 * sum(fan_in * fan_out)`, backward about twice the forward (gradients of the weights
/// and of the activations), so `3 * forward` per sample-epoch.
pub fn flops_per_sample_epoch(sizes: &[usize]) -> f64 {
    let forward: usize = sizes.windows(2).map(|w| 2 * w[0] * w[1]).sum();
    3.0 * forward as f64
}

impl SpeedReport {
    /// GFLOP/s of the products.
    pub fn gflops(&self) -> Spread {
        Spread::of(&self.gflops)
    }
    /// One core's ceiling in sample-epochs/s: median GFLOP/s / flops per sample-epoch.
    pub fn ceiling(&self) -> f64 {
        self.gflops().median * 1e9 / flops_per_sample_epoch(&self.layer_sizes)
    }
    /// The library prediction on the default thread count (the last one measured).
    fn default_prediction(&self) -> Option<&LibraryPrediction> {
        self.prediction.iter().find(|p| p.threads == 0)
    }
    /// Seconds of the network part of `fivedreg predict`: rows / the median library rate on
    /// the default thread count.
    pub fn network_seconds(&self) -> f64 {
        self.default_prediction()
            .map_or(f64::NAN, |p| self.cli_rows as f64 / p.rates().median)
    }
    /// Wall seconds of one of the CLI's commands over its runs.
    pub fn cli_seconds(&self, command: fn(&CliPair) -> &Measured) -> Spread {
        Spread::of(
            &self
                .cli
                .iter()
                .map(|p| command(p).seconds)
                .collect::<Vec<_>>(),
        )
    }
    /// predict / generate seconds within each CLI pair.
    pub fn cli_ratio(&self) -> Spread {
        Spread::of(
            &self
                .cli
                .iter()
                .map(|p| p.predict.seconds / p.generate.seconds)
                .collect::<Vec<_>>(),
        )
    }
}

fn progress(message: &str) {
    eprintln!("[speed] {message}");
}

/// GFLOP/s of `n x n x n` f32 products by nalgebra on one core: one warm-up product (caches,
/// page tables), then [`stats::SHORT_RUN_REPEATS`] timed ones (a product takes milliseconds).
fn matrix_gflops(n: usize) -> Vec<f64> {
    let a = DMatrix::<f32>::from_fn(n, n, |i, j| ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.5);
    let b = DMatrix::<f32>::from_fn(n, n, |i, j| ((i * 11 + j * 5) % 19) as f32 / 19.0 - 0.5);
    let mut c = DMatrix::<f32>::zeros(n, n);
    a.mul_to(std::hint::black_box(&b), &mut c);
    let mut gflops = Vec::new();
    for _ in 0..stats::SHORT_RUN_REPEATS {
        let start = Instant::now();
        a.mul_to(std::hint::black_box(&b), &mut c);
        gflops.push(2.0 * (n * n * n) as f64 / start.elapsed().as_secs_f64() / 1e9);
    }
    std::hint::black_box(&c);
    gflops
}

/// `Mlp::predict_threads` on `rows` made-up rows, until [`stats::enough`].
fn library_prediction(
    model: &Interpolator,
    rows: usize,
    threads: usize,
) -> Result<LibraryPrediction> {
    let mlp = model
        .mlp()
        .context("the benchmark model has no network (a kernel model)")?;
    let x: Vec<f32> = (0..rows * mlp.n_inputs())
        .map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0)
        .collect();
    let mut seconds = Vec::new();
    while !stats::enough(&seconds) {
        let start = Instant::now();
        let y = mlp.predict_threads(&x, threads).context("predict")?;
        seconds.push(start.elapsed().as_secs_f64());
        std::hint::black_box(&y);
    }
    Ok(LibraryPrediction {
        threads,
        rows,
        seconds,
    })
}

/// `fivedreg generate` and `fivedreg predict` on its output, in pairs.
fn cli_pairs(
    options: &SpeedOptions,
    binary: &Path,
    model: &Path,
    workdir: &Path,
) -> Result<Vec<CliPair>> {
    let input = workdir.join("rows.csv");
    let output = workdir.join("predicted.csv");
    let rows = options.predict_rows.to_string();
    let generate: Vec<String> = vec![
        "generate".into(),
        "--samples".into(),
        rows.clone(),
        "--seed".into(),
        options.seed.to_string(),
        "-o".into(),
        input.display().to_string(),
    ];
    let predict: Vec<String> = vec![
        "predict".into(),
        model.display().to_string(),
        input.display().to_string(),
        "-o".into(),
        output.display().to_string(),
    ];
    pairs_until_enough(
        &format!("fivedreg generate and predict, {rows} rows"),
        |p: &CliPair| p.predict.seconds.max(p.generate.seconds),
        |load_average| {
            Ok(CliPair {
                load_average,
                generate: child::run_measured(binary, &generate, workdir)?,
                predict: child::run_measured(binary, &predict, workdir)?,
            })
        },
    )
}

/// Runs pairs (`pair`, given the load average read before it, after a progress line naming
/// `what` and the pair's number) until [`stats::enough`] is satisfied by the pairs' longest
/// runs (`longest`).
fn pairs_until_enough<P>(
    what: &str,
    longest: impl Fn(&P) -> f64,
    mut pair: impl FnMut(f64) -> Result<P>,
) -> Result<Vec<P>> {
    let mut pairs: Vec<P> = Vec::new();
    while !stats::enough(&pairs.iter().map(&longest).collect::<Vec<_>>()) {
        progress(&format!("{what}, pair {}", pairs.len() + 1));
        pairs.push(pair(load_average())?);
    }
    Ok(pairs)
}

/// `fivedreg train --ensemble 8` on the throughput task's rows, one thread against the
/// default thread count, in pairs; the two model files must be the same bytes.
fn ensemble_pairs(
    options: &SpeedOptions,
    binary: &Path,
    workdir: &Path,
) -> Result<Vec<ThreadPair>> {
    thread_pairs(
        options,
        binary,
        workdir,
        "ensemble",
        options.throughput_samples,
        &["--ensemble".into(), ENSEMBLE_MEMBERS.to_string()],
    )
}

/// `fivedreg train --auto --split 1,0,0 --budget B` on the `--auto` rows of the seed task
/// (the budget counts operations, so both sides train the same candidates), one thread against the default
/// thread count, in pairs; the two model files must be the same bytes.
fn auto_pairs(options: &SpeedOptions, binary: &Path, workdir: &Path) -> Result<Vec<ThreadPair>> {
    thread_pairs(
        options,
        binary,
        workdir,
        "auto",
        options.auto_rows,
        &[
            "--auto".into(),
            "--split".into(),
            "1,0,0".into(),
            "--budget".into(),
            options.auto_budget.to_string(),
        ],
    )
}

/// `fivedreg train <train_args>` on `rows` generated rows (noise 0.1), `--threads 1` then
/// `--threads 0`, in pairs until [`stats::enough`]; files named after `name`.
fn thread_pairs(
    options: &SpeedOptions,
    binary: &Path,
    workdir: &Path,
    name: &str,
    rows: usize,
    train_args: &[String],
) -> Result<Vec<ThreadPair>> {
    let input = workdir.join(format!("{name}.csv"));
    let rows = rows.to_string();
    child::run_measured(
        binary,
        &[
            "generate".into(),
            "--samples".into(),
            rows.clone(),
            "--noise".into(),
            "0.1".into(),
            "--seed".into(),
            options.seed.to_string(),
            "-o".into(),
            input.display().to_string(),
        ],
        workdir,
    )?;
    let train = |threads: usize, model: &Path| -> Result<Measured> {
        let mut args: Vec<String> = vec!["train".into(), input.display().to_string()];
        args.extend_from_slice(train_args);
        args.extend([
            "--threads".into(),
            threads.to_string(),
            "--seed".into(),
            options.seed.to_string(),
            "-o".into(),
            model.display().to_string(),
        ]);
        child::run_measured(binary, &args, workdir)
    };
    let (one_model, all_model) = (
        workdir.join(format!("{name}-1.fdr")),
        workdir.join(format!("{name}-0.fdr")),
    );
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    pairs_until_enough(
        &format!("fivedreg train {}, {rows} rows", train_args.join(" ")),
        |p: &ThreadPair| p.one_thread.seconds.max(p.default_threads.seconds),
        |load_average| {
            let pair = ThreadPair {
                load_average,
                one_thread: train(1, &one_model)?,
                default_threads: train(0, &all_model)?,
            };
            ensure!(
                read(&one_model)? == read(&all_model)?,
                "fivedreg train {}: the model file differs between one thread and every core",
                train_args.join(" ")
            );
            Ok(pair)
        },
    )
}

/// Runs every measurement, writes `<out>/SPEED.md` and prints the figures.
pub fn speed(options: &SpeedOptions, repo: &Path) -> Result<SpeedReport> {
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("creating {}", options.out.display()))?;
    let machine = MachineInfo::collect(repo);
    let workdir = tempfile::tempdir()?;
    let (sk, sklearn_line) = if options.sklearn {
        let python = sklearn::interpreter();
        match Sklearn::probe(&python, workdir.path()) {
            Ok(sk) => {
                let line = format!("{}.", sk.describe());
                (Some(sk), line)
            }
            Err(why) => {
                let line = format!(
                    "scikit-learn was not run: it could not be imported with `{python}` ({why:#})."
                );
                progress(&line);
                (None, line)
            }
        }
    } else {
        (
            None,
            "scikit-learn was not run (`--no-sklearn`).".to_string(),
        )
    };
    let mut side = SklearnSide::new(sk);

    let n = options.matrix_n;
    progress(&format!("{n}x{n}x{n} f32 matrix product"));
    let gflops = matrix_gflops(n);

    progress(&format!(
        "fixed-epoch throughput: {} epochs, {} samples",
        options.throughput_epochs, options.throughput_samples
    ));
    let throughput = pairs::throughput(
        Task::seed_task(options.throughput_samples, options.seed),
        options.throughput_epochs,
        &mut side,
        workdir.path(),
        machine.logical_cpus,
    )?;

    progress(&format!("default fit, {} samples", options.full_samples));
    let model_path = workdir.path().join("model.fdr");
    let default_fit = pairs::fit_pairs(
        Task::seed_task(options.full_samples, options.seed),
        &FitSettings::default_fit(options.full_max_epochs, usize::MAX),
        Some(model_path.clone()),
        &mut side,
        true,
        workdir.path(),
    )?;

    let bytes =
        std::fs::read(&model_path).with_context(|| format!("reading {}", model_path.display()))?;
    let model = Interpolator::from_bytes(&bytes, &model_path.display().to_string())?;
    let mut prediction = Vec::new();
    for threads in [1, 0] {
        progress(&format!(
            "library prediction, {} rows, threads {}",
            options.predict_rows,
            threads_description(threads, machine.logical_cpus)
        ));
        prediction.push(library_prediction(&model, options.predict_rows, threads)?);
    }

    let binary = child::fivedreg_binary(options.fivedreg.as_deref(), repo)?;
    let cli = cli_pairs(options, &binary, &model_path, workdir.path())?;
    let ensemble = ensemble_pairs(options, &binary, workdir.path())?;
    let auto = auto_pairs(options, &binary, workdir.path())?;

    let sklearn = match side.failure() {
        Some(why) => {
            format!("{sklearn_line} It failed part-way ({why}); its figures are left out.")
        }
        None => sklearn_line,
    };
    let report = SpeedReport {
        machine,
        command: options.command.clone(),
        sklearn,
        matrix_n: n,
        gflops,
        layer_sizes: default_layer_sizes(),
        throughput,
        default_fit,
        prediction,
        cli_rows: options.predict_rows,
        cli,
        ensemble_rows: options.throughput_samples,
        ensemble,
        auto_rows: options.auto_rows,
        auto_budget: options.auto_budget,
        auto,
        rss_method: child::peak_rss_method().to_string(),
        load_average_at_end: load_average(),
    };
    println!("{}", figures_table(&report).text());
    let path = options.out.join("SPEED.md");
    fivedreg::AtomicFile::write(&path, render(&report).as_bytes())?;
    progress(&format!("written {}", path.display()));
    Ok(report)
}

/// "n/a", for figures scikit-learn has no counterpart for.
fn na() -> String {
    "n/a".to_string()
}

/// The two ratios, named: the per-epoch throughput ratio (the headline) and the fit-time
/// ratio (what a user waits for).
pub fn headline_table(report: &SpeedReport) -> Table {
    let t = &report.throughput;
    let f = &report.default_fit;
    let ours = f.fivedreg.first();
    let theirs_epochs = f.sklearn.first().map_or_else(na, |s| int(s.iterations));
    let mut table = Table::new(&[
        "Ratio",
        "Median",
        "Range (min–max)",
        "Pairs",
        "What it compares",
    ]);
    let mut row = |name: &str, ratio: Option<Spread>, what: String| {
        table.push(match ratio {
            Some(r) => vec![
                name.to_string(),
                times(r.median),
                format!("{}–{}", times(r.min), times(r.max)),
                r.runs.to_string(),
                what,
            ],
            None => vec![name.to_string(), na(), na(), "0".into(), what],
        });
    };
    row(
        "Per-epoch throughput ratio (the headline)",
        t.headline_ratio(),
        format!(
            "fivedreg on the default thread count ({}) / scikit-learn, sample-epochs/s at exactly \
             {} epochs on the same {} training rows, early stopping off: the cost of an epoch",
            t.default_threads,
            t.epochs,
            int(t.train_rows)
        ),
    );
    row(
        "Fit-time ratio (user-facing)",
        f.fit_time_ratio(),
        format!(
            "scikit-learn's fit seconds / fivedreg's, default training of {} samples with early \
             stopping: {} vs {theirs_epochs} epochs, each side with its own validation setup",
            int(f.n_samples),
            int(ours.epochs)
        ),
    );
    table
}

/// Every figure: fivedreg, scikit-learn, and how they compare.
pub fn figures_table(report: &SpeedReport) -> Table {
    let mut table = Table::new(&["Figure", "fivedreg", "scikit-learn", "Comparison"]);
    let cpus = report.machine.logical_cpus;
    let n = report.matrix_n;
    let flops = flops_per_sample_epoch(&report.layer_sizes);
    let ceiling = report.ceiling();
    table.push(vec![
        format!("{n}³ f32 matrix product (nalgebra, 1 core), GFLOP/s"),
        spread(&report.gflops(), sig),
        na(),
        "one core's ceiling".into(),
    ]);
    table.push(vec![
        format!(
            "One-core ceiling, sample-epochs/s (network {:?}: {flops:.0} flops per sample-epoch \
             = 3 × 2 × Σ fan_in·fan_out)",
            report.layer_sizes
        ),
        rate(ceiling),
        na(),
        "median GFLOP/s × 1e9 / flops per sample-epoch".into(),
    ]);
    let t = &report.throughput;
    let sk_rates = t.sklearn_rates();
    for one_thread in [true, false] {
        let ours = Spread::of(&if one_thread {
            t.one_thread_rates()
        } else {
            t.default_threads_rates()
        });
        let ratios = t.ratios(one_thread);
        table.push(vec![
            format!(
                "Training, sample-epochs/s ({} samples, {} training rows, {} epochs, early \
                 stopping off), threads {}",
                int(t.n_samples),
                int(t.train_rows),
                t.epochs,
                threads_description(if one_thread { 1 } else { 0 }, cpus)
            ),
            spread(&ours, rate),
            if sk_rates.is_empty() {
                na()
            } else {
                spread(&Spread::of(&sk_rates), rate)
            },
            format!(
                "per-epoch throughput ratio {}; {} of the one-core ceiling{}",
                if ratios.is_empty() {
                    na()
                } else {
                    spread(&Spread::of(&ratios), times)
                },
                percent(ours.median, ceiling),
                if one_thread {
                    String::new()
                } else {
                    format!(
                        "; {} one thread (per pair)",
                        spread(
                            &Spread::of(&t.over_one_thread(|p| Some(p.default_threads_seconds))),
                            times
                        )
                    )
                }
            ),
        ]);
    }
    let two_at_once = t.two_at_once_rates();
    if !two_at_once.is_empty() {
        table.push(vec![
            "Two one-thread fits at once (separate processes), aggregate sample-epochs/s".into(),
            spread(&Spread::of(&two_at_once), rate),
            na(),
            format!(
                "{} one thread (per pair): what this machine's two cores give work that needs \
                 no synchronisation, the reference for the two-core figures",
                spread(
                    &Spread::of(&t.over_one_thread(|p| p.two_at_once_seconds.map(|s| s / 2.0))),
                    times
                )
            ),
        ]);
    }
    let f = &report.default_fit;
    let seconds = |x: f64| format!("{x:.3} s");
    table.push(vec![
        format!(
            "Default training, {} samples (early stopping on): fit seconds [epochs]",
            int(f.n_samples)
        ),
        format!(
            "{} [{}]",
            spread(&f.fivedreg.fit_seconds(), seconds),
            f.fivedreg.first().epochs
        ),
        f.sklearn.first().map_or_else(na, |s| {
            format!(
                "{} [{}]",
                spread(&f.sklearn_fit_seconds(), seconds),
                s.iterations
            )
        }),
        f.fit_time_ratio()
            .map_or_else(na, |r| format!("fit-time ratio {}", spread(&r, times))),
    ]);
    let ours_r2 = f.seeds.fivedreg_r2();
    let theirs_r2 = f.seeds.sklearn_r2();
    table.push(vec![
        format!(
            "Default training: test R², mean ± std over {} seeds",
            ours_r2.n
        ),
        mean_std(&ours_r2),
        theirs_r2.as_ref().map_or_else(na, mean_std),
        theirs_r2.map_or_else(na, |m| {
            format!(
                "{:+.4} (fivedreg's mean − scikit-learn's)",
                ours_r2.mean - m.mean
            )
        }),
    ]);
    for p in &report.prediction {
        table.push(vec![
            format!(
                "Library prediction, rows/s ({} rows, Mlp::predict_threads), threads {}",
                int(p.rows),
                threads_description(p.threads, cpus)
            ),
            spread(&p.rates(), rate),
            na(),
            "-".into(),
        ]);
    }
    let predict = report.cli_seconds(|p| &p.predict);
    let network = report.network_seconds();
    let mib = |kib: Vec<u64>| {
        let values: Vec<f64> = kib.iter().map(|k| *k as f64 / 1024.0).collect();
        format!("{:.1} MiB", Spread::of(&values).median)
    };
    table.push(vec![
        format!(
            "`fivedreg predict` on a {}-row CSV: wall seconds, median peak RSS",
            int(report.cli_rows)
        ),
        format!(
            "{}, {}",
            spread(&predict, seconds),
            mib(report.cli.iter().map(|p| p.predict.peak_rss_kib).collect())
        ),
        na(),
        format!(
            "network part {network:.3} s ({} of the median wall time; the rest is CSV \
             read/write)",
            percent(network, predict.median)
        ),
    ]);
    table.push(vec![
        format!(
            "`fivedreg generate` of the same {} rows (generate + write CSV)",
            int(report.cli_rows)
        ),
        format!(
            "{}, {}",
            spread(&report.cli_seconds(|p| &p.generate), seconds),
            mib(report.cli.iter().map(|p| p.generate.peak_rss_kib).collect())
        ),
        na(),
        format!("predict / generate = {}", spread(&report.cli_ratio(), sig)),
    ]);
    let train_rows = [
        (
            &report.ensemble,
            format!(
                "`fivedreg train --ensemble {ENSEMBLE_MEMBERS}` on {} rows",
                int(report.ensemble_rows)
            ),
        ),
        (
            &report.auto,
            format!(
                "`fivedreg train --auto --budget {}` on {} rows",
                report.auto_budget,
                int(report.auto_rows)
            ),
        ),
    ];
    for (pairs, what) in train_rows {
        if pairs.is_empty() {
            continue;
        }
        let of =
            |side: fn(&ThreadPair) -> f64| Spread::of(&pairs.iter().map(side).collect::<Vec<_>>());
        let ratios: Vec<f64> = pairs
            .iter()
            .map(|p| p.one_thread.seconds / p.default_threads.seconds)
            .collect();
        table.push(vec![
            format!(
                "{what}: wall seconds, one thread → threads {}",
                threads_description(0, cpus)
            ),
            format!(
                "{} → {}",
                spread(&of(|p| p.one_thread.seconds), seconds),
                spread(&of(|p| p.default_threads.seconds), seconds)
            ),
            na(),
            format!(
                "{} one thread (per pair); the model files are the same bytes",
                spread(&Spread::of(&ratios), times)
            ),
        ]);
    }
    table
}

/// The CLI pairs with their load averages.
fn cli_pairs_table(report: &SpeedReport) -> Table {
    pairs_table(
        &["generate (s)", "predict (s)", "predict / generate"],
        report.cli.iter().map(|p| {
            (
                p.load_average,
                vec![
                    format!("{:.3}", p.generate.seconds),
                    format!("{:.3}", p.predict.seconds),
                    sig(p.predict.seconds / p.generate.seconds),
                ],
            )
        }),
    )
}

/// SPEED.md.
pub fn render(report: &SpeedReport) -> String {
    let m = &report.machine;
    let mut md = String::from("# fivedreg speed figures\n\n");
    md.push_str(&format!(
        "Command: `{}`. Machine: {}, {} logical CPUs; xtask build `{}` (opt-level {}), {}; \
         commit {}{}; {}. Load average (1 min) at the start {:.2}, at the end {:.2}; each \
         pair's own is in the tables below.\n\n{}\n\n",
        report.command,
        m.cpu_model,
        m.logical_cpus,
        m.build_profile,
        m.opt_level,
        m.rustc_version,
        m.git_commit,
        if m.git_dirty { " (dirty)" } else { "" },
        m.date_utc,
        m.load_average_at_start,
        report.load_average_at_end,
        report.sklearn,
    ));
    md.push_str(&format!(
        "Every timed figure is the median of its runs with the least and greatest in brackets \
         ({} runs; {} where even the fastest run takes {} s or more). fivedreg and scikit-learn run in \
         alternation (A B A B …) so that load on the machine hits both alike; every ratio is \
         taken within a pair, and the ratio shown is the median of the pairs' ratios with \
         their range.\n\n",
        stats::SHORT_RUN_REPEATS,
        stats::LONG_RUN_REPEATS,
        stats::LONG_RUN_SECONDS
    ));
    md.push_str("## The two ratios\n\n");
    md.push_str(&headline_table(report).markdown());
    md.push_str(
        "The per-epoch throughput ratio compares the same work (the same rows, exactly the same \
         epochs); the fit-time ratio is what a user waits for, and also differs by how many \
         epochs each side's early stopping ran and by its validation setup (fivedreg watches \
         the separate validation split; scikit-learn carves 10% out of the training rows).\n\n",
    );
    md.push_str("## Figures\n\n");
    md.push_str(&figures_table(report).markdown());
    md.push_str(&format!(
        "Training throughput is training rows × epochs / fit seconds, each run in a fresh \
         worker process; \"default\" threads is fivedreg's default (every core). The matrix \
         product and the library prediction run in the xtask process. The CLI's peak RSS is \
         from {}. \"Network part\" is the row count divided by the median library prediction \
         rate on the default thread count. \"Two one-thread fits at once\" runs two \
         one-thread fits of the throughput task in two worker processes started together \
         (aggregate rate: twice the rows × epochs over the slower one's seconds): what the \
         machine's second core adds to work that needs no synchronisation at all, which \
         bounds every two-core figure (a virtual machine's second CPU may be shared with \
         another guest). The ensemble runs `fivedreg train --ensemble {ENSEMBLE_MEMBERS}` \
         on the throughput task's rows (noise 0.1) with one thread and then every core, and \
         checks that the two model files are the same bytes; `--auto` runs `fivedreg train \
         --auto --split 1,0,0 --budget {}` (the budget counts operations, so both sides \
         train the same candidates) on {} rows of the seed task (noise 0.1) the same way.\n\n",
        report.rss_method,
        report.auto_budget,
        int(report.auto_rows)
    ));
    md.push_str("## Runs\n\n### Fixed-epoch throughput\n\n");
    md.push_str(&throughput_pairs_table(&report.throughput).markdown());
    md.push_str("### Default training\n\n");
    md.push_str(&fit_pairs_table(&[&report.default_fit]).markdown());
    md.push_str(&seeds_table(&[&report.default_fit]).markdown());
    md.push_str("### Command line\n\n");
    md.push_str(&cli_pairs_table(report).markdown());
    if !report.ensemble.is_empty() {
        md.push_str("### Ensemble\n\n");
        md.push_str(&thread_pairs_table(&report.ensemble).markdown());
    }
    if !report.auto.is_empty() {
        md.push_str("### --auto\n\n");
        md.push_str(&thread_pairs_table(&report.auto).markdown());
    }
    md
}

/// One-thread / every-core pairs with their load averages.
fn thread_pairs_table(pairs: &[ThreadPair]) -> Table {
    pairs_table(
        &[
            "one thread (s)",
            "every core (s)",
            "one thread / every core",
        ],
        pairs.iter().map(|p| {
            (
                p.load_average,
                vec![
                    format!("{:.3}", p.one_thread.seconds),
                    format!("{:.3}", p.default_threads.seconds),
                    times(p.one_thread.seconds / p.default_threads.seconds),
                ],
            )
        }),
    )
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
