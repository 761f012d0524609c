//! End-to-end tests of the `fivedreg` binary: the whole generate → train → predict →
//! evaluate workflow on the seed task, predictions in the user's units, byte-identical
//! model files, and every refusal (one `error:` line, a non-zero exit, no partial file).
//!
//! One model of the seed task (10,000 samples, default options) is trained once and shared
//! by the tests of this file, to keep the run short.

mod common;

use assert_cmd::Command;
use common::binary;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fivedreg() -> Command {
    Command::new(binary())
}

/// Runs the binary and returns its stdout; panics with its stderr when it fails.
fn run(args: &[&str]) -> String {
    let output = fivedreg().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "fivedreg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs the binary expecting a refusal: the exit code, and a one-line `error:` message
/// that is returned.
fn refuse(args: &[&str], code: i32) -> String {
    let output = fivedreg().args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "fivedreg {args:?}: stderr {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    stderr
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The shared trained model of the seed task.
struct SeedTask {
    dir: PathBuf,
    model: PathBuf,
    train_json: Value,
    /// 1,000 fresh noise-free samples (another seed).
    fresh: PathBuf,
}

fn seed_task() -> &'static SeedTask {
    static TASK: OnceLock<SeedTask> = OnceLock::new();
    TASK.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_e2e_seed_task");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data.csv");
        let model = dir.join("model.fdr");
        let fresh = dir.join("fresh.csv");
        run(&[
            "generate",
            "--samples",
            "10000",
            "--noise",
            "0.1",
            "--seed",
            "1",
            "-o",
            s(&data),
        ]);
        run(&[
            "generate",
            "--samples",
            "1000",
            "--seed",
            "2",
            "-o",
            s(&fresh),
        ]);
        let json = run(&["train", s(&data), "-o", s(&model), "--json"]);
        let train_json = serde_json::from_str(json.trim()).expect("train --json is not JSON");
        SeedTask {
            dir,
            model,
            train_json,
            fresh,
        }
    })
}

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    fivedreg_metrics::r2(truth, predicted).unwrap()
}

#[test]
fn train_reaches_the_seed_accuracy_and_reports_json() {
    let task = seed_task();
    let json = &task.train_json;
    for key in [
        "r2",
        "mse",
        "rmse",
        "mae",
        "max_error",
        "epochs",
        "best_epoch",
        "train_seconds",
        "train_samples",
        "validation_samples",
        "test_samples",
        "best_validation_r2",
        "stop_reason",
        "model_bytes",
    ] {
        assert!(!json[key].is_null(), "train --json lacks {key}: {json}");
    }
    let test_r2 = json["r2"].as_f64().unwrap();
    assert!(test_r2 >= 0.99, "test R² {test_r2}");
    assert_eq!(json["train_samples"], 6000);
    assert_eq!(json["validation_samples"], 2000);
    assert_eq!(json["test_samples"], 2000);
    let mse = json["mse"].as_f64().unwrap();
    assert!((json["rmse"].as_f64().unwrap() - mse.sqrt()).abs() < 1e-12);
    let epochs = json["epochs"].as_u64().unwrap();
    assert!((1..=500).contains(&epochs));
    assert!(json["train_seconds"].as_f64().unwrap() > 0.0);
    let bytes = std::fs::metadata(&task.model).unwrap().len();
    assert_eq!(json["model_bytes"].as_u64().unwrap(), bytes);
    // Under 16 KB besides the training domain's kept rows (5 f32 features each).
    let domain = 4 * 5 * fivedreg::MAX_DOMAIN_ROWS as u64 + 512;
    assert!(bytes < 16 * 1024 + domain, "default model is {bytes} bytes");
}

#[test]
fn predict_writes_the_input_columns_and_a_prediction_in_user_units() {
    let task = seed_task();
    let out = task.dir.join("predicted.csv");
    let stdout = run(&["predict", s(&task.model), s(&task.fresh), "-o", s(&out)]);
    assert!(stdout.is_empty());
    let input = std::fs::read_to_string(&task.fresh).unwrap();
    let output = std::fs::read_to_string(&out).unwrap();
    let (in_header, in_rows) = read_csv(&input);
    let (out_header, out_rows) = read_csv(&output);
    assert_eq!(out_header[..in_header.len()], in_header[..]);
    assert_eq!(out_header.last().unwrap(), "y_predicted");
    assert_eq!(out_rows.len(), 1000);
    let mut truth = Vec::new();
    let mut predicted = Vec::new();
    for (i, o) in in_rows.iter().zip(&out_rows) {
        assert_eq!(o[..i.len()], i[..], "input columns are echoed unchanged");
        truth.push(i[5].parse::<f64>().unwrap());
        predicted.push(o[6].parse::<f64>().unwrap());
    }
    assert!(r2(&truth, &predicted) >= 0.99);

    // The same through stdin and stdout.
    let piped = fivedreg()
        .args(["predict", s(&task.model), "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(String::from_utf8(piped.stdout).unwrap(), output);
}

#[test]
fn evaluate_agrees_with_the_predictions() {
    let task = seed_task();
    let json: Value = serde_json::from_str(&run(&[
        "evaluate",
        s(&task.model),
        s(&task.fresh),
        "--json",
    ]))
    .unwrap();
    for key in ["r2", "mse", "rmse", "mae", "max_error", "n"] {
        assert!(json[key].is_number(), "evaluate --json lacks {key}: {json}");
    }
    assert_eq!(json["n"], 1000);
    assert!(json["r2"].as_f64().unwrap() >= 0.99, "{json}");
    let text = run(&["evaluate", s(&task.model), s(&task.fresh)]);
    assert!(text.contains("R²") && text.contains("1000 rows"), "{text}");
}

#[test]
fn predict_one_point() {
    let task = seed_task();
    let y: f64 = run(&["predict", s(&task.model), "--point", "0.1,0.2,0.3,0.4,0.5"])
        .trim()
        .parse()
        .unwrap();
    // True value 0.55.
    assert!((y - 0.55).abs() < 0.3, "predicted {y}");
    let y: f64 = run(&["predict", s(&task.model), "--point", "-1,0,1,0,-1"])
        .trim()
        .parse()
        .unwrap();
    assert!((y - 3.0).abs() < 0.5, "predicted {y}");
}

#[test]
fn inspect_shows_the_model() {
    let task = seed_task();
    let json: Value = serde_json::from_str(&run(&["inspect", s(&task.model), "--json"])).unwrap();
    assert_eq!(json["layer_sizes"], serde_json::json!([5, 64, 32, 16, 1]));
    assert_eq!(
        json["features"],
        serde_json::json!(["x1", "x2", "x3", "x4", "x5"])
    );
    assert_eq!(json["target"], "y");
    assert_eq!(json["parameters"], 3009);
    assert_eq!(
        json["summary"]["test_metrics"]["r2"], task.train_json["r2"],
        "the stored test metrics are those train reported"
    );
    assert_eq!(json["format_version"], fivedreg::FORMAT_VERSION);
    let text = run(&["inspect", s(&task.model)]);
    assert!(text.contains("5 → 64 → 32 → 16 → 1"), "{text}");
    assert!(
        text.contains(&format!("format version {},", fivedreg::FORMAT_VERSION)),
        "{text}"
    );
}

#[test]
fn a_file_of_format_version_1_loads_and_says_its_version() {
    // Written by `fivedreg train` when the format was at version 1 (2 → 3 → 1, 60 rows; the
    // fuzz seed fuzz/seeds/model_file/small.fdr).
    let v1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/model-v1.fdr");
    let text = run(&["inspect", s(&v1)]);
    assert!(text.contains("format version 1,"), "{text}");
    let json: Value = serde_json::from_str(&run(&["inspect", s(&v1), "--json"])).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["layer_sizes"], serde_json::json!([2, 3, 1]));
    let point = run(&["predict", s(&v1), "--point", "0.1,0.2"]);
    assert!(
        point.trim().parse::<f64>().is_ok_and(f64::is_finite),
        "{point}"
    );
}

#[test]
fn the_same_seed_gives_a_byte_identical_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    run(&[
        "generate",
        "--samples",
        "1500",
        "--seed",
        "5",
        "-o",
        s(&data),
    ]);
    let train = |name: &str, seed: &str, threads: &str| {
        let model = dir.path().join(name);
        run(&[
            "train",
            s(&data),
            "-o",
            s(&model),
            "--seed",
            seed,
            "--threads",
            threads,
            "--max-epochs",
            "40",
        ]);
        std::fs::read(model).unwrap()
    };
    let first = train("a.fdr", "3", "1");
    let second = train("b.fdr", "3", "2");
    let other_seed = train("c.fdr", "4", "1");
    assert!(first == second, "same seed, different model files");
    assert!(first != other_seed, "another seed gave the same model");
}

/// Trains on `transform(sum of squares)` and checks predictions on fresh points against the
/// transformed truth: they come back in the user's units, not standardized ones.
fn check_user_units(name: &str, transform: fn(f64) -> f64) {
    let dir = tempfile::tempdir().unwrap();
    let transform_csv = |text: &str| {
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let (features, y) = line.rsplit_once(',').unwrap();
            if i == 0 {
                out.push_str(&format!("{features},{y}\n"));
            } else {
                let y: f64 = y.parse().unwrap();
                out.push_str(&format!("{features},{:?}\n", transform(y)));
            }
        }
        out
    };
    let data = dir.path().join("data.csv");
    let fresh = dir.path().join("fresh.csv");
    let model = dir.path().join("m.fdr");
    let raw = run(&["generate", "--samples", "4000", "--seed", "11"]);
    std::fs::write(&data, transform_csv(&raw)).unwrap();
    let raw = run(&["generate", "--samples", "300", "--seed", "12"]);
    std::fs::write(&fresh, transform_csv(&raw)).unwrap();
    run(&["train", s(&data), "-o", s(&model)]);
    let out = run(&["predict", s(&model), s(&fresh)]);
    let (_, rows) = read_csv(&out);
    let truth: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    let predicted: Vec<f64> = rows.iter().map(|r| r[6].parse().unwrap()).collect();
    let score = r2(&truth, &predicted);
    assert!(score > 0.97, "{name}: R² {score} on fresh points");
    let mean_truth = truth.iter().sum::<f64>() / truth.len() as f64;
    let mean_predicted = predicted.iter().sum::<f64>() / predicted.len() as f64;
    let spread = fivedreg_metrics::rmse(&truth, &vec![mean_truth; truth.len()]).unwrap();
    assert!(
        (mean_predicted - mean_truth).abs() < 0.1 * spread,
        "{name}: mean prediction {mean_predicted}, mean truth {mean_truth}"
    );
}

#[test]
fn predictions_are_in_the_users_units_with_an_offset() {
    check_user_units("y + 1000", |y| y + 1000.0);
}

#[test]
fn predictions_are_in_the_users_units_at_a_tiny_scale() {
    check_user_units("y * 1e-6", |y| y * 1e-6);
}

// ---- refusals -------------------------------------------------------------------------

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fdr");
    let missing = dir.path().join("missing.csv");
    let err = refuse(&["train", s(&missing), "-o", s(&model)], 1);
    assert!(err.contains("missing.csv"), "{err}");
    assert!(!model.exists(), "a model file was written");
    let err = refuse(
        &["predict", s(&dir.path().join("nope.fdr")), "--point", "1"],
        1,
    );
    assert!(err.contains("nope.fdr"), "{err}");
    let task = seed_task();
    let err = refuse(&["evaluate", s(&task.model), s(&missing)], 1);
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn wrong_features_at_predict_time_are_refused() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    // Four features instead of five.
    let four = dir.path().join("four.csv");
    std::fs::write(&four, "x1,x2,x3,x4\n0.1,0.2,0.3,0.4\n").unwrap();
    let err = refuse(&["predict", s(&task.model), s(&four), "-o", s(&out)], 1);
    assert!(err.contains("x5") && err.contains("four.csv"), "{err}");
    // Other names.
    let names = dir.path().join("names.csv");
    std::fs::write(&names, "a,b,c,d,e\n0.1,0.2,0.3,0.4,0.5\n").unwrap();
    let err = refuse(&["predict", s(&task.model), s(&names), "-o", s(&out)], 1);
    assert!(err.contains("x1") && err.contains("names.csv"), "{err}");
    let err = refuse(&["evaluate", s(&task.model), s(&names)], 1);
    assert!(err.contains("names.csv"), "{err}");
    // A point of the wrong length.
    let err = refuse(&["predict", s(&task.model), "--point", "0.1,0.2,0.3"], 1);
    assert!(err.contains("5 features") && err.contains('3'), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_bad_row_leaves_no_partial_output() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let out = dir.path().join("out.csv");
    // Enough rows that some chunks are predicted before the bad one is read.
    let mut text = String::from("x1,x2,x3,x4,x5\n");
    for i in 0..9000 {
        text.push_str(&format!("{},0.2,0.3,0.4,0.5\n", i as f64 / 9000.0));
    }
    text.push_str("0.1,0.2,oops,0.4,0.5\n");
    std::fs::write(&input, text).unwrap();
    let err = refuse(&["predict", s(&task.model), s(&input), "-o", s(&out)], 1);
    assert!(err.contains("in.csv") && err.contains("9002"), "{err}");
    assert!(!out.exists(), "a partial output file was left");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "temporary files were left: {leftovers:?}"
    );
}

#[test]
fn damaged_model_files_are_refused_with_the_reason() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&task.model).unwrap();
    let predict = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = refuse(&["predict", s(&path), "--point", "0,0,0,0,0"], 1);
        assert!(err.contains(name), "{err}");
        err
    };
    let err = predict("truncated.fdr", &bytes[..bytes.len() / 2]);
    assert!(err.contains("truncated"), "{err}");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    let err = predict("flipped.fdr", &flipped);
    assert!(err.contains("corrupted"), "{err}");
    let csv = std::fs::read(&task.fresh).unwrap();
    let err = predict("data.csv", &csv);
    assert!(err.contains("not a fivedreg model"), "{err}");
    let err = predict("empty.fdr", b"");
    assert!(err.contains("empty"), "{err}");
    // The damaged model is refused by every command that reads one.
    let path = dir.path().join("flipped.fdr");
    for args in [
        vec!["inspect", s(&path)],
        vec!["evaluate", s(&path), s(&task.fresh)],
    ] {
        let err = refuse(&args, 1);
        assert!(err.contains("corrupted"), "{err}");
    }
}

#[test]
fn bad_option_values_are_usage_errors() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fdr");
    let data = task.fresh.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--learning-rate", "-1"], "--learning-rate"),
        (&["--learning-rate", "abc"], "--learning-rate"),
        (&["--max-epochs", "0"], "--max-epochs"),
        (&["--batch-size", "0"], "--batch-size"),
        (&["--alpha", "-0.5"], "--alpha"),
        (&["--hidden", "64,0"], "--hidden"),
        (&["--split", "0.5,0.5"], "--split"),
        (&["--split", "0.6,0.3,0.3"], "--split"),
        (&["--split", "1,0,0"], "--no-early-stopping"),
        (&["--threads", "5000"], "--threads"),
        (&["--max-epochs", "-3"], "--max-epochs"),
        (&["--split", "-0.2,0.6,0.6"], "--split"),
        (&["--hidden", "65536,65536"], "--hidden"),
        (&["--unknown"], "--unknown"),
    ];
    for (extra, mention) in cases {
        let mut args = vec!["train", data, "-o", s(&model)];
        args.extend_from_slice(extra);
        let err = refuse(&args, 2);
        assert!(err.contains(mention), "{extra:?}: {err}");
    }
    assert!(!model.exists());
    let err = refuse(&["generate", "--samples", "10", "--function", "nope"], 2);
    assert!(err.contains("nope"), "{err}");
    let err = refuse(&["generate", "--samples", "0"], 2);
    assert!(err.contains("sample"), "{err}");
    let err = refuse(
        &[
            "generate",
            "--samples",
            "10",
            "--function",
            "ishigami",
            "--inputs",
            "5",
        ],
        2,
    );
    assert!(err.contains("ishigami"), "{err}");
    let err = refuse(&["generate", "--samples", "10", "--noise", "-1"], 2);
    assert!(err.contains("noise"), "{err}");
}

#[test]
fn a_malformed_csv_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.csv");
    let model = dir.path().join("m.fdr");
    std::fs::write(&data, "x1,x2,y\n1,2,3\n4,five,6\n").unwrap();
    let err = refuse(&["train", s(&data), "-o", s(&model)], 1);
    assert!(err.contains("bad.csv") && err.contains('3'), "{err}");
    assert!(!model.exists());
}

#[test]
fn training_without_early_stopping_needs_no_validation_rows() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fdr");
    let json = run(&[
        "train",
        s(&task.fresh),
        "-o",
        s(&model),
        "--split",
        "0.8,0,0.2",
        "--no-early-stopping",
        "--max-epochs",
        "20",
        "--json",
    ]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["validation_samples"], 0);
    assert!(json["best_validation_r2"].is_null());
    assert!(json["epochs"].as_u64().unwrap() <= 20);
}

#[test]
fn a_target_column_can_be_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    let model = dir.path().join("m.fdr");
    // The target first.
    let raw = run(&["generate", "--samples", "300", "--seed", "3"]);
    let moved: String = raw
        .lines()
        .map(|l| {
            let (features, y) = l.rsplit_once(',').unwrap();
            format!("{y},{features}\n")
        })
        .collect();
    std::fs::write(&data, moved).unwrap();
    let json = run(&[
        "train",
        s(&data),
        "-o",
        s(&model),
        "--target",
        "y",
        "--max-epochs",
        "5",
        "--json",
    ]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["target"], "y");
    assert_eq!(
        json["features"],
        serde_json::json!(["x1", "x2", "x3", "x4", "x5"])
    );
    let err = refuse(&["train", s(&data), "-o", s(&model), "--target", "z"], 1);
    assert!(err.contains('z'), "{err}");
}

#[test]
fn help_and_version_succeed() {
    for command in [
        "generate", "train", "predict", "evaluate", "inspect", "demo",
    ] {
        let text = run(&[command, "--help"]);
        assert!(text.contains("Usage: fivedreg"), "{text}");
    }
    assert!(run(&["--version"]).starts_with("fivedreg "));
    let output = fivedreg().output().unwrap();
    assert_eq!(output.status.code(), Some(2), "no command is a usage error");
}

#[test]
fn an_output_folder_that_does_not_exist_is_named() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("no").join("m.fdr");
    let err = refuse(
        &[
            "train",
            s(&task.fresh),
            "-o",
            s(&model),
            "--max-epochs",
            "2",
        ],
        1,
    );
    assert!(
        err.contains("m.fdr") && !err.contains(".fivedreg-"),
        "{err}"
    );
    let err = refuse(&["generate", "--samples", "5", "-o", s(dir.path())], 1);
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(binary())
        .args(["generate", "--samples", "200000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "x1,x2,x3,x4,x5,y\n");
    // The pipe is closed here, long before 200,000 rows are written.
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert!(output.status.success());
}

#[test]
fn train_prints_only_the_table_when_stdout_is_not_a_terminal() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fdr");
    let output = fivedreg()
        .args([
            "train",
            s(&task.fresh),
            "-o",
            s(&model),
            "--max-epochs",
            "3",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "no progress bar"
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("Test metrics (200 rows, in the units of y):"),
        "{text}"
    );
    for line in [
        "R²",
        "MSE",
        "RMSE",
        "MAE",
        "max error",
        "epochs",
        "time",
        "model",
    ] {
        assert!(text.contains(line), "no {line} in {text}");
    }
}

#[test]
fn demo_runs_the_whole_job() {
    let text = run(&["demo", "--samples", "2000", "--seed", "3"]);
    for part in [
        "2000 samples, seed 3",
        "Test metrics (400 rows, in the units of y):",
        "R²",
        "Fresh points",
        "true y",
        "predicted",
    ] {
        assert!(text.contains(part), "no {part:?} in {text}");
    }
    // Five fresh points, each with its truth, prediction and error.
    let table = text.split("Fresh points").nth(1).unwrap();
    assert_eq!(
        table.lines().filter(|l| l.contains('.')).count(),
        5,
        "{table}"
    );
}

#[test]
fn features_are_found_by_name_in_any_order() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let input = std::fs::read_to_string(&task.fresh).unwrap();
    // Reversed features, an extra column first, the target last.
    let shuffled: String = input
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let id = if i == 0 {
                "id".to_string()
            } else {
                i.to_string()
            };
            format!(
                "{id},{},{},{},{},{},{}\n",
                f[4], f[3], f[2], f[1], f[0], f[5]
            )
        })
        .collect();
    let path = dir.path().join("shuffled.csv");
    std::fs::write(&path, shuffled).unwrap();
    let (_, plain) = read_csv(&run(&["predict", s(&task.model), s(&task.fresh)]));
    let (header, reordered) = read_csv(&run(&["predict", s(&task.model), s(&path)]));
    assert_eq!(
        header,
        ["id", "x5", "x4", "x3", "x2", "x1", "y", "y_predicted"]
    );
    for (a, b) in plain.iter().zip(&reordered) {
        assert_eq!(a[6], b[7], "the same prediction whatever the column order");
    }
    let evaluate = |path: &Path| -> Value {
        serde_json::from_str(&run(&["evaluate", s(&task.model), s(path), "--json"])).unwrap()
    };
    assert_eq!(evaluate(&path)["r2"], evaluate(&task.fresh)["r2"]);
}

/// 10,000 rows cross several prediction chunks: the streamed predictions are exactly those
/// `evaluate` scores in one piece.
#[test]
fn streamed_predictions_match_evaluate_across_chunks() {
    let task = seed_task();
    let data = task.dir.join("data.csv");
    let (_, rows) = read_csv(&run(&["predict", s(&task.model), s(&data)]));
    assert_eq!(rows.len(), 10_000);
    let truth: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    let predicted: Vec<f64> = rows.iter().map(|r| r[6].parse().unwrap()).collect();
    let json: Value =
        serde_json::from_str(&run(&["evaluate", s(&task.model), s(&data), "--json"])).unwrap();
    assert_eq!(json["n"], 10_000);
    // serde_json's default float parsing may miss the last bit.
    assert!((json["r2"].as_f64().unwrap() - r2(&truth, &predicted)).abs() < 1e-14);
}

#[test]
fn a_patience_of_zero_stops_after_one_epoch_and_says_so_in_the_singular() {
    let task = seed_task();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fdr");
    let text = run(&["train", s(&task.fresh), "-o", s(&model), "--patience", "0"]);
    assert!(
        text.contains("stopped: 1 epoch in a row in which the validation R²"),
        "{text}"
    );
    let shown = run(&["inspect", s(&model)]);
    assert!(shown.contains("stops after 1 epoch in a row"), "{shown}");
}
