//! `fivedreg train`: read the data, fit (one network, an ensemble or `--auto`), save the
//! model, report.

use super::io::{prediction_column, same_file, stdin};
use super::report::{loss_to_target_units, metrics_json, training_table};
use crate::args::TrainArgs;
use crate::failure::{display_path, Failure};
use crate::output::{check_stdout_open, column_name, num, print};
use fivedreg::{Fitted, Interpolator, Plan, ValidFitOptions};
use fivedreg_data::{CsvOptions, Dataset};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// The checked plan of `train`'s flags (the library's rules; errors name the flags).
pub(crate) fn plan_of(args: &TrainArgs) -> Result<Plan, Failure> {
    args.spec.0.plan().map_err(|e| match e {
        fivedreg::SpecError::Library(e) => Failure::from(e),
        spec => Failure::usage(spec.message(&|p| p.info().flag())),
    })
}

/// One epoch of the training curve, as `--history` writes it.
pub(super) struct CurvePoint {
    member: usize,
    epoch: usize,
    /// In standardized units, as the network trained on; converted when written.
    train_loss: f64,
    validation_r2: Option<f64>,
    seconds: f64,
}

/// Fits with a progress bar on a terminal (epoch, training loss, validation R²), recording
/// every epoch's point of the training curve.
pub(super) fn fit_with_progress(
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

/// `fivedreg train`.
pub fn run(args: &TrainArgs) -> Result<(), Failure> {
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
