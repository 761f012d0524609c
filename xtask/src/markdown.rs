//! REPORT.md: every table of the seed system's performance page, filled from one run.

use crate::model::{BenchReport, FitRun, Memory, SizeRuns, ThroughputRun};
use std::fmt::Write;

const MIB: f64 = 1024.0 * 1024.0;

/// `1234567` as `1,234,567`.
pub fn int(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant digits, thousands separated, never in exponent form.
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if magnitude >= 2 {
        let rounded = x.round();
        let sign = if rounded < 0.0 { "-" } else { "" };
        return format!("{sign}{}", int(rounded.abs() as usize));
    }
    let decimals = (2 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

fn mb(bytes: u64) -> String {
    sig(bytes as f64 / MIB)
}

fn kib_as_mb(kib: u64) -> String {
    sig(kib as f64 / 1024.0)
}

fn r4(x: f64) -> String {
    format!("{x:.4}")
}

fn ratio(x: f64) -> String {
    format!("{}x", sig(x))
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

fn heading(out: &mut String, level: usize, title: &str) {
    let _ = writeln!(out, "{} {title}\n", "#".repeat(level));
}

fn para(out: &mut String, text: &str) {
    let _ = writeln!(out, "{text}\n");
}

fn rss_note(memory: &Memory) -> &'static str {
    if memory.rss_reset {
        ""
    } else {
        " (whole worker)"
    }
}

fn per_epoch_ms(seconds: f64, run: &FitRun) -> String {
    sig(seconds * 1e3 / run.epochs.max(1) as f64)
}

/// The whole report as Markdown.
pub fn render(report: &BenchReport) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let c = &report.config;
    let sizes = &report.sizes;

    heading(&mut out, 1, "fivedreg benchmark report");
    para(
        &mut out,
        &format!(
            "Measured on {} with `{}`. Every figure below was measured in this run (or derived \
             from figures measured in it); nothing is copied from the seed system's page.",
            m.date_utc, c.command
        ),
    );

    heading(&mut out, 2, "Machine and build");
    table(
        &mut out,
        &["Item", "Value"],
        &[
            vec!["CPU".into(), m.cpu_model.clone()],
            vec!["Logical CPUs".into(), m.logical_cpus.to_string()],
            vec!["Memory (GiB)".into(), sig(m.memory_gib)],
            vec!["OS".into(), m.os.clone()],
            vec![
                "Build profile".into(),
                format!("{} (opt-level {})", m.build_profile, m.opt_level),
            ],
            vec!["rustc".into(), m.rustc_version.clone()],
            vec!["Target".into(), m.target.clone()],
            vec![
                "Git commit".into(),
                format!(
                    "{}{}",
                    m.git_commit,
                    if m.git_dirty {
                        " (uncommitted changes present)"
                    } else {
                        " (clean tree)"
                    }
                ),
            ],
            vec!["Date (UTC)".into(), m.date_utc.clone()],
            vec![
                "Load average (1 min) at start / end".into(),
                format!(
                    "{} / {}",
                    sig(m.load_average_at_start),
                    sig(report.load_average_at_end)
                ),
            ],
            vec!["Whole run (s)".into(), sig(report.total_seconds)],
        ],
    );
    para(
        &mut out,
        "Other processes may have been running during the measurements; the load averages above \
         say how busy the machine was. Each measurement ran in a fresh worker process, one at a \
         time.",
    );

    heading(&mut out, 2, "Test configuration");
    table(
        &mut out,
        &["Setting", "Value"],
        &[
            vec![
                "Task (seed task)".into(),
                format!(
                    "X ~ N(0,1)^{}, y = sum of x² + N(0, {}²)",
                    c.n_inputs, c.noise
                ),
            ],
            vec![
                "Split".into(),
                "60% train / 20% validation / 20% test, seeded shuffle; the same split for every method".into(),
            ],
            vec![
                "Dataset sizes".into(),
                c.sizes.iter().map(|&n| int(n)).collect::<Vec<_>>().join(", "),
            ],
            vec!["Seed (data, split, network)".into(), c.seed.to_string()],
            vec![
                "Network".into(),
                "hidden 64, 32, 16, ReLU, identity output, Adam lr 0.001, L2 alpha 0.0001, batch min(200, n)".into(),
            ],
            vec![
                "Stopping".into(),
                format!(
                    "at most {} epochs; early stopping on the validation split's R², patience {}",
                    int(c.max_epochs),
                    c.patience
                ),
            ],
            vec![
                "Scaling".into(),
                "X and y standardized with the training split's statistics".into(),
            ],
            vec![
                "Training threads".into(),
                format!(
                    "the default (`threads = 0`: every core, {} here); results do not depend on it",
                    m.logical_cpus
                ),
            ],
        ],
    );

    heading(&mut out, 2, "Definitions");
    para(
        &mut out,
        "- **Fit time**: wall-clock seconds of `Interpolator::fit` (split, scaling, training, test \
         metrics), timed inside a fresh worker process.\n\
         - **Training loop**: the part of it spent in the training loop (`TrainingHistory.seconds`).\n\
         - **Samples/s (seed's definition)**: dataset rows / fit time, as the seed page computed it; \
         it mixes the dataset size with the number of epochs.\n\
         - **Sample-epochs/s**: training rows × epochs / training-loop seconds: rows actually \
         pushed through the network per second.\n\
         - **Peak heap**: the most heap bytes live at once during the phase, above what was live \
         when it began, counted by xtask's global allocator (the same quantity as Python's \
         `tracemalloc` peak that the seed page reported).\n\
         - **Peak RSS**: the worker process's resident-set high-water mark (VmHWM in \
         /proc/self/status), reset at the phase's start through /proc/self/clear_refs; it \
         includes the executable, the generated data and allocator slack.\n\
         - MB = 2^20 bytes, KB = 1024 bytes. R², MSE, RMSE and MAE are on the test split, in the \
         target's units.",
    );

    heading(&mut out, 2, "Executive summary");
    let time_fit = report.time_scaling();
    let epoch_fit = report.epoch_time_scaling();
    let mut summary = Vec::new();
    if let Some(fit) = &time_fit {
        summary.push(format!(
            "- Fit time grows as O(n^{:.2}) over n = {} (least squares on log time vs log n); \
             time per epoch grows as O(n^{:.2}).",
            fit.exponent,
            fit.sizes
                .iter()
                .map(|&n| int(n))
                .collect::<Vec<_>>()
                .join(", "),
            epoch_fit.as_ref().map_or(f64::NAN, |f| f.exponent)
        ));
    }
    let mean_throughput = sizes
        .iter()
        .map(|s| s.fit.sample_epochs_per_second())
        .sum::<f64>()
        / sizes.len() as f64;
    summary.push(format!(
        "- Mean throughput {} sample-epochs/s over the sizes.",
        sig(mean_throughput)
    ));
    let max_heap = sizes
        .iter()
        .map(|s| s.fit.memory.heap_peak_bytes)
        .max()
        .unwrap_or(0);
    summary.push(format!(
        "- Peak heap in training at most {} MB (n = {}).",
        mb(max_heap),
        int(sizes.last().map_or(0, |s| s.n_samples))
    ));
    let r2s: Vec<f64> = sizes.iter().map(|s| s.fit.test.r2).collect();
    summary.push(format!(
        "- Test R² from {} to {}.",
        r4(r2s.iter().copied().fold(f64::INFINITY, f64::min)),
        r4(r2s.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    ));
    let model_kb: Vec<f64> = sizes
        .iter()
        .map(|s| s.fit.model_bytes as f64 / 1024.0)
        .collect();
    summary.push(format!(
        "- Model file {} to {} KB.",
        sig(model_kb.iter().copied().fold(f64::INFINITY, f64::min)),
        sig(model_kb.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    ));
    if let Some(line) = sklearn_summary(report) {
        summary.push(line);
    }
    if let Some(line) = throughput_summary(report) {
        summary.push(line);
    }
    para(&mut out, &summary.join("\n"));

    heading(&mut out, 2, "Training time");
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                int(f.train_rows),
                sig(f.fit_seconds),
                sig(f.train_seconds),
                mb(f.memory.heap_peak_bytes),
                format!(
                    "{}{}",
                    kib_as_mb(f.memory.rss_peak_kib),
                    rss_note(&f.memory)
                ),
                int(f.epochs),
                sig(f.naive_samples_per_second()),
                sig(f.sample_epochs_per_second()),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Train rows",
            "Fit time (s)",
            "Training loop (s)",
            "Peak heap (MB)",
            "Peak RSS (MB)",
            "Epochs",
            "Samples/s (n / fit time)",
            "Sample-epochs/s",
        ],
        &rows,
    );

    heading(&mut out, 2, "Scaling behaviour");
    if let (Some(first), Some(last)) = (sizes.first(), sizes.last()) {
        table(
            &mut out,
            &[
                "Quantity",
                &format!("n = {}", int(first.n_samples)),
                &format!("n = {}", int(last.n_samples)),
                "Ratio",
            ],
            &[
                vec![
                    "Dataset size".into(),
                    int(first.n_samples),
                    int(last.n_samples),
                    ratio(last.n_samples as f64 / first.n_samples as f64),
                ],
                vec![
                    "Fit time (s)".into(),
                    sig(first.fit.fit_seconds),
                    sig(last.fit.fit_seconds),
                    ratio(last.fit.fit_seconds / first.fit.fit_seconds),
                ],
                vec![
                    "Time per epoch (ms)".into(),
                    per_epoch_ms(first.fit.train_seconds, &first.fit),
                    per_epoch_ms(last.fit.train_seconds, &last.fit),
                    ratio(
                        (last.fit.train_seconds / last.fit.epochs.max(1) as f64)
                            / (first.fit.train_seconds / first.fit.epochs.max(1) as f64),
                    ),
                ],
                vec![
                    "Peak heap (MB)".into(),
                    mb(first.fit.memory.heap_peak_bytes),
                    mb(last.fit.memory.heap_peak_bytes),
                    ratio(
                        last.fit.memory.heap_peak_bytes as f64
                            / first.fit.memory.heap_peak_bytes.max(1) as f64,
                    ),
                ],
                vec![
                    "Epochs".into(),
                    int(first.fit.epochs),
                    int(last.fit.epochs),
                    ratio(last.fit.epochs as f64 / first.fit.epochs.max(1) as f64),
                ],
            ],
        );
    }
    let mut exponent_rows = Vec::new();
    for (name, fit) in [("Fit time", &time_fit), ("Time per epoch", &epoch_fit)] {
        if let Some(fit) = fit {
            exponent_rows.push(vec![
                name.to_string(),
                format!("{:.3}", fit.exponent),
                format!("{:.3}", fit.r2_log),
                fit.sizes
                    .iter()
                    .map(|&n| int(n))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
    }
    para(
        &mut out,
        "Empirical exponent b of time ∝ n^b: least-squares fit of ln(time) against ln(n) over \
         the measured sizes. The fit time mixes the cost per epoch with the number of epochs \
         early stopping chose; the time per epoch isolates the cost of the data.",
    );
    table(
        &mut out,
        &["Quantity", "Exponent b", "R² of the log-log fit", "Sizes"],
        &exponent_rows,
    );

    heading(&mut out, 2, "Memory");
    heading(&mut out, 3, "Training memory");
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                mb(f.memory.heap_peak_bytes),
                int(f.memory.heap_allocations as usize),
                format!(
                    "{}{}",
                    kib_as_mb(f.memory.rss_peak_kib),
                    rss_note(&f.memory)
                ),
                sig(f.memory.heap_peak_bytes as f64 / 1024.0 / (s.n_samples as f64 / 1000.0)),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Peak heap (MB)",
            "Heap allocations",
            "Peak RSS (MB)",
            "Peak heap per 1,000 rows (KB)",
        ],
        &rows,
    );
    heading(&mut out, 3, "Prediction memory");
    para(
        &mut out,
        "Each model, loaded from its model file in a fresh worker, predicts its own test split \
         (20% of n rows: 200, 1,000 and 2,000 rows for the default sizes, the seed page's batch \
         sizes).",
    );
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let p = &s.predict;
            vec![
                int(p.rows),
                int(s.n_samples),
                sig(p.seconds * 1e3),
                sig(p.rows as f64 / p.seconds),
                mb(p.memory.heap_peak_bytes),
                format!(
                    "{}{}",
                    kib_as_mb(p.memory.rss_peak_kib),
                    rss_note(&p.memory)
                ),
                sig(p.load_seconds * 1e3),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Rows predicted",
            "Model trained on n",
            "Predict time (ms)",
            "Rows/s",
            "Peak heap (MB)",
            "Peak RSS (MB)",
            "Model load (ms)",
        ],
        &rows,
    );
    if let Some(s) = sizes.last() {
        heading(&mut out, 3, "Memory breakdown");
        para(
            &mut out,
            &format!(
                "For n = {}: sizes computed from the network's shape and the split (f32 values), \
                 set beside the measured peak heap of the same fit.",
                int(s.n_samples)
            ),
        );
        let f = &s.fit;
        let params = f.n_parameters as f64 * 4.0;
        let inputs = ((f.train_rows + f.validation_rows) * (c.n_inputs + 1)) as f64 * 4.0;
        table(
            &mut out,
            &["Component", "Size (KB)", "Source"],
            &[
                vec![
                    "Model parameters".into(),
                    sig(params / 1024.0),
                    format!("{} parameters × 4 bytes", int(f.n_parameters as usize)),
                ],
                vec![
                    "Scaled training + validation rows".into(),
                    sig(inputs / 1024.0),
                    format!(
                        "{} rows × {} values × 4 bytes",
                        int(f.train_rows + f.validation_rows),
                        c.n_inputs + 1
                    ),
                ],
                vec![
                    "Gradients".into(),
                    sig(params / 1024.0),
                    "one per parameter".into(),
                ],
                vec![
                    "Adam state".into(),
                    sig(2.0 * params / 1024.0),
                    "two moments per parameter".into(),
                ],
                vec![
                    "Model file".into(),
                    sig(f.model_bytes as f64 / 1024.0),
                    "measured".into(),
                ],
                vec![
                    "Peak heap of the fit".into(),
                    sig(f.memory.heap_peak_bytes as f64 / 1024.0),
                    "measured".into(),
                ],
            ],
        );
    }

    heading(&mut out, 2, "Accuracy");
    heading(&mut out, 3, "R², MSE, RMSE and MAE");
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let t = &s.fit.test;
            vec![
                int(s.n_samples),
                int(s.fit.test_rows),
                r4(t.r2),
                r4(t.mse),
                r4(t.rmse),
                r4(t.mae),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Dataset size", "Test rows", "R²", "MSE", "RMSE", "MAE"],
        &rows,
    );
    let mean = r2s.iter().sum::<f64>() / r2s.len() as f64;
    let std = (r2s.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / r2s.len() as f64).sqrt();
    table(
        &mut out,
        &["Statistic over the sizes", "Value"],
        &[
            vec![
                "Mean R² ± standard deviation".into(),
                format!("{} ± {}", r4(mean), r4(std)),
            ],
            vec![
                "Range of R²".into(),
                format!(
                    "[{}, {}]",
                    r4(r2s.iter().copied().fold(f64::INFINITY, f64::min)),
                    r4(r2s.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                ),
            ],
            vec![
                "MAE change, smallest to largest n".into(),
                match (sizes.first(), sizes.last()) {
                    (Some(a), Some(b)) => format!(
                        "{}%",
                        sig(100.0 * (b.fit.test.mae - a.fit.test.mae) / a.fit.test.mae)
                    ),
                    _ => "-".into(),
                },
            ],
        ],
    );

    heading(&mut out, 2, "Training speed breakdown");
    para(
        &mut out,
        "Time per epoch in each phase (`TrainingHistory.phase_seconds` / epochs), in ms, as \
         fivedreg-nn accounts it: forward is the training thread's own forward passes; backward \
         is the rest of each minibatch (its backward passes and any wait for the other \
         threads); update is the Adam step; validation is scoring the validation split after \
         each epoch.",
    );
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                per_epoch_ms(f.phases.forward, f),
                per_epoch_ms(f.phases.backward, f),
                per_epoch_ms(f.phases.update, f),
                per_epoch_ms(f.phases.validation, f),
                per_epoch_ms(f.train_seconds, f),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Forward (ms)",
            "Backward (ms)",
            "Update (ms)",
            "Validation (ms)",
            "Whole epoch (ms)",
        ],
        &rows,
    );
    heading(&mut out, 3, "Convergence");
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                int(f.epochs),
                int(f.best_epoch),
                f.best_validation_r2.map_or("-".into(), r4),
                f.stop_reason.clone(),
                sig(f.epochs as f64 / f.train_seconds),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Epochs",
            "Best epoch (kept)",
            "Best validation R²",
            "Stop reason",
            "Epochs/s",
        ],
        &rows,
    );
    heading(&mut out, 3, "CPU utilisation");
    para(
        &mut out,
        &format!(
            "CPU seconds (user + system, every thread) of the worker during the fit, from \
             /proc/self/stat (10 ms resolution), with the default thread count on {} logical \
             CPUs; 100% = one core busy for the whole fit.",
            m.logical_cpus
        ),
    );
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                sig(f.fit_seconds),
                sig(f.cpu_seconds),
                format!("{}%", sig(100.0 * f.cpu_seconds / f.fit_seconds)),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Fit time (s)",
            "CPU time (s)",
            "Utilisation",
        ],
        &rows,
    );

    heading(&mut out, 2, "Early-stopping impact");
    para(
        &mut out,
        &format!(
            "The same runs with early stopping off: training then stops by scikit-learn's rule on \
             the training loss ({} epochs without improving by 1e-4) or at {} epochs, and keeps \
             the last weights.",
            c.patience + 1,
            int(c.max_epochs)
        ),
    );
    let compared: Vec<&SizeRuns> = sizes
        .iter()
        .filter(|s| s.fit_without_early_stopping.is_some())
        .collect();
    let rows: Vec<Vec<String>> = compared
        .iter()
        .filter_map(|s| {
            let on = &s.fit;
            let off = s.fit_without_early_stopping.as_ref()?;
            Some(vec![
                int(s.n_samples),
                int(on.epochs),
                int(off.epochs),
                format!(
                    "{}%",
                    sig(100.0 * (1.0 - on.epochs as f64 / c.max_epochs as f64))
                ),
                sig(on.fit_seconds),
                sig(off.fit_seconds),
                sig(off.fit_seconds - on.fit_seconds),
                r4(on.test.r2),
                r4(off.test.r2),
            ])
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Epochs (on)",
            "Epochs (off)",
            "Fewer than the maximum (on)",
            "Fit time on (s)",
            "Fit time off (s)",
            "Time saved (s)",
            "R² on",
            "R² off",
        ],
        &rows,
    );
    para(
        &mut out,
        "A negative saving means the run without early stopping ended sooner: the training-loss \
         rule stopped it before the validation rule stopped the default run.",
    );
    if compared.len() < sizes.len() {
        para(
            &mut out,
            &format!(
                "Sizes above {} were not run with early stopping off (bounded run time).",
                int(c.no_early_stopping_max_n)
            ),
        );
    }

    heading(&mut out, 2, "Fixed-epoch throughput and threads");
    throughput_section(&mut out, report);

    heading(&mut out, 2, "Model size");
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            vec![
                int(s.n_samples),
                sig(s.fit.model_bytes as f64 / 1024.0),
                int(s.fit.n_parameters as usize),
                sig(s.fit.model_bytes as f64 / s.fit.n_parameters.max(1) as f64),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Model file (KB)",
            "Parameters",
            "Bytes per parameter",
        ],
        &rows,
    );
    heading(&mut out, 3, "Storage");
    para(
        &mut out,
        "Sizes of the files a deployment handles, each written in this run: the model file, the \
         whole dataset as CSV and the test split as CSV (a prediction input), both by \
         fivedreg's own CSV writer.",
    );
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            vec![
                int(s.n_samples),
                sig(f.model_bytes as f64 / 1024.0),
                sig(f.dataset_csv_bytes as f64 / 1024.0),
                sig(f.test_csv_bytes as f64 / 1024.0),
                sig((f.model_bytes + f.dataset_csv_bytes + f.test_csv_bytes) as f64 / 1024.0),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Dataset size",
            "Model file (KB)",
            "Dataset CSV (KB)",
            "Test split CSV (KB)",
            "Total (KB)",
        ],
        &rows,
    );

    heading(&mut out, 2, "Larger sizes, measured");
    let large: Vec<&SizeRuns> = sizes.iter().filter(|s| s.n_samples > 10_000).collect();
    if large.is_empty() {
        para(
            &mut out,
            "No size above 10,000 in this run; `--full` (or `--sizes`) measures 50,000, 100,000 \
             and 1,000,000 instead of projecting them.",
        );
    } else {
        let rows: Vec<Vec<String>> = large
            .iter()
            .map(|s| {
                let f = &s.fit;
                vec![
                    int(s.n_samples),
                    sig(f.fit_seconds),
                    int(f.epochs),
                    mb(f.memory.heap_peak_bytes),
                    kib_as_mb(f.memory.rss_peak_kib),
                    r4(f.test.r2),
                    sig(f.sample_epochs_per_second()),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Dataset size",
                "Fit time (s)",
                "Epochs",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "R²",
                "Sample-epochs/s",
            ],
            &rows,
        );
    }

    heading(&mut out, 2, "Comparison with alternative regressors");
    baseline_section(&mut out, report);

    heading(&mut out, 2, "scikit-learn MLPRegressor side by side");
    sklearn_section(&mut out, report);

    heading(&mut out, 2, "Plots");
    para(
        &mut out,
        "- [R² against n](r2_vs_n.svg)\n\
         - [Fit time against n](time_vs_n.svg)\n\
         - [Training loss per epoch](training_loss.svg)\n\
         - [Validation R² per epoch](validation_r2.svg)",
    );

    heading(&mut out, 2, "Reproduce");
    para(
        &mut out,
        &format!(
            "`{}` writes this folder (REPORT.md, benchmark_results.json, the SVG plots). scikit-learn \
             is looked for with `$FIVEDREG_PYTHON`, else `python3`.",
            c.command
        ),
    );
    out
}

fn sklearn_summary(report: &BenchReport) -> Option<String> {
    let pairs: Vec<(f64, usize)> = report
        .sklearn
        .runs
        .iter()
        .filter_map(|sk| {
            let ours = report.sizes.iter().find(|s| s.n_samples == sk.n_samples)?;
            Some((sk.fit_seconds / ours.fit.fit_seconds, sk.n_samples))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    Some(format!(
        "- Against scikit-learn's MLPRegressor on the same splits, fivedreg's fit was {} times \
         faster (n = {}).",
        pairs
            .iter()
            .map(|(r, _)| sig(*r))
            .collect::<Vec<_>>()
            .join(", "),
        pairs
            .iter()
            .map(|(_, n)| int(*n))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn throughput_summary(report: &BenchReport) -> Option<String> {
    let sk = report.throughput.iter().find(|t| t.engine != "fivedreg")?;
    let best = report
        .throughput
        .iter()
        .filter(|t| t.engine == "fivedreg")
        .max_by(|a, b| {
            a.sample_epochs_per_second()
                .total_cmp(&b.sample_epochs_per_second())
        })?;
    Some(format!(
        "- At a fixed {} epochs on {} training rows, fivedreg ({}) trained {} \
         sample-epochs/s, {} scikit-learn's {}.",
        best.epochs,
        int(best.train_rows),
        match best.threads {
            Some(1) => "1 thread".to_string(),
            Some(t) => format!("{t} threads"),
            None => "default threads".to_string(),
        },
        sig(best.sample_epochs_per_second()),
        ratio(best.sample_epochs_per_second() / sk.sample_epochs_per_second()),
        sig(sk.sample_epochs_per_second())
    ))
}

fn throughput_section(out: &mut String, report: &BenchReport) {
    let c = &report.config;
    para(
        out,
        &format!(
            "{} samples ({} training rows), exactly {} epochs, early stopping off, the default \
             network; sample-epochs/s = training rows × epochs / fit seconds.",
            int(c.throughput_samples),
            int(report.throughput.first().map_or(0, |t| t.train_rows)),
            c.throughput_epochs
        ),
    );
    let sklearn: Option<&ThroughputRun> = report.throughput.iter().find(|t| t.engine != "fivedreg");
    let rows: Vec<Vec<String>> = report
        .throughput
        .iter()
        .map(|t| {
            vec![
                t.engine.clone(),
                t.threads.map_or_else(
                    || {
                        if t.engine == "fivedreg" {
                            "default".to_string()
                        } else {
                            "BLAS default".to_string()
                        }
                    },
                    |n| n.to_string(),
                ),
                int(t.epochs),
                sig(t.seconds),
                sig(t.sample_epochs_per_second()),
                sklearn.map_or("-".into(), |s| {
                    ratio(t.sample_epochs_per_second() / s.sample_epochs_per_second())
                }),
            ]
        })
        .collect();
    table(
        out,
        &[
            "Engine",
            "Threads",
            "Epochs",
            "Fit time (s)",
            "Sample-epochs/s",
            "Ratio to scikit-learn",
        ],
        &rows,
    );
    if !crate::threads::SUPPORTED {
        para(
            out,
            "fivedreg-nn exposes no thread-count setting in this build, so one fivedreg run is shown.",
        );
    }
    if sklearn.is_none() {
        para(
            out,
            "The ratio needs scikit-learn, which did not run (see below).",
        );
    }
}

fn baseline_section(out: &mut String, report: &BenchReport) {
    let c = &report.config;
    let caps: Vec<String> = report
        .baseline_caps
        .iter()
        .map(|(m, cap)| format!("{m} at most {} training rows", int(*cap)))
        .collect();
    para(
        out,
        &format!(
            "Every method is fitted on the same training split (the first rows of it where capped) \
             and scored on the same test split as fivedreg (its first {} rows where the split is \
             larger: their prediction is slow); fit time and peak heap/RSS are of the fit alone, \
             each in a fresh worker. The slow methods are capped to keep the run bounded: {}. \
             Settings: {}.",
            int(c.baseline_test_cap),
            if caps.is_empty() { "none".to_string() } else { caps.join("; ") },
            crate::baselines::Method::ALL
                .iter()
                .map(|m| format!("{}: {}", m.name(), m.settings(c.quick)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    );
    if !report.baseline_failures.is_empty() {
        para(
            out,
            &format!(
                "Failed (left out of the tables): {}.",
                report.baseline_failures.join("; ")
            ),
        );
    }
    for s in &report.sizes {
        heading(out, 3, &format!("n = {}", int(s.n_samples)));
        let mut rows = vec![vec![
            "fivedreg MLP (ours)".to_string(),
            "fivedreg Interpolator".to_string(),
            int(s.fit.train_rows),
            if s.fit.test_head_rows < s.fit.test_rows {
                format!("{} (first rows)", int(s.fit.test_head_rows))
            } else {
                int(s.fit.test_rows)
            },
            sig(s.fit.fit_seconds),
            if s.fit.test_head_rows < s.predict.rows {
                format!(
                    "{} (all {} rows)",
                    sig(s.predict.seconds * 1e3),
                    int(s.predict.rows)
                )
            } else {
                sig(s.predict.seconds * 1e3)
            },
            mb(s.fit.memory.heap_peak_bytes),
            kib_as_mb(s.fit.memory.rss_peak_kib),
            r4(s.fit.test_head.r2),
        ]];
        for b in report
            .baselines
            .iter()
            .filter(|b| b.n_samples == s.n_samples)
        {
            rows.push(vec![
                b.method.clone(),
                b.implementation.clone(),
                if b.train_rows_used < b.train_rows {
                    format!("{} (capped)", int(b.train_rows_used))
                } else {
                    int(b.train_rows_used)
                },
                if b.test_rows_used < b.test_rows {
                    format!("{} (first rows)", int(b.test_rows_used))
                } else {
                    int(b.test_rows_used)
                },
                sig(b.fit_seconds),
                sig(b.predict_seconds * 1e3),
                mb(b.memory.heap_peak_bytes),
                kib_as_mb(b.memory.rss_peak_kib),
                r4(b.test.r2),
            ]);
        }
        table(
            out,
            &[
                "Method",
                "Implementation",
                "Training rows",
                "Test rows",
                "Fit time (s)",
                "Predict (ms)",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "Test R²",
            ],
            &rows,
        );
    }
}

fn sklearn_section(out: &mut String, report: &BenchReport) {
    let sk = &report.sklearn;
    para(out, &sk.status);
    if sk.runs.is_empty() {
        return;
    }
    para(
        out,
        "scikit-learn runs the seed system's configuration (shared/reference/sklearn_seed_benchmark.py): \
         the same training and test rows as fivedreg, X standardized with the training rows' \
         statistics (y not), hidden (64, 32, 16), Adam lr 0.001, max_iter = fivedreg's epoch limit, \
         early_stopping=True — which, as in the seed system, carves its own 10% validation out \
         of the training rows, while fivedreg watches the separate validation split. \
         Its peak memory is `tracemalloc`'s peak over a second, identical traced fit; its RSS is \
         the Python process's `ru_maxrss`, interpreter and numpy included. Speed ratio = \
         scikit-learn fit time / fivedreg fit time.",
    );
    if report
        .sizes
        .iter()
        .any(|s| s.n_samples > report.config.sklearn_max_n)
    {
        para(
            out,
            &format!(
                "scikit-learn was not run above {} rows (bounded run time; `--sklearn-max` \
                 raises the limit).",
                int(report.config.sklearn_max_n)
            ),
        );
    }
    let rows: Vec<Vec<String>> = sk
        .runs
        .iter()
        .filter_map(|run| {
            let ours = report.sizes.iter().find(|s| s.n_samples == run.n_samples)?;
            Some(vec![
                int(run.n_samples),
                sig(ours.fit.fit_seconds),
                sig(run.fit_seconds),
                ratio(run.fit_seconds / ours.fit.fit_seconds),
                int(ours.fit.epochs),
                int(run.iterations),
                r4(ours.fit.test.r2),
                r4(run.test.r2),
                r4(ours.fit.test.rmse),
                r4(run.test.rmse),
            ])
        })
        .collect();
    table(
        out,
        &[
            "Dataset size",
            "fivedreg fit (s)",
            "scikit-learn fit (s)",
            "fivedreg speed-up",
            "fivedreg epochs",
            "scikit-learn epochs",
            "fivedreg R²",
            "scikit-learn R²",
            "fivedreg RMSE",
            "scikit-learn RMSE",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = sk
        .runs
        .iter()
        .filter_map(|run| {
            let ours = report.sizes.iter().find(|s| s.n_samples == run.n_samples)?;
            Some(vec![
                int(run.n_samples),
                mb(ours.fit.memory.heap_peak_bytes),
                run.tracemalloc_peak_bytes.map_or("-".into(), mb),
                kib_as_mb(ours.fit.memory.rss_peak_kib),
                kib_as_mb(run.rss_peak_kib),
                sig(ours.fit.model_bytes as f64 / 1024.0),
                sig(run.model_bytes as f64 / 1024.0),
                sig(ours.predict.seconds * 1e3),
                sig(run.predict_seconds * 1e3),
            ])
        })
        .collect();
    table(
        out,
        &[
            "Dataset size",
            "fivedreg peak heap (MB)",
            "scikit-learn tracemalloc peak (MB)",
            "fivedreg peak RSS (MB)",
            "scikit-learn peak RSS (MB)",
            "fivedreg model file (KB)",
            "scikit-learn pickle (KB)",
            "fivedreg predict (ms)",
            "scikit-learn predict (ms)",
        ],
        &rows,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_get_thousands_separators() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
    }

    #[test]
    fn sig_keeps_three_significant_digits() {
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(0.000_212_9), "0.000213");
        assert_eq!(sig(1.2345), "1.23");
        assert_eq!(sig(12.345), "12.3");
        assert_eq!(sig(123.45), "123");
        assert_eq!(sig(315_123.4), "315,123");
        assert_eq!(sig(-2.5), "-2.50");
        assert_eq!(sig(-1234.0), "-1,234");
    }
}
