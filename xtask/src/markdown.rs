//! REPORT.md: every table of the seed system's performance page, filled from one run, one
//! function per section. Timed figures are medians of repeated runs with their range;
//! accuracy over seeds is a mean ± standard deviation.

use crate::model::{BenchReport, FitPairs, Memory, SizeRuns, Throughput};
use crate::stats::{self, Spread};
use crate::table::{int, mean_std, percent, r4, sig, spread, times, Table};
use crate::task::{network_description, threads_description};

const MIB: f64 = 1024.0 * 1024.0;

fn mb(bytes: u64) -> String {
    sig(bytes as f64 / MIB)
}

fn kib_as_mb(kib: u64) -> String {
    sig(kib as f64 / 1024.0)
}

fn heading(level: usize, title: &str) -> String {
    format!("{} {title}\n\n", "#".repeat(level))
}

fn para(text: &str) -> String {
    format!("{text}\n\n")
}

fn rss(memory: &Memory) -> String {
    let note = if memory.rss_reset {
        ""
    } else {
        " (whole worker)"
    };
    format!("{}{note}", kib_as_mb(memory.rss_peak_kib))
}

/// Sizes as `1,000, 5,000, 10,000`.
fn size_list(sizes: &[usize]) -> String {
    sizes.iter().map(|&n| int(n)).collect::<Vec<_>>().join(", ")
}

/// The whole report as Markdown.
pub fn render(report: &BenchReport) -> String {
    [
        intro(report),
        summary_section(report),
        machine_section(report),
        configuration_section(report),
        definitions_section(report),
        training_time_section(report),
        scaling_section(report),
        memory_section(report),
        accuracy_section(report),
        speed_breakdown_section(report),
        early_stopping_section(report),
        throughput_section(report),
        model_size_section(report),
        larger_sizes_section(report),
        baselines_section(report),
        sklearn_section(report),
        plots_section(),
        reproduce_section(report),
    ]
    .concat()
}

fn intro(report: &BenchReport) -> String {
    heading(1, "fivedreg benchmark report")
        + &para(&format!(
            "Measured on {} with `{}`. Every figure below was measured in this run (or derived \
             from figures measured in it); nothing is copied from the seed system's page.",
            report.machine.date_utc, report.config.command
        ))
}

fn machine_section(report: &BenchReport) -> String {
    let m = &report.machine;
    let rows = vec![
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
                "{:.2} / {:.2}",
                m.load_average_at_start, report.load_average_at_end
            ),
        ],
        vec!["Whole run (s)".into(), sig(report.total_seconds)],
    ];
    heading(2, "Machine and build")
        + &Table::with_rows(&["Item", "Value"], rows).markdown()
        + &para(
            "Other processes may have been running during the measurements: the load averages \
             above, and the one read before each pair of runs (section \"Runs and load\"), say \
             how busy the machine was. Each measurement ran in a fresh worker process, one at a \
             time.",
        )
}

fn configuration_section(report: &BenchReport) -> String {
    let c = &report.config;
    let rows = vec![
        vec![
            "Task (seed task)".into(),
            format!(
                "X ~ N(0,1)^{}, y = sum of x² + N(0, {}²)",
                c.n_inputs, c.noise
            ),
        ],
        vec![
            "Split".into(),
            "60% train / 20% validation / 20% test, seeded shuffle; the same split for every \
             method"
                .into(),
        ],
        vec!["Dataset sizes".into(), size_list(&c.sizes)],
        vec!["Seed (data, split, network)".into(), c.seed.to_string()],
        vec![
            "Network (fivedreg's defaults)".into(),
            network_description(),
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
                "the default (every core, {} here) unless a table says otherwise; results do \
                 not depend on it",
                report.machine.logical_cpus
            ),
        ],
        vec![
            "Repeats".into(),
            format!(
                "every timed figure: the median of {} runs (of {} where even the fastest run \
                 takes {} s or more), with the least and greatest in brackets; fivedreg and \
                 scikit-learn alternate (A B A B …)",
                stats::SHORT_RUN_REPEATS,
                stats::LONG_RUN_REPEATS,
                stats::LONG_RUN_SECONDS
            ),
        ],
        vec![
            "Seeds".into(),
            format!(
                "R² over seeds: the mean ± sample standard deviation over seeds {} to {} where \
                 a fit takes under {} s, else seed {} alone",
                c.seed,
                c.seed + stats::ACCURACY_SEEDS as u64 - 1,
                stats::LONG_RUN_SECONDS,
                c.seed
            ),
        ],
    ];
    heading(2, "Test configuration") + &Table::with_rows(&["Setting", "Value"], rows).markdown()
}

fn definitions_section(report: &BenchReport) -> String {
    heading(2, "Definitions")
        + &para(&format!(
            "- **Fit time**: wall-clock seconds of `Interpolator::fit` (split, scaling, training, \
             test metrics), timed inside a fresh worker process.\n\
             - **Training loop**: the part of it spent in the training loop \
             (`TrainingHistory.seconds`).\n\
             - **Median (min–max)**: the median of the repeated runs of the same fit (same seed, \
             hence the same network and epochs; only the time differs), with the least and \
             greatest.\n\
             - **Samples/s (seed's definition)**: dataset rows / median fit time, as the seed \
             page computed it; it mixes the dataset size with the number of epochs.\n\
             - **Sample-epochs/s**: training rows × epochs / median training-loop seconds: rows \
             actually pushed through the network per second.\n\
             - **Per-epoch throughput ratio** (the speed headline): fivedreg's sample-epochs/s / \
             scikit-learn's at exactly the same epochs on the same rows, taken within each \
             alternating pair; the median of the pairs with their range.\n\
             - **Fit-time ratio** (user-facing): scikit-learn's fit seconds / fivedreg's with \
             early stopping on, within each pair; it also reflects each side's own epoch count \
             and validation setup.\n\
             - **R² over seeds**: test R² for seeds {}, {}, … (data, split and network all \
             change with the seed), mean ± sample standard deviation.\n\
             - **Peak heap**: the most heap bytes live at once during the phase, above what was \
             live when it began, counted by xtask's global allocator (the same quantity as \
             Python's `tracemalloc` peak that the seed page reported).\n\
             - **Peak RSS**: the worker process's resident-set high-water mark (VmHWM in \
             /proc/self/status), reset at the phase's start through /proc/self/clear_refs; it \
             includes the executable, the generated data and allocator slack.\n\
             - MB = 2^20 bytes, KB = 1024 bytes. R², MSE, RMSE and MAE are on the test split, in \
             the target's units.",
            report.config.seed,
            report.config.seed + 1
        ))
}

fn summary_section(report: &BenchReport) -> String {
    let sizes = &report.sizes;
    // The headline first: speed against scikit-learn, then accuracy beside it.
    let mut lines = Vec::new();
    lines.extend(throughput_summary(&report.throughput));
    lines.extend(fit_time_summary(report));
    lines.extend(accuracy_summary(report));
    if let Some(fit) = report.time_scaling() {
        lines.push(format!(
            "- Fit time grows as O(n^{:.2}) over n = {} (least squares on log median time vs \
             log n); time per epoch grows as O(n^{:.2}).",
            fit.exponent,
            size_list(&fit.sizes),
            report.epoch_time_scaling().map_or(f64::NAN, |f| f.exponent)
        ));
    }
    let mean_throughput = sizes
        .iter()
        .map(|s| s.fit().sample_epochs_per_second())
        .sum::<f64>()
        / sizes.len() as f64;
    lines.push(format!(
        "- Mean throughput {} sample-epochs/s over the sizes.",
        sig(mean_throughput)
    ));
    let max_heap = sizes
        .iter()
        .map(|s| s.fit().first().memory.heap_peak_bytes)
        .max()
        .unwrap_or(0);
    lines.push(format!(
        "- Peak heap in training at most {} MB (n = {}).",
        mb(max_heap),
        int(sizes.last().map_or(0, |s| s.n_samples))
    ));
    let r2 = Spread::of(
        &sizes
            .iter()
            .map(|s| s.fit().first().test.r2)
            .collect::<Vec<_>>(),
    );
    lines.push(format!(
        "- Test R² (seed {}) from {} to {}.",
        report.config.seed,
        r4(r2.min),
        r4(r2.max)
    ));
    let kb = Spread::of(
        &sizes
            .iter()
            .map(|s| s.fit().first().model_bytes as f64 / 1024.0)
            .collect::<Vec<_>>(),
    );
    lines.push(format!(
        "- Model file {} to {} KB.",
        sig(kb.min),
        sig(kb.max)
    ));
    heading(2, "Executive summary") + &para(&lines.join("\n"))
}

fn throughput_summary(t: &Throughput) -> Option<String> {
    let ratio = t.headline_ratio()?;
    let one = Spread::of(&t.ratios(true));
    Some(format!(
        "- **Per-epoch throughput ratio** (the speed headline): at exactly {} epochs on {} \
         training rows, fivedreg on the default thread count ({}) trained {} sample-epochs/s \
         against scikit-learn's {}: {} (median of {} alternating pairs, range {}–{}); on one \
         thread {} (range {}–{}).",
        t.epochs,
        int(t.train_rows),
        t.default_threads,
        sig(Spread::of(&t.default_threads_rates()).median),
        sig(Spread::of(&t.sklearn_rates()).median),
        times(ratio.median),
        ratio.runs,
        times(ratio.min),
        times(ratio.max),
        times(one.median),
        times(one.min),
        times(one.max)
    ))
}

fn fit_time_summary(report: &BenchReport) -> Option<String> {
    let parts: Vec<String> = report
        .sklearn_sizes()
        .filter_map(|s| {
            let r = s.pairs.fit_time_ratio()?;
            Some(format!(
                "{} ({}–{}) at n = {}",
                times(r.median),
                times(r.min),
                times(r.max),
                int(s.n_samples)
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "- **Fit-time ratio** (user-facing: each side runs its own epochs and validation \
             setup): scikit-learn's default fit took this many times fivedreg's (median of the \
             pairs, range in brackets): {}.",
            parts.join(", ")
        )
    })
}

fn accuracy_summary(report: &BenchReport) -> Option<String> {
    let parts: Vec<String> = report
        .sklearn_sizes()
        .filter_map(|s| {
            let theirs = s.pairs.seeds.sklearn_r2()?;
            let ours = s.pairs.seeds.fivedreg_r2();
            Some(format!(
                "n = {}: fivedreg {}, scikit-learn {} ({} seeds)",
                int(s.n_samples),
                mean_std(&ours),
                mean_std(&theirs),
                ours.n
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "- **Test R²**, mean ± std over seeds (one seed where a fit takes {} s or more): {}.",
            stats::LONG_RUN_SECONDS,
            parts.join("; ")
        )
    })
}

fn training_time_section(report: &BenchReport) -> String {
    let rows = report
        .sizes
        .iter()
        .map(|s| {
            let fit = s.fit();
            let f = fit.first();
            vec![
                int(s.n_samples),
                int(f.train_rows),
                spread(&fit.fit_seconds(), sig),
                sig(fit.train_seconds().median),
                mb(f.memory.heap_peak_bytes),
                rss(&f.memory),
                int(f.epochs),
                sig(fit.naive_samples_per_second()),
                sig(fit.sample_epochs_per_second()),
            ]
        })
        .collect();
    heading(2, "Training time")
        + &Table::with_rows(
            &[
                "Dataset size",
                "Train rows",
                "Fit time (s), median (min–max)",
                "Training loop (s), median",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "Epochs",
                "Samples/s (n / fit time)",
                "Sample-epochs/s",
            ],
            rows,
        )
        .markdown()
}

fn scaling_section(report: &BenchReport) -> String {
    let mut out = heading(2, "Scaling behaviour");
    if let (Some(first), Some(last)) = (report.sizes.first(), report.sizes.last()) {
        let (a, b) = (first.fit(), last.fit());
        let row = |name: &str, x: f64, y: f64, write: fn(f64) -> String| {
            vec![name.to_string(), write(x), write(y), times(y / x)]
        };
        let heap = |s: &SizeRuns| s.fit().first().memory.heap_peak_bytes.max(1) as f64 / MIB;
        let epochs = |s: &SizeRuns| s.fit().first().epochs.max(1) as f64;
        let rows = vec![
            row(
                "Dataset size",
                first.n_samples as f64,
                last.n_samples as f64,
                |x| int(x as usize),
            ),
            row(
                "Fit time (s), median",
                a.fit_seconds().median,
                b.fit_seconds().median,
                sig,
            ),
            row(
                "Time per epoch (ms), median",
                a.epoch_ms(),
                b.epoch_ms(),
                sig,
            ),
            row("Peak heap (MB)", heap(first), heap(last), sig),
            row("Epochs", epochs(first), epochs(last), |x| int(x as usize)),
        ];
        out += &Table::with_rows(
            &[
                "Quantity".to_string(),
                format!("n = {}", int(first.n_samples)),
                format!("n = {}", int(last.n_samples)),
                "Ratio".to_string(),
            ],
            rows,
        )
        .markdown();
    }
    let exponents = [
        ("Fit time", report.time_scaling()),
        ("Time per epoch", report.epoch_time_scaling()),
    ]
    .into_iter()
    .filter_map(|(name, fit)| {
        let fit = fit?;
        Some(vec![
            name.to_string(),
            format!("{:.3}", fit.exponent),
            format!("{:.3}", fit.r2_log),
            size_list(&fit.sizes),
        ])
    })
    .collect();
    out + &para(
        "Empirical exponent b of time ∝ n^b: least-squares fit of ln(median time) against ln(n) \
         over the measured sizes. The fit time mixes the cost per epoch with the number of \
         epochs early stopping chose; the time per epoch isolates the cost of the data.",
    ) + &Table::with_rows(
        &["Quantity", "Exponent b", "R² of the log-log fit", "Sizes"],
        exponents,
    )
    .markdown()
}

fn memory_section(report: &BenchReport) -> String {
    let training = report
        .sizes
        .iter()
        .map(|s| {
            let f = s.fit().first();
            vec![
                int(s.n_samples),
                mb(f.memory.heap_peak_bytes),
                int(f.memory.heap_allocations as usize),
                rss(&f.memory),
                sig(f.memory.heap_peak_bytes as f64 / 1024.0 / (s.n_samples as f64 / 1000.0)),
            ]
        })
        .collect();
    let prediction = report
        .sizes
        .iter()
        .map(|s| {
            let p = &s.predict;
            vec![
                int(p.rows),
                int(s.n_samples),
                spread(&Spread::of(&p.seconds), |x| sig(x * 1e3)),
                sig(p.rows_per_second()),
                mb(p.memory.heap_peak_bytes),
                rss(&p.memory),
                sig(Spread::of(&p.load_seconds).median * 1e3),
            ]
        })
        .collect();
    heading(2, "Memory")
        + &heading(3, "Training memory")
        + &para("Of the first run of each default fit (the repeats train the same network).")
        + &Table::with_rows(
            &[
                "Dataset size",
                "Peak heap (MB)",
                "Heap allocations",
                "Peak RSS (MB)",
                "Peak heap per 1,000 rows (KB)",
            ],
            training,
        )
        .markdown()
        + &heading(3, "Prediction memory")
        + &para(
            "Each model, loaded from its model file in a fresh worker, predicts its own test \
             split (20% of n rows: 200, 1,000 and 2,000 rows for the default sizes, the seed \
             page's batch sizes), repeated in that worker; memory is of the first call.",
        )
        + &Table::with_rows(
            &[
                "Rows predicted",
                "Model trained on n",
                "Predict time (ms), median (min–max)",
                "Rows/s (median)",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "Model load (ms), median",
            ],
            prediction,
        )
        .markdown()
        + &memory_breakdown(report)
}

fn memory_breakdown(report: &BenchReport) -> String {
    let Some(s) = report.sizes.last() else {
        return String::new();
    };
    let f = s.fit().first();
    let values = report.config.n_inputs + 1;
    let params = f.n_parameters as f64 * 4.0;
    let rows_kept = f.train_rows + f.validation_rows;
    let inputs = (rows_kept * values) as f64 * 4.0;
    let rows = vec![
        vec![
            "Model parameters".into(),
            sig(params / 1024.0),
            format!("{} parameters × 4 bytes", int(f.n_parameters as usize)),
        ],
        vec![
            "Scaled training + validation rows".into(),
            sig(inputs / 1024.0),
            format!("{} rows × {values} values × 4 bytes", int(rows_kept)),
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
    ];
    heading(3, "Memory breakdown")
        + &para(&format!(
            "For n = {}: sizes computed from the network's shape and the split (f32 values), \
             set beside the measured peak heap of the same fit.",
            int(s.n_samples)
        ))
        + &Table::with_rows(&["Component", "Size (KB)", "Source"], rows).markdown()
}

fn accuracy_section(report: &BenchReport) -> String {
    let sizes = &report.sizes;
    let rows = sizes
        .iter()
        .map(|s| {
            let f = s.fit().first();
            let seeds = s.pairs.seeds.fivedreg_r2();
            vec![
                int(s.n_samples),
                int(f.test_rows),
                r4(f.test.r2),
                r4(f.test.mse),
                r4(f.test.rmse),
                r4(f.test.mae),
                mean_std(&seeds),
                seeds.n.to_string(),
            ]
        })
        .collect();
    let r2: Vec<f64> = sizes.iter().map(|s| s.fit().first().test.r2).collect();
    let over_sizes = crate::stats::MeanStd::of(&r2);
    let range = Spread::of(&r2);
    let mae_change = match (sizes.first(), sizes.last()) {
        (Some(a), Some(b)) => {
            let (a, b) = (a.fit().first().test.mae, b.fit().first().test.mae);
            percent(b - a, a)
        }
        _ => "-".into(),
    };
    let seed = report.config.seed;
    heading(2, "Accuracy")
        + &heading(3, "R², MSE, RMSE and MAE")
        + &Table::with_rows(
            &[
                "Dataset size".to_string(),
                "Test rows".to_string(),
                format!("R² (seed {seed})"),
                "MSE".to_string(),
                "RMSE".to_string(),
                "MAE".to_string(),
                "R² over seeds, mean ± std".to_string(),
                "Seeds".to_string(),
            ],
            rows,
        )
        .markdown()
        + &Table::with_rows(
            &[
                format!("Statistic over the sizes (seed {seed})"),
                "Value".to_string(),
            ],
            vec![
                vec![
                    "Mean R² ± sample standard deviation".into(),
                    mean_std(&over_sizes),
                ],
                vec![
                    "Range of R²".into(),
                    format!("[{}, {}]", r4(range.min), r4(range.max)),
                ],
                vec!["MAE change, smallest to largest n".into(), mae_change],
            ],
        )
        .markdown()
        + &heading(3, "R² over seeds")
        + &seeds_table(&sizes.iter().map(|s| &s.pairs).collect::<Vec<_>>()).markdown()
}

fn speed_breakdown_section(report: &BenchReport) -> String {
    let sizes = &report.sizes;
    let phases = sizes
        .iter()
        .map(|s| {
            let f = s.fit().median_run();
            vec![
                int(s.n_samples),
                sig(f.per_epoch_ms(f.phases.forward)),
                sig(f.per_epoch_ms(f.phases.backward)),
                sig(f.per_epoch_ms(f.phases.update)),
                sig(f.per_epoch_ms(f.phases.validation)),
                sig(f.per_epoch_ms(f.train_seconds)),
            ]
        })
        .collect();
    let convergence = sizes
        .iter()
        .map(|s| {
            let fit = s.fit();
            let f = fit.first();
            vec![
                int(s.n_samples),
                int(f.epochs),
                int(f.best_epoch),
                f.best_validation_r2.map_or("-".into(), r4),
                f.stop_reason.clone(),
                sig(f.epochs as f64 / fit.train_seconds().median),
            ]
        })
        .collect();
    let cpu = sizes
        .iter()
        .map(|s| {
            let f = s.fit().median_run();
            vec![
                int(s.n_samples),
                sig(f.fit_seconds),
                sig(f.cpu_seconds),
                percent(f.cpu_seconds, f.fit_seconds),
            ]
        })
        .collect();
    heading(2, "Training speed breakdown")
        + &para(
            "Time per epoch in each phase (`TrainingHistory.phase_seconds` / epochs), in ms, of \
             the run with the median fit time, as fivedreg-nn accounts it: forward is the \
             training thread's own forward passes; backward is the rest of each minibatch (its \
             backward passes and any wait for the other threads); update is the Adam step; \
             validation is scoring the validation split after each epoch.",
        )
        + &Table::with_rows(
            &[
                "Dataset size",
                "Forward (ms)",
                "Backward (ms)",
                "Update (ms)",
                "Validation (ms)",
                "Whole epoch (ms)",
            ],
            phases,
        )
        .markdown()
        + &heading(3, "Convergence")
        + &Table::with_rows(
            &[
                "Dataset size",
                "Epochs",
                "Best epoch (kept)",
                "Best validation R²",
                "Stop reason",
                "Epochs/s (median)",
            ],
            convergence,
        )
        .markdown()
        + &heading(3, "CPU utilisation")
        + &para(&format!(
            "CPU seconds (user + system, every thread) of the worker during the fit with the \
             median fit time, from /proc/self/stat (10 ms resolution), with the default thread \
             count on {} logical CPUs; 100% = one core busy for the whole fit.",
            report.machine.logical_cpus
        ))
        + &Table::with_rows(
            &[
                "Dataset size",
                "Fit time (s)",
                "CPU time (s)",
                "Utilisation",
            ],
            cpu,
        )
        .markdown()
}

fn early_stopping_section(report: &BenchReport) -> String {
    let c = &report.config;
    let compared: Vec<&SizeRuns> = report
        .sizes
        .iter()
        .filter(|s| s.without_early_stopping.is_some())
        .collect();
    let rows = compared
        .iter()
        .filter_map(|s| {
            let on = s.fit();
            let off = s.without_early_stopping.as_ref()?;
            let (on_time, off_time) = (on.fit_seconds(), off.fit_seconds());
            Some(vec![
                int(s.n_samples),
                int(on.first().epochs),
                int(off.first().epochs),
                percent(
                    c.max_epochs as f64 - on.first().epochs as f64,
                    c.max_epochs as f64,
                ),
                spread(&on_time, sig),
                spread(&off_time, sig),
                sig(off_time.median - on_time.median),
                r4(on.first().test.r2),
                r4(off.first().test.r2),
            ])
        })
        .collect();
    let mut out = heading(2, "Early-stopping impact")
        + &para(&format!(
            "The same runs with early stopping off: training then stops by scikit-learn's rule \
             on the training loss ({} epochs without improving by {}) or at {} epochs, and \
             keeps the last weights.",
            c.patience + 1,
            c.tol,
            int(c.max_epochs)
        ))
        + &Table::with_rows(
            &[
                "Dataset size",
                "Epochs (on)",
                "Epochs (off)",
                "Fewer than the maximum (on)",
                "Fit time on (s), median (min–max)",
                "Fit time off (s), median (min–max)",
                "Time saved (s), medians",
                "R² on",
                "R² off",
            ],
            rows,
        )
        .markdown()
        + &para(
            "A negative saving means the run without early stopping ended sooner: the \
             training-loss rule stopped it before the validation rule stopped the default run.",
        );
    if compared.len() < report.sizes.len() {
        out += &para(&format!(
            "Sizes above {} were not run with early stopping off (bounded run time).",
            int(c.no_early_stopping_max_n)
        ));
    }
    out
}

fn throughput_section(report: &BenchReport) -> String {
    let t = &report.throughput;
    let cpus = report.machine.logical_cpus;
    let seconds = |f: fn(&crate::model::ThroughputPair) -> f64| {
        Spread::of(&t.pairs.iter().map(f).collect::<Vec<_>>())
    };
    let ratio_cell = |ratios: Vec<f64>| {
        if ratios.is_empty() {
            "-".to_string()
        } else {
            spread(&Spread::of(&ratios), times)
        }
    };
    let mut rows = vec![
        vec![
            "fivedreg".to_string(),
            threads_description(1, cpus),
            int(t.epochs),
            spread(&seconds(|p| p.one_thread_seconds), sig),
            spread(&Spread::of(&t.one_thread_rates()), sig),
            ratio_cell(t.ratios(true)),
        ],
        vec![
            "fivedreg".to_string(),
            threads_description(0, cpus),
            int(t.epochs),
            spread(&seconds(|p| p.default_threads_seconds), sig),
            spread(&Spread::of(&t.default_threads_rates()), sig),
            ratio_cell(t.ratios(false)),
        ],
    ];
    if let Some((_, epochs)) = t.sklearn_rows_epochs {
        let sk: Vec<f64> = t.pairs.iter().filter_map(|p| p.sklearn_seconds).collect();
        rows.push(vec![
            "scikit-learn MLPRegressor".to_string(),
            "BLAS default".to_string(),
            int(epochs),
            spread(&Spread::of(&sk), sig),
            spread(&Spread::of(&t.sklearn_rates()), sig),
            "1x".to_string(),
        ]);
    }
    let mut out = heading(2, "Fixed-epoch throughput and threads")
        + &para(&format!(
            "{} samples ({} training rows), exactly {} epochs, early stopping off, the default \
             network; sample-epochs/s = training rows × epochs / fit seconds. Each pair runs \
             fivedreg on one thread, fivedreg on the default thread count and scikit-learn back \
             to back; the per-epoch throughput ratio is taken within each pair, and the median \
             of the pairs is shown with their range. The headline is the default thread count's.",
            int(t.n_samples),
            int(t.train_rows),
            t.epochs
        ))
        + &Table::with_rows(
            &[
                "Engine",
                "Threads",
                "Epochs",
                "Fit time (s), median (min–max)",
                "Sample-epochs/s, median (min–max)",
                "Per-epoch throughput ratio to scikit-learn, median (min–max)",
            ],
            rows,
        )
        .markdown();
    if t.sklearn_rows_epochs.is_none() {
        out += &para("The ratio needs scikit-learn, which did not run (see below).");
    }
    out + &throughput_pairs_table(t).markdown()
}

fn model_size_section(report: &BenchReport) -> String {
    let sizes = &report.sizes;
    let kb = |bytes: u64| sig(bytes as f64 / 1024.0);
    let model = sizes
        .iter()
        .map(|s| {
            let f = s.fit().first();
            vec![
                int(s.n_samples),
                kb(f.model_bytes),
                int(f.n_parameters as usize),
                sig(f.model_bytes as f64 / f.n_parameters.max(1) as f64),
            ]
        })
        .collect();
    let storage = sizes
        .iter()
        .map(|s| {
            let f = s.fit().first();
            vec![
                int(s.n_samples),
                kb(f.model_bytes),
                kb(f.dataset_csv_bytes),
                kb(f.test_csv_bytes),
                kb(f.model_bytes + f.dataset_csv_bytes + f.test_csv_bytes),
            ]
        })
        .collect();
    heading(2, "Model size")
        + &Table::with_rows(
            &[
                "Dataset size",
                "Model file (KB)",
                "Parameters",
                "Bytes per parameter",
            ],
            model,
        )
        .markdown()
        + &heading(3, "Storage")
        + &para(
            "Sizes of the files a deployment handles, each written in this run: the model file, \
             the whole dataset as CSV and the test split as CSV (a prediction input), both by \
             fivedreg's own CSV writer.",
        )
        + &Table::with_rows(
            &[
                "Dataset size",
                "Model file (KB)",
                "Dataset CSV (KB)",
                "Test split CSV (KB)",
                "Total (KB)",
            ],
            storage,
        )
        .markdown()
}

fn larger_sizes_section(report: &BenchReport) -> String {
    let large: Vec<&SizeRuns> = report
        .sizes
        .iter()
        .filter(|s| s.n_samples > 10_000)
        .collect();
    if large.is_empty() {
        return heading(2, "Larger sizes, measured")
            + &para(
                "No size above 10,000 in this run; `--full` (or `--sizes`) measures 50,000, \
                 100,000 and 1,000,000 instead of projecting them.",
            );
    }
    let rows = large
        .iter()
        .map(|s| {
            let fit = s.fit();
            let f = fit.first();
            vec![
                int(s.n_samples),
                spread(&fit.fit_seconds(), sig),
                int(f.epochs),
                mb(f.memory.heap_peak_bytes),
                kib_as_mb(f.memory.rss_peak_kib),
                r4(f.test.r2),
                sig(fit.sample_epochs_per_second()),
            ]
        })
        .collect();
    heading(2, "Larger sizes, measured")
        + &Table::with_rows(
            &[
                "Dataset size",
                "Fit time (s), median (min–max)",
                "Epochs",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "R²",
                "Sample-epochs/s",
            ],
            rows,
        )
        .markdown()
}

fn baselines_section(report: &BenchReport) -> String {
    let c = &report.config;
    let caps: Vec<String> = report
        .baseline_caps
        .iter()
        .map(|(m, cap)| format!("{m} at most {} training rows", int(*cap)))
        .collect();
    let mut out = heading(2, "Comparison with alternative regressors")
        + &para(&format!(
            "Every method is fitted on the same training split (the first rows of it where \
             capped) and scored on the same test split as fivedreg (its first {} rows where the \
             split is larger: their prediction is slow); fit and prediction are repeated in a \
             fresh worker per method (medians with ranges), peak heap/RSS are of the first fit. \
             The slow methods are capped to keep the run bounded: {}. Settings: {}.",
            int(c.baseline_test_cap),
            if caps.is_empty() {
                "none".to_string()
            } else {
                caps.join("; ")
            },
            crate::baselines::Method::ALL
                .iter()
                .map(|m| format!("{}: {}", m.name(), m.settings(c.quick)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    if !report.baseline_failures.is_empty() {
        out += &para(&format!(
            "Failed (left out of the tables): {}.",
            report.baseline_failures.join("; ")
        ));
    }
    let ms = |x: f64| sig(x * 1e3);
    for s in &report.sizes {
        let fit = s.fit();
        let f = fit.first();
        let predict = Spread::of(&s.predict.seconds);
        let mut rows = vec![vec![
            "fivedreg MLP (ours)".to_string(),
            "fivedreg Interpolator".to_string(),
            int(f.train_rows),
            if f.test_head_rows < f.test_rows {
                format!("{} (first rows)", int(f.test_head_rows))
            } else {
                int(f.test_rows)
            },
            spread(&fit.fit_seconds(), sig),
            if f.test_head_rows < s.predict.rows {
                format!(
                    "{} (all {} rows)",
                    spread(&predict, ms),
                    int(s.predict.rows)
                )
            } else {
                spread(&predict, ms)
            },
            mb(f.memory.heap_peak_bytes),
            kib_as_mb(f.memory.rss_peak_kib),
            r4(f.test_head.r2),
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
                spread(&Spread::of(&b.fit_seconds), sig),
                spread(&Spread::of(&b.predict_seconds), ms),
                mb(b.memory.heap_peak_bytes),
                kib_as_mb(b.memory.rss_peak_kib),
                r4(b.test.r2),
            ]);
        }
        out += &heading(3, &format!("n = {}", int(s.n_samples)));
        out += &Table::with_rows(
            &[
                "Method",
                "Implementation",
                "Training rows",
                "Test rows",
                "Fit time (s), median (min–max)",
                "Predict (ms), median (min–max)",
                "Peak heap (MB)",
                "Peak RSS (MB)",
                "Test R²",
            ],
            rows,
        )
        .markdown();
    }
    out
}

fn sklearn_section(report: &BenchReport) -> String {
    let mut out =
        heading(2, "scikit-learn MLPRegressor side by side") + &para(&report.sklearn.status);
    let compared: Vec<&SizeRuns> = report.sklearn_sizes().collect();
    if !compared.is_empty() {
        out += &para(
            "scikit-learn runs the seed system's configuration \
             (xtask/python/sklearn_runner.py) with fivedreg's default network \
             settings: the same training and test rows as fivedreg, X standardized with the \
             training rows' statistics (y not), max_iter = fivedreg's epoch limit, \
             early_stopping=True — which, as in the seed system, carves its own 10% validation \
             out of the training rows, while fivedreg watches the separate validation split. \
             Each size's fits alternate with fivedreg's (A B A B …); the fit-time ratio is \
             scikit-learn's fit time / fivedreg's within each pair, the median of the pairs with \
             their range. Its peak memory is `tracemalloc`'s peak over a second, identical traced \
             fit (first run only); its RSS is the Python process's `ru_maxrss`, interpreter and \
             numpy included.",
        );
        if report
            .sizes
            .iter()
            .any(|s| s.n_samples > report.config.sklearn_max_n)
        {
            out += &para(&format!(
                "scikit-learn was not run above {} rows (bounded run time; `--sklearn-max` \
                 raises the limit).",
                int(report.config.sklearn_max_n)
            ));
        }
        out += &sklearn_time_table(&compared).markdown();
        out += &sklearn_memory_table(&compared).markdown();
    }
    out + &heading(3, "Runs and load")
        + &para(
            "Every pair of default fits, with the 1-minute load average read before it (sizes \
             where scikit-learn did not run list fivedreg's repeats alone).",
        )
        + &fit_pairs_table(&report.sizes.iter().map(|s| &s.pairs).collect::<Vec<_>>()).markdown()
}

fn sklearn_time_table(compared: &[&SizeRuns]) -> Table {
    let rows = compared
        .iter()
        .map(|s| {
            let p = &s.pairs;
            let ours = p.fivedreg.first();
            let theirs = &p.sklearn[0];
            vec![
                int(s.n_samples),
                spread(&p.fivedreg.fit_seconds(), sig),
                spread(&p.sklearn_fit_seconds(), sig),
                p.fit_time_ratio().map_or("-".into(), |r| spread(&r, times)),
                int(ours.epochs),
                int(theirs.iterations),
                r4(ours.test.r2),
                r4(theirs.test.r2),
                mean_std(&p.seeds.fivedreg_r2()),
                p.seeds.sklearn_r2().map_or("-".into(), |m| mean_std(&m)),
                r4(ours.test.rmse),
                r4(theirs.test.rmse),
            ]
        })
        .collect();
    Table::with_rows(
        &[
            "Dataset size",
            "fivedreg fit (s), median (min–max)",
            "scikit-learn fit (s), median (min–max)",
            "Fit-time ratio, median (min–max)",
            "fivedreg epochs",
            "scikit-learn epochs",
            "fivedreg R² (first seed)",
            "scikit-learn R² (first seed)",
            "fivedreg R² over seeds",
            "scikit-learn R² over seeds",
            "fivedreg RMSE",
            "scikit-learn RMSE",
        ],
        rows,
    )
}

fn sklearn_memory_table(compared: &[&SizeRuns]) -> Table {
    let ms = |x: f64| sig(x * 1e3);
    let rows = compared
        .iter()
        .map(|s| {
            let ours = s.fit().first();
            let theirs = &s.pairs.sklearn[0];
            let theirs_predict: Vec<f64> =
                s.pairs.sklearn.iter().map(|r| r.predict_seconds).collect();
            vec![
                int(s.n_samples),
                mb(ours.memory.heap_peak_bytes),
                theirs.tracemalloc_peak_bytes.map_or("-".into(), mb),
                kib_as_mb(ours.memory.rss_peak_kib),
                kib_as_mb(theirs.rss_peak_kib),
                sig(ours.model_bytes as f64 / 1024.0),
                sig(theirs.model_bytes as f64 / 1024.0),
                spread(&Spread::of(&s.predict.seconds), ms),
                spread(&Spread::of(&theirs_predict), ms),
            ]
        })
        .collect();
    Table::with_rows(
        &[
            "Dataset size",
            "fivedreg peak heap (MB)",
            "scikit-learn tracemalloc peak (MB)",
            "fivedreg peak RSS (MB)",
            "scikit-learn peak RSS (MB)",
            "fivedreg model file (KB)",
            "scikit-learn pickle (KB)",
            "fivedreg predict (ms), median (min–max)",
            "scikit-learn predict (ms), median (min–max)",
        ],
        rows,
    )
}

/// Every pair of default fits: the load average before it, both fit times, their ratio.
pub fn fit_pairs_table(all: &[&FitPairs]) -> Table {
    let mut table = Table::new(&[
        "Dataset size",
        "Pair",
        "Load average (1 min)",
        "fivedreg fit (s)",
        "scikit-learn fit (s)",
        "Fit-time ratio",
    ]);
    for p in all {
        for (i, ours) in p.fivedreg.runs.iter().enumerate() {
            let theirs = p.sklearn.get(i);
            table.push(vec![
                int(p.n_samples),
                (i + 1).to_string(),
                format!("{:.2}", p.load_averages[i]),
                sig(ours.fit_seconds),
                theirs.map_or("-".into(), |t| sig(t.fit_seconds)),
                theirs.map_or("-".into(), |t| times(t.fit_seconds / ours.fit_seconds)),
            ]);
        }
    }
    table
}

/// Test R² and epochs of every seed, both sides.
pub fn seeds_table(all: &[&FitPairs]) -> Table {
    let mut table = Table::new(&[
        "Dataset size",
        "Seed",
        "fivedreg R²",
        "fivedreg epochs",
        "scikit-learn R²",
        "scikit-learn epochs",
    ]);
    for p in all {
        for (i, ours) in p.seeds.fivedreg.iter().enumerate() {
            let theirs = p.seeds.sklearn.get(i);
            table.push(vec![
                int(p.n_samples),
                ours.seed.to_string(),
                r4(ours.r2),
                int(ours.epochs),
                theirs.map_or("-".into(), |t| r4(t.r2)),
                theirs.map_or("-".into(), |t| int(t.epochs)),
            ]);
        }
    }
    table
}

/// A table of runs in pairs: the pair's number, the load average read before it, then the
/// pair's own `columns`.
pub fn pairs_table(columns: &[&str], pairs: impl Iterator<Item = (f64, Vec<String>)>) -> Table {
    let header: Vec<&str> = ["Pair", "Load average (1 min)"]
        .into_iter()
        .chain(columns.iter().copied())
        .collect();
    Table::with_rows(
        &header,
        pairs
            .enumerate()
            .map(|(i, (load, cells))| {
                [(i + 1).to_string(), format!("{load:.2}")]
                    .into_iter()
                    .chain(cells)
                    .collect()
            })
            .collect(),
    )
}

/// Every pair of the fixed-epoch throughput, with its load average and ratios.
pub fn throughput_pairs_table(t: &Throughput) -> Table {
    let one = t.ratios(true);
    let all = t.ratios(false);
    let ratio = |ratios: &[f64], i: usize| ratios.get(i).map_or("-".into(), |r| times(*r));
    pairs_table(
        &[
            "fivedreg 1 thread (s)",
            "fivedreg default threads (s)",
            "scikit-learn (s)",
            "Per-epoch throughput ratio, 1 thread",
            "Per-epoch throughput ratio, default threads",
        ],
        t.pairs.iter().enumerate().map(|(i, p)| {
            (
                p.load_average,
                vec![
                    sig(p.one_thread_seconds),
                    sig(p.default_threads_seconds),
                    p.sklearn_seconds.map_or("-".into(), sig),
                    ratio(&one, i),
                    ratio(&all, i),
                ],
            )
        }),
    )
}

fn plots_section() -> String {
    heading(2, "Plots")
        + &para(
            "- [Test R² (mean over seeds) against n](r2_vs_n.svg)\n\
             - [Median fit time against n](time_vs_n.svg)\n\
             - [Training loss per epoch](training_loss.svg)\n\
             - [Validation R² per epoch](validation_r2.svg)",
        )
}

fn reproduce_section(report: &BenchReport) -> String {
    heading(2, "Reproduce")
        + &para(&format!(
            "`{}` writes this folder (REPORT.md, benchmark_results.json, the SVG plots). \
             scikit-learn is looked for with `$FIVEDREG_PYTHON`, else `python3`. Re-run on an \
             idle machine (load average well below the number of CPUs) for figures that hold.",
            report.config.command
        ))
}
