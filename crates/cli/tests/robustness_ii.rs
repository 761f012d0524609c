//! Robustness II (issue #13): the cases a hostile user found where fivedreg gave silently
//! wrong answers or lost track of files. Those that are refusals are rows of the corpus in
//! `robustness.rs`; the others are tested here, each named after its case of the issue.
//!
//! Unix only: cases use signals, links, file modes and `/dev/full`.
#![cfg(unix)]

mod common;

use common::{binary, fixtures, run_ok, temp_files};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `train --json` on `data` in `dir`, parsed.
fn train_json(dir: &Path, data: &str, model: &str, extra: &[&str]) -> Value {
    let mut args = vec!["train", data, "-o", model, "--json"];
    args.extend_from_slice(extra);
    let stdout = run_ok(dir, &args);
    serde_json::from_slice(&stdout).expect("train --json is not JSON")
}

/// The seed task's 1000 rows in `dir`/`name`, with y mapped through `f`.
fn seed_task_with(dir: &Path, name: &str, f: impl Fn(f64) -> f64) {
    let text = run_ok(dir, &["generate", "--samples", "1000", "--inputs", "3"]);
    let text = String::from_utf8(text).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let (x, y) = line.rsplit_once(',').unwrap();
        out.push_str(&format!("{x},{:?}\n", f(y.parse().unwrap())));
    }
    std::fs::write(dir.join(name), out).unwrap();
}

/// The predictions `predict` writes for `input`, in order.
fn predictions(dir: &Path, model: &str, input: &str) -> Vec<f64> {
    let text = String::from_utf8(run_ok(dir, &["predict", model, input])).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect()
}

/// (1, 7) y × 1e-300, 1e-20, subnormal, 1e155, 1e300: trained like y itself, to the same
/// test R², with predictions in the same scale (they were 0.003 for y ≈ 1e-300, and 1e155
/// failed with a message about the inputs).
#[test]
fn case_1_and_7_targets_at_any_scale_train_like_unit_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    seed_task_with(path, "unit.csv", |y| y);
    let epochs = ["--max-epochs", "200"];
    let unit = train_json(path, "unit.csv", "unit.fdr", &epochs);
    let unit_r2 = unit["r2"].as_f64().unwrap();
    assert!(unit_r2 > 0.95, "unit R² {unit_r2}");
    let unit_predicted = predictions(path, "unit.fdr", "unit.csv");
    for factor in [1e-300, 1e-20, 1e-310, 1e155, 1e300] {
        seed_task_with(path, "scaled.csv", |y| y * factor);
        let scaled = train_json(path, "scaled.csv", "scaled.fdr", &epochs);
        let r2 = scaled["r2"].as_f64().unwrap();
        assert!(
            (r2 - unit_r2).abs() < 1e-3,
            "x {factor}: R² {r2}, unit {unit_r2}"
        );
        let predicted = predictions(path, "scaled.fdr", "scaled.csv");
        for (p, u) in predicted.iter().zip(&unit_predicted) {
            assert!(
                (p / factor - u).abs() < 1e-2 * u.abs().max(1.0),
                "x {factor}: {p} vs {u}"
            );
        }
        // One point too, printed so that it reads back (not as 300 zeros).
        let point = run_ok(path, &["predict", "scaled.fdr", "--point", "0.5,0.5,0.5"]);
        let point: f64 = String::from_utf8(point).unwrap().trim().parse().unwrap();
        assert!(
            point > 0.0 && (point / factor).is_finite(),
            "x {factor}: {point}"
        );
    }
}

/// (2) y = 3: every prediction is exactly 3, and R² says it is undefined, in text and JSON.
#[test]
fn case_2_a_constant_target_is_predicted_exactly_with_an_undefined_r2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    seed_task_with(path, "constant.csv", |_| 3.0);
    let options = ["--max-epochs", "20", "--hidden", "16,8"];
    let json = train_json(path, "constant.csv", "c.fdr", &options);
    assert_eq!(json["r2"], Value::Null, "{json}");
    assert_eq!(json["best_validation_r2"], Value::Null, "{json}");
    assert_eq!(json["mse"], 0.0);
    seed_task_with(path, "fresh.csv", |y| y);
    let predicted = predictions(path, "c.fdr", "fresh.csv");
    assert_eq!(predicted.len(), 1000);
    assert!(predicted.iter().all(|&p| p == 3.0), "{:?}", &predicted[..5]);
    let text = String::from_utf8(run_ok(path, &["evaluate", "c.fdr", "constant.csv"])).unwrap();
    assert!(text.contains("R²         undefined"), "{text}");
    let json = run_ok(path, &["evaluate", "c.fdr", "constant.csv", "--json"]);
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["r2"], Value::Null);
    let text = String::from_utf8(run_ok(path, &["inspect", "c.fdr"])).unwrap();
    assert!(text.contains("undefined"), "{text}");
    // --auto too: its leaderboard and the held-out R² say so in words, not "NaN ± NaN".
    let trained = run_ok(
        path,
        &[
            "train",
            "constant.csv",
            "--auto",
            "--budget",
            "0.3",
            "-o",
            "a.fdr",
        ],
    );
    let inspected = run_ok(path, &["inspect", "a.fdr"]);
    for text in [trained, inspected] {
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("CV R² undefined"), "{text}");
        assert!(text.contains("held-out R²  undefined"), "{text}");
        assert!(!text.contains("NaN"), "{text}");
    }
}

/// (3) `evaluate` ignores a column the model does not use, even of text (it failed on it).
#[test]
fn case_3_evaluate_ignores_columns_of_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.csv"), &fixtures().csv).unwrap();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    let text = String::from_utf8(fixtures().csv.clone()).unwrap();
    let with_note: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("note,{l}\n"),
            _ => format!("\"row {i}, as typed\",{l}\n"),
        })
        .collect();
    std::fs::write(path.join("noted.csv"), with_note).unwrap();
    let plain = run_ok(path, &["evaluate", "good.fdr", "good.csv", "--json"]);
    let noted = run_ok(path, &["evaluate", "good.fdr", "noted.csv", "--json"]);
    assert_eq!(noted, plain);
}

/// (6) What `generate` writes at its limits, `train` reads.
#[test]
fn case_6_generated_files_at_the_limits_are_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    run_ok(
        path,
        &[
            "generate",
            "--samples",
            "50",
            "--noise",
            "1e300",
            "-o",
            "noisy.csv",
        ],
    );
    let args = ["--max-epochs", "1", "--hidden", "2", "--json"];
    let mut train = vec!["train", "noisy.csv", "-o", "noisy.fdr"];
    train.extend_from_slice(&args);
    run_ok(path, &train);
    run_ok(
        path,
        &[
            "generate",
            "--samples",
            "10",
            "--inputs",
            "1023",
            "-o",
            "wide.csv",
        ],
    );
    let mut train = vec!["train", "wide.csv", "-o", "wide.fdr"];
    train.extend_from_slice(&args);
    run_ok(path, &train);
}

/// Spawns `fivedreg args` in `dir`, waits until its temporary output holds a megabyte,
/// sends `signal`, and returns how it ended.
fn interrupt_mid_write(dir: &Path, args: &[&str], signal: &str) -> std::process::ExitStatus {
    let mut child = Command::new(binary())
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !temp_files(dir).iter().any(|(_, bytes)| *bytes >= 1 << 20) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} ended before it could be interrupted: use more rows"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let kill = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait().unwrap()
}

/// (8) SIGINT or SIGTERM during `predict -o` or `generate -o`: the temporary file is
/// removed (it was left behind, up to 255 MB), the old output stays, and the process ends
/// by the signal.
#[test]
fn case_8_an_interrupted_output_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    run_ok(
        path,
        &[
            "generate",
            "--samples",
            "1000000",
            "--inputs",
            "2",
            "-o",
            "input.csv",
        ],
    );
    let old = b"old output\n".to_vec();
    let runs: [(&[&str], &str, i32); 4] = [
        (
            &["predict", "good.fdr", "input.csv", "-o", "out.csv"],
            "INT",
            2,
        ),
        (
            &["predict", "good.fdr", "input.csv", "-o", "out.csv"],
            "TERM",
            15,
        ),
        (
            &["generate", "--samples", "20000000", "-o", "out.csv"],
            "INT",
            2,
        ),
        (
            &["generate", "--samples", "20000000", "-o", "out.csv"],
            "TERM",
            15,
        ),
    ];
    for (args, signal, number) in runs {
        std::fs::write(path.join("out.csv"), &old).unwrap();
        let status = interrupt_mid_write(path, args, signal);
        assert_eq!(
            status.signal(),
            Some(number),
            "{args:?} SIG{signal}: {status:?}"
        );
        assert_eq!(temp_files(path), [], "{args:?} SIG{signal}");
        assert_eq!(std::fs::read(path.join("out.csv")).unwrap(), old);
    }
}

/// (10) A valid header that declares 1 TiB, followed by 50 GB of a sparse file or by an
/// endless pipe: refused at once (the loader read until memory ran out).
#[test]
fn case_10_a_huge_declared_payload_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let mut header = fivedreg::MAGIC.to_vec();
    header.extend_from_slice(&fivedreg::FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let crc = common::crc32(&header);
    header.extend_from_slice(&crc.to_le_bytes());
    let sparse = std::fs::File::create(path.join("sparse.fdr")).unwrap();
    std::io::Write::write_all(&mut &sparse, &header).unwrap();
    sparse.set_len(50 << 30).unwrap();
    std::fs::write(path.join("header.bin"), &header).unwrap();
    let shell = format!(
        "cat header.bin /dev/zero | '{}' inspect /dev/stdin",
        binary().display()
    );
    for command in [
        Command::new(binary())
            .current_dir(path)
            .args(["inspect", "sparse.fdr"])
            .output(),
        Command::new("sh")
            .current_dir(path)
            .args(["-c", &shell])
            .output(),
    ] {
        let output = command.unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("largest model"), "{stderr}");
    }
}

/// (11) Replacing an output keeps its mode (600 became 644).
#[test]
fn case_11_a_replaced_output_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.csv"), &fixtures().csv).unwrap();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    let runs: [&[&str]; 3] = [
        &["predict", "good.fdr", "good.csv", "-o", "out"],
        &["generate", "--samples", "5", "-o", "out"],
        &["train", "good.csv", "-o", "out", "--max-epochs", "1"],
    ];
    for args in runs {
        for mode in [0o600, 0o640, 0o755] {
            std::fs::write(path.join("out"), b"old").unwrap();
            let permissions = std::fs::Permissions::from_mode(mode);
            std::fs::set_permissions(path.join("out"), permissions).unwrap();
            run_ok(path, args);
            let meta = std::fs::metadata(path.join("out")).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, mode, "{args:?}");
            assert_ne!(std::fs::read(path.join("out")).unwrap(), b"old");
        }
    }
}

/// Runs `fivedreg args` in `dir` through `sh` with `redirect` (e.g. `>&-`).
fn run_redirected(dir: &Path, args: &str, redirect: &str) -> std::process::Output {
    let shell = format!("'{}' {args} {redirect}", binary().display());
    Command::new("sh")
        .current_dir(dir)
        .args(["-c", &shell])
        .output()
        .unwrap()
}

/// (12) A report or predictions that cannot be written are an error, and the exit status
/// says what was saved: `train > /dev/full` saved the model yet exited 1, `predict >&-`
/// exited 0 with no output.
#[cfg(target_os = "linux")]
#[test]
fn case_12_an_unwritable_stdout_is_an_error_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.csv"), &fixtures().csv).unwrap();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    let train = "train good.csv -o model.fdr --max-epochs 2";
    for (args, redirect, expected) in [
        (train, "> /dev/full", "No space left"),
        (train, ">&-", "standard output is closed"),
        (
            &format!("{train} --json") as &str,
            "> /dev/full",
            "No space left",
        ),
    ] {
        let output = run_redirected(path, args, redirect);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args} {redirect}: {stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("the model was not saved"), "{stderr}");
        assert!(!path.join("model.fdr").exists(), "{args} {redirect}");
        assert_eq!(temp_files(path), []);
    }
    for (args, redirect) in [
        ("predict good.fdr good.csv", ">&-"),
        ("predict good.fdr good.csv", "> /dev/full"),
        ("predict good.fdr --point 0.5,0.5", ">&-"),
        ("generate --samples 10", ">&-"),
        ("evaluate good.fdr good.csv", ">&-"),
        ("inspect good.fdr", ">&-"),
    ] {
        let output = run_redirected(path, args, redirect);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args} {redirect}: {stderr}");
        assert!(stderr.starts_with("error: <stdout>: "), "{args}: {stderr}");
    }
    // Outputs that do not use stdout are unaffected, and so is a stdout sent to /dev/null.
    let output = run_redirected(path, "predict good.fdr good.csv -o out.csv", ">&-");
    assert!(output.status.success());
    assert!(path.join("out.csv").exists());
    let output = run_redirected(path, "predict good.fdr good.csv", "> /dev/null");
    assert!(output.status.success());
    // A closed stdin is named as such.
    let output = run_redirected(path, "train - -o m.fdr", "<&-");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("standard input is closed"), "{stderr}");
}

/// (14) A million epochs of a tiny network: the stored history is thinned (it was 8 bytes
/// an epoch: an 8 MB file and 42 MB of `inspect --json`). Here 3 × 4096 + 10 epochs keep
/// at most 4096 points.
#[test]
fn case_14_the_stored_history_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    run_ok(
        path,
        &[
            "generate",
            "--samples",
            "30",
            "--inputs",
            "1",
            "-o",
            "small.csv",
        ],
    );
    let epochs = 3 * fivedreg::MAX_CURVE_POINTS + 10;
    let json = train_json(
        path,
        "small.csv",
        "long.fdr",
        &[
            "--hidden",
            "2",
            "--max-epochs",
            &epochs.to_string(),
            "--no-early-stopping",
            "--patience",
            "1000000",
        ],
    );
    assert_eq!(json["epochs"], epochs);
    let bound = 2 * 4 * fivedreg::MAX_CURVE_POINTS as u64 + 2048;
    assert!(json["model_bytes"].as_u64().unwrap() < bound, "{json}");
    let inspect = run_ok(path, &["inspect", "long.fdr", "--json"]);
    let inspect: Value = serde_json::from_slice(&inspect).unwrap();
    let curve = inspect["summary"]["history"]["train_loss"]
        .as_array()
        .unwrap();
    assert!(
        curve.len() <= fivedreg::MAX_CURVE_POINTS,
        "{} points",
        curve.len()
    );
}

/// The peak resident set of `fivedreg args`, sampled from `/proc` while it runs.
#[cfg(target_os = "linux")]
fn peak_rss_bytes(dir: &Path, args: &[&str]) -> u64 {
    let mut child = Command::new(binary())
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let kb = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(kb.unwrap_or(0) * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{args:?}: {status:?}");
            return peak;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// (15) `generate` and `evaluate` stream: 2,000,000 rows in well under 50 MB (they held
/// every row: 472 MB for 10,000,000 rows of `generate`, 113 MB for 2,000,000 of
/// `evaluate`).
#[cfg(target_os = "linux")]
#[test]
fn case_15_generate_and_evaluate_run_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    let limit = 50 << 20;
    let args = [
        "generate",
        "--samples",
        "2000000",
        "--inputs",
        "2",
        "-o",
        "big.csv",
    ];
    let generate = peak_rss_bytes(path, &args);
    assert!(
        generate > 0 && generate < limit,
        "generate: {generate} bytes"
    );
    let evaluate = peak_rss_bytes(path, &["evaluate", "good.fdr", "big.csv"]);
    assert!(
        evaluate > 0 && evaluate < limit,
        "evaluate: {evaluate} bytes"
    );
    eprintln!("peak RSS: generate {generate} bytes, evaluate {evaluate} bytes");
}

/// (16) `inspect` shows names with control characters escaped and names with commas
/// quoted (they were printed raw), and a model read from a pipe has its real size (0 B).
#[test]
fn case_16_inspect_escapes_names_and_sizes_a_piped_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let mut text = String::from("\"a,b\",bell\u{7}\u{1b}[2J,y\n");
    for i in 0..40 {
        text.push_str(&format!("{},{},{}\n", i % 7, i % 5, i % 3));
    }
    std::fs::write(path.join("odd.csv"), text).unwrap();
    let options = ["--max-epochs", "2", "--hidden", "4"];
    let json = train_json(path, "odd.csv", "odd.fdr", &options);
    let bytes = json["model_bytes"].as_u64().unwrap();
    let shown = String::from_utf8(run_ok(path, &["inspect", "odd.fdr"])).unwrap();
    assert!(
        shown.contains(r#"features        "a,b", "bell\u{7}\u{1b}[2J""#),
        "{shown}"
    );
    assert!(!shown.contains('\u{1b}'), "{shown}");
    let output = run_redirected(path, "inspect /dev/stdin --json", "< odd.fdr");
    let piped: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(piped["model_bytes"], bytes);
    let shell = format!("cat odd.fdr | '{}' inspect /dev/stdin", binary().display());
    let output = Command::new("sh")
        .current_dir(path)
        .args(["-c", &shell])
        .output()
        .unwrap();
    let first = String::from_utf8(output.stdout).unwrap();
    let size = match bytes {
        0..1024 => format!("{bytes} B"),
        _ => format!("{:.1} KB", bytes as f64 / 1024.0),
    };
    assert!(first.lines().next().unwrap().ends_with(&size), "{first}");
}

/// (17) `--help` names the column cap and the page of limits.
#[test]
fn case_17_help_names_the_limits() {
    let help = run_ok(Path::new("."), &["--help"]);
    let help = String::from_utf8(help).unwrap();
    assert!(
        help.contains("1024 columns") && help.contains("docs/limits.md"),
        "{help}"
    );
}
