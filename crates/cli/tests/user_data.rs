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
    // evaluate reads the same file (the index is one more column it does not use);
    // predict copies the index through.
    let out = run(&["evaluate", s(&model), s(&data), "--json"]);
    assert!(
        out.stderr.contains("unnamed first column") && out.stderr.contains("not used"),
        "{}",
        out.stderr
    );
    let out = run(&["predict", s(&model), s(&data)]);
    assert!(
        out.stderr.contains("unnamed first column") && out.stderr.contains("copied through"),
        "{}",
        out.stderr
    );
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
    // Without a choice the column of text is left out with a note; the numeric ID is a
    // feature (it is a number).
    let out = train(&data, &model, &["--json"]);
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "note: {}: the column label holds text in every row: left out of the features",
            s(&data)
        )
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["features"],
        serde_json::json!(["run_id", "temp", "pressure"])
    );
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

/// A model of the seed task on inputs in [-1, 1] (uniform grid points).
fn box_model(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("box.csv");
    let mut text = String::from("x1,x2,x3,y\n");
    for i in 0..400 {
        let x = [
            (i % 7) as f64 / 3.0 - 1.0,
            (i % 11) as f64 / 5.0 - 1.0,
            (i % 13) as f64 / 6.0 - 1.0,
        ];
        let _ = writeln!(
            text,
            "{},{},{},{}",
            x[0],
            x[1],
            x[2],
            x.iter().map(|v| v * v).sum::<f64>()
        );
    }
    std::fs::write(&data, text).unwrap();
    let model = dir.join("box.fdr");
    train(&data, &model, &[]);
    model
}

#[test]
fn a_far_point_is_flagged_and_a_near_one_not() {
    let dir = tempfile::tempdir().unwrap();
    let model = box_model(dir.path());
    // --point: a near one says nothing, a far one warns, --strict-domain refuses.
    let near = run(&["predict", s(&model), "--point", "0.1,0.2,-0.3"]);
    assert_eq!(near.stderr, "");
    let far = run(&["predict", s(&model), "--point", "5,10,3"]);
    assert!(
        far.stderr.contains("outside the training domain"),
        "{}",
        far.stderr
    );
    assert!(far.stdout.trim().parse::<f64>().is_ok());
    let e = refuse(&["predict", s(&model), "--point", "5,10,3", "--strict-domain"]);
    assert!(e.contains("--strict-domain"), "{e}");
    // A file: the count on stderr, the column with --flag-domain.
    let queries = dir.path().join("q.csv");
    std::fs::write(
        &queries,
        "x1,x2,x3\n0.1,0.2,-0.3\n5,10,3\n-0.5,0.5,0\n0.5,-3,0\n",
    )
    .unwrap();
    let out = run(&["predict", s(&model), s(&queries), "--flag-domain"]);
    assert!(
        out.stderr
            .contains("2 rows lie outside the training domain"),
        "{}",
        out.stderr
    );
    let flags: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(flags, ["y_extrapolated", "false", "true", "false", "true"]);
    let out = run(&["predict", s(&model), s(&queries)]);
    assert!(
        out.stderr.contains("--flag-domain marks them"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.starts_with("x1,x2,x3,y_predicted\n"));
    let output = dir.path().join("out.csv");
    let e = refuse(&[
        "predict",
        s(&model),
        s(&queries),
        "--strict-domain",
        "-o",
        s(&output),
    ]);
    assert!(e.contains("q.csv:3:"), "{e}");
    assert!(!output.exists(), "no partial output");
    // inspect shows the ranges.
    let inspect = run(&["inspect", s(&model)]).stdout;
    assert!(inspect.contains("Training domain"), "{inspect}");
    assert!(inspect.contains("x2  -1.00000 to 1.00000"), "{inspect}");
    let json: serde_json::Value =
        serde_json::from_str(&run(&["inspect", s(&model), "--json"]).stdout).unwrap();
    assert_eq!(
        json["summary"]["domain"]["min"],
        serde_json::json!([-1.0, -1.0, -1.0])
    );
    assert_eq!(
        json["summary"]["domain"]["kept_rows"], 240,
        "the training split"
    );
}

/// A ring-shaped table (a grid of spacing 0.1 on 0.2 ≤ r ≤ 1, `z = x² + y²`) and 20 points
/// in its hole, 0.15 to 0.2 from the nearest row: inside the box of the training ranges,
/// outside the cloud of rows (crates/fivedreg/tests/domain_hole.rs tells why these sizes).
fn ring_and_hole(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut ring = String::from("x,y,z\n");
    for i in 0..=20 {
        for j in 0..=20 {
            let (x, y) = (i as f64 / 10.0 - 1.0, j as f64 / 10.0 - 1.0);
            if (0.2..=1.0).contains(&x.hypot(y)) {
                let _ = writeln!(ring, "{x},{y},{}", x * x + y * y);
            }
        }
    }
    let mut hole = String::from("x,y\n0,0\n");
    for k in 0..19 {
        let angle = k as f64 * std::f64::consts::TAU / 19.0;
        let _ = writeln!(hole, "{},{}", 0.05 * angle.cos(), 0.05 * angle.sin());
    }
    let (ring_csv, hole_csv) = (dir.join("ring.csv"), dir.join("hole.csv"));
    std::fs::write(&ring_csv, ring).unwrap();
    std::fs::write(&hole_csv, hole).unwrap();
    (ring_csv, hole_csv)
}

#[test]
fn points_in_the_hole_of_a_ring_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (ring, hole) = ring_and_hole(dir.path());
    let model = dir.path().join("ring.fdr");
    // Every row trains, so that the domain keeps the whole grid.
    train(&ring, &model, &["--split", "1,0,0", "--no-early-stopping"]);
    let out = run(&["predict", s(&model), s(&hole), "--flag-domain"]);
    let flags: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(flags, ["true"; 20], "{}", out.stdout);
    assert!(
        out.stderr
            .contains("20 rows lie outside the training domain"),
        "{}",
        out.stderr
    );
    let point = run(&["predict", s(&model), "--point", "0.05,0"]);
    assert!(
        point.stderr.contains("outside the training domain"),
        "{}",
        point.stderr
    );
    // The ring's own rows are inside.
    let out = run(&["predict", s(&model), s(&ring), "--flag-domain"]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // --strict-domain to stdout fails before writing anything there, the header included.
    let output = Command::new(BINARY)
        .args(["predict", s(&model), s(&hole), "--strict-domain"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hole.csv:2:"), "{stderr}");
}

/// A table saved with `df.to_csv('runs.csv')` and a text run ID, as issue 32's user had it:
/// `train` leaves out both the index and the ID, each with a one-line note; a column that
/// mixes numbers and text is refused with its line and column and the `--drop` hint.
#[test]
fn a_text_id_column_is_left_out_with_a_note_and_a_mixed_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.csv");
    let mut text = String::from(",run_id,a,b,y\n");
    for i in 0..120 {
        let (a, b) = ((i % 11) as f64 / 5.0 - 1.0, (i % 7) as f64 / 3.0 - 1.0);
        let _ = writeln!(text, "{i},run-1-{i:04},{a},{b},{}", a * b);
    }
    std::fs::write(&data, &text).unwrap();
    let model = dir.path().join("m.fdr");
    let out = train(&data, &model, &["--json"]);
    let notes: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(notes.len(), 2, "{}", out.stderr);
    assert!(notes[0].contains("pandas"), "{}", out.stderr);
    assert!(
        notes[1].ends_with("the column run_id holds text in every row: left out of the features"),
        "{}",
        out.stderr
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["features"], serde_json::json!(["a", "b"]));
    // predict and evaluate read the same file.
    run(&["evaluate", s(&model), s(&data)]);
    run(&["predict", s(&model), s(&data)]);
    // A column of numbers with text on line 5: refused there, with the hint.
    let mixed = dir.path().join("mixed.csv");
    std::fs::write(&mixed, "id,a,y\n1,0.5,1\n2,0.25,2\n3,0.1,3\nr4,0.2,4\n").unwrap();
    let e = refuse(&["train", s(&mixed), "-o", s(&model)]);
    assert!(e.contains("line 5, column 1 (\"id\")"), "{e}");
    assert!(e.contains("--drop id"), "{e}");
    // Text first, then a number: refused at the number, with the hint.
    std::fs::write(&mixed, "id,a,y\nr1,0.5,1\nr2,0.25,2\n3,0.1,3\n").unwrap();
    let e = refuse(&["train", s(&mixed), "-o", s(&model)]);
    assert!(e.contains("line 4, column 1 (\"id\")"), "{e}");
    assert!(e.contains("--drop id"), "{e}");
    train(
        &mixed,
        &model,
        &["--drop", "id", "--split", "1,0,0", "--no-early-stopping"],
    );
}
