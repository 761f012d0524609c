//! Writes the report folder: REPORT.md, benchmark_results.json and the SVG plots.

use crate::model::BenchReport;
use std::path::Path;

/// Writes every file of the report into `dir` (created if missing).
pub fn write_all(report: &BenchReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))
    };
    write("REPORT.md", &crate::markdown::render(report))?;
    let json = serde_json::to_string_pretty(&crate::results_json::render(report))
        .map_err(|e| format!("benchmark_results.json: {e}"))?;
    write("benchmark_results.json", &(json + "\n"))?;
    crate::plots::write_all(report, dir)
}
