//! Runs `xtask speed --quick` end to end: SPEED.md must hold every figure, none empty or NaN,
//! each timed one a median with its range, and the runs with their load averages.

mod common;

use common::{cells, table_after};

#[test]
fn quick_speed_writes_a_full_table() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::xtask(&["speed", "--quick", "--no-sklearn"], dir.path(), None);
    let markdown = std::fs::read_to_string(dir.path().join("SPEED.md")).unwrap();
    let rows = table_after(&markdown, "## Figures");
    // Ceiling 2, training throughput 2 (and two one-thread fits at once, with two CPUs or
    // more), default fit 2, library prediction 2, CLI 2, ensemble 1, --auto 1.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(rows.len(), 12 + usize::from(cpus >= 2), "{markdown}");
    for row in &rows {
        let cells = cells(row);
        assert_eq!(cells.len(), 4, "{row}");
        for cell in &cells {
            assert!(!cell.is_empty(), "empty cell in {row}");
            let lower = cell.to_lowercase();
            assert!(
                !lower.contains("nan") && !lower.contains("inf"),
                "bad cell `{cell}` in {row}"
            );
        }
        // Every fivedreg figure is a positive number.
        let figure: f64 = cells[1]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches(',')
            .parse()
            .unwrap_or_else(|_| panic!("no number in `{}`", cells[1]));
        assert!(figure > 0.0, "{row}");
        // Every timed figure is a median with its range; the ceiling is derived from the
        // product's median, and R² is a mean over seeds.
        if !cells[0].starts_with("One-core ceiling") && !cells[0].contains("R²") {
            assert!(cells[1].contains('–'), "no range in {row}");
        }
        if cells[0].contains("R²") {
            assert!(cells[1].contains(" ± "), "no spread over seeds in {row}");
        }
        // Without scikit-learn there is no ratio to it to show (ratios to one thread are
        // fivedreg's own).
        let against_sklearn: Vec<&str> = cells[3]
            .split("; ")
            .filter(|part| !part.contains("one thread (per pair)"))
            .collect();
        let against_sklearn = against_sklearn.join("; ");
        assert!(
            !against_sklearn.contains("ratio 1") && !against_sklearn.contains("x ("),
            "{row}"
        );
    }
    // The two ratios are named, and say n/a without scikit-learn.
    let ratios = table_after(&markdown, "## The two ratios");
    assert!(ratios[0].starts_with("| Per-epoch throughput ratio (the headline) | n/a |"));
    assert!(ratios[1].starts_with("| Fit-time ratio (user-facing) | n/a |"));
    // Five runs each, a load average before each.
    for heading in [
        "### Fixed-epoch throughput",
        "### Default training",
        "### Command line",
        "### Ensemble",
        "### --auto",
    ] {
        let runs = table_after(&markdown, heading);
        assert_eq!(runs.len(), 5, "{heading}:\n{markdown}");
        for run in runs {
            let load = cells(run)[if heading == "### Default training" {
                2
            } else {
                1
            }];
            assert!(load.parse::<f64>().unwrap() >= 0.0, "{run}");
        }
    }
    // The stdout table has the same rows.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), rows.len() + 1, "{stdout}");
}
