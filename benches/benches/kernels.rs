//! Each layer kernel at the default network's shapes (a 200-row minibatch is two 100-row
//! gradient shards; prediction runs 128-row chunks), in GFLOP/s (criterion's elements/s
//! with elements = flops), next to a 1024³ f32 matrix product by nalgebra (matrixmultiply's
//! sgemm) as the machine's one-core ceiling. Everything here is single-threaded and timed
//! in thread CPU time (see `cpu_time/mod.rs`), so other processes on the machine do not
//! distort the comparison.

mod cpu_time;

use criterion::measurement::Measurement;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fivedreg_linalg::{
    adam_update, bias_grad, dense_forward, detected_simd, input_grad_relu, l2_mean_grad, matmul,
    set_simd_limit, sum_squares, transpose, weight_grad, AdamStep, Simd,
};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

fn random(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// (fan_in, fan_out) of the default network's layers.
const LAYERS: [(usize, usize); 4] = [(5, 64), (64, 32), (32, 16), (16, 1)];
const ROWS: usize = 100;

fn layer_kernels<M: Measurement>(c: &mut Criterion<M>) {
    let mut levels = vec![Simd::Portable];
    if detected_simd() >= Simd::Avx2 {
        levels.push(Simd::Avx2);
    }
    if detected_simd() >= Simd::Avx512 {
        levels.push(Simd::Avx512);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut g = c.benchmark_group("kernels");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    for (n_in, n_out) in LAYERS {
        let flops = (2 * ROWS * n_in * n_out) as u64;
        let x = random(&mut rng, ROWS * n_in);
        let w = random(&mut rng, n_in * n_out);
        let wt = random(&mut rng, n_in * n_out);
        let b = random(&mut rng, n_out);
        let delta = random(&mut rng, ROWS * n_out);
        let act: Vec<f32> = random(&mut rng, ROWS * n_in)
            .iter()
            .map(|v| v.max(0.0))
            .collect();
        let mut out = vec![0.0; ROWS * n_out.max(n_in)];
        let mut gw = vec![0.0; n_in * n_out];
        g.throughput(Throughput::Elements(flops));
        for &level in &levels {
            set_simd_limit(level);
            let shape = format!("{ROWS}x{n_in}x{n_out}/{level:?}");
            g.bench_function(BenchmarkId::new("forward_relu", &shape), |bench| {
                bench.iter(|| {
                    dense_forward(black_box(&x), ROWS, n_in, &w, &b, n_out, true, &mut out)
                })
            });
            g.bench_function(BenchmarkId::new("weight_grad", &shape), |bench| {
                bench.iter(|| weight_grad(black_box(&x), &delta, ROWS, n_in, n_out, &mut gw))
            });
            if n_in != 5 {
                g.bench_function(BenchmarkId::new("input_grad_relu", &shape), |bench| {
                    bench.iter(|| {
                        input_grad_relu(black_box(&delta), ROWS, n_out, &wt, n_in, &act, &mut out)
                    })
                });
            }
        }
        set_simd_limit(Simd::Avx512);
    }
    g.finish();
}

fn ceiling<M: Measurement>(c: &mut Criterion<M>) {
    let n = 1024;
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let a = random(&mut rng, n * n);
    let b = random(&mut rng, n * n);
    let mut g = c.benchmark_group("ceiling");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
    let na = DMatrix::from_row_slice(n, n, &a);
    let nb = DMatrix::from_row_slice(n, n, &b);
    let mut nc = DMatrix::<f32>::zeros(n, n);
    g.bench_function("nalgebra_sgemm_1024", |bench| {
        bench.iter(|| na.mul_to(black_box(&nb), &mut nc))
    });
    let mut out = vec![0.0; n * n];
    g.bench_function("fivedreg_matmul_1024", |bench| {
        bench.iter(|| matmul(black_box(&a), &b, n, n, n, &mut out))
    });
    g.finish();
}

/// The per-minibatch element-wise work on the default network's 2,945 parameters.
fn elementwise<M: Measurement>(c: &mut Criterion<M>) {
    let n = 5 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 + 1;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut p = random(&mut rng, n);
    let g: Vec<f32> = random(&mut rng, n).iter().map(|v| v * 1e-2).collect();
    let mut m: Vec<f32> = random(&mut rng, n).iter().map(|v| v * 1e-3).collect();
    let mut v: Vec<f32> = random(&mut rng, n).iter().map(|x| x * x * 1e-5).collect();
    let step = AdamStep {
        lr_t: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
    };
    let mut g2 = g.clone();
    let mut t = vec![0.0; 64 * 32];
    let delta = random(&mut rng, 100 * 64);
    let mut gb = vec![0.0; 64];
    let mut grp = c.benchmark_group("elementwise");
    grp.sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    grp.throughput(Throughput::Elements(n as u64));
    grp.bench_function("adam_update_2945", |b| {
        b.iter(|| adam_update(&mut p, black_box(&g), &mut m, &mut v, step))
    });
    grp.bench_function("l2_mean_grad_2945", |b| {
        b.iter(|| l2_mean_grad(&mut g2, black_box(&g), 1e-4, 200.0))
    });
    grp.bench_function("sum_squares_2945", |b| {
        b.iter(|| sum_squares(black_box(&g)))
    });
    grp.throughput(Throughput::Elements(64 * 32));
    grp.bench_function("transpose_64x32", |b| {
        b.iter(|| transpose(black_box(&g[..64 * 32]), 64, 32, &mut t))
    });
    grp.throughput(Throughput::Elements(100 * 64));
    grp.bench_function("bias_grad_100x64", |b| {
        b.iter(|| bias_grad(black_box(&delta), 100, 64, &mut gb))
    });
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(cpu_time::ThreadCpuTime::new());
    targets = elementwise, layer_kernels, ceiling
}
criterion_main!(benches);
