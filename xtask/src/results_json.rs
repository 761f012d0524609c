//! benchmark_results.json: the seed system's field names (`individual_results`,
//! `aggregate_results`) with medians for the timed ones, scikit-learn's runs under the same
//! names (`sklearn_results`), the fixed-epoch throughput, then the whole report under
//! `fivedreg_report`.

use crate::model::{BenchReport, SizeRuns, Throughput};
use crate::stats::{MeanStd, Spread};
use serde_json::{json, Value};

const MIB: f64 = 1024.0 * 1024.0;

fn spread(s: &Spread) -> Value {
    json!({"median": s.median, "min": s.min, "max": s.max, "runs": s.runs})
}

fn mean_std(m: &MeanStd) -> Value {
    json!({"mean": m.mean, "std": m.std, "seeds": m.n})
}

fn individual(s: &SizeRuns) -> Value {
    let fit = s.fit();
    let f = fit.first();
    let median = fit.median_run();
    let epochs = f.epochs.max(1) as f64;
    let time = fit.fit_seconds();
    json!({
        "n_samples": s.n_samples,
        "training_time": time.median,
        "peak_memory_training_mb": f.memory.heap_peak_bytes as f64 / MIB,
        "peak_memory_prediction_mb": s.predict.memory.heap_peak_bytes as f64 / MIB,
        "r2_score": f.test.r2,
        "mse": f.test.mse,
        "mae": f.test.mae,
        "rmse": f.test.rmse,
        "samples_per_second": fit.naive_samples_per_second(),
        "model_size_kb": f.model_bytes as f64 / 1024.0,
        "iterations": f.epochs,
        // Our own fields.
        "training_time_spread": spread(&time),
        "r2_over_seeds": mean_std(&s.pairs.seeds.fivedreg_r2()),
        "load_averages": s.pairs.load_averages,
        "train_rows": f.train_rows,
        "training_loop_seconds": fit.train_seconds().median,
        "sample_epochs_per_second": fit.sample_epochs_per_second(),
        "peak_rss_training_mb": f.memory.rss_peak_kib as f64 / 1024.0,
        "peak_rss_prediction_mb": s.predict.memory.rss_peak_kib as f64 / 1024.0,
        "prediction_rows": s.predict.rows,
        "prediction_seconds": spread(&Spread::of(&s.predict.seconds)),
        "best_epoch": f.best_epoch,
        "best_validation_r2": f.best_validation_r2,
        "stop_reason": f.stop_reason,
        "phase_seconds_per_epoch": {
            "forward": median.phases.forward / epochs,
            "backward": median.phases.backward / epochs,
            "update": median.phases.update / epochs,
            "validation": median.phases.validation / epochs,
        },
        "without_early_stopping": s.without_early_stopping.as_ref().map(|off| json!({
            "training_time": off.fit_seconds().median,
            "training_time_spread": spread(&off.fit_seconds()),
            "iterations": off.first().epochs,
            "r2_score": off.first().test.r2,
        })),
    })
}

fn sklearn(s: &SizeRuns) -> Option<Value> {
    let p = &s.pairs;
    let first = p.sklearn.first()?;
    let time = p.sklearn_fit_seconds();
    let predict: Vec<f64> = p.sklearn.iter().map(|r| r.predict_seconds).collect();
    Some(json!({
        "n_samples": s.n_samples,
        "training_time": time.median,
        "training_time_spread": spread(&time),
        "peak_memory_training_mb": first.tracemalloc_peak_bytes.map(|b| b as f64 / MIB),
        "peak_memory_prediction_mb": first.tracemalloc_predict_peak_bytes.map(|b| b as f64 / MIB),
        "peak_rss_mb": first.rss_peak_kib as f64 / 1024.0,
        "r2_score": first.test.r2,
        "mse": first.test.mse,
        "mae": first.test.mae,
        "rmse": first.test.rmse,
        "iterations": first.iterations,
        "train_rows": first.train_rows,
        "model_size_kb": first.model_bytes as f64 / 1024.0,
        "prediction_seconds": spread(&Spread::of(&predict)),
        "r2_over_seeds": p.seeds.sklearn_r2().as_ref().map(mean_std),
        "fit_time_ratio": p.fit_time_ratio().as_ref().map(spread),
        "load_averages": p.load_averages,
    }))
}

fn throughput(t: &Throughput) -> Value {
    let rates = |r: Vec<f64>| (!r.is_empty()).then(|| spread(&Spread::of(&r)));
    json!({
        "n_samples": t.n_samples,
        "train_rows": t.train_rows,
        "epochs": t.epochs,
        "default_threads": t.default_threads,
        "one_thread_sample_epochs_per_second": rates(t.one_thread_rates()),
        "default_threads_sample_epochs_per_second": rates(t.default_threads_rates()),
        "two_at_once_sample_epochs_per_second": rates(t.two_at_once_rates()),
        "sklearn_sample_epochs_per_second": rates(t.sklearn_rates()),
        "per_epoch_throughput_ratio": t.headline_ratio().as_ref().map(spread),
        "per_epoch_throughput_ratio_one_thread": rates(t.ratios(true)),
        "load_averages": t.pairs.iter().map(|p| p.load_average).collect::<Vec<_>>(),
    })
}

/// The JSON document.
pub fn render(report: &BenchReport) -> Value {
    let sizes = &report.sizes;
    let r2s: Vec<f64> = sizes.iter().map(|s| s.fit().first().test.r2).collect();
    let k = sizes.len().max(1) as f64;
    let mean_r2 = r2s.iter().sum::<f64>() / k;
    // The seed page's `std_r2`: population standard deviation over the sizes.
    let std_r2 = (r2s.iter().map(|r| (r - mean_r2).powi(2)).sum::<f64>() / k).sqrt();
    let mean = |f: &dyn Fn(&SizeRuns) -> f64| sizes.iter().map(f).sum::<f64>() / k;
    let time_fit = report.time_scaling();
    let epoch_fit = report.epoch_time_scaling();
    json!({
        "individual_results": sizes.iter().map(individual).collect::<Vec<_>>(),
        "sklearn_results": sizes.iter().filter_map(sklearn).collect::<Vec<_>>(),
        "throughput": throughput(&report.throughput),
        "aggregate_results": {
            "mean_r2": mean_r2,
            "std_r2": std_r2,
            "min_r2": r2s.iter().copied().fold(f64::INFINITY, f64::min),
            "max_r2": r2s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "mean_training_time": mean(&|s| s.fit().fit_seconds().median),
            "mean_samples_per_second": mean(&|s| s.fit().naive_samples_per_second()),
            "mean_sample_epochs_per_second": mean(&|s| s.fit().sample_epochs_per_second()),
            "max_peak_memory_training_mb": sizes.iter()
                .map(|s| s.fit().first().memory.heap_peak_bytes as f64 / MIB).fold(0.0, f64::max),
            "time_complexity_exponent": time_fit.as_ref().map(|f| f.exponent),
            "time_per_epoch_exponent": epoch_fit.as_ref().map(|f| f.exponent),
            "scaling_fit_sizes": time_fit.as_ref().map(|f| f.sizes.clone()),
        },
        "fivedreg_report": report,
    })
}
