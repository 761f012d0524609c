//! Runs `xtask speed --quick` end to end: SPEED.md must hold every figure, none empty or NaN.

use std::process::Command;

#[test]
fn quick_speed_writes_a_full_table() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["speed", "--quick", "--no-sklearn", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xtask speed --quick failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let markdown = std::fs::read_to_string(dir.path().join("SPEED.md")).unwrap();
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .collect();
    // Ceiling 2, training throughput 2, default fit 2, library prediction 2, CLI 2.
    assert_eq!(rows.len(), 10, "{markdown}");
    for row in &rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
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
    }
    // The stdout table has the same rows.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 11, "{stdout}");
}
