//! Seconds and GFLOP/s of the f64 Cholesky factorisation, its inverse and the LU on an
//! `n × n` symmetric positive-definite matrix, on a number of threads:
//! `cargo run --release -p fivedreg-linalg --example dense64_timing -- 800 2`.

use fivedreg_linalg::dense64::{Cholesky, Lu};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(800);
    let threads: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    // exp(−(i − j)²/n²·50) + I: a Gaussian kernel matrix on a line, positive definite.
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let t = (i as f64 - j as f64) / n as f64;
            a[i * n + j] = (-50.0 * t * t).exp() + if i == j { 1e-3 } else { 0.0 };
        }
    }
    raw(n);
    raw(n);
    let nf = n as f64;
    for _ in 0..3 {
        let t0 = Instant::now();
        let chol = Cholesky::factor(a.clone(), n, threads).expect("positive definite");
        let factor = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let inverse = chol.inverse(threads);
        let invert = t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let lu = Lu::factor(a.clone(), n).expect("not singular");
        let lu_seconds = t2.elapsed().as_secs_f64();
        std::hint::black_box((&inverse, &lu));
        println!(
            "n {n}: cholesky {:.4} s ({:.1} GFLOP/s), inverse {:.4} s ({:.1} GFLOP/s), lu {:.4} s ({:.1} GFLOP/s)",
            factor,
            nf.powi(3) / 3.0 / factor / 1e9,
            invert,
            nf.powi(3) * (1.0 / 3.0 + 1.0 / 6.0) / invert / 1e9,
            lu_seconds,
            nf.powi(3) * 2.0 / 3.0 / lu_seconds / 1e9,
        );
    }
}

#[allow(dead_code)]
fn raw(n: usize) {
    let a = vec![0.5; n * n];
    let b = vec![0.25; n * n];
    let mut c = vec![0.0; n * n];
    let t0 = Instant::now();
    fivedreg_linalg::dense64::sub_product(n, n, n, &a, n, &b, n, &mut c, n);
    let s = t0.elapsed().as_secs_f64();
    println!(
        "raw product n {n}: {:.4} s ({:.1} GFLOP/s)",
        s,
        2.0 * (n as f64).powi(3) / s / 1e9
    );
    let k = 64;
    let t0 = Instant::now();
    fivedreg_linalg::dense64::sub_product(n, k, n, &a, k, &b, n, &mut c, n);
    let s = t0.elapsed().as_secs_f64();
    println!(
        "rank-64 update n {n}: {:.4} s ({:.1} GFLOP/s)",
        s,
        2.0 * (n * n * k) as f64 / s / 1e9
    );
}
