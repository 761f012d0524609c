//! The user's own tables: pandas' index column, tab- and semicolon-separated files,
//! `--features`/`--drop`, and `predict`/`evaluate` ignoring columns the model does not use.

use assert_cmd::Command;
use std::fmt::Write as _;
use std::path::Path;

const BINARY: &str = env!("CARGO_BIN_EXE_fivedreg");

struct Output {
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Output {
    let output = Command::new(BINARY).args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success(),
        "fivedreg {args:?} failed: {stderr}"
    );
    Output {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr,
    }
}

fn refuse(args: &[&str]) -> String {
    let output = Command::new(BINARY).args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!output.status.success(), "fivedreg {args:?} succeeded");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A table of simulation runs: `y = temp + 2 pressure`, with a run ID and a text label.
/// `index` adds pandas' unnamed index column; `sep` separates the fields.
fn table(rows: usize, sep: char, index: bool) -> String {
    let mut text = String::new();
    let names = ["run_id", "temp", "label", "pressure", "y"];
    if index {
        text.push(sep);
    }
    text.push_str(&names.join(&sep.to_string()));
    text.push('\n');
    for i in 0..rows {
        let temp = (i % 17) as f64 / 8.0 - 1.0;
        let pressure = (i % 13) as f64 / 6.0 - 1.0;
        if index {
            let _ = write!(text, "{i}{sep}");
        }
        let _ = writeln!(
            text,
            "{}{sep}{temp}{sep}run{}{sep}{pressure}{sep}{}",
            1000 + i,
            i % 3,
            temp + 2.0 * pressure
        );
    }
    text
}

fn train(data: &Path, model: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train", s(data), "-o", s(model), "--max-epochs", "5"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn pandas_index_is_left_out_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.csv");
    std::fs::write(&data, table(200, ',', true)).unwrap();
    let model = dir.path().join("m.fdr");
    let out = train(&data, &model, &["--features", "temp,pressure", "--json"]);
    assert!(
        out.stderr.contains("unnamed first column"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pandas"), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["features"], serde_json::json!(["temp", "pressure"]));
    // evaluate reads the same file; predict copies the index through.
    let out = run(&["evaluate", s(&model), s(&data), "--json"]);
    assert!(
        out.stderr.contains("unnamed first column"),
        "{}",
        out.stderr
    );
    let out = run(&["predict", s(&model), s(&data)]);
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(",run_id,temp,label,pressure,y,y_predicted")
    );
    assert!(lines.next().unwrap().starts_with("0,1000,"));
    // An unnamed first column that is not 0, 1, 2, … is refused with the pandas hint.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, ",temp,y\n3,0.5,1\n4,0.25,2\n").unwrap();
    let e = refuse(&["train", s(&bad), "-o", s(&model)]);
    assert!(e.contains("index=False"), "{e}");
}

#[test]
fn tab_and_semicolon_files_train_predict_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    for (sep, name) in [('\t', "runs.tsv"), (';', "runs.csv")] {
        let data = dir.path().join(name);
        std::fs::write(&data, table(200, sep, false)).unwrap();
        let model = dir.path().join("m.fdr");
        let out = train(&data, &model, &["--drop", "run_id,label", "--json"]);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(json["features"], serde_json::json!(["temp", "pressure"]));
        let out = run(&["predict", s(&model), s(&data)]);
        let header = out.stdout.lines().next().unwrap().to_string();
        let expected: Vec<&str> = vec!["run_id", "temp", "label", "pressure", "y", "y_predicted"];
        assert_eq!(
            header,
            expected.join(&sep.to_string()),
            "output keeps the separator"
        );
        assert_eq!(out.stdout.lines().count(), 201);
        let out = run(&["evaluate", s(&model), s(&data), "--json"]);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(json["n"], 200);
    }
    // --delimiter overrides detection.
    let data = dir.path().join("forced.csv");
    std::fs::write(&data, table(200, ';', false)).unwrap();
    let model = dir.path().join("f.fdr");
    let e = refuse(&["train", s(&data), "-o", s(&model), "--delimiter", ","]);
    assert!(e.contains("--delimiter"), "{e}");
    train(
        &data,
        &model,
        &["--delimiter", "semicolon", "--drop", "run_id,label"],
    );
    let e = refuse(&["train", s(&data), "-o", s(&model), "--delimiter", "ab"]);
    assert!(e.contains("not a separator"), "{e}");
}

#[test]
fn features_and_drop_keep_an_id_column_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.csv");
    std::fs::write(&data, table(200, ',', false)).unwrap();
    let model = dir.path().join("m.fdr");
    // Without a choice the text column is refused as a feature.
    let e = refuse(&["train", s(&data), "-o", s(&model)]);
    assert!(e.contains("label"), "{e}");
    let out = train(&data, &model, &["--features", "pressure,temp", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["features"], serde_json::json!(["pressure", "temp"]));
    let inspect = run(&["inspect", s(&model)]).stdout;
    assert!(inspect.contains("pressure, temp"), "{inspect}");
    assert!(!inspect.contains("run_id"), "{inspect}");
    // predict and evaluate ignore the other columns, numeric or not, in any order.
    let shuffled = dir.path().join("other.csv");
    std::fs::write(
        &shuffled,
        "note,y,temp,pressure,run_id\nhello,1,0.5,0.25,x\n",
    )
    .unwrap();
    run(&["evaluate", s(&model), s(&shuffled)]);
    let out = run(&["predict", s(&model), s(&shuffled)]).stdout;
    assert!(out.starts_with("note,y,temp,pressure,run_id,y_predicted\nhello,1,0.5,0.25,x,"));
    // Contradictory choices are refused.
    let e = refuse(&["train", s(&data), "-o", s(&model), "--features", "temp,y"]);
    assert!(e.contains("target"), "{e}");
    let e = refuse(&["train", s(&data), "-o", s(&model), "--drop", "nope"]);
    assert!(e.contains("nope"), "{e}");
}
