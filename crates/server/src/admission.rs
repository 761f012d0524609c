//! Admission control for training jobs: an estimate of a job's peak memory, made before
//! anything is queued or allocated, refused (400) when it is over `--memory-limit`; and a
//! check that the model it would write fits the model file's size limit.
//!
//! The estimate is deliberately simple and errs on the large side: what dominates is the
//! network's weights times the copies the optimiser keeps, times the members trained at
//! once, plus a minibatch's activations, plus the data. Arithmetic is in `f64` so that
//! absurd sizes (64 layers of 65,536) cannot overflow.

use crate::error::ApiError;
use crate::jobs::Plan;
use fivedreg::{FitOptions, Solver};

/// Bytes of one trainable parameter or activation (`f32`).
const F32: f64 = 4.0;
/// Bytes of one L-BFGS vector element (`f64`).
const F64: f64 = 8.0;
/// Correction pairs L-BFGS keeps (the network crate's `MEMORY`, SciPy's `maxcor`).
const LBFGS_PAIRS: f64 = 10.0;
/// Copies of the data a fit holds: the parsed data set, its split, the scaled split.
const DATA_COPIES: f64 = 3.0;
/// Memory of the process besides the job (runtime, buffers, other requests).
const BASELINE: f64 = 64.0 * 1024.0 * 1024.0;
/// Centres a kernel candidate of `auto` fits at most (`fivedreg::kernel::FIT_MAX_CENTERS`).
const KERNEL_CENTERS: f64 = 2_000.0;
/// Hidden layers of `auto`'s largest network candidate.
const AUTO_LARGEST: [usize; 3] = [256, 128, 64];

/// What a job is estimated to need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Peak memory, in bytes.
    pub memory: f64,
    /// Size of the model file it would write, in bytes.
    pub model_file: f64,
}

/// Trainable parameters of a network with these layer widths (inputs to output).
fn parameters(sizes: &[usize]) -> f64 {
    sizes
        .windows(2)
        .map(|w| w[0] as f64 * w[1] as f64 + w[1] as f64)
        .sum()
}

/// Threads a fit uses: `threads`, or every core when it is 0.
fn threads(network: &fivedreg::MlpParams) -> usize {
    match network.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Peak memory of a fit with `options` on `rows` rows of `n_features` features, and the
/// size of its model file.
fn fit_estimate(options: &FitOptions, rows: usize, n_features: usize) -> Estimate {
    let network = &options.network;
    let mut sizes = Vec::with_capacity(network.hidden_layers.len() + 2);
    sizes.push(n_features);
    sizes.extend_from_slice(&network.hidden_layers);
    sizes.push(1);
    let params = parameters(&sizes);
    let train_rows = (options.split.counts(rows).0 as f64).max(1.0);
    // Weights, gradients and Adam's two moments; L-BFGS keeps its vectors in f64, the
    // pairs among them, and evaluates the whole training split at once.
    let (optimiser, batch) = match network.solver {
        Solver::Adam => (
            4.0 * F32 * params,
            network
                .batch_size
                .map_or(200.0_f64.min(train_rows), |b| (b as f64).min(train_rows)),
        ),
        Solver::Lbfgs => (
            (2.0 * F32 + (4.0 + 2.0 * LBFGS_PAIRS) * F64) * params,
            train_rows,
        ),
    };
    // Every layer's outputs and their gradients for one batch (forward and backward).
    let activations = 2.0 * F32 * batch * sizes.iter().map(|&w| w as f64).sum::<f64>();
    let members = options.ensemble.max(1) as f64;
    let at_once = members.min(threads(network) as f64);
    let data = DATA_COPIES * F64 * rows as f64 * (n_features as f64 + 1.0);
    Estimate {
        // The finished members' weights stay until the model is written.
        memory: BASELINE + data + at_once * (optimiser + activations) + members * F32 * params,
        model_file: members * F32 * params,
    }
}

/// The estimate for `plan` on a data set of `rows` rows and `n_features` features.
pub fn estimate(plan: &Plan, rows: usize, n_features: usize) -> Estimate {
    match plan {
        Plan::Fit(options) => fit_estimate(options.options(), rows, n_features),
        Plan::Auto(auto) => {
            let base = &auto.options().base;
            let largest = FitOptions {
                ensemble: auto.options().folds,
                network: fivedreg::MlpParams {
                    solver: Solver::Lbfgs,
                    hidden_layers: AUTO_LARGEST.to_vec(),
                    ..base.network.clone()
                },
                ..base.clone()
            };
            let network = fit_estimate(&largest, rows, n_features);
            let folds = auto.options().folds.max(1) as f64;
            let threads = (threads(&base.network) as f64).min(folds);
            let centers = KERNEL_CENTERS.min(rows as f64);
            // A kernel fit's system, its factor and a copy, per fold fitted at once.
            let kernel = threads * 3.0 * F64 * centers * centers;
            Estimate {
                memory: network.memory.max(BASELINE + kernel),
                model_file: network.model_file,
            }
        }
    }
}

/// A byte count for people: `7.8 GiB`, `512 MiB`.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Refuses a job whose estimate is over `memory_limit`, or whose model would not fit in a
/// model file; the estimate otherwise.
pub fn admit(
    plan: &Plan,
    rows: usize,
    n_features: usize,
    memory_limit: u64,
) -> Result<Estimate, ApiError> {
    let estimate = estimate(plan, rows, n_features);
    if estimate.memory > memory_limit as f64 {
        return Err(ApiError::bad_request(format!(
            "this job would need about {} of memory (network weights and optimiser state \
             × members trained at once, a batch's activations, the data), over the \
             server's limit of {} (--memory-limit): use fewer or narrower hidden layers, \
             a smaller batch_size, or fewer ensemble members",
            human(estimate.memory),
            human(memory_limit as f64)
        ))
        .with_field("options"));
    }
    let limit = fivedreg::MAX_PAYLOAD_BYTES as f64;
    if estimate.model_file > limit {
        return Err(ApiError::bad_request(format!(
            "the model would take about {} (members × parameters), over the model file's \
             limit of {}: use fewer ensemble members or a smaller network",
            human(estimate.model_file),
            human(limit)
        ))
        .with_field("options"));
    }
    Ok(estimate)
}

/// Bytes of one number of an analysis's JSON answer: its shortest text and separator
/// (about 20 bytes) and the `f64` it was held in before.
const ANSWER_NUMBER: f64 = 28.0;

/// Refuses an analysis of the surrogate toolkit (`what`: `sensitivity`, `slice`…) whose
/// working set is over `memory_limit`: `values` numbers of 8 bytes held at once (its
/// sample, the predictions, the bootstrap's resampled indices), plus `answer` numbers
/// written into the JSON answer. (The model predicts in chunks of
/// `fivedreg::PREDICT_CHUNK_ROWS` rows, so its own working memory is small.)
pub fn admit_analysis(
    what: &str,
    values: f64,
    answer: f64,
    memory_limit: u64,
) -> Result<(), ApiError> {
    let memory = BASELINE + F64 * values + ANSWER_NUMBER * answer;
    if memory > memory_limit as f64 {
        return Err(ApiError::bad_request(format!(
            "this {what} would need about {} of memory (its sample, the predictions and the              answer), over the server's limit of {} (--memory-limit): ask for fewer points",
            human(memory),
            human(memory_limit as f64)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::TrainOptions;

    fn plan(options: serde_json::Value) -> Plan {
        serde_json::from_value::<TrainOptions>(options)
            .unwrap()
            .plan()
            .unwrap()
    }

    #[test]
    fn the_reported_job_is_over_any_sensible_limit() {
        let huge =
            plan(serde_json::json!({"hidden": [65536], "batch_size": 100000, "max_epochs": 1}));
        let e = estimate(&huge, 100_000, 5);
        // 60,000 training rows × 65,543 widths × 2 × 4 bytes alone is 31 GB.
        assert!(e.memory > 30e9, "{e:?}");
        let small = estimate(&plan(serde_json::json!({})), 10_000, 5);
        assert!(small.memory < 100e6, "{small:?}");
        assert!(admit(&huge, 100_000, 5, 8 << 30).is_err());
        assert!(admit(&plan(serde_json::json!({})), 10_000, 5, 8 << 30).is_ok());
    }

    #[test]
    fn the_batch_counts_at_most_the_training_rows() {
        let a = estimate(
            &plan(serde_json::json!({"batch_size": 1_000_000})),
            1_000,
            5,
        );
        let b = estimate(&plan(serde_json::json!({"batch_size": 600})), 1_000, 5);
        assert_eq!(a, b);
    }

    #[test]
    fn a_model_over_the_file_limit_is_refused() {
        // 64 members of 30,000 × 30,000 weights: 230 GB of model file.
        let big = plan(serde_json::json!({"hidden": [30000, 30000], "ensemble": 64, "threads": 1}));
        let e = estimate(&big, 1_000, 5);
        assert!(e.model_file > fivedreg::MAX_PAYLOAD_BYTES as f64);
        let error = admit(&big, 1_000, 5, u64::MAX).unwrap_err();
        assert!(
            error.body().error.contains("model file"),
            "{}",
            error.body().error
        );
    }

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(human(512.0), "512 bytes");
        assert_eq!(human(7.8 * 1024.0 * 1024.0 * 1024.0), "7.8 GiB");
    }
}
