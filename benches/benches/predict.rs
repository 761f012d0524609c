//! Batched prediction throughput in rows per second (criterion's elements/s): the default
//! network on 100,000 rows, 1 and 2 threads, reusing workspaces, in wall-clock time; and
//! one thread in thread CPU time (`predict_cpu`, see `cpu_time/mod.rs`).

mod cpu_time;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fivedreg_nn::{Mlp, PredictWorkspace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

const ROWS: usize = 100_000;

fn predict(c: &mut Criterion) {
    bench_threads(c, "predict", &[1, 2]);
}

fn predict_cpu(c: &mut Criterion<cpu_time::ThreadCpuTime>) {
    bench_threads(c, "predict_cpu", &[1]);
}

fn bench_threads<M: Measurement>(c: &mut Criterion<M>, group: &str, threads: &[usize]) {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x: Vec<f32> = (0..ROWS * 5)
        .map(|_| rng.random_range(-2.0f32..2.0))
        .collect();
    let mlp = Mlp::glorot(&[5, 64, 32, 16, 1], 5).expect("valid sizes");
    let mut out = vec![0.0; ROWS];
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(ROWS as u64));
    for &threads in threads {
        let mut workspaces: Vec<PredictWorkspace> =
            (0..threads).map(|_| PredictWorkspace::new(&mlp)).collect();
        g.bench_function(BenchmarkId::new("100k_rows_threads", threads), |bench| {
            bench.iter(|| {
                mlp.predict_into_threads(&x, &mut out, &mut workspaces)
                    .expect("shapes agree")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, predict);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_time::ThreadCpuTime::new());
    targets = predict_cpu
}
criterion_main!(benches, cpu);
