//! What each subcommand does: read its inputs, call the library, print.

use crate::args::{Cli, CompletionsArgs, ServeArgs};
use crate::args::{DemoArgs, EvaluateArgs, GenerateArgs, InspectArgs, PredictArgs, TrainArgs};
use crate::failure::{display_path, Failure};
use crate::output::{
    bytes, check_stdout_open, column_name, column_names, num, output_name, print, r2, table,
    write_to,
};
use fivedreg::{
    FitOptions, Fitted, Interpolator, MlpParams, Plan, StopReason, TrainingSummary, ValidFitOptions,
};
use fivedreg_data::{
    CsvOptions, Dataset, FeatureRows, Generator, RawBlock, RowChunk, TestFunction,
};
use fivedreg_metrics::{Report, ReportBuilder};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// `fivedreg generate`.
pub fn generate(args: &GenerateArgs) -> Result<(), Failure> {
    let inputs = args.inputs.unwrap_or(args.function.default_inputs());
    // Every way making the generator can fail is an option value out of range.
    let generator = Generator::new(
        args.function,
        rows(args.samples),
        inputs,
        args.noise,
        args.seed,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    // Streamed: one row in memory at a time, whatever --samples is.
    write_to(&args.output, |out| {
        generator
            .write_csv(out)
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })
}

/// A row count that clap has already bounded by [`crate::args::MAX_SAMPLES`].
fn rows(samples: u64) -> usize {
    usize::try_from(samples).unwrap_or(usize::MAX)
}

/// The checked plan of `train`'s flags (the library's rules; errors name the flags).
pub(crate) fn plan_of(args: &TrainArgs) -> Result<Plan, Failure> {
    args.spec.0.plan().map_err(|e| match e {
        fivedreg::SpecError::Library(e) => Failure::from(e),
        spec => Failure::usage(spec.message(&|p| p.info().flag())),
    })
}

/// One epoch of the training curve, as `--history` writes it.
struct CurvePoint {
    member: usize,
    epoch: usize,
    /// In standardized units, as the network trained on; converted when written.
    train_loss: f64,
    validation_r2: Option<f64>,
    seconds: f64,
}

/// Fits with a progress bar on a terminal (epoch, training loss, validation R²), recording
/// every epoch's point of the training curve.
fn fit_with_progress(
    data: &Dataset,
    options: &ValidFitOptions,
    show: bool,
    curve: &mut Vec<CurvePoint>,
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
    let started = std::time::Instant::now();
    let result = Interpolator::fit(data, options, &mut |stats| {
        curve.push(CurvePoint {
            member: stats.member,
            epoch: stats.epoch,
            train_loss: stats.train_loss,
            validation_r2: stats.validation_r2,
            seconds: started.elapsed().as_secs_f64(),
        });
        // An ensemble's members report together: the bar follows the first.
        if stats.member == 0 {
            bar.set_position(stats.epoch as u64);
            let validation = stats
                .validation_r2
                .map(|r2| format!("  val R² {r2:.5}"))
                .unwrap_or_default();
            bar.set_message(format!("loss {:.5}{validation}", stats.train_loss));
        }
    });
    bar.finish_and_clear();
    Ok(result?)
}

/// The factor that turns a training loss in standardized units into the target's units
/// squared: the loss is half a mean squared error (plus the L2 term) of the scaled target.
fn loss_to_target_units(model: &Interpolator) -> f64 {
    let scale = model.target_scaler().scale()[0];
    scale * scale
}

/// `--history`'s CSV: the curve in the target's units, ordered by member then epoch.
fn history_csv(model: &Interpolator, curve: &mut [CurvePoint]) -> String {
    let factor = loss_to_target_units(model);
    curve.sort_by_key(|p| (p.member, p.epoch));
    let mut text = String::from("member,epoch,train_loss,validation_r2,seconds\n");
    for p in curve.iter() {
        let r2 = p
            .validation_r2
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "{},{},{:?},{r2},{:.6}",
            p.member,
            p.epoch,
            p.train_loss * factor,
            p.seconds
        );
    }
    text
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
    if history.best_validation_r2.is_some_and(f64::is_nan) {
        return "the target is constant: nothing to learn, it is predicted exactly".into();
    }
    match history.stop_reason {
        StopReason::NoImprovement => format!(
            "stopped: {} in a row in which the {watched} {moved} by less than {} beyond its \
             best (patience {})",
            epochs_word(network.patience.saturating_add(1)),
            network.tol,
            network.patience
        ),
        StopReason::MaxEpochs => "reached --max-epochs".into(),
        StopReason::Converged => "L-BFGS converged".into(),
        StopReason::MaxEvaluations => "L-BFGS reached its cap on loss evaluations".into(),
    }
}

/// `n epochs`, or `1 epoch`.
fn epochs_word(n: usize) -> String {
    if n == 1 {
        "1 epoch".into()
    } else {
        format!("{n} epochs")
    }
}

/// What the best epoch's line adds when the best epoch lies inside the final run of epochs
/// without improvement: a gain smaller than tol keeps the new best weights but does not
/// reset the count, as in scikit-learn, so "stopped without improvement" and "best epoch =
/// last epoch" are both true.
fn best_epoch_note(model: &Interpolator) -> &'static str {
    let history = &model.summary().history;
    let run = model.options().network.patience.saturating_add(1);
    if history.stop_reason == StopReason::NoImprovement && history.best_epoch + run > history.epochs
    {
        "; a gain below tol: kept as the best weights, not counted as an improvement"
    } else {
        ""
    }
}

/// An error metric, or why it has no value: the MSE of errors around 1e155 and above is
/// beyond `f64` (its square root, the RMSE, is not).
fn metric(v: f64) -> String {
    if v.is_infinite() {
        "beyond the range of f64 numbers".into()
    } else {
        num(v)
    }
}

fn metrics_rows(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("R²", r2(report.r2)),
        ("MSE", metric(report.mse)),
        ("RMSE", metric(report.rmse)),
        ("MAE", metric(report.mae)),
        ("max error", metric(report.max_error)),
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
                column_name(model.target_name())
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
        Some(score) if score.is_nan() => format!(
            "{} (validation R² undefined: the target is constant)",
            history.best_epoch
        ),
        Some(score) => format!(
            "{} (validation R² {}{})",
            history.best_epoch,
            num(score),
            best_epoch_note(model)
        ),
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
        let fit = match model.members() {
            fivedreg::Members::Trees(_) => format!(
                "boosted trees ({}), the tree count chosen on the held-out folds",
                model.describe_member()
            ),
            _ => "kernel model, solved directly (no epochs)".to_string(),
        };
        rows.push(("fit", fit));
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
                        // --auto refits a winning kernel model on every row; the folds
                        // only scored it.
                        fivedreg::Members::Kernels(k) if k.len() == 1 => {
                            "1 RBF kernel model, refitted on every row after the folds \
                             scored it"
                                .to_string()
                        }
                        fivedreg::Members::Kernels(k) => {
                            format!("{} RBF kernel models, each holding out one fold", k.len())
                        }
                        fivedreg::Members::Networks(m) => format!(
                            "{} ({} solver, each holding out one fold)",
                            m.len(),
                            model.options().network.solver.name()
                        ),
                        fivedreg::Members::Trees(t) => format!(
                            "{} boosted-tree models ({}), each holding out one fold",
                            t.len(),
                            model.describe_member()
                        ),
                    },
                ),
                ("held-out R²", r2(e.heldout_r2)),
                (
                    "--std",
                    match model.members() {
                        fivedreg::Members::Trees(_) => format!(
                            "√({}² + (members' spread × {})²); ±1.96 std covers {coverage}",
                            num(e.std_floor),
                            num(e.std_scale)
                        ),
                        // One member has no spread: its std is the floor alone.
                        _ if model.members().len() == 1 || e.std_scale == 0.0 => format!(
                            "{}, the same on every row (the held-out folds' error); ±1.96 \
                             std covers {coverage}",
                            num(e.std_floor)
                        ),
                        _ if e.std_floor > 0.0 => format!(
                            "members' spread × {} + {}; ±1.96 std covers {coverage}",
                            num(e.std_scale),
                            num(e.std_floor)
                        ),
                        _ => format!(
                            "members' spread × {}; ±1.96 std covers {coverage}",
                            num(e.std_scale)
                        ),
                    },
                ),
            ],
        );
    }
    if let Some(blend) = model.blend() {
        text.push_str("Blend:\n");
        let describe = |m: &Interpolator| match m.members() {
            fivedreg::Members::Networks(n) if n.len() > 1 => {
                format!("{}, mean of {} networks", m.describe_member(), n.len())
            }
            _ => m.describe_member(),
        };
        let mut rows = vec![(
            describe(model),
            format!("weight {} (the model above)", num(blend.main_weight())),
        )];
        rows.extend(blend.parts.iter().map(|part| {
            (
                describe(&part.model),
                format!("weight {}", num(part.weight)),
            )
        }));
        rows.push((
            "--std".to_string(),
            format!("the main model's × {}", num(blend.std_ratio)),
        ));
        let rows: Vec<(&str, String)> = rows.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        table(text, &rows);
    }
    if let Some(board) = &summary.leaderboard {
        text.push_str("Leaderboard (--auto, 5-fold cross-validation, best first):\n");
        // Rank, score and time in columns, the description last: a blend's or a kernel's
        // description can run to 200 characters.
        let scores: Vec<String> = board
            .iter()
            .map(|entry| {
                // R² is undefined on a fold whose target is constant: words, not "NaN ± NaN".
                if entry.cv_r2_mean.is_nan() {
                    "undefined (a fold's target is constant)".to_string()
                } else {
                    format!("{} ± {}", num(entry.cv_r2_mean), num(entry.cv_r2_std))
                }
            })
            .collect();
        let width = scores.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        for (i, (entry, score)) in board.iter().zip(&scores).enumerate() {
            // Blank without a time: a model file keeps none (times differ between runs, the
            // file's bytes must not), and under half a millisecond rounds to 0.
            let seconds = if entry.seconds > 0.0 {
                format!("{:.2} s", entry.seconds)
            } else {
                String::new()
            };
            let rank = format!("{}.", i + 1);
            text.push_str(&format!(
                "  {rank:<3} CV R² {score:<width$}  {seconds:>8}  {}\n",
                entry.config
            ));
        }
        if let Some(search) = &summary.search {
            text.push_str(&format!(
                "Search: {} of {} work-seconds spent (--budget counts work, not wall time); stopped because {}\n",
                num(search.spent),
                num(search.budget),
                search.stop.describe()
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

/// The metadata of the file `path` names; `-` names stdin, whatever it was redirected
/// from (so that `-o /proc/self/fd/0` or `--history /dev/stdin` is seen to be the input
/// read from `-`).
fn metadata_of(path: &Path) -> std::io::Result<std::fs::Metadata> {
    #[cfg(unix)]
    if path.as_os_str() == "-" {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        let fd = stdin.as_fd().try_clone_to_owned()?;
        return std::fs::File::from(fd).metadata();
    }
    std::fs::metadata(path)
}

/// Whether the output `a` and the input `b` name the same existing regular file, through
/// symbolic or hard links; an input `-` is stdin, an output `-` (stdout) is never the
/// same. (Devices are left out: `/dev/stdin` and `/dev/stdout` may be one terminal.)
fn same_file(a: &Path, b: &Path) -> bool {
    if a.as_os_str() == "-" {
        return false;
    }
    let (Ok(meta_a), Ok(meta_b)) = (std::fs::metadata(a), metadata_of(b)) else {
        return false;
    };
    if !(meta_a.is_file() && meta_b.is_file()) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta_a.dev() == meta_b.dev() && meta_a.ino() == meta_b.ino()
    }
    #[cfg(not(unix))]
    {
        matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
    }
}

/// The column `predict` adds to its output, named after the model's target.
fn prediction_column(target: &str) -> String {
    format!("{target}_predicted")
}

/// `fivedreg train`.
pub fn train(args: &TrainArgs) -> Result<(), Failure> {
    if args.output.as_os_str() == "-" {
        return Err(Failure::usage(
            "-o -: a model file is binary and is not written to stdout; name a file \
             (the report goes to stdout)",
        ));
    }
    let (auto, options) = match plan_of(args)? {
        Plan::Auto(auto) => (Some(auto), None),
        Plan::Fit(options) => (None, Some(options)),
    };
    // The report goes to stdout: refused now if it cannot, rather than after the training.
    check_stdout_open().map_err(not_saved)?;
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
    if let Some(history) = &args.history {
        // As `-o -`: stdout carries the report, so the curve would be mixed into it.
        if history.as_os_str() == "-" {
            return Err(Failure::usage(
                "--history -: the training curve is not written to stdout, which carries \
                 the report; name a file",
            ));
        }
        if history == &args.output
            || same_file(history, &args.data)
            || same_file(history, &args.output)
        {
            return Err(Failure::usage(format!(
                "--history {} is the training data or the model; it would replace it",
                display_path(history)
            )));
        }
    }
    if !special {
        drop(fivedreg::AtomicFile::create(&args.output)?);
    }
    let csv = CsvOptions {
        target: args.target.clone(),
        features: args.features.clone(),
        drop: args.drop.clone(),
        delimiter: args.delimiter,
        ..Default::default()
    };
    if args.data.as_os_str() == "-" {
        drop(stdin()?);
    }
    let (data, read) = fivedreg_data::read_csv_path(&args.data, &csv)?;
    note_index_column(&args.data, &read);
    let predicted = prediction_column(data.target_name());
    if data.feature_names().contains(&predicted) {
        return Err(Failure::other(format!(
            "{}: the feature column {} has the name `fivedreg predict` gives its prediction \
             column for the target {}, so the model could never predict a file that holds \
             it; rename the column",
            display_path(&args.data),
            column_name(&predicted),
            column_name(data.target_name())
        )));
    }
    let mut curve = Vec::new();
    let fitted = match (&auto, &options) {
        (Some(auto), _) => {
            let show = !args.json && std::io::stderr().is_terminal();
            let fitted = Interpolator::fit_auto(&data, auto, &mut |entry| {
                if show {
                    eprintln!(
                        "  tried {:<44} CV R² {:.5} ± {:.5}  {:.2} s",
                        entry.config, entry.cv_r2_mean, entry.cv_r2_std, entry.seconds
                    );
                }
            })
            .map_err(|e| Failure::from(e).about(&display_path(&args.data)))?;
            let summary = fitted.interpolator.summary();
            let searched =
                summary.train_samples + summary.validation_samples + summary.test_samples;
            if searched < data.n_rows() {
                eprintln!(
                    "note: {}: the first --auto candidate alone would exceed the budget on all \
                     {} rows: the search ran on {searched} of them, drawn from the seed",
                    display_path(&args.data),
                    data.n_rows()
                );
            }
            if let Some(below) = fitted.auto_below_the_mean() {
                eprintln!(
                    "warning: {}: no --auto candidate beat predicting the mean: the best CV R² \
                     is {}, the mean's {} on the same folds; the model predicts worse than the \
                     training targets' mean (more rows, or fewer columns, may help)",
                    display_path(&args.data),
                    num(below.best_cv_r2),
                    num(below.mean_cv_r2)
                );
            }
            fitted
        }
        (None, Some(options)) => fit_with_progress(&data, options, !args.json, &mut curve)
            .map_err(|f| f.about(&display_path(&args.data)))?,
        (None, None) => return Err(Failure::other("no fit options".to_string())),
    };
    let model = &fitted.interpolator;
    // Saved from these bytes, so that their count is the file's size. The file is written
    // whole but put in place only once the report is out, so that a run whose report
    // cannot be written (a full disk behind stdout) fails without replacing the model.
    let model_bytes = model.to_bytes()?;
    let mut file = fivedreg::AtomicFile::create(&args.output)?;
    std::io::Write::write_all(file.file(), &model_bytes)
        .map_err(|e| Failure::io(&args.output, e))?;
    let size = model_bytes.len() as u64;
    let seconds = fitted.history.seconds;
    if let Some(path) = &args.history {
        let mut history = fivedreg::AtomicFile::create(path)?;
        std::io::Write::write_all(history.file(), history_csv(model, &mut curve).as_bytes())
            .map_err(|e| Failure::io(path, e))
            .map_err(not_saved)?;
        history.commit().map_err(Failure::from).map_err(not_saved)?;
    }
    if args.json {
        let summary = model.summary();
        let mut object = metrics_json(summary.test_metrics.as_ref());
        let extra = json!({
            "epochs": summary.history.epochs,
            "best_epoch": summary.history.best_epoch,
            "best_validation_r2": summary.history.best_validation_r2,
            "stop_reason": summary.history.stop_reason.name(),
            "train_seconds": seconds,
            "train_samples": summary.train_samples,
            "validation_samples": summary.validation_samples,
            "test_samples": summary.test_samples,
            "sample_epochs_per_second": (summary.train_samples * summary.history.epochs) as f64
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
        print(&format!("{object}\n")).map_err(not_saved)?;
    } else {
        print(&training_table(
            model,
            seconds,
            &display_path(&args.output),
            size,
        ))
        .map_err(not_saved)?;
    }
    Ok(file.commit()?)
}

/// A report that could not be written, with the consequence: the model was not saved.
fn not_saved(failure: Failure) -> Failure {
    Failure::other(format!(
        "{failure}; the model was not saved (any old file is left as it was)"
    ))
}

/// Says on stderr, a line each, which columns were left out of the features without being
/// named by `--drop`: an unnamed first column of row numbers (pandas' index), and columns of
/// text (an ID, a label).
fn note_index_column(path: &Path, read: &fivedreg_data::ReadSummary) {
    for note in read.notes() {
        eprintln!("note: {}: {note}", display_path(path));
    }
}

/// Says on stderr that the unnamed first column of a file to predict or evaluate (pandas'
/// index, as `df.to_csv(path)` writes it) is not a feature, and what becomes of it.
fn note_unnamed_first(source: &str, header: &[String], fate: &str) {
    if header.len() > 1 && header.first().is_some_and(|name| name.is_empty()) {
        eprintln!(
            "note: {source}: the unnamed first column (a pandas index?) is not a feature of \
             the model: {fate}"
        );
    }
}

/// `fivedreg predict`.
pub fn predict(args: &PredictArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    if args.std && !model.is_ensemble() {
        return Err(Failure::usage(format!(
            "--std: {}: {}",
            display_path(&args.model),
            fivedreg::Error::NotAnEnsemble
        )));
    }
    if let Some(point) = &args.point {
        let mut y = model
            .predict_point(point)
            .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
        // With --std, the mean and std as the file form computes them (the point's length
        // was checked just above).
        let mut std = None;
        if args.std {
            let with_std = model
                .predict_with_std(point)
                .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
            if let (Some(&mean), Some(&s)) = (with_std.mean.first(), with_std.std.first()) {
                (y, std) = (mean, Some(s));
            }
        }
        if model.domain().is_some_and(|d| d.is_outside(point)) {
            let what = "the point lies outside the training domain (outside a feature's \
                        training range or far from every training row; see `fivedreg inspect`)";
            if args.strict_domain {
                return Err(Failure::other(format!(
                    "{}: {what}; --strict-domain refuses it",
                    display_path(&args.model)
                )));
            }
            eprintln!("warning: {what}: the prediction is an extrapolation");
        }
        // The shortest text that reads back as the same number (1e-301, not 300 zeros);
        // with --std, the std after a comma, as the columns of a predicted file.
        return match std {
            Some(std) => print(&format!("{y:?},{std:?}\n")),
            None => print(&format!("{y:?}\n")),
        };
    }
    if same_file(&args.output, &args.model) {
        return Err(Failure::usage(format!(
            "-o {} is the model; the predictions would replace it",
            display_path(&args.output)
        )));
    }
    let input = args.input.as_deref().unwrap_or(Path::new("-"));
    if same_file(&args.output, input) {
        return Err(Failure::usage(format!(
            "-o {} is the input; the predictions would replace it (write them to another \
             file)",
            display_path(&args.output)
        )));
    }
    if input.as_os_str() == "-" {
        predict_stream(&model, stdin()?, "<stdin>", args)
    } else {
        let file = fivedreg_data::open(input)?;
        predict_stream(&model, file, &display_path(input), args)
    }
}

fn predict_stream<R: std::io::Read>(
    model: &Interpolator,
    reader: R,
    source: &str,
    args: &PredictArgs,
) -> Result<(), Failure> {
    let (output, with_std) = (args.output.as_path(), args.std);
    let options = CsvOptions {
        delimiter: args.delimiter,
        ..Default::default()
    };
    let mut rows = FeatureRows::with_options(reader, source, model.feature_names(), &options)?;
    note_unnamed_first(source, rows.header(), "copied through to the output");
    let prediction_column = prediction_column(model.target_name());
    let std_column = format!("{}_std", model.target_name());
    let domain_column = format!("{}_extrapolated", model.target_name());
    for (column, added) in [
        (&prediction_column, true),
        (&std_column, with_std),
        (&domain_column, args.flag_domain),
    ] {
        if rows.header().contains(column) && added {
            return Err(Failure::other(format!(
                "{source}: already has a column named {}",
                column_name(column)
            )));
        }
    }
    write_to(output, |out| {
        let name = output_name(output);
        let write_error = |e: std::io::Error| Failure::other(format!("{name}: {e}"));
        let delimiter = rows.delimiter();
        // The header as the `csv` crate writes it (quoted where needed), with the input's
        // separator, so a tab-separated file stays one.
        let mut header = rows.header().to_vec();
        header.push(prediction_column.clone());
        if with_std {
            header.push(std_column.clone());
        }
        if args.flag_domain {
            header.push(domain_column.clone());
        }
        let mut header_line = Vec::new();
        for (i, name) in header.iter().enumerate() {
            if i > 0 {
                header_line.push(delimiter);
            }
            fivedreg_data::push_field(&mut header_line, name.as_bytes(), delimiter);
        }
        header_line.push(b'\n');
        // Written with the first rows (or at the end, when there are none), so that a run
        // refused at its first block (`--strict-domain`, a bad row) writes nothing at all.
        let mut header_line = Some(header_line);
        let format = ChunkFormat {
            model,
            source,
            delimiter,
            with_std,
            flag_domain: args.flag_domain,
            strict_domain: args.strict_domain,
        };
        // This thread reads blocks of lines and writes the output in order; two workers
        // parse, predict and format whole blocks. A block that is not plain (and every
        // block after it) goes back to the reader's slow path, which this thread then reads
        // chunk by chunk for the workers to predict.
        let parser = rows.block_parser();
        let (to_workers, jobs) = std::sync::mpsc::channel::<PredictJob>();
        let jobs = std::sync::Mutex::new(jobs);
        let (worker_out, from_workers) = std::sync::mpsc::channel::<PredictJob>();
        // Owned by the scope's closure: dropped on every way out of it, which stops the
        // workers before the scope waits for them.
        let outside_rows = std::thread::scope(|scope| -> Result<u64, Failure> {
            let to_workers = to_workers;
            for _ in 0..WORKERS {
                let (jobs, worker_out, format, parser) =
                    (&jobs, worker_out.clone(), &format, &parser);
                scope.spawn(move || loop {
                    let next = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut job) = next else {
                        return;
                    };
                    job.not_plain = false;
                    job.failure = None;
                    if job.raw {
                        let parsed = parser
                            .as_ref()
                            .is_some_and(|p| p.parse(&mut job.block, &mut job.chunk));
                        job.not_plain = !parsed;
                    }
                    if !job.not_plain {
                        job.failure = format.run(&mut job).err();
                    }
                    if worker_out.send(job).is_err() {
                        return;
                    }
                });
            }
            drop(worker_out);
            let mut spare: Vec<PredictJob> = Vec::new();
            let mut done: std::collections::BTreeMap<u64, PredictJob> = Default::default();
            let (mut next_seq, mut write_seq, mut in_flight) = (0u64, 0u64, 0usize);
            let mut outside_rows = 0u64;
            let mut read_error = None;
            let (mut reading, mut fast) = (true, parser.is_some());
            loop {
                while reading && in_flight < IN_FLIGHT {
                    let mut job = spare.pop().unwrap_or_else(PredictJob::new);
                    job.chunk.clear();
                    job.raw = false;
                    if fast {
                        match rows.take_block(&mut job.block) {
                            Ok(true) => job.raw = true,
                            Ok(false) => fast = false,
                            Err(e) => {
                                read_error = Some(e);
                                reading = false;
                                break;
                            }
                        }
                    }
                    if !job.raw {
                        match rows.read_chunk(&mut job.chunk) {
                            Ok(true) => {}
                            Ok(false) => {
                                reading = false;
                                break;
                            }
                            Err(e) => {
                                read_error = Some(e);
                                reading = false;
                                break;
                            }
                        }
                    }
                    job.seq = next_seq;
                    next_seq += 1;
                    in_flight += 1;
                    if to_workers.send(job).is_err() {
                        return Err(Failure::other(format!("{source}: a worker stopped")));
                    }
                }
                if in_flight == 0 {
                    break;
                }
                let Ok(job) = from_workers.recv() else {
                    return Err(Failure::other(format!("{source}: a worker stopped")));
                };
                in_flight -= 1;
                done.insert(job.seq, job);
                while let Some(mut job) = done.remove(&write_seq) {
                    if job.not_plain {
                        // Back to the reader, with every block taken after it, in order.
                        while in_flight > 0 {
                            let Ok(later) = from_workers.recv() else {
                                return Err(Failure::other(format!("{source}: a worker stopped")));
                            };
                            in_flight -= 1;
                            done.insert(later.seq, later);
                        }
                        let mut back = vec![std::mem::take(&mut job.block)];
                        for (_, later) in std::mem::take(&mut done) {
                            back.push(later.block);
                        }
                        rows.give_back(back);
                        (next_seq, fast, reading) = (write_seq, false, true);
                        spare.push(job);
                        break;
                    }
                    // Rows before a bad one are written first, as their order asks.
                    if let Some(failure) = job.failure.take() {
                        return Err(failure);
                    }
                    if let Some(header) = header_line.take() {
                        out.write_all(&header).map_err(write_error)?;
                    }
                    out.write_all(&job.text).map_err(write_error)?;
                    outside_rows += job.outside_rows;
                    write_seq += 1;
                    spare.push(job);
                }
            }
            drop(to_workers);
            match read_error {
                Some(e) => Err(e.into()),
                None => Ok(outside_rows),
            }
        })?;
        if let Some(header) = header_line.take() {
            out.write_all(&header).map_err(write_error)?;
        }
        out.flush().map_err(write_error)?;
        if outside_rows > 0 {
            eprintln!(
                "warning: {source}: {outside_rows} row{} outside the training domain \
                 (outside a feature's training range or far from every training row): \
                 {} extrapolation{}{}",
                if outside_rows == 1 { " lies" } else { "s lie" },
                if outside_rows == 1 {
                    "its prediction is an"
                } else {
                    "their predictions are"
                },
                if outside_rows == 1 { "" } else { "s" },
                if args.flag_domain {
                    format!("; see the {domain_column} column")
                } else {
                    "; --flag-domain marks them".to_string()
                }
            );
        }
        Ok(())
    })
}

/// Threads that parse, predict and format blocks of rows for `predict`.
const WORKERS: usize = 2;

/// Blocks of rows on their way through the workers at most (a few megabytes).
const IN_FLIGHT: usize = 4;

/// A block of rows on its way through `predict`: taken (or read on the slow path), parsed,
/// predicted and formatted.
struct PredictJob {
    /// Its place in the input.
    seq: u64,
    /// Whether `block` is still to be parsed (else `chunk` was read on the slow path).
    raw: bool,
    block: RawBlock,
    chunk: RowChunk,
    /// The output lines of the rows.
    text: Vec<u8>,
    outside_rows: u64,
    /// The block has a line the fast path does not parse.
    not_plain: bool,
    failure: Option<Failure>,
}

impl PredictJob {
    fn new() -> PredictJob {
        PredictJob {
            seq: 0,
            raw: false,
            block: RawBlock::default(),
            chunk: RowChunk::new(true),
            text: Vec::new(),
            outside_rows: 0,
            not_plain: false,
            failure: None,
        }
    }
}

/// How `predict` turns a chunk of rows into output lines.
struct ChunkFormat<'a> {
    model: &'a Interpolator,
    source: &'a str,
    delimiter: u8,
    with_std: bool,
    flag_domain: bool,
    strict_domain: bool,
}

impl ChunkFormat<'_> {
    /// Predicts the chunk's rows and writes each row's output line into `job.text`: its
    /// input fields as read, then the prediction (and the standard deviation, and whether
    /// it lies outside the domain, when asked), with the numbers' shortest round-trip text.
    fn run(&self, job: &mut PredictJob) -> Result<(), Failure> {
        let (model, source, chunk) = (self.model, self.source, &job.chunk);
        let predicted = if self.with_std {
            model
                .predict_with_std(&chunk.features)
                .map(|w| (w.mean, w.std))
        } else {
            model
                .predict(&chunk.features)
                .map(|mean| (mean, Vec::new()))
        };
        let (predictions, stds) =
            predicted.map_err(|e| chunk_failure(model, source, &chunk.lines, e))?;
        let outside = model
            .domain()
            .map(|d| d.outside(&chunk.features))
            .unwrap_or_default();
        if let Some(i) = outside.iter().position(|&o| o) {
            if self.strict_domain {
                return Err(Failure::other(format!(
                    "{source}:{}: the row lies outside the training domain (outside a \
                     feature's training range or far from every training row); \
                     --strict-domain refuses it",
                    chunk.lines.get(i).copied().unwrap_or(0)
                )));
            }
        }
        job.outside_rows = outside.iter().filter(|&&o| o).count() as u64;
        let text = &mut job.text;
        text.clear();
        let delimiter = self.delimiter;
        let mut number = Vec::with_capacity(32);
        for (i, y) in predictions.iter().enumerate() {
            text.extend_from_slice(chunk.text(i));
            let mut field = |text: &mut Vec<u8>, value: Option<f64>, word: &[u8]| {
                text.push(delimiter);
                number.clear();
                match value {
                    Some(v) => fivedreg_data::push_shortest(&mut number, v),
                    None => number.extend_from_slice(word),
                }
                fivedreg_data::push_field(text, &number, delimiter);
            };
            field(text, Some(*y), b"");
            if let Some(sd) = stds.get(i) {
                field(text, Some(*sd), b"");
            }
            if self.flag_domain {
                let word: &[u8] = if outside.get(i) == Some(&true) {
                    b"true"
                } else {
                    b"false"
                };
                field(text, None, word);
            }
            text.push(b'\n');
        }
        Ok(())
    }
}

/// Standard input, refused when it was closed at start-up.
fn stdin() -> Result<std::io::StdinLock<'static>, Failure> {
    if crate::stdio::stdin_closed() {
        return Err(Failure::other(
            "<stdin>: standard input is closed, so there is nothing to read",
        ));
    }
    Ok(std::io::stdin().lock())
}

/// A failed prediction of a chunk of streamed rows (`lines`: each row's line), named by
/// its line.
fn chunk_failure(model: &Interpolator, source: &str, lines: &[u64], e: fivedreg::Error) -> Failure {
    match e {
        fivedreg::Error::NonFiniteFeature { row, column, value } => Failure::other(format!(
            "{source}:{}: feature {} is not a finite number ({value})",
            lines.get(row.saturating_sub(1)).copied().unwrap_or(0),
            model
                .feature_names()
                .get(column.saturating_sub(1))
                .map_or("?", String::as_str)
        )),
        other => Failure::other(format!(
            "{source}: lines {}-{}: {other}",
            lines.first().copied().unwrap_or(0),
            lines.last().copied().unwrap_or(0)
        )),
    }
}

/// Rows `evaluate` predicts at a time: enough for prediction to use two threads (it keeps
/// only numbers, 4 MB a chunk of five features, so memory stays bounded).
const EVALUATE_CHUNK_ROWS: usize = 1 << 16;

/// The metrics of `model` on the rows of `reader`, streamed: a chunk of rows in memory at a
/// time, whatever the file's size. Only the model's features and target are read. For an
/// ensemble, also the share of rows whose truth lies within ±1.96 of its standard deviation.
fn evaluate_stream<R: std::io::Read>(
    model: &Interpolator,
    reader: R,
    source: &str,
    delimiter: Option<u8>,
) -> Result<(Report, Option<f64>), Failure> {
    // Only the model's own columns are read: others (a pandas index, text) may hold anything.
    let options = CsvOptions {
        delimiter,
        ..Default::default()
    };
    let mut rows = FeatureRows::with_target(
        reader,
        source,
        model.feature_names(),
        model.target_name(),
        &options,
    )?;
    note_unnamed_first(source, rows.header(), "not used");
    let mut chunk = RowChunk::new(false);
    let mut report = ReportBuilder::new();
    let mut covered = 0usize;
    let mut done = false;
    while !done {
        chunk.clear();
        while chunk.len() < EVALUATE_CHUNK_ROWS {
            if !rows.read_chunk(&mut chunk)? {
                done = true;
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let (features, targets, lines) = (&chunk.features, &chunk.targets, &chunk.lines);
        let predicted = if model.is_ensemble() {
            let with_std = model
                .predict_with_std(features)
                .map_err(|e| chunk_failure(model, source, lines, e))?;
            covered += targets
                .iter()
                .zip(&with_std.mean)
                .zip(&with_std.std)
                .filter(|((y, m), s)| (*y - *m).abs() <= fivedreg::Z95 * **s)
                .count();
            with_std.mean
        } else {
            model
                .predict(features)
                .map_err(|e| chunk_failure(model, source, lines, e))?
        };
        report.extend(targets, &predicted).map_err(|e| {
            Failure::other(format!(
                "{source}: lines {}-{}: {e}",
                lines.first().copied().unwrap_or(0),
                lines.last().copied().unwrap_or(0)
            ))
        })?;
    }
    if report.is_empty() {
        return Err(fivedreg_data::DataError::HeaderOnly {
            file: source.to_string(),
        }
        .into());
    }
    let coverage = model
        .is_ensemble()
        .then(|| covered as f64 / report.len() as f64);
    let report = report
        .finish()
        .map_err(|e| Failure::other(format!("{source}: {e}")))?;
    Ok((report, coverage))
}

/// `fivedreg evaluate`.
pub fn evaluate(args: &EvaluateArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    let (report, coverage) = if args.data.as_os_str() == "-" {
        evaluate_stream(&model, stdin()?, "<stdin>", args.delimiter)?
    } else {
        let file = fivedreg_data::open(&args.data)?;
        evaluate_stream(&model, file, &display_path(&args.data), args.delimiter)?
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
        column_name(model.target_name())
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
    let (model, format_version) = Interpolator::load_versioned(&args.model)?;
    let meta = std::fs::metadata(&args.model).map_err(|e| Failure::io(&args.model, e))?;
    // A pipe or device has no length of its own: the model's bytes are counted instead
    // (encoding a loaded model gives back its file's bytes, when it is of the current
    // format version).
    let size = if meta.is_file() {
        meta.len()
    } else {
        model.to_bytes()?.len() as u64
    };
    let options = model.options();
    let network = &options.network;
    let summary = model.summary();
    // The domain's kept rows are thousands of numbers: the JSON shows what they decide.
    let domain_json = model.domain().map(|d| {
        json!({
            "min": d.min(),
            "max": d.max(),
            "kept_rows": d.kept_rows(),
            "nearest_distance": d.nearest_distance(),
            "nearest_quantile": fivedreg::NEAREST_QUANTILE,
        })
    });
    if args.json {
        let mut summary_json = serde_json::to_value(summary)
            .map_err(|e| Failure::other(format!("{}: {e}", display_path(&args.model))))?;
        if let Some(map) = summary_json.as_object_mut() {
            map.insert("domain".into(), json!(domain_json));
        }
        losses_in_target_units(&mut summary_json, loss_to_target_units(&model));
        let object = json!({
            "model": display_path(&args.model),
            "format_version": format_version,
            "model_bytes": size,
            "features": model.feature_names(),
            "target": model.target_name(),
            "layer_sizes": model.layer_sizes(),
            "parameters": model.n_parameters(),
            "options": options,
            "feature_scaler": {"mean": model.feature_scaler().mean(), "scale": model.feature_scaler().scale()},
            "target_scaler": {"mean": model.target_scaler().mean(), "scale": model.target_scaler().scale()},
            "summary": summary_json,
        });
        return print(&format!("{object}\n"));
    }
    let split = options.split;
    let watched = if network.early_stopping {
        "on the validation R²"
    } else {
        "off (watching the training loss)"
    };
    let stopping = format!(
        "{watched}, patience {}: stops after {} in a row without a gain above tol {}",
        network.patience,
        epochs_word(network.patience.saturating_add(1)),
        network.tol
    );
    let scaled = |on: bool| if on { "standardized" } else { "as given" };
    let mut text = format!(
        "{}: fivedreg model, format version {}, {}\n",
        display_path(&args.model),
        format_version,
        bytes(size)
    );
    let mut lines = vec![
        ("features", column_names(model.feature_names())),
        ("target", column_name(model.target_name()).into_owned()),
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
                "features {}, target {}{}",
                scaled(options.scale_features),
                scaled(options.scale_target),
                if options.power_transform {
                    ", Yeo-Johnson inputs"
                } else {
                    ""
                }
            ),
        ),
    ];
    // Folds pool the training and validation rows.
    let pooled = if model.is_ensemble() && summary.validation_samples == 0 {
        " (training and validation rows pooled into the folds)"
    } else {
        ""
    };
    lines.push((
        "split",
        format!(
            "{},{},{}{pooled}",
            split.train(),
            split.validation(),
            split.test()
        ),
    ));
    // Only networks have a solver, epochs and a stopping rule.
    if let fivedreg::Members::Networks(members) = model.members() {
        lines.push((
            "solver",
            format!(
                "{}, {} network{}",
                network.solver.name(),
                members.len(),
                if model.is_ensemble() {
                    "s (ensemble)"
                } else {
                    ""
                },
            ),
        ));
        lines.push((
            "training",
            match network.solver {
                fivedreg::Solver::Adam => format!(
                    "seed {}, learning rate {}, alpha {}, batch {}, max epochs {}",
                    network.seed,
                    network.learning_rate,
                    network.alpha,
                    network
                        .batch_size
                        .map_or("min(200, n)".to_string(), |b| b.to_string()),
                    network.max_epochs
                ),
                fivedreg::Solver::Lbfgs => format!(
                    "seed {}, alpha {}, max iterations {}, max loss evaluations {}, tol {}",
                    network.seed, network.alpha, network.max_epochs, network.max_fun, network.tol
                ),
            },
        ));
        if network.solver == fivedreg::Solver::Adam {
            lines.push(("early stopping", stopping));
        }
    } else {
        lines.push(("seed", network.seed.to_string()));
    }
    lines.push((
        "rows",
        format!(
            "{} train, {} validation, {} test",
            summary.train_samples, summary.validation_samples, summary.test_samples
        ),
    ));
    if let fivedreg::Members::Networks(_) = model.members() {
        lines.push((
            "epochs",
            format!("{} ({})", summary.history.epochs, stop_words(&model)),
        ));
    }
    table(&mut text, &lines);
    push_domain(&mut text, &model);
    push_test_metrics(&mut text, &model, summary, "was");
    push_ensemble(&mut text, &model);
    print(&text)
}

/// Rewrites the training-loss curves of a summary's JSON (its history and each ensemble
/// member's) from standardized units to the target's units squared, as `--history` writes
/// them; the model file keeps them standardized, as the networks trained on them.
fn losses_in_target_units(summary: &mut serde_json::Value, factor: f64) {
    let scale = |history: &mut serde_json::Value| {
        if let Some(losses) = history.get_mut("train_loss").and_then(|l| l.as_array_mut()) {
            for loss in losses.iter_mut() {
                if let Some(v) = loss.as_f64() {
                    *loss = json!(v * factor);
                }
            }
        }
    };
    let Some(summary) = summary.as_object_mut() else {
        return;
    };
    for (key, value) in summary.iter_mut() {
        match key.as_str() {
            "history" => scale(value),
            "ensemble" => {
                if let Some(members) = value.get_mut("members").and_then(|m| m.as_array_mut()) {
                    members.iter_mut().for_each(scale);
                }
            }
            _ => {}
        }
    }
}

/// The training domain's lines of `inspect`: each feature's range and the nearest-row test.
fn push_domain(text: &mut String, model: &Interpolator) {
    let Some(domain) = model.domain() else {
        text.push_str("Training domain: not recorded (a format-version-1 file).\n");
        return;
    };
    text.push_str("Training domain (predict warns outside it):\n");
    // Names shown escaped, as on the features line.
    let names: Vec<String> = model
        .feature_names()
        .iter()
        .map(|n| column_name(n).into_owned())
        .collect();
    let rows: Vec<(&str, String)> = names
        .iter()
        .zip(domain.min().iter().zip(domain.max()))
        .map(|(name, (lo, hi))| (name.as_str(), format!("{} to {}", num(*lo), num(*hi))))
        .collect();
    table(text, &rows);
    text.push_str(&format!(
        "  and within {} (in standard deviations per feature) of one of the {} kept training rows\n",
        num(domain.nearest_distance()),
        domain.kept_rows()
    ));
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
    let fitted = fit_with_progress(&data, &options, true, &mut Vec::new())?;
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

/// `fivedreg completions`: the shell's completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "fivedreg", &mut script);
    print(&String::from_utf8_lossy(&script))
}

/// `fivedreg serve`: runs until Ctrl-C or SIGTERM.
pub fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let config = fivedreg_server::ServeConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        max_upload_bytes: args.max_upload_mb.saturating_mul(1 << 20),
        jobs: args.jobs,
        token: args.token.clone(),
        memory_limit: args
            .memory_limit
            .unwrap_or_else(fivedreg_server::default_memory_limit),
        allowed_hosts: args.allowed_hosts.clone(),
        max_connections: args.max_connections,
        max_uploads: args.max_uploads,
        max_queue: args.max_queue,
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
        body_timeout: std::time::Duration::from_secs(args.body_timeout),
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        min_body_rate: args.min_body_rate,
    };
    fivedreg_server::init_logging();
    fivedreg_server::run(config).map_err(|e| match e {
        fivedreg_server::ServerError::Config(message) => Failure::usage(message),
        other => Failure::other(other.to_string()),
    })
}
