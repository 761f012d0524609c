//! Runs `xtask bench --quick` end to end: the report folder must be complete, every table
//! cell filled with a finite value, and the report's layout (numbers masked) must match the
//! snapshot.

mod common;

use common::table_after;
use std::path::Path;

/// Replaces every number (with its sign, thousands separators and decimals) by `<n>`.
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_signed = c == '-'
            && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
            && (i == 0 || matches!(chars[i - 1], ' ' | '(' | '[' | '|' | '^'));
        if c.is_ascii_digit() || starts_signed {
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let joins =
                    matches!(d, ',' | '.') && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                if d.is_ascii_digit() || joins {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push_str("<n>");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Masks the values of the machine table, which differ from machine to machine.
fn mask_machine(report: &str) -> String {
    let mut in_machine = false;
    report
        .lines()
        .map(|line| {
            if line.starts_with("## ") {
                in_machine = line == "## Machine and build";
            }
            if in_machine && line.starts_with("| ") && !line.starts_with("| Item") {
                let item = line.split('|').nth(1).unwrap_or("").trim();
                format!("| {item} | <machine> |")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every cell of every Markdown table: `(line number, cell)`.
fn table_cells(report: &str) -> Vec<(usize, String)> {
    report
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with('|') && !line.starts_with("|---"))
        .flat_map(|(i, line)| {
            let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .split('|')
                .map(move |cell| (i + 1, cell.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn run_quick_bench(out: &Path) -> String {
    // scikit-learn's side has its own test (sklearn_path.rs); the layout is pinned without.
    common::xtask(&["bench", "--quick", "--no-sklearn"], out, None);
    std::fs::read_to_string(out.join("REPORT.md")).unwrap()
}

#[test]
fn quick_bench_writes_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_quick_bench(dir.path());

    // Every table is filled: no empty cell, no NaN or infinity anywhere.
    let cells = table_cells(&report);
    assert!(cells.len() > 300, "only {} table cells", cells.len());
    for (line, cell) in &cells {
        assert!(!cell.is_empty(), "empty cell on line {line}");
        let lower = cell.to_lowercase();
        assert!(
            !lower.contains("nan") && !lower.contains("inf"),
            "non-finite cell `{cell}` on line {line}"
        );
    }
    for section in [
        "## Training time",
        "## Scaling behaviour",
        "### Training memory",
        "### Prediction memory",
        "### Memory breakdown",
        "### R², MSE, RMSE and MAE",
        "## Training speed breakdown",
        "## Early-stopping impact",
        "## Fixed-epoch throughput and threads",
        "## Model size",
        "## Comparison with alternative regressors",
        "## scikit-learn MLPRegressor side by side",
        "### R² over seeds",
        "### Runs and load",
    ] {
        assert!(report.contains(section), "missing section {section}");
    }
    // One row per size in the main table, each fit time a median with its range of 5 runs
    // (a quick fit takes far less than 10 s), and 5 seeds per size.
    for n in ["500", "1,000", "2,000"] {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {n} | ")))
            .unwrap_or_else(|| panic!("main table lacks {n}"));
        let fit_time = row.split(" | ").nth(2).unwrap();
        assert!(
            fit_time.contains(" (") && fit_time.contains('–'),
            "no range in `{fit_time}`"
        );
        for heading in ["### Runs and load", "### R² over seeds"] {
            let rows = table_after(&report, heading)
                .into_iter()
                .filter(|l| l.starts_with(&format!("| {n} | ")))
                .count();
            assert_eq!(rows, 5, "{heading} of {n}");
        }
    }

    // The JSON results carry the seed system's field names with finite values.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("benchmark_results.json")).unwrap(),
    )
    .unwrap();
    let results = json["individual_results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        for field in [
            "n_samples",
            "training_time",
            "peak_memory_training_mb",
            "peak_memory_prediction_mb",
            "r2_score",
            "mse",
            "mae",
            "rmse",
            "samples_per_second",
            "model_size_kb",
            "iterations",
        ] {
            let value = result[field].as_f64().unwrap_or(f64::NAN);
            assert!(
                value.is_finite() && (value >= 0.0 || field == "r2_score"),
                "{field}: {value}"
            );
        }
        assert!(result["training_time"].as_f64().unwrap() > 0.0);
        assert!(result["peak_memory_training_mb"].as_f64().unwrap() > 0.0);
    }
    for result in results {
        let spread = &result["training_time_spread"];
        assert_eq!(spread["runs"], 5, "{spread}");
        assert!(spread["min"].as_f64().unwrap() <= result["training_time"].as_f64().unwrap());
        assert!(spread["max"].as_f64().unwrap() >= result["training_time"].as_f64().unwrap());
        assert_eq!(result["r2_over_seeds"]["seeds"], 5);
        assert_eq!(result["load_averages"].as_array().unwrap().len(), 5);
    }
    assert!(json["aggregate_results"]["time_complexity_exponent"]
        .as_f64()
        .unwrap()
        .is_finite());
    // Without scikit-learn there are no ratios, and nothing pretends otherwise.
    assert_eq!(json["sklearn_results"].as_array().unwrap().len(), 0);
    assert!(json["throughput"]["per_epoch_throughput_ratio"].is_null());

    // The plots are SVG documents with drawn series.
    for plot in [
        "r2_vs_n.svg",
        "time_vs_n.svg",
        "training_loss.svg",
        "validation_r2.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join(plot)).unwrap();
        assert!(svg.starts_with("<svg"), "{plot} is not SVG");
        assert!(svg.contains("<polyline"), "{plot} has no line");
    }

    // Why training stopped depends on the data and the network, not on the report's layout.
    let layout = mask_numbers(&mask_machine(&report))
        .replace("| no_improvement |", "| <stop reason> |")
        .replace("| max_epochs |", "| <stop reason> |");
    insta::assert_snapshot!("quick_report_layout", layout);
}

#[test]
fn masking_replaces_numbers_and_keeps_words() {
    assert_eq!(
        mask_numbers("| 1,000 | 0.0835 | -49.3% | R² 4.00x |---| n^0.33 | n^-0.1 |"),
        "| <n> | <n> | <n>% | R² <n>x |---| n^<n> | n^<n> |"
    );
    assert_eq!(mask_numbers("hidden 64, 32, 16"), "hidden <n>, <n>, <n>");
}

#[test]
fn table_cells_finds_empty_cells() {
    let cells = table_cells("| a | b |\n|---|---|\n| 1 |  |\n");
    assert_eq!(cells.len(), 4);
    assert!(cells
        .iter()
        .any(|(line, cell)| *line == 3 && cell.is_empty()));
}
