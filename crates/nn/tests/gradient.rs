//! Finite-difference check of every parameter's gradient, with and without L2: the analytic
//! gradient comes from the training code (f32); the numeric one from central differences of
//! an independent f64 implementation of scikit-learn's loss.

use fivedreg_nn::{Activation, Mlp, Samples};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// scikit-learn's loss in f64: mean((ŷ − y)²)/2 + α/2 · Σ‖W‖² / n.
fn loss_f64(
    activation: Activation,
    sizes: &[usize],
    w: &[Vec<f64>],
    b: &[Vec<f64>],
    x: &[f32],
    y: &[f32],
    alpha: f64,
) -> f64 {
    let n = y.len();
    let layers = sizes.len() - 1;
    let mut total = 0.0;
    for r in 0..n {
        let mut a: Vec<f64> = x[r * sizes[0]..(r + 1) * sizes[0]]
            .iter()
            .map(|&v| v as f64)
            .collect();
        for l in 0..layers {
            let mut z = b[l].clone();
            for (i, &ai) in a.iter().enumerate() {
                for (j, zj) in z.iter_mut().enumerate() {
                    *zj += ai * w[l][i * sizes[l + 1] + j];
                }
            }
            if l + 1 < layers {
                match activation {
                    Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
                    Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
                }
            }
            a = z;
        }
        total += (a[0] - y[r] as f64).powi(2);
    }
    let w2: f64 = w.iter().flatten().map(|v| v * v).sum();
    total / (2.0 * n as f64) + 0.5 * alpha * w2 / n as f64
}

fn check(alpha: f64, activation: Activation) {
    let sizes = [4usize, 7, 5, 1];
    let mlp = Mlp::glorot(&sizes, 11).unwrap().with_activation(activation);
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let n = 9;
    let x: Vec<f32> = (0..n * 4).map(|_| rng.random_range(-2.0f32..2.0)).collect();
    let y: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let samples = Samples {
        x: &x,
        y: &y,
        n_features: 4,
    };
    let (loss, grad) = mlp.loss_and_gradient(samples, alpha).unwrap();

    let mut w: Vec<Vec<f64>> = (0..3)
        .map(|l| mlp.weights(l).iter().map(|&v| v as f64).collect())
        .collect();
    let mut b: Vec<Vec<f64>> = (0..3)
        .map(|l| mlp.biases(l).iter().map(|&v| v as f64).collect())
        .collect();
    let reference = loss_f64(activation, &sizes, &w, &b, &x, &y, alpha);
    assert!(
        (loss - reference).abs() <= 1e-5 * reference,
        "loss {loss} vs f64 {reference}"
    );

    let h = 1e-6;
    let mut checked = 0;
    let mut worst = 0.0f64;
    for l in 0..3 {
        for is_bias in [false, true] {
            let count = if is_bias { b[l].len() } else { w[l].len() };
            for i in 0..count {
                let set = |w: &mut [Vec<f64>], b: &mut [Vec<f64>], v: f64| {
                    if is_bias {
                        b[l][i] = v;
                    } else {
                        w[l][i] = v;
                    }
                };
                let original = if is_bias { b[l][i] } else { w[l][i] };
                set(&mut w, &mut b, original + h);
                let plus = loss_f64(activation, &sizes, &w, &b, &x, &y, alpha);
                set(&mut w, &mut b, original - h);
                let minus = loss_f64(activation, &sizes, &w, &b, &x, &y, alpha);
                set(&mut w, &mut b, original);
                let numeric = (plus - minus) / (2.0 * h);
                let analytic = if is_bias {
                    grad.biases[l][i]
                } else {
                    grad.weights[l][i]
                } as f64;
                let err = (analytic - numeric).abs();
                worst = worst.max(err);
                assert!(
                    err <= 2e-6 + 1e-4 * numeric.abs(),
                    "layer {l} {} {i}: analytic {analytic} vs numeric {numeric} (alpha {alpha})",
                    if is_bias { "bias" } else { "weight" }
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, mlp.n_parameters());
    let nonzero = grad
        .weights
        .iter()
        .chain(&grad.biases)
        .flatten()
        .filter(|g| g.abs() > 1e-4)
        .count();
    assert!(
        nonzero > checked / 2,
        "most gradients should be non-trivial ({nonzero}/{checked})"
    );
    println!("{activation:?}, alpha {alpha}: {checked} parameters, worst |analytic - numeric| = {worst:e}");
}

#[test]
fn gradient_matches_finite_differences_without_l2() {
    check(0.0, Activation::Relu);
}

#[test]
fn gradient_matches_finite_differences_with_l2() {
    check(0.3, Activation::Relu);
}

#[test]
fn tanh_gradient_matches_finite_differences() {
    check(0.0, Activation::Tanh);
    check(0.3, Activation::Tanh);
}
