//! Times training epochs on the seed task's shapes and prints the per-phase split:
//! `cargo run --release -p fivedreg-nn --example epoch_timing -- [ROWS] [EPOCHS] [THREADS...]`.
//! With `EPOCH_TIMING_VALIDATION=1` in the environment, another ROWS / 3 rows are validation
//! samples and early stopping is on (with a patience of EPOCHS, so every epoch runs), as in
//! `fivedreg train`.

use fivedreg_nn::{train, MlpParams, Samples};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(6_000);
    let epochs = args.get(1).copied().unwrap_or(50);
    let threads: Vec<usize> = if args.len() > 2 {
        args[2..].to_vec()
    } else {
        vec![1, 2]
    };
    let with_validation = std::env::var("EPOCH_TIMING_VALIDATION").is_ok_and(|v| v == "1");
    let validation_rows = if with_validation { rows / 3 } else { 0 };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<f32> = (0..(rows + validation_rows) * 5)
        .map(|_| rng.random_range(-1.7f32..1.7))
        .collect();
    let y: Vec<f32> = x
        .chunks(5)
        .map(|r| r.iter().map(|v| v * v).sum::<f32>() - 5.0)
        .collect();
    let samples = Samples {
        x: &x[..rows * 5],
        y: &y[..rows],
        n_features: 5,
    };
    let validation = with_validation.then_some(Samples {
        x: &x[rows * 5..],
        y: &y[rows..],
        n_features: 5,
    });
    println!(
        "simd: {}; validation rows: {validation_rows}",
        fivedreg_linalg::simd_level()
    );
    for &t in &threads {
        for _ in 0..3 {
            let params = MlpParams {
                max_epochs: epochs,
                early_stopping: with_validation,
                patience: epochs,
                threads: t,
                ..Default::default()
            }
            .check()
            .expect("valid parameters");
            let cpu0 = thread_cpu_seconds();
            let trained = train(&params, samples, validation, &mut |_| {}).expect("training runs");
            let cpu = thread_cpu_seconds() - cpu0;
            let h = trained.history;
            let p = h.phase_seconds;
            println!(
                "threads {t}: {:.0} sample-epochs/s ({:.0} per CPU-second of the calling thread); per epoch ms: total {:.3}, forward {:.3}, backward {:.3}, update {:.3}, validation {:.3}",
                (rows * h.epochs) as f64 / h.seconds,
                (rows * h.epochs) as f64 / cpu,
                1e3 * h.seconds / h.epochs as f64,
                1e3 * p.forward / h.epochs as f64,
                1e3 * p.backward / h.epochs as f64,
                1e3 * p.update / h.epochs as f64,
                1e3 * p.validation / h.epochs as f64
            );
        }
    }
}

/// CPU time of the calling thread (Linux: /proc/thread-self/schedstat), so a loaded machine
/// does not count the time this thread waited for a core; NaN elsewhere.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|t| t.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |ns| ns * 1e-9)
}
