//! Every instruction-set path against the f64 reference, and the SIMD paths against each
//! other bit for bit. One test function: the path cap is process-wide.

use fivedreg_linalg::{
    any_within, dense_forward, detected_simd, input_grad_relu, set_simd_limit, transpose,
    weight_grad, Simd, WITHIN_LANES,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// Forward (with ReLU), weight gradient and masked input gradient, concatenated.
fn run_all(m: usize, k: usize, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = random(&mut rng, m * k);
    let w = random(&mut rng, k * n);
    let b = random(&mut rng, n);
    let delta = random(&mut rng, m * n);
    let act: Vec<f32> = random(&mut rng, m * k).iter().map(|v| v.max(0.0)).collect();
    let mut wt = vec![0.0; k * n];
    transpose(&w, k, n, &mut wt);
    let mut fwd = vec![0.0; m * n];
    dense_forward(&x, m, k, &w, &b, n, true, &mut fwd);
    let mut gw = vec![0.0; k * n];
    weight_grad(&x, &delta, m, k, n, &mut gw);
    let mut gx = vec![0.0; m * k];
    input_grad_relu(&delta, m, n, &wt, k, &act, &mut gx);
    // f64 references.
    for i in 0..m {
        for j in 0..n {
            let mut z = b[j] as f64;
            for p in 0..k {
                z += x[i * k + p] as f64 * w[p * n + j] as f64;
            }
            assert!((fwd[i * n + j] as f64 - z.max(0.0)).abs() <= 1e-5 * (k as f64 + 1.0));
        }
    }
    for p in 0..k {
        for j in 0..n {
            let g: f64 = (0..m)
                .map(|i| x[i * k + p] as f64 * delta[i * n + j] as f64)
                .sum();
            assert!((gw[p * n + j] as f64 - g).abs() <= 1e-5 * (m as f64 + 1.0));
        }
    }
    for i in 0..m {
        for p in 0..k {
            let g: f64 = if act[i * k + p] > 0.0 {
                (0..n)
                    .map(|j| delta[i * n + j] as f64 * w[p * n + j] as f64)
                    .sum()
            } else {
                0.0
            };
            assert!((gx[i * k + p] as f64 - g).abs() <= 1e-5 * (n as f64 + 1.0));
        }
    }
    [fwd, gw, gx].concat()
}

const SHAPES: [(usize, usize, usize); 9] = [
    (1, 1, 1),
    (3, 17, 5),
    (100, 5, 64),
    (100, 64, 32),
    (100, 32, 16),
    (100, 16, 1),
    (203, 33, 47),
    (9, 8, 1),
    (17, 64, 64),
];

#[test]
fn every_path_is_right_and_simd_paths_agree_bit_for_bit() {
    let mut levels = vec![Simd::Portable];
    if detected_simd() >= Simd::Avx2 {
        levels.push(Simd::Avx2);
    }
    if detected_simd() >= Simd::Avx512 {
        levels.push(Simd::Avx512);
    }
    for (s, &(m, k, n)) in SHAPES.iter().enumerate() {
        let mut simd_result: Option<Vec<f32>> = None;
        for &level in &levels {
            set_simd_limit(level);
            assert_eq!(fivedreg_linalg::active_simd(), level);
            let r = run_all(m, k, n, s as u64);
            if level >= Simd::Avx2 {
                match &simd_result {
                    None => simd_result = Some(r),
                    Some(first) => assert_eq!(first, &r, "{level:?} vs AVX2 at {m}x{k}x{n}"),
                }
            }
        }
    }
    for &level in &levels {
        set_simd_limit(level);
        any_within_is_the_plain_scan(level);
        transpose_is_the_definition(level);
    }
    set_simd_limit(Simd::Avx512);
}

/// `any_within` against a plain scan of the points, row by row: the same sums in the same
/// order, so the same answers exactly, limits equal to a point's distance included.
fn any_within_is_the_plain_scan(level: Simd) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (d, n_points) in [(1, 1), (2, 17), (5, 1000), (7, 40)] {
        let points = random(&mut rng, d * n_points);
        let blocks = n_points.div_ceil(WITHIN_LANES);
        let mut columns = vec![f32::NAN; d * blocks * WITHIN_LANES];
        for (k, p) in points.chunks_exact(d).enumerate() {
            for (j, &v) in p.iter().enumerate() {
                columns[j * blocks * WITHIN_LANES + k] = v;
            }
        }
        let distance = |q: &[f32], p: &[f32]| -> f32 {
            let mut sum = 0.0f32;
            for (a, b) in q.iter().zip(p) {
                sum += (a - b) * (a - b);
            }
            sum
        };
        let mut hits = 0;
        for _ in 0..500 {
            let query: Vec<f32> = random(&mut rng, d).iter().map(|v| v * 1.5).collect();
            let last = &points[(n_points - 1) * d..];
            // Random limits, and the exact distance to the last point (the boundary counts).
            for limit in [rng.random_range(0.0f32..0.5), distance(&query, last)] {
                let plain = points.chunks_exact(d).any(|p| distance(&query, p) <= limit);
                assert_eq!(
                    any_within(&columns, blocks, &query, limit),
                    plain,
                    "{level:?}, {d} features, {n_points} points, limit {limit}"
                );
                hits += usize::from(plain);
            }
        }
        assert!(hits > 500, "{hits} hits: a weak test");
    }
}

/// `transpose` against its definition, element by element, on shapes with and without
/// whole 8 × 8 tiles and with edges on either side (NaN payloads and signed zeros included:
/// a transpose only moves bits).
fn transpose_is_the_definition(level: Simd) {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for (rows, cols) in [
        (1, 1),
        (3, 17),
        (8, 8),
        (9, 17),
        (16, 1),
        (64, 32),
        (32, 16),
        (5, 64),
        (24, 40),
        (17, 9),
    ] {
        let mut src = random(&mut rng, rows * cols);
        src[0] = -0.0;
        *src.last_mut().unwrap() = f32::from_bits(0x7fc0_1234);
        let mut dst = vec![0.0f32; rows * cols];
        transpose(&src, rows, cols, &mut dst);
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(
                    dst[c * rows + r].to_bits(),
                    src[r * cols + c].to_bits(),
                    "{level:?}: ({r}, {c}) of {rows}x{cols}"
                );
            }
        }
    }
}
