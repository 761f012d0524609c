//! Every kernel against a plain triple loop (in f64) and nalgebra, on random shapes
//! including odd sizes and sizes above a minibatch.

use fivedreg_linalg::{
    adam_update, bias_grad, dense_forward, input_grad_relu, matmul, transpose, weight_grad,
    AdamStep,
};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SIZES: [usize; 8] = [1, 3, 5, 16, 17, 33, 64, 203];

fn random(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// `a · b` in f64, row-major `m × k` times `k × n`.
fn reference(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                out[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
        }
    }
    out
}

fn assert_close(got: &[f32], want: &[f64], k: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    // Each term is at most 1 in magnitude; f32 accumulation error grows with k.
    let tol = 1e-6 * (k as f64 + 1.0) * 4.0;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= tol,
            "{what}[{i}]: got {g}, want {w} (tol {tol})"
        );
    }
}

fn shapes() -> Vec<(usize, usize, usize)> {
    let mut v = Vec::new();
    for &m in &SIZES {
        for &k in &SIZES {
            for &n in &SIZES {
                if m * k * n <= 203 * 64 * 64 {
                    v.push((m, k, n));
                }
            }
        }
    }
    v
}

#[test]
fn dense_forward_matches_reference_with_and_without_relu() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (m, k, n) in shapes() {
        let x = random(&mut rng, m * k);
        let w = random(&mut rng, k * n);
        let b = random(&mut rng, n);
        let mut want = reference(&x, &w, m, k, n);
        for (i, v) in want.iter_mut().enumerate() {
            *v += b[i % n] as f64;
        }
        let mut out = vec![f32::NAN; m * n];
        dense_forward(&x, m, k, &w, &b, n, false, &mut out);
        assert_close(&out, &want, k, &format!("forward {m}x{k}x{n}"));
        dense_forward(&x, m, k, &w, &b, n, true, &mut out);
        let relu: Vec<f64> = want.iter().map(|v| v.max(0.0)).collect();
        // Near zero, rounding may put an element on either side of the kink.
        let tol = 1e-6 * (k as f64 + 1.0) * 4.0;
        for (i, (&g, &r)) in out.iter().zip(&relu).enumerate() {
            assert!(g >= 0.0, "relu output negative");
            assert!(
                (g as f64 - r).abs() <= tol,
                "relu {m}x{k}x{n} [{i}]: {g} vs {r}"
            );
        }
    }
}

#[test]
fn matmul_matches_nalgebra() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for (m, k, n) in [
        (1, 1, 1),
        (3, 17, 5),
        (203, 64, 32),
        (17, 3, 1),
        (64, 203, 16),
    ] {
        let a = random(&mut rng, m * k);
        let b = random(&mut rng, k * n);
        let mut out = vec![0.0; m * n];
        matmul(&a, &b, m, k, n, &mut out);
        let na = DMatrix::from_row_slice(m, k, &a);
        let nb = DMatrix::from_row_slice(k, n, &b);
        let nc = na * nb;
        let want: Vec<f64> = (0..m * n).map(|i| nc[(i / n, i % n)] as f64).collect();
        assert_close(&out, &want, k, "matmul vs nalgebra");
    }
}

#[test]
fn input_grad_relu_matches_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (rows, n_out, n_in) in shapes() {
        let delta = random(&mut rng, rows * n_out);
        let w = random(&mut rng, n_in * n_out);
        let mut w_t = vec![0.0; n_in * n_out];
        transpose(&w, n_in, n_out, &mut w_t);
        // Activations after a ReLU: about half exact zeros.
        let act: Vec<f32> = random(&mut rng, rows * n_in)
            .into_iter()
            .map(|v| v.max(0.0))
            .collect();
        let mut want = vec![0.0f64; rows * n_in];
        for r in 0..rows {
            for i in 0..n_in {
                if act[r * n_in + i] > 0.0 {
                    for j in 0..n_out {
                        want[r * n_in + i] += delta[r * n_out + j] as f64 * w[i * n_out + j] as f64;
                    }
                }
            }
        }
        let mut out = vec![f32::NAN; rows * n_in];
        input_grad_relu(&delta, rows, n_out, &w_t, n_in, &act, &mut out);
        assert_close(
            &out,
            &want,
            n_out,
            &format!("input grad {rows}x{n_out}x{n_in}"),
        );
        for (o, a) in out.iter().zip(&act) {
            if *a == 0.0 {
                assert_eq!(*o, 0.0, "masked element not zero");
            }
        }
    }
}

#[test]
fn weight_and_bias_grads_match_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for (rows, n_in, n_out) in shapes() {
        let a = random(&mut rng, rows * n_in);
        let delta = random(&mut rng, rows * n_out);
        let mut want = vec![0.0f64; n_in * n_out];
        for r in 0..rows {
            for i in 0..n_in {
                for j in 0..n_out {
                    want[i * n_out + j] += a[r * n_in + i] as f64 * delta[r * n_out + j] as f64;
                }
            }
        }
        let mut out = vec![f32::NAN; n_in * n_out];
        weight_grad(&a, &delta, rows, n_in, n_out, &mut out);
        assert_close(
            &out,
            &want,
            rows,
            &format!("weight grad {rows}x{n_in}x{n_out}"),
        );

        let mut want_b = vec![0.0f64; n_out];
        for r in 0..rows {
            for j in 0..n_out {
                want_b[j] += delta[r * n_out + j] as f64;
            }
        }
        let mut out_b = vec![f32::NAN; n_out];
        bias_grad(&delta, rows, n_out, &mut out_b);
        assert_close(&out_b, &want_b, rows, "bias grad");
    }
}

#[test]
fn a_row_gets_the_same_bits_whatever_block_it_is_computed_in() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (m, k, n) = (203, 64, 33);
    let x = random(&mut rng, m * k);
    let w = random(&mut rng, k * n);
    let b = random(&mut rng, n);
    let mut full = vec![0.0; m * n];
    dense_forward(&x, m, k, &w, &b, n, true, &mut full);
    for start in [0, 1, 5, 6, 7, 100, 202] {
        for len in [1, 2, 3, 4, 5, 6, 7, 13] {
            if start + len > m {
                continue;
            }
            let mut part = vec![0.0; len * n];
            dense_forward(
                &x[start * k..(start + len) * k],
                len,
                k,
                &w,
                &b,
                n,
                true,
                &mut part,
            );
            assert_eq!(
                part,
                full[start * n..(start + len) * n],
                "rows {start}+{len}"
            );
        }
    }
}

#[test]
fn transpose_round_trips() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for (r, c) in [(1, 1), (3, 17), (64, 32), (5, 1)] {
        let a = random(&mut rng, r * c);
        let mut t = vec![0.0; r * c];
        let mut back = vec![0.0; r * c];
        transpose(&a, r, c, &mut t);
        assert_eq!(t[0], a[0]);
        if r > 1 && c > 1 {
            assert_eq!(t[1], a[c]);
        }
        transpose(&t, c, r, &mut back);
        assert_eq!(a, back);
    }
}

#[test]
fn adam_update_matches_the_formula_in_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 37;
    let mut p = random(&mut rng, n);
    let g = random(&mut rng, n);
    let mut m = random(&mut rng, n);
    let mut v: Vec<f32> = random(&mut rng, n).iter().map(|x| x.abs()).collect();
    let (p0, m0, v0) = (p.clone(), m.clone(), v.clone());
    let step = AdamStep {
        lr_t: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
    };
    adam_update(&mut p, &g, &mut m, &mut v, step);
    for i in 0..n {
        let mm = 0.9 * m0[i] as f64 + 0.1 * g[i] as f64;
        let vv = 0.999 * v0[i] as f64 + 0.001 * (g[i] as f64).powi(2);
        let pp = p0[i] as f64 - 1e-3 * mm / (vv.sqrt() + 1e-8);
        assert!((m[i] as f64 - mm).abs() < 1e-6, "m[{i}]");
        assert!((v[i] as f64 - vv).abs() < 1e-6, "v[{i}]");
        assert!((p[i] as f64 - pp).abs() < 1e-5, "p[{i}]: {} vs {pp}", p[i]);
    }
}

#[test]
fn adam_keeps_subnormals_out() {
    let step = AdamStep {
        lr_t: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
    };
    // A moment about to decay into the subnormal range, and a gradient whose square would.
    let mut p = vec![0.5f32, 0.5];
    let mut m = vec![1.2e-38f32, 0.0];
    let mut v = vec![1e-30f32, 0.0];
    let g = vec![0.0f32, 1e-20];
    adam_update(&mut p, &g, &mut m, &mut v, step);
    for x in m.iter().chain(&v).chain(&p) {
        assert!(*x == 0.0 || x.is_normal(), "{x:e} is subnormal");
    }
    assert_eq!(m[0], 0.0);
    assert_eq!(p, vec![0.5, 0.5], "such tiny values move no weight");
}
