//! benchmark_results.json: the seed system's field names (`individual_results`,
//! `aggregate_results`), then the whole report under `fivedreg_report`.

use crate::model::BenchReport;
use serde_json::{json, Value};

const MIB: f64 = 1024.0 * 1024.0;

/// The JSON document.
pub fn render(report: &BenchReport) -> Value {
    let individual: Vec<Value> = report
        .sizes
        .iter()
        .map(|s| {
            let f = &s.fit;
            json!({
                "n_samples": s.n_samples,
                "training_time": f.fit_seconds,
                "peak_memory_training_mb": f.memory.heap_peak_bytes as f64 / MIB,
                "peak_memory_prediction_mb": s.predict.memory.heap_peak_bytes as f64 / MIB,
                "r2_score": f.test.r2,
                "mse": f.test.mse,
                "mae": f.test.mae,
                "rmse": f.test.rmse,
                "samples_per_second": f.naive_samples_per_second(),
                "model_size_kb": f.model_bytes as f64 / 1024.0,
                "iterations": f.epochs,
                // Our own fields.
                "train_rows": f.train_rows,
                "training_loop_seconds": f.train_seconds,
                "sample_epochs_per_second": f.sample_epochs_per_second(),
                "peak_rss_training_mb": f.memory.rss_peak_kib as f64 / 1024.0,
                "peak_rss_prediction_mb": s.predict.memory.rss_peak_kib as f64 / 1024.0,
                "prediction_rows": s.predict.rows,
                "prediction_seconds": s.predict.seconds,
                "best_epoch": f.best_epoch,
                "best_validation_r2": f.best_validation_r2,
                "stop_reason": f.stop_reason,
                "phase_seconds_per_epoch": {
                    "forward": f.phases.forward / f.epochs.max(1) as f64,
                    "backward": f.phases.backward / f.epochs.max(1) as f64,
                    "update": f.phases.update / f.epochs.max(1) as f64,
                    "validation": f.phases.validation / f.epochs.max(1) as f64,
                },
                "without_early_stopping": s.fit_without_early_stopping.as_ref().map(|off| json!({
                    "training_time": off.fit_seconds,
                    "iterations": off.epochs,
                    "r2_score": off.test.r2,
                })),
            })
        })
        .collect();
    let r2s: Vec<f64> = report.sizes.iter().map(|s| s.fit.test.r2).collect();
    let k = r2s.len().max(1) as f64;
    let mean_r2 = r2s.iter().sum::<f64>() / k;
    let std_r2 = (r2s.iter().map(|r| (r - mean_r2).powi(2)).sum::<f64>() / k).sqrt();
    let mean =
        |f: &dyn Fn(&crate::model::SizeRuns) -> f64| report.sizes.iter().map(f).sum::<f64>() / k;
    let time_fit = report.time_scaling();
    let epoch_fit = report.epoch_time_scaling();
    json!({
        "individual_results": individual,
        "aggregate_results": {
            "mean_r2": mean_r2,
            "std_r2": std_r2,
            "min_r2": r2s.iter().copied().fold(f64::INFINITY, f64::min),
            "max_r2": r2s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "mean_training_time": mean(&|s| s.fit.fit_seconds),
            "mean_samples_per_second": mean(&|s| s.fit.naive_samples_per_second()),
            "mean_sample_epochs_per_second": mean(&|s| s.fit.sample_epochs_per_second()),
            "max_peak_memory_training_mb": report.sizes.iter()
                .map(|s| s.fit.memory.heap_peak_bytes as f64 / MIB).fold(0.0, f64::max),
            "time_complexity_exponent": time_fit.as_ref().map(|f| f.exponent),
            "time_per_epoch_exponent": epoch_fit.as_ref().map(|f| f.exponent),
            "scaling_fit_sizes": time_fit.as_ref().map(|f| f.sizes.clone()),
        },
        "fivedreg_report": report,
    })
}
