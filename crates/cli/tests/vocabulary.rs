//! One vocabulary across the outputs: `train --history`'s curve (in the target's units),
//! the JSON field names of `train --json` and `inspect --json` (pinned by snapshots), the
//! stop reason spelled alike in both, stop messages that agree with the patience, and the
//! shell completion scripts.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const BINARY: &str = env!("CARGO_BIN_EXE_fivedreg");

fn run(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "fivedreg {args:?} failed: {stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// 600 rows of the seed task (3 inputs), and the same rows with the target times 1000.
fn data(dir: &Path) {
    run(
        dir,
        &[
            "generate",
            "--samples",
            "600",
            "--inputs",
            "3",
            "--noise",
            "0.05",
            "-o",
            "data.csv",
        ],
    );
    let text = std::fs::read_to_string(dir.join("data.csv")).unwrap();
    let mut scaled = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            scaled.push_str(line);
        } else {
            let (features, y) = line.rsplit_once(',').unwrap();
            let y: f64 = y.parse().unwrap();
            scaled.push_str(&format!("{features},{:?}", y * 1000.0));
        }
        scaled.push('\n');
    }
    std::fs::write(dir.join("scaled.csv"), scaled).unwrap();
}

/// `--history`'s rows: (member, epoch, train_loss, validation_r2, seconds).
type CurveRow = (usize, usize, f64, Option<f64>, f64);

fn read_history(path: &Path) -> Vec<CurveRow> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("member,epoch,train_loss,validation_r2,seconds")
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 5, "{line}");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                (!f[3].is_empty()).then(|| f[3].parse().unwrap()),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn history_holds_every_epoch_in_the_targets_units() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    data(dir);
    let args = [
        "--hidden",
        "16,8",
        "--max-epochs",
        "60",
        "--json",
        "--threads",
        "1",
    ];
    let mut train = vec!["train", "data.csv", "-o", "m.fdr", "--history", "h.csv"];
    train.extend(args);
    let report: Value = serde_json::from_str(&run(dir, &train)).unwrap();
    let rows = read_history(&dir.join("h.csv"));
    let epochs = report["epochs"].as_u64().unwrap() as usize;
    assert_eq!(rows.len(), epochs);
    for (i, &(member, epoch, loss, r2, seconds)) in rows.iter().enumerate() {
        assert_eq!((member, epoch), (0, i + 1));
        assert!(loss.is_finite() && loss > 0.0);
        assert!(r2.is_some_and(|r| r <= 1.0), "{r2:?}");
        if i > 0 {
            assert!(seconds >= rows[i - 1].4);
        }
    }
    // The best epoch's validation R² is the report's.
    let best = report["best_epoch"].as_u64().unwrap() as usize;
    let best_r2 = report["best_validation_r2"].as_f64().unwrap();
    assert!((rows[best - 1].3.unwrap() - best_r2).abs() < 1e-12);
    // The same data with the target × 1000 trains the same standardized network: its loss
    // in the target's units is 1e6 times larger.
    let mut scaled = vec!["train", "scaled.csv", "-o", "s.fdr", "--history", "s.csv"];
    scaled.extend(args);
    run(dir, &scaled);
    let scaled_rows = read_history(&dir.join("s.csv"));
    assert_eq!(scaled_rows.len(), rows.len());
    for (a, b) in rows.iter().zip(&scaled_rows) {
        let ratio = b.2 / a.2;
        assert!(
            (ratio / 1e6 - 1.0).abs() < 1e-3,
            "epoch {}: ratio {ratio}",
            a.1
        );
    }
    // inspect --json shows the same curve in the same units (f32 in the file).
    let inspect: Value = serde_json::from_str(&run(dir, &["inspect", "m.fdr", "--json"])).unwrap();
    let curve = inspect["summary"]["history"]["train_loss"]
        .as_array()
        .unwrap();
    assert_eq!(curve.len(), rows.len());
    for (stored, row) in curve.iter().zip(&rows) {
        let stored = stored.as_f64().unwrap();
        assert!((stored / row.2 - 1.0).abs() < 1e-6, "{stored} vs {}", row.2);
    }
}

#[test]
fn history_of_an_ensemble_has_each_members_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    data(dir);
    run(
        dir,
        &[
            "train",
            "data.csv",
            "-o",
            "e.fdr",
            "--ensemble",
            "3",
            "--hidden",
            "8",
            "--max-epochs",
            "30",
            "--history",
            "h.csv",
            "--json",
        ],
    );
    let rows = read_history(&dir.join("h.csv"));
    let inspect: Value = serde_json::from_str(&run(dir, &["inspect", "e.fdr", "--json"])).unwrap();
    let members = inspect["summary"]["ensemble"]["members"]
        .as_array()
        .unwrap();
    assert_eq!(members.len(), 3);
    for (m, member) in members.iter().enumerate() {
        let epochs: Vec<&CurveRow> = rows.iter().filter(|r| r.0 == m).collect();
        assert_eq!(epochs.len() as u64, member["epochs"].as_u64().unwrap());
        for (i, row) in epochs.iter().enumerate() {
            assert_eq!(row.1, i + 1);
        }
        let stored = member["train_loss"].as_array().unwrap();
        let last = stored.last().unwrap().as_f64().unwrap();
        assert!((last / epochs.last().unwrap().2 - 1.0).abs() < 1e-6);
    }
}

#[test]
fn history_is_refused_with_auto_and_over_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    data(dir);
    for args in [
        &[
            "train",
            "data.csv",
            "-o",
            "m.fdr",
            "--auto",
            "--history",
            "h.csv",
        ][..],
        &["train", "data.csv", "-o", "m.fdr", "--history", "m.fdr"][..],
        &["train", "data.csv", "-o", "m.fdr", "--history", "data.csv"][..],
    ] {
        let output = Command::new(BINARY)
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    assert!(!dir.join("m.fdr").exists());
    assert!(!dir.join("h.csv").exists());
    assert!(std::fs::read_to_string(dir.join("data.csv"))
        .unwrap()
        .starts_with("x1,"));
}

/// Every key path of a JSON value with its type, one per line (array items merged).
fn shape(value: &Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                shape(v, &format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => {
            out.insert(format!("{path}[]"));
            for v in items {
                shape(v, &format!("{path}[]"), out);
            }
        }
        Value::Null => {
            out.insert(format!("{path}: null"));
        }
        Value::Bool(_) => {
            out.insert(format!("{path}: bool"));
        }
        Value::Number(_) => {
            out.insert(format!("{path}: number"));
        }
        Value::String(_) => {
            out.insert(format!("{path}: string"));
        }
    }
}

fn shape_text(value: &Value) -> String {
    let mut paths = std::collections::BTreeSet::new();
    shape(value, "", &mut paths);
    paths.into_iter().collect::<Vec<_>>().join("\n")
}

#[test]
fn json_field_names_are_pinned_and_agree() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    data(dir);
    let train: Value = serde_json::from_str(&run(
        dir,
        &[
            "train",
            "data.csv",
            "-o",
            "m.fdr",
            "--hidden",
            "8",
            "--max-epochs",
            "40",
            "--json",
        ],
    ))
    .unwrap();
    let inspect: Value = serde_json::from_str(&run(dir, &["inspect", "m.fdr", "--json"])).unwrap();
    insta::assert_snapshot!("train_json_fields", shape_text(&train));
    insta::assert_snapshot!("inspect_json_fields", shape_text(&inspect));
    let names = [
        "no_improvement",
        "max_epochs",
        "converged",
        "max_evaluations",
    ];
    let reason = train["stop_reason"].as_str().unwrap();
    assert!(names.contains(&reason), "{reason}");
    assert_eq!(
        inspect["summary"]["history"]["stop_reason"],
        train["stop_reason"]
    );
    // An L-BFGS fit reports its own reasons under the same names.
    let lbfgs: Value = serde_json::from_str(&run(
        dir,
        &[
            "train",
            "data.csv",
            "-o",
            "l.fdr",
            "--solver",
            "lbfgs",
            "--hidden",
            "8",
            "--max-epochs",
            "30",
            "--json",
        ],
    ))
    .unwrap();
    let inspect_lbfgs: Value =
        serde_json::from_str(&run(dir, &["inspect", "l.fdr", "--json"])).unwrap();
    assert!(names.contains(&lbfgs["stop_reason"].as_str().unwrap()));
    assert_eq!(
        inspect_lbfgs["summary"]["history"]["stop_reason"],
        lbfgs["stop_reason"]
    );
    assert!(train.get("samples_per_second").is_none());
    let rate = train["sample_epochs_per_second"].as_f64().unwrap();
    let expected = (train["train_samples"].as_f64().unwrap() * train["epochs"].as_f64().unwrap())
        / train["train_seconds"].as_f64().unwrap();
    assert!((rate / expected - 1.0).abs() < 1e-9);
}

#[test]
fn stop_message_agrees_with_the_patience_and_the_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    data(dir);
    // A tol no gain can reach: only the first epoch improves (on nothing), training stops
    // after it and patience + 1 = 4 epochs more, and a later best epoch is a gain below tol.
    let table = run(
        dir,
        &[
            "train",
            "data.csv",
            "-o",
            "m.fdr",
            "--hidden",
            "8",
            "--patience",
            "3",
            "--tol",
            "1",
        ],
    );
    let epochs_line = table.lines().find(|l| l.contains("epochs")).unwrap();
    assert!(
        epochs_line.contains("5 (stopped: 4 epochs in a row") && epochs_line.contains("patience 3"),
        "{table}"
    );
    let best_line = table.lines().find(|l| l.contains("best epoch")).unwrap();
    let best: usize = best_line
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&best), "{best_line}");
    // A best epoch inside the final run without improvement says why it is there.
    assert_eq!(
        best_line.contains("a gain below tol"),
        best >= 2,
        "{best_line}"
    );
    let inspect = run(dir, &["inspect", "m.fdr"]);
    assert!(
        inspect.contains("patience 3: stops after 4 epochs in a row"),
        "{inspect}"
    );
    assert!(
        inspect.contains("5 (stopped: 4 epochs in a row"),
        "{inspect}"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef fivedreg"),
        ("fish", "complete -c fivedreg"),
    ] {
        let script = run(dir.path(), &["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["train", "predict", "history", "solver", "completions"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let output = Command::new(BINARY)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
