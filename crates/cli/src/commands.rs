//! What each subcommand does: read its inputs, call the library, print.

use crate::args::{DemoArgs, EvaluateArgs, GenerateArgs, InspectArgs, PredictArgs, TrainArgs};
use crate::failure::{display_path, Failure};
use crate::output::{bytes, num, output_name, print, table, write_to};
use fivedreg::{
    AutoOptions, FitOptions, Fitted, Interpolator, MlpParams, Solver, StopReason, TrainingSummary,
    ValidFitOptions,
};
use fivedreg_data::{CsvOptions, Dataset, FeatureRows, SplitFractions, TestFunction};
use fivedreg_metrics::Report;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// `fivedreg generate`.
pub fn generate(args: &GenerateArgs) -> Result<(), Failure> {
    let inputs = args.inputs.unwrap_or(args.function.default_inputs());
    // Every way generating can fail is an option value out of range.
    let data = fivedreg_data::generate(
        args.function,
        rows(args.samples),
        inputs,
        args.noise,
        args.seed,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    write_to(&args.output, |out| {
        fivedreg_data::write_csv(&data, out)
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })
}

/// A row count that clap has already bounded by [`crate::args::MAX_SAMPLES`].
fn rows(samples: u64) -> usize {
    usize::try_from(samples).unwrap_or(usize::MAX)
}

/// The fit options of `train`'s flags, unchecked.
pub(crate) fn fit_options_of(args: &TrainArgs) -> Result<FitOptions, Failure> {
    let solver = match args.solver.as_deref() {
        Some("lbfgs") => Solver::Lbfgs,
        _ => Solver::Adam,
    };
    let default_split: &[f64] = if solver == Solver::Lbfgs {
        &[0.8, 0.0, 0.2]
    } else {
        &[0.6, 0.2, 0.2]
    };
    let split = match args.split.as_deref().unwrap_or(default_split)[..] {
        [train, validation, test] => SplitFractions::new(train, validation, test)
            .map_err(|e| Failure::usage(format!("invalid --split: {e}")))?,
        _ => {
            return Err(Failure::usage(format!(
                "invalid --split: {} fractions given, 3 needed (train,validation,test)",
                args.split.as_ref().map_or(0, Vec::len)
            )))
        }
    };
    Ok(FitOptions {
        split,
        ensemble: args.ensemble.unwrap_or(1),
        network: MlpParams {
            solver,
            activation: match args.activation.as_deref() {
                Some("tanh") => fivedreg::Activation::Tanh,
                _ => fivedreg::Activation::Relu,
            },
            // L-BFGS watches no validation rows.
            early_stopping: !args.no_early_stopping && solver == Solver::Adam,
            hidden_layers: args.hidden.clone(),
            learning_rate: args.learning_rate,
            max_epochs: args.max_epochs,
            batch_size: args.batch_size,
            alpha: args.alpha,
            patience: args.patience,
            seed: args.seed,
            threads: args.threads,
            ..Default::default()
        },
        scale_features: !args.no_scale,
        scale_target: !args.no_scale,
        ..Default::default()
    })
}

/// The checked fit options of `train`'s flags.
fn fit_options(args: &TrainArgs) -> Result<ValidFitOptions, Failure> {
    Ok(fit_options_of(args)?.check()?)
}

/// Fits with a progress bar on a terminal (epoch, training loss, validation R²).
fn fit_with_progress(
    data: &Dataset,
    options: &ValidFitOptions,
    show: bool,
) -> Result<Fitted, Failure> {
    let max_epochs = options.options().network.max_epochs as u64;
    let bar = if show && std::io::stdout().is_terminal() {
        let bar = ProgressBar::new(max_epochs);
        let style = ProgressStyle::with_template("epoch {pos:>3}/{len} [{bar:20}] {msg} {elapsed}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = Interpolator::fit(data, options, &mut |stats| {
        bar.set_position(stats.epoch as u64);
        let validation = stats
            .validation_r2
            .map(|r2| format!("  val R² {r2:.5}"))
            .unwrap_or_default();
        bar.set_message(format!("loss {:.5}{validation}", stats.train_loss));
    });
    bar.finish_and_clear();
    Ok(result?)
}

fn stop_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::NoImprovement => "no_improvement",
        StopReason::MaxEpochs => "max_epochs",
        StopReason::Converged => "converged",
        StopReason::MaxEvaluations => "max_evaluations",
    }
}

/// Why training stopped, in words.
fn stop_words(model: &Interpolator) -> String {
    let history = &model.summary().history;
    let network = &model.options().network;
    let (watched, moved) = if network.early_stopping {
        ("validation R²", "rose")
    } else {
        ("training loss", "fell")
    };
    match history.stop_reason {
        // The best weights may still come from one of those epochs: a gain below tol
        // counts as none, but the best score is kept.
        StopReason::NoImprovement => format!(
            "{watched} {moved} by less than {} for {} epochs in a row",
            network.tol,
            network.patience.saturating_add(1)
        ),
        StopReason::MaxEpochs => "reached --max-epochs".into(),
        StopReason::Converged => "L-BFGS converged".into(),
        StopReason::MaxEvaluations => "L-BFGS reached its cap on loss evaluations".into(),
    }
}

fn metrics_rows(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("R²", num(report.r2)),
        ("MSE", num(report.mse)),
        ("RMSE", num(report.rmse)),
        ("MAE", num(report.mae)),
        ("max error", num(report.max_error)),
    ]
}

/// The test-metrics table of a model's summary; `tense` words the zero-test-fraction line.
fn push_test_metrics(
    text: &mut String,
    model: &Interpolator,
    summary: &TrainingSummary,
    tense: &str,
) {
    match &summary.test_metrics {
        Some(report) => {
            text.push_str(&format!(
                "Test metrics ({} rows, in the units of {}):\n",
                report.n,
                model.target_name()
            ));
            table(text, &metrics_rows(report));
        }
        None => text.push_str(&format!("No test metrics (the test fraction {tense} 0).\n")),
    }
}

/// The table `train` and `demo` end with.
fn training_table(
    model: &Interpolator,
    seconds: f64,
    model_name: &str,
    model_bytes: u64,
) -> String {
    let summary = model.summary();
    let history = &summary.history;
    let mut text = String::new();
    push_test_metrics(&mut text, model, summary, "is");
    text.push_str("Training:\n");
    let best = match history.best_validation_r2 {
        Some(r2) => format!("{} (validation R² {})", history.best_epoch, num(r2)),
        None => history.best_epoch.to_string(),
    };
    let mut rows = vec![(
        "rows",
        format!(
            "{} train, {} validation, {} test",
            summary.train_samples, summary.validation_samples, summary.test_samples
        ),
    )];
    if model.mlp().is_some() {
        rows.push((
            "epochs",
            format!("{} ({})", history.epochs, stop_words(model)),
        ));
        rows.push(("best epoch", best));
    } else {
        rows.push((
            "fit",
            "kernel model, solved directly (no epochs)".to_string(),
        ));
    }
    rows.push(("time", format!("{seconds:.2} s")));
    rows.push((
        "model",
        format!(
            "{model_name} ({}, {} parameters)",
            bytes(model_bytes),
            model.n_parameters() * model.members().len()
        ),
    ));
    table(&mut text, &rows);
    push_ensemble(&mut text, model);
    text
}

/// The ensemble's lines (members, held-out R², calibration) and `--auto`'s leaderboard.
fn push_ensemble(text: &mut String, model: &Interpolator) {
    let summary = model.summary();
    if let Some(e) = &summary.ensemble {
        text.push_str("Ensemble:\n");
        let coverage = e.test_coverage.map_or("no test rows".to_string(), |c| {
            format!("{:.1}% of test rows", 100.0 * c)
        });
        table(
            text,
            &[
                (
                    "members",
                    match model.members() {
                        fivedreg::Members::Kernels(k) => {
                            format!("{} RBF kernel models, each holding out one fold", k.len())
                        }
                        fivedreg::Members::Networks(m) => format!(
                            "{} ({} solver, each holding out one fold)",
                            m.len(),
                            model.options().network.solver.name()
                        ),
                    },
                ),
                ("held-out R²", num(e.heldout_r2)),
                (
                    "--std",
                    format!(
                        "members' spread × {}; ±1.96 std covers {coverage}",
                        num(e.std_scale)
                    ),
                ),
            ],
        );
    }
    if let Some(board) = &summary.leaderboard {
        text.push_str("Leaderboard (--auto, 5-fold cross-validation, best first):\n");
        for (i, entry) in board.iter().enumerate() {
            let seconds = if entry.seconds > 0.0 {
                format!("{:.2} s", entry.seconds)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  {}. {:<44} CV R² {} ± {}  {seconds}\n",
                i + 1,
                entry.config,
                num(entry.cv_r2_mean),
                num(entry.cv_r2_std)
            ));
        }
    }
}

fn metrics_json(report: Option<&Report>) -> serde_json::Value {
    match report {
        Some(r) => json!({
            "r2": r.r2, "mse": r.mse, "rmse": r.rmse, "mae": r.mae, "max_error": r.max_error,
        }),
        None => json!({
            "r2": null, "mse": null, "rmse": null, "mae": null, "max_error": null,
        }),
    }
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `fivedreg train`.
pub fn train(args: &TrainArgs) -> Result<(), Failure> {
    let auto = if args.auto {
        let base = fit_options_of(args)?;
        let auto = AutoOptions {
            budget_seconds: args.budget.unwrap_or(AutoOptions::default().budget_seconds),
            base,
            ..AutoOptions::default()
        };
        Some(auto.check()?)
    } else {
        None
    };
    let options = match &auto {
        Some(_) => None,
        None => Some(fit_options(args)?),
    };
    // A model that cannot be saved (a missing folder, a folder given as the file) is
    // refused now rather than after the training: a temporary file is made beside it and
    // removed. A device or pipe is left alone until the model is written.
    let special = std::fs::metadata(&args.output).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if same_file(&args.output, &args.data) {
        return Err(Failure::usage(format!(
            "-o {} is the training data; the model would replace it",
            display_path(&args.output)
        )));
    }
    if !special {
        drop(fivedreg::AtomicFile::create(&args.output)?);
    }
    let csv = CsvOptions {
        target: args.target.clone(),
        ..Default::default()
    };
    let (data, _) = fivedreg_data::read_csv_path(&args.data, &csv)?;
    let fitted = match (&auto, &options) {
        (Some(auto), _) => {
            let show = !args.json && std::io::stderr().is_terminal();
            Interpolator::fit_auto(&data, auto, &mut |entry| {
                if show {
                    eprintln!(
                        "  tried {:<44} CV R² {:.5} ± {:.5}  {:.2} s",
                        entry.config, entry.cv_r2_mean, entry.cv_r2_std, entry.seconds
                    );
                }
            })
            .map_err(|e| Failure::from(e).about(&display_path(&args.data)))?
        }
        (None, Some(options)) => fit_with_progress(&data, options, !args.json)
            .map_err(|f| f.about(&display_path(&args.data)))?,
        (None, None) => return Err(Failure::other("no fit options".to_string())),
    };
    let model = &fitted.interpolator;
    // Saved from these bytes, so that their count is the file's size.
    let model_bytes = model.to_bytes()?;
    fivedreg::AtomicFile::write(&args.output, &model_bytes)?;
    let size = model_bytes.len() as u64;
    let seconds = fitted.history.seconds;
    if args.json {
        let summary = model.summary();
        let mut object = metrics_json(summary.test_metrics.as_ref());
        let extra = json!({
            "epochs": summary.history.epochs,
            "best_epoch": summary.history.best_epoch,
            "best_validation_r2": summary.history.best_validation_r2,
            "stop_reason": stop_reason(summary.history.stop_reason),
            "train_seconds": seconds,
            "train_samples": summary.train_samples,
            "validation_samples": summary.validation_samples,
            "test_samples": summary.test_samples,
            "samples_per_second": (summary.train_samples * summary.history.epochs) as f64
                / seconds.max(f64::MIN_POSITIVE),
            "model": display_path(&args.output),
            "model_bytes": size,
            "parameters": model.n_parameters(),
            "features": model.feature_names(),
            "target": model.target_name(),
            "solver": model.options().network.solver.name(),
            "members": model.members().len(),
            "ensemble": summary.ensemble,
            "leaderboard": summary.leaderboard,
        });
        if let (Some(target), Some(extra)) = (object.as_object_mut(), extra.as_object()) {
            target.extend(extra.clone());
        }
        return print(&format!("{object}\n"));
    }
    print(&training_table(
        model,
        seconds,
        &display_path(&args.output),
        size,
    ))
}

/// Rows predicted at a time when streaming a CSV file: few enough that their fields stay
/// in cache and the allocator reuses their memory, enough for the network's tiles.
const STREAM_CHUNK_ROWS: usize = 512;

/// `fivedreg predict`.
pub fn predict(args: &PredictArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    if let Some(point) = &args.point {
        let y = model
            .predict_point(point)
            .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
        return print(&format!("{y}\n"));
    }
    if same_file(&args.output, &args.model) {
        return Err(Failure::usage(format!(
            "-o {} is the model; the predictions would replace it",
            display_path(&args.output)
        )));
    }
    if args.std && !model.is_ensemble() {
        return Err(Failure::usage(format!(
            "--std: {}: {}",
            display_path(&args.model),
            fivedreg::Error::NotAnEnsemble
        )));
    }
    let input = args.input.as_deref().unwrap_or(Path::new("-"));
    if input.as_os_str() == "-" {
        predict_stream(
            &model,
            std::io::stdin().lock(),
            "<stdin>",
            &args.output,
            args.std,
        )
    } else {
        let file = fivedreg_data::open(input)?;
        predict_stream(&model, file, &display_path(input), &args.output, args.std)
    }
}

fn predict_stream<R: std::io::Read>(
    model: &Interpolator,
    reader: R,
    source: &str,
    output: &Path,
    with_std: bool,
) -> Result<(), Failure> {
    let mut rows = FeatureRows::new(reader, source, model.feature_names())?;
    let prediction_column = format!("{}_predicted", model.target_name());
    let std_column = format!("{}_std", model.target_name());
    for column in [&prediction_column, &std_column] {
        if rows.header().contains(column) && (with_std || *column == prediction_column) {
            return Err(Failure::other(format!(
                "{source}: already has a column named {column}"
            )));
        }
    }
    let n_features = model.feature_names().len();
    write_to(output, |out| {
        let name = output_name(output);
        let write_error = |e: csv::Error| Failure::other(format!("{name}: {e}"));
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(out);
        let mut header = rows.header().to_vec();
        header.push(prediction_column.clone());
        if with_std {
            header.push(std_column.clone());
        }
        csv.write_record(&header).map_err(write_error)?;
        let mut fields: Vec<Vec<String>> = Vec::with_capacity(STREAM_CHUNK_ROWS);
        let mut lines: Vec<u64> = Vec::with_capacity(STREAM_CHUNK_ROWS);
        let mut features: Vec<f64> = Vec::with_capacity(STREAM_CHUNK_ROWS * n_features);
        let mut number = String::new();
        let mut done = false;
        while !done {
            fields.clear();
            lines.clear();
            features.clear();
            while fields.len() < STREAM_CHUNK_ROWS {
                match rows.next_row() {
                    None => {
                        done = true;
                        break;
                    }
                    Some(row) => {
                        let row = row?;
                        features.extend_from_slice(&row.features);
                        lines.push(row.line);
                        fields.push(row.fields);
                    }
                }
            }
            if fields.is_empty() {
                break;
            }
            let predicted = if with_std {
                model.predict_with_std(&features).map(|w| (w.mean, w.std))
            } else {
                model.predict(&features).map(|mean| (mean, Vec::new()))
            };
            let (predictions, stds) = predicted.map_err(|e| match e {
                fivedreg::Error::NonFiniteFeature { row, column, value } => {
                    Failure::other(format!(
                        "{source}:{}: feature {} is not a finite number ({value})",
                        lines.get(row.saturating_sub(1)).copied().unwrap_or(0),
                        model
                            .feature_names()
                            .get(column.saturating_sub(1))
                            .map_or("?", String::as_str)
                    ))
                }
                other => Failure::other(format!(
                    "{source}: lines {}-{}: {other}",
                    lines.first().copied().unwrap_or(0),
                    lines.last().copied().unwrap_or(0)
                )),
            })?;
            for (i, (record, y)) in fields.iter_mut().zip(&predictions).enumerate() {
                number.clear();
                // Writing to a String cannot fail.
                let _ = write!(number, "{y:?}");
                let split_at = number.len();
                if let Some(sd) = stds.get(i) {
                    let _ = write!(number, "{sd:?}");
                }
                let (mean_text, std_text) = number.split_at(split_at);
                let extra = if with_std {
                    Some(std_text.as_bytes())
                } else {
                    None
                };
                csv.write_record(
                    record
                        .iter()
                        .map(String::as_bytes)
                        .chain([mean_text.as_bytes()])
                        .chain(extra),
                )
                .map_err(write_error)?;
            }
        }
        csv.flush()
            .map_err(|e| Failure::other(format!("{name}: {e}")))
    })
}

/// `fivedreg evaluate`.
pub fn evaluate(args: &EvaluateArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    let csv = CsvOptions {
        target: Some(model.target_name().to_string()),
        ..Default::default()
    };
    let (data, _) = fivedreg_data::read_csv_path(&args.data, &csv)?;
    let report = model
        .evaluate(&data)
        .map_err(|e| Failure::other(format!("{}: {e}", display_path(&args.data))))?;
    let coverage = if model.is_ensemble() {
        Some(
            model
                .coverage(&data)
                .map_err(|e| Failure::other(format!("{}: {e}", display_path(&args.data))))?,
        )
    } else {
        None
    };
    if args.json {
        let mut object = metrics_json(Some(&report));
        if let Some(map) = object.as_object_mut() {
            map.insert("n".into(), json!(report.n));
            map.insert("coverage_95".into(), json!(coverage));
        }
        return print(&format!("{object}\n"));
    }
    let mut text = format!(
        "{} on {} ({} rows, in the units of {}):\n",
        display_path(&args.model),
        display_path(&args.data),
        report.n,
        model.target_name()
    );
    let mut rows = metrics_rows(&report);
    if let Some(c) = coverage {
        rows.push(("±1.96 std", format!("covers {:.1}% of rows", 100.0 * c)));
    }
    table(&mut text, &rows);
    print(&text)
}

/// `fivedreg inspect`.
pub fn inspect(args: &InspectArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    let size = std::fs::metadata(&args.model)
        .map_err(|e| Failure::io(&args.model, e))?
        .len();
    let options = model.options();
    let network = &options.network;
    let summary = model.summary();
    if args.json {
        let object = json!({
            "model": display_path(&args.model),
            "format_version": fivedreg::FORMAT_VERSION,
            "model_bytes": size,
            "features": model.feature_names(),
            "target": model.target_name(),
            "layer_sizes": model.layer_sizes(),
            "parameters": model.n_parameters(),
            "options": options,
            "feature_scaler": {"mean": model.feature_scaler().mean(), "scale": model.feature_scaler().scale()},
            "target_scaler": {"mean": model.target_scaler().mean(), "scale": model.target_scaler().scale()},
            "summary": summary,
        });
        return print(&format!("{object}\n"));
    }
    let split = options.split;
    let stopping = if network.early_stopping {
        format!("on the validation R², patience {}", network.patience)
    } else {
        format!("off (training loss, patience {})", network.patience)
    };
    let scaled = |on: bool| if on { "standardized" } else { "as given" };
    let mut text = format!(
        "{}: fivedreg model, format version {}, {}\n",
        display_path(&args.model),
        fivedreg::FORMAT_VERSION,
        bytes(size)
    );
    table(
        &mut text,
        &[
            ("features", model.feature_names().join(", ")),
            ("target", model.target_name().to_string()),
            (
                "model",
                format!(
                    "{}, {} parameters",
                    model.describe_member(),
                    model.n_parameters()
                ),
            ),
            (
                "scaling",
                format!(
                    "features {}, target {}",
                    scaled(options.scale_features),
                    scaled(options.scale_target)
                ),
            ),
            (
                "split",
                format!("{},{},{}", split.train(), split.validation(), split.test()),
            ),
            (
                "solver",
                format!(
                    "{}, {} network{}{}",
                    network.solver.name(),
                    model.members().len(),
                    if model.is_ensemble() {
                        "s (ensemble)"
                    } else {
                        ""
                    },
                    if options.power_transform {
                        ", Yeo-Johnson inputs"
                    } else {
                        ""
                    }
                ),
            ),
            (
                "training",
                format!(
                    "seed {}, learning rate {}, alpha {}, batch {}, max epochs {}",
                    network.seed,
                    network.learning_rate,
                    network.alpha,
                    network
                        .batch_size
                        .map_or("min(200, n)".to_string(), |b| b.to_string()),
                    network.max_epochs
                ),
            ),
            ("early stopping", stopping),
            (
                "rows",
                format!(
                    "{} train, {} validation, {} test",
                    summary.train_samples, summary.validation_samples, summary.test_samples
                ),
            ),
            (
                "epochs",
                format!("{} ({})", summary.history.epochs, stop_words(&model)),
            ),
        ],
    );
    push_test_metrics(&mut text, &model, summary, "was");
    push_ensemble(&mut text, &model);
    print(&text)
}

/// `fivedreg demo`.
pub fn demo(args: &DemoArgs) -> Result<(), Failure> {
    let noise = 0.1;
    print(&format!(
        "Seed task: y = x1² + x2² + x3² + x4² + x5² + noise (sd {noise}), x ~ N(0, 1); \
         {} samples, seed {}.\nTraining a 64-32-16 network with the defaults of `fivedreg train`...\n",
        args.samples, args.seed
    ))?;
    let function = TestFunction::SumOfSquares;
    let data = fivedreg_data::generate(function, rows(args.samples), 5, noise, args.seed)?;
    let options = FitOptions {
        network: MlpParams {
            seed: args.seed,
            ..Default::default()
        },
        ..Default::default()
    }
    .check()?;
    let fitted = fit_with_progress(&data, &options, true)?;
    let model = &fitted.interpolator;
    let size = model.to_bytes()?.len() as u64;
    print(&training_table(
        model,
        fitted.history.seconds,
        "in memory",
        size,
    ))?;
    let fresh = fivedreg_data::generate(function, 5, 5, 0.0, args.seed.wrapping_add(1))?;
    let predicted = model.predict(fresh.features())?;
    let mut text = String::from("Fresh points (noise-free truth):\n");
    text.push_str(&format!(
        "  {:>8} {:>8} {:>8} {:>8} {:>8}  {:>10} {:>10} {:>9}\n",
        "x1", "x2", "x3", "x4", "x5", "true y", "predicted", "error"
    ));
    for (i, y) in predicted.iter().enumerate() {
        let x: Vec<String> = fresh.row(i).iter().map(|v| format!("{v:>8.4}")).collect();
        let truth = fresh.targets()[i];
        text.push_str(&format!(
            "  {}  {truth:>10.4} {y:>10.4} {:>+9.4}\n",
            x.join(" "),
            y - truth
        ));
    }
    print(&text)
}
