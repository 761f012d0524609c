//! Writes the report folder: REPORT.md, benchmark_results.json and the SVG plots.

use crate::model::BenchReport;
use std::path::Path;

/// Writes every file of the report into `dir` (created if missing).
pub fn write_all(report: &BenchReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        // Written beside and renamed into place: an interrupted run leaves the old file or
        // the new one, never half of one.
        fivedreg::AtomicFile::write(&path, text.as_bytes()).map_err(|e| e.to_string())
    };
    write("REPORT.md", &crate::markdown::render(report))?;
    let json = serde_json::to_string_pretty(&crate::results_json::render(report))
        .map_err(|e| format!("benchmark_results.json: {e}"))?;
    write("benchmark_results.json", &(json + "\n"))?;
    crate::plots::write_all(report, dir)
}
