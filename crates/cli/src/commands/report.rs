//! The report of a trained model, shared by `train`, `demo` and `inspect`: its test
//! metrics, how training stopped, the ensemble and the leaderboard, as text and JSON.

use crate::output::{bytes, column_name, num, r2, table};
use fivedreg::{
    HowFitted, Interpolator, MemberKind, ModelCard, StdCard, StdRule, StopReason, TrainingSummary,
};
use fivedreg_metrics::Report;
use serde_json::json;

/// What a model's members are, in words, from its card.
fn members_words(card: &ModelCard) -> String {
    let n = card.members;
    match (card.kind, card.fitted) {
        // --auto refits a winning kernel model on every row; the folds only scored it.
        (MemberKind::Kernel, HowFitted::RefittedOnEveryRow) => {
            "1 RBF kernel model, refitted on every row after the folds scored it".to_string()
        }
        (MemberKind::Kernel, _) => format!("{n} RBF kernel models, each holding out one fold"),
        (MemberKind::Networks, _) => format!(
            "{n} ({} solver, each holding out one fold)",
            card.solver.as_deref().unwrap_or("")
        ),
        (MemberKind::Trees, _) => format!(
            "{n} boosted-tree models ({}), each holding out one fold",
            card.member
        ),
    }
}

/// How a model's `--std` is made, in words, from its card.
fn std_words(std: &StdCard, coverage: &str) -> String {
    let (scale, floor) = (num(std.scale), num(std.floor));
    match std.rule {
        StdRule::SpreadInQuadrature => {
            format!("√({floor}² + (members' spread × {scale})²); ±1.96 std covers {coverage}")
        }
        StdRule::PowerFunction => format!(
            "√({floor}² + (power function × {scale})²), growing away from the training rows; \
             ±1.96 std covers {coverage}"
        ),
        StdRule::Constant => format!(
            "{floor}, the same on every row (the held-out folds' error); ±1.96 std covers \
             {coverage}"
        ),
        StdRule::Spread if std.floor > 0.0 => {
            format!("members' spread × {scale} + {floor}; ±1.96 std covers {coverage}")
        }
        StdRule::Spread => format!("members' spread × {scale}; ±1.96 std covers {coverage}"),
    }
}

/// The factor that turns a training loss in standardized units into the target's units
/// squared: the loss is half a mean squared error (plus the L2 term) of the scaled target.
pub(super) fn loss_to_target_units(model: &Interpolator) -> f64 {
    let scale = model.target_scaler().scale()[0];
    scale * scale
}

/// Why training stopped, in words.
pub(super) fn stop_words(model: &Interpolator) -> String {
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
pub(super) fn epochs_word(n: usize) -> String {
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
pub(super) fn best_epoch_note(model: &Interpolator) -> &'static str {
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
pub(super) fn metric(v: f64) -> String {
    if v.is_infinite() {
        "beyond the range of f64 numbers".into()
    } else {
        num(v)
    }
}

pub(super) fn metrics_rows(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("R²", r2(report.r2)),
        ("MSE", metric(report.mse)),
        ("RMSE", metric(report.rmse)),
        ("MAE", metric(report.mae)),
        ("max error", metric(report.max_error)),
    ]
}

/// The test-metrics table of a model's summary; `tense` words the zero-test-fraction line.
pub(super) fn push_test_metrics(
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
pub(super) fn training_table(
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
pub(super) fn push_ensemble(text: &mut String, model: &Interpolator) {
    let summary = model.summary();
    let card = model.card();
    if let Some(e) = &summary.ensemble {
        text.push_str("Ensemble:\n");
        let coverage = e.test_coverage.map_or("no test rows".to_string(), |c| {
            format!("{:.1}% of test rows", 100.0 * c)
        });
        table(
            text,
            &[
                ("members", members_words(&card)),
                ("held-out R²", r2(e.heldout_r2)),
                (
                    "--std",
                    card.std
                        .as_ref()
                        .map_or_else(String::new, |std| std_words(std, &coverage)),
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
            match blend.std_rule {
                fivedreg::BlendStd::HolderTimesRatio => {
                    format!("the main model's × {}", num(blend.std_ratio))
                }
                fivedreg::BlendStd::WeightedParts => format!(
                    "each model's, weighted as above and summed, × {}",
                    num(blend.std_ratio)
                ),
            },
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

pub(super) fn metrics_json(report: Option<&Report>) -> serde_json::Value {
    match report {
        Some(r) => json!({
            "r2": r.r2, "mse": r.mse, "rmse": r.rmse, "mae": r.mae, "max_error": r.max_error,
        }),
        None => json!({
            "r2": null, "mse": null, "rmse": null, "mae": null, "max_error": null,
        }),
    }
}
