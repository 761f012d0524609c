//! `fivedreg inspect`: what a model file holds.

use super::report::{
    epochs_word, loss_to_target_units, push_ensemble, push_test_metrics, stop_words,
};
use crate::args::InspectArgs;
use crate::failure::{display_path, Failure};
use crate::output::{bytes, column_name, column_names, num, print, table};
use fivedreg::Interpolator;
use serde_json::json;

/// `fivedreg inspect`.
pub fn run(args: &InspectArgs) -> Result<(), Failure> {
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
            "card": model.card(),
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
