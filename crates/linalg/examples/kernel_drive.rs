//! Runs every layer product of the default network (100-row shards: forward with ReLU,
//! weight gradient, masked input gradient) a fixed number of times on one instruction set,
//! for instruction counts under `valgrind --tool=callgrind`, which repeat exactly on a loaded
//! machine where wall-clock time does not:
//! `cargo run --release -p fivedreg-linalg --example kernel_drive -- [avx512|avx2|portable] [ROUNDS] [LAYER]`
//! (LAYER 0 to 3 runs that layer only).
//!
//! Valgrind does not emulate AVX-512, so under it the CPU reports AVX2 at most; the example
//! prints the path that actually ran.

use fivedreg_linalg::{
    active_simd, dense_forward, input_grad_relu, set_simd_limit, weight_grad, Simd,
};
use std::hint::black_box;

/// (fan_in, fan_out) of the default network's layers.
const LAYERS: [(usize, usize); 4] = [(5, 64), (64, 32), (32, 16), (16, 1)];
const ROWS: usize = 100;

/// Deterministic values in [-1, 1) (no random-number crate needed).
fn values(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let level = match args.first().map(String::as_str) {
        Some("portable") => Simd::Portable,
        Some("avx2") => Simd::Avx2,
        _ => Simd::Avx512,
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(1_000);
    let only_layer: Option<usize> = args.get(2).and_then(|l| l.parse().ok());
    set_simd_limit(level);
    println!("path: {:?}, rounds: {rounds}", active_simd());
    let mut checksum = 0.0f64;
    for (l, (n_in, n_out)) in LAYERS.into_iter().enumerate() {
        if only_layer.is_some_and(|only| only != l) {
            continue;
        }
        let seed = 4 * l as u32;
        let x = values(ROWS * n_in, seed);
        let w = values(n_in * n_out, seed + 1);
        let w_t = values(n_in * n_out, seed + 2);
        let b = values(n_out, seed + 3);
        let delta = values(ROWS * n_out, seed + 4);
        let act: Vec<f32> = x.iter().map(|v| v.max(0.0)).collect();
        let mut out = vec![0.0; ROWS * n_out];
        let mut gw = vec![0.0; n_in * n_out];
        let mut gx = vec![0.0; ROWS * n_in];
        for _ in 0..rounds {
            dense_forward(black_box(&x), ROWS, n_in, &w, &b, n_out, true, &mut out);
            weight_grad(black_box(&x), &delta, ROWS, n_in, n_out, &mut gw);
            input_grad_relu(black_box(&delta), ROWS, n_out, &w_t, n_in, &act, &mut gx);
        }
        checksum += [out, gw, gx]
            .iter()
            .flatten()
            .map(|&v| f64::from(v))
            .sum::<f64>();
    }
    // The checksum shows the results are the same before and after a change.
    println!("checksum: {checksum:e}");
}
