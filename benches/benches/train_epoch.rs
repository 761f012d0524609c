//! Training throughput in sample-epochs per second (criterion's elements/s): the default
//! network on 6,000 training rows (the 60% of 10,000 samples), batch 200, ten epochs per
//! iteration, 1 and 2 threads, in wall-clock time; and one thread in thread CPU time
//! (`train_epoch_cpu`, see `cpu_time/mod.rs`), which a busy machine does not distort.
//! scikit-learn does about 315,000 sample-epochs/s here.

mod cpu_time;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fivedreg_nn::{train, MlpParams, Samples};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

const ROWS: usize = 6_000;
const EPOCHS: usize = 10;

/// Standard-normal features (Box–Muller) and y = Σx², roughly standardized.
fn seed_task(rows: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut normal = || {
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        ((-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    };
    let x: Vec<f32> = (0..rows * 5).map(|_| normal()).collect();
    let y = x
        .chunks(5)
        .map(|r| (r.iter().map(|v| v * v).sum::<f32>() - 5.0) / 3.16)
        .collect();
    (x, y)
}

fn train_epoch(c: &mut Criterion) {
    bench_threads(c, "train_epoch", &[1, 2]);
}

fn train_epoch_cpu(c: &mut Criterion<cpu_time::ThreadCpuTime>) {
    bench_threads(c, "train_epoch_cpu", &[1]);
}

fn bench_threads<M: Measurement>(c: &mut Criterion<M>, group: &str, threads: &[usize]) {
    let (x, y) = seed_task(ROWS);
    let samples = Samples {
        x: &x,
        y: &y,
        n_features: 5,
    };
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements((ROWS * EPOCHS) as u64));
    for &threads in threads {
        let params = MlpParams {
            max_epochs: EPOCHS,
            early_stopping: false,
            patience: EPOCHS,
            threads,
            ..Default::default()
        }
        .check()
        .expect("valid parameters");
        g.bench_function(BenchmarkId::new("6000_rows_threads", threads), |bench| {
            bench.iter(|| train(&params, samples, None, &mut |_| {}).expect("training runs"))
        });
    }
    // The same with the kernels capped at AVX2, for the record of what AVX-512 brings.
    if fivedreg_linalg::detected_simd() == fivedreg_linalg::Simd::Avx512 {
        let params = MlpParams {
            max_epochs: EPOCHS,
            early_stopping: false,
            patience: EPOCHS,
            threads: 1,
            ..Default::default()
        }
        .check()
        .expect("valid parameters");
        fivedreg_linalg::set_simd_limit(fivedreg_linalg::Simd::Avx2);
        g.bench_function("6000_rows_threads/1_avx2", |bench| {
            bench.iter(|| train(&params, samples, None, &mut |_| {}).expect("training runs"))
        });
        fivedreg_linalg::set_simd_limit(fivedreg_linalg::Simd::Avx512);
    }
    g.finish();
}

criterion_group!(benches, train_epoch);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_time::ThreadCpuTime::new());
    targets = train_epoch_cpu
}
criterion_main!(benches, cpu);
