//! The scikit-learn side of `xtask bench` and `xtask speed`, end to end on tiny sizes: the
//! runner is driven, its figures land in the report and the JSON, and the ratios to it are
//! medians of alternating pairs.
//!
//! It needs a Python that imports scikit-learn: `$FIVEDREG_PYTHON`, else `python3`. Without one
//! the tests say so on stderr and pass, unless `FIVEDREG_REQUIRE_SKLEARN=1` or `CI=true` makes
//! that a failure: `cargo xtask test` (what CI runs) sets both, to its virtual environment made from
//! `crates/python/requirements-test.txt`. By hand: `python3 -m pip install -r
//! scripts/requirements-bench.txt` (the versions the example reports used).

mod common;

use serde_json::Value;
use std::process::Command;

/// The interpreter, when it imports scikit-learn.
fn python_with_sklearn() -> Option<String> {
    let python = std::env::var("FIVEDREG_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".into());
    let mut command = Command::new(&python);
    command.args(["-c", "import numpy, sklearn"]);
    // As xtask sets it: SKYLAKEX only where the CPU has AVX-512 (elsewhere it is an illegal
    // instruction).
    #[cfg(target_arch = "x86_64")]
    if std::env::var_os("OPENBLAS_CORETYPE").is_none()
        && std::arch::is_x86_feature_detected!("avx512f")
    {
        command.env("OPENBLAS_CORETYPE", "SKYLAKEX");
    }
    let imports = command.output();
    match imports {
        Ok(out) if out.status.success() => Some(python),
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            let message = format!(
                "scikit-learn tests skipped: `{python} -c 'import numpy, sklearn'` failed \
                 ({why}); install it with `{python} -m pip install -r \
                 scripts/requirements-bench.txt` or set FIVEDREG_PYTHON"
            );
            if std::env::var("FIVEDREG_REQUIRE_SKLEARN").is_ok_and(|v| v == "1") {
                panic!("{message} (FIVEDREG_REQUIRE_SKLEARN=1)");
            }
            // Under CI (`CI=true`, as `.ci/run` and GitHub Actions set it) a missing Python
            // or scikit-learn fails the run instead of skipping.
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("{message} (CI=true)");
            }
            eprintln!("{message}");
            None
        }
    }
}

/// A finite, positive number at `field`.
fn positive(value: &Value, field: &str) -> f64 {
    let x = value[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} missing in {value}"));
    assert!(x.is_finite() && x > 0.0, "{field} = {x}");
    x
}

fn spread(value: &Value, field: &str, runs: u64) -> f64 {
    let s = &value[field];
    let (min, median, max) = (
        positive(s, "min"),
        positive(s, "median"),
        positive(s, "max"),
    );
    assert!(min <= median && median <= max, "{field}: {s}");
    assert_eq!(s["runs"].as_u64(), Some(runs), "{field}: {s}");
    median
}

#[test]
fn bench_runs_scikit_learn_side_by_side() {
    let Some(python) = python_with_sklearn() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    common::xtask(
        &["bench", "--quick", "--sklearn", "--sizes", "200"],
        dir.path(),
        Some(&python),
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("benchmark_results.json")).unwrap(),
    )
    .unwrap();
    let sk = json["sklearn_results"].as_array().unwrap();
    assert_eq!(sk.len(), 1, "{sk:?}");
    let sk = &sk[0];
    assert_eq!(sk["n_samples"], 200);
    // 60% of 200 rows, the same rows as fivedreg's training split.
    assert_eq!(sk["train_rows"], 120);
    assert_eq!(
        sk["train_rows"],
        json["individual_results"][0]["train_rows"]
    );
    let median = positive(sk, "training_time");
    assert_eq!(spread(sk, "training_time_spread", 5), median);
    for field in [
        "iterations",
        "mse",
        "rmse",
        "mae",
        "model_size_kb",
        "peak_memory_training_mb",
        "peak_memory_prediction_mb",
        "peak_rss_mb",
    ] {
        positive(sk, field);
    }
    assert!(sk["r2_score"].as_f64().unwrap().is_finite());
    spread(sk, "prediction_seconds", 5);
    spread(sk, "fit_time_ratio", 5);
    assert_eq!(sk["r2_over_seeds"]["seeds"], 5);
    assert!(sk["r2_over_seeds"]["std"].as_f64().unwrap() > 0.0);
    assert_eq!(sk["load_averages"].as_array().unwrap().len(), 5);

    let t = &json["throughput"];
    spread(t, "per_epoch_throughput_ratio", 5);
    spread(t, "sklearn_sample_epochs_per_second", 5);

    let report = std::fs::read_to_string(dir.path().join("REPORT.md")).unwrap();
    assert!(report.contains("**Per-epoch throughput ratio** (the speed headline)"));
    assert!(report.contains("**Fit-time ratio** (user-facing"));
    assert!(!report.contains("scikit-learn was not run"), "{report}");
}

#[test]
fn speed_runs_scikit_learn_side_by_side() {
    let Some(python) = python_with_sklearn() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    common::xtask(&["speed", "--quick"], dir.path(), Some(&python));
    let markdown = std::fs::read_to_string(dir.path().join("SPEED.md")).unwrap();
    for name in [
        "| Per-epoch throughput ratio (the headline) | ",
        "| Fit-time ratio (user-facing) | ",
    ] {
        let row = markdown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in {markdown}"));
        let median: f64 = row[name.len()..]
            .split('x')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no ratio in {row}"));
        assert!(median > 0.0, "{row}");
        assert!(row.contains("| 5 |"), "five pairs in {row}");
    }
    let r2 = markdown
        .lines()
        .find(|l| l.starts_with("| Default training: test R²"))
        .unwrap();
    let cells = common::cells(r2);
    assert!(
        cells[1].contains(" ± ") && cells[2].contains(" ± "),
        "both sides over seeds: {r2}"
    );
}
