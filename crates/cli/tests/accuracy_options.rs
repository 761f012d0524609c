//! End-to-end tests of `train --solver lbfgs`, `--activation`, `--ensemble K`, `--auto`
//! (`--budget`), `predict --std` and `evaluate`'s coverage, and their refusals: one `error:`
//! line, a non-zero exit, and no model file left behind.

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
    assert!(
        output.status.success(),
        "fivedreg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn refuse(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!output.status.success(), "fivedreg {args:?} succeeded");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    stderr
}

fn data(dir: &Path, name: &str, samples: &str, seed: &str) {
    run(
        dir,
        &[
            "generate",
            "--samples",
            samples,
            "--function",
            "friedman1",
            "--noise",
            "0.5",
            "--seed",
            seed,
            "-o",
            name,
        ],
    );
}

#[test]
fn lbfgs_ensembles_and_std_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d, "d.csv", "600", "1");
    data(d, "fresh.csv", "400", "2");
    // L-BFGS needs no validation rows: its default split is 0.8,0,0.2.
    let lbfgs: Value = serde_json::from_str(&run(
        d,
        &[
            "train",
            "d.csv",
            "-o",
            "l.fdr",
            "--solver",
            "lbfgs",
            "--activation",
            "tanh",
            "--hidden",
            "16",
            "--max-epochs",
            "100",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(lbfgs["solver"], "lbfgs");
    assert_eq!(lbfgs["validation_samples"], 0);
    assert_eq!(lbfgs["train_samples"], 480);
    assert!(lbfgs["r2"].as_f64().unwrap() > 0.8, "{lbfgs}");
    let inspect = run(d, &["inspect", "l.fdr"]);
    assert!(inspect.contains("(tanh)"), "{inspect}");
    // --std on a single network is refused, and writes nothing.
    let e = refuse(
        d,
        &["predict", "l.fdr", "fresh.csv", "--std", "-o", "out.csv"],
    );
    assert!(e.contains("single network"), "{e}");
    assert!(!d.join("out.csv").exists());

    let ensemble: Value = serde_json::from_str(&run(
        d,
        &[
            "train",
            "d.csv",
            "-o",
            "e.fdr",
            "--ensemble",
            "4",
            "--hidden",
            "16,8",
            "--max-epochs",
            "60",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(ensemble["members"], 4);
    assert!(ensemble["ensemble"]["std_scale"].as_f64().unwrap() > 0.0);
    let out = run(d, &["predict", "e.fdr", "fresh.csv", "--std"]);
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap(), "x1,x2,x3,x4,x5,y,y_predicted,y_std");
    for line in lines {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields.len(), 8);
        assert!(fields[7] > 0.0 && fields[7].is_finite(), "{line}");
    }
    let evaluated: Value =
        serde_json::from_str(&run(d, &["evaluate", "e.fdr", "fresh.csv", "--json"])).unwrap();
    let coverage = evaluated["coverage_95"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&coverage), "{evaluated}");
    assert!(run(d, &["evaluate", "e.fdr", "fresh.csv"]).contains("±1.96 std"));
}

#[test]
fn auto_prints_and_stores_its_leaderboard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d, "d.csv", "300", "3");
    let text = run(
        d,
        &[
            "train",
            "d.csv",
            "-o",
            "a.fdr",
            "--auto",
            "--budget",
            "0.001",
            "--max-epochs",
            "40",
        ],
    );
    assert!(text.contains("Leaderboard"), "{text}");
    // A tiny budget: only the first candidate runs.
    assert!(text.contains("  1. ") && !text.contains("  2. "), "{text}");
    let inspect = run(d, &["inspect", "a.fdr"]);
    assert!(inspect.contains("Leaderboard"), "{inspect}");
    let json: Value = serde_json::from_str(&run(d, &["inspect", "a.fdr", "--json"])).unwrap();
    assert_eq!(json["summary"]["leaderboard"].as_array().unwrap().len(), 1);
}

/// Every candidate of a small set: ranks of two digits and descriptions of any length (a
/// blend's runs past 100 characters) leave the scores in one column.
#[test]
fn auto_leaderboard_keeps_its_scores_in_one_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d, "d.csv", "150", "5");
    let text = run(
        d,
        &[
            "train", "d.csv", "-o", "a.fdr", "--auto", "--budget", "1000", "--split", "1,0,0",
        ],
    );
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Leaderboard"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(rows.len() >= 10, "{text}");
    let column = |row: &str| row.find("CV R²").unwrap_or_else(|| panic!("{row}"));
    assert!(rows.iter().all(|r| column(r) == column(rows[0])), "{text}");
    // The time column too: each time ends at the same place.
    let ends: Vec<usize> = rows
        .iter()
        .filter_map(|r| r.find(" s  ").map(|i| i + 2))
        .collect();
    assert!(
        !ends.is_empty() && ends.iter().all(|&e| e == ends[0]),
        "{text}"
    );
}

#[test]
fn bad_values_are_one_clear_line_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d, "d.csv", "60", "4");
    data(d, "tiny.csv", "8", "5");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--ensemble", "0"], "ensemble"),
        (vec!["--ensemble", "65"], "ensemble"),
        (vec!["--auto", "--budget", "0"], "budget"),
        (vec!["--auto", "--budget", "-1"], "budget"),
        (vec!["--auto", "--budget", "NaN"], "budget"),
        (vec!["--budget", "5"], "--auto"),
        (vec!["--auto", "--ensemble", "3"], "--ensemble"),
        (vec!["--solver", "sgd"], "sgd"),
        (vec!["--activation", "sigmoid"], "sigmoid"),
    ];
    for (flags, word) in cases {
        let mut args = vec!["train", "d.csv", "-o", "m.fdr"];
        args.extend(flags.iter());
        let e = refuse(d, &args);
        assert!(e.contains(word), "{flags:?}: {e}");
        assert!(!d.join("m.fdr").exists(), "{flags:?} left a model");
    }
    // Too few rows for the folds of --auto (5) or an ensemble.
    for flags in [vec!["--auto"], vec!["--ensemble", "8"]] {
        let mut args = vec!["train", "tiny.csv", "-o", "m.fdr", "--split", "1,0,0"];
        args.extend(flags.iter());
        let e = refuse(d, &args);
        assert!(e.contains("folds"), "{flags:?}: {e}");
        assert!(!d.join("m.fdr").exists());
    }
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "d.csv" && n != "tiny.csv")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `inspect` describes the model `--auto` kept, whatever its kind: a kernel model has no
/// solver, epochs or stopping rule, and its std is one number; fold models say so.
#[test]
fn inspect_describes_the_kept_model_of_each_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d, "d.csv", "300", "5");
    let mut kinds = Vec::new();
    for (name, flags) in [
        ("kernel.fdr", vec!["--auto", "--budget", "2"]),
        (
            "networks.fdr",
            vec!["--ensemble", "3", "--max-epochs", "20"],
        ),
    ] {
        let mut args = vec!["train", "d.csv", "-o", name];
        args.extend(flags);
        run(d, &args);
        let text = run(d, &["inspect", name]);
        let model_line = text.lines().find(|l| l.starts_with("  model ")).unwrap();
        if model_line.contains("RBF") {
            kinds.push("kernel");
            for absent in [
                "  solver ",
                "  epochs ",
                "  early stopping ",
                "learning rate",
            ] {
                assert!(!text.contains(absent), "{absent:?} in\n{text}");
            }
            assert!(text.contains("refitted on every row"), "{text}");
            assert!(
                text.contains("growing away from the training rows"),
                "{text}"
            );
            assert!(text.contains("pooled into the folds"), "{text}");
        } else if model_line.contains("trees") {
            kinds.push("trees");
            assert!(!text.contains("  epochs "), "{text}");
            assert!(text.contains("each holding out one fold"), "{text}");
        } else {
            kinds.push("networks");
            assert!(
                text.contains("  solver ") && text.contains("  epochs "),
                "{text}"
            );
            assert!(text.contains("each holding out one fold"), "{text}");
        }
    }
    // The smooth set's --auto keeps a kernel model (seen); the second is networks.
    assert_eq!(kinds, ["kernel", "networks"]);
    // `inspect --json` gives the same description, as the library's card.
    for (name, kind, fitted, rule) in [
        (
            "kernel.fdr",
            "kernel",
            "refitted_on_every_row",
            "power_function",
        ),
        (
            "networks.fdr",
            "networks",
            "each_holding_out_one_fold",
            "spread",
        ),
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&run(d, &["inspect", name, "--json"])).unwrap();
        let card = &json["card"];
        assert_eq!(card["kind"], kind, "{card}");
        assert_eq!(card["fitted"], fitted, "{card}");
        assert_eq!(card["std"]["rule"], rule, "{card}");
        let model = fivedreg::Interpolator::load(&d.join(name)).unwrap();
        assert_eq!(*card, serde_json::to_value(model.card()).unwrap());
    }
}
