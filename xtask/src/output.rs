//! Writes the report folder: REPORT.md, benchmark_results.json and the SVG plots.

use crate::model::BenchReport;
use anyhow::{Context, Result};
use std::path::Path;

/// Writes every file of the report into `dir` (created if missing). Each file is written
/// beside and renamed into place: an interrupted run leaves the old file or the new one,
/// never half of one.
pub fn write_all(report: &BenchReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let write =
        |name: &str, text: &str| fivedreg::AtomicFile::write(&dir.join(name), text.as_bytes());
    write("REPORT.md", &crate::markdown::render(report))?;
    let json = serde_json::to_string_pretty(&crate::results_json::render(report))
        .context("benchmark_results.json")?;
    write("benchmark_results.json", &(json + "\n"))?;
    crate::plots::write_all(report, dir)
}
