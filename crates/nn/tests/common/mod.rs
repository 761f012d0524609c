//! Test data: the seed task, split 60/20/20 and standardized with training statistics.
#![allow(dead_code)]

use fivedreg_nn::Samples;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// One split, row-major f32, already standardized.
pub struct Part {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
}

impl Part {
    pub fn samples(&self) -> Samples<'_> {
        Samples {
            x: &self.x,
            y: &self.y,
            n_features: 5,
        }
    }
}

pub struct SeedTask {
    pub train: Part,
    pub validation: Part,
    pub test: Part,
}

/// X ~ N(0, 1)^5, y = Σx² + N(0, 0.1²); 60/20/20 in generation order (the rows are i.i.d.);
/// X and y standardized with the training split's mean and (population) std.
pub fn seed_task(n: usize, seed: u64) -> SeedTask {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f64, 1.0).unwrap();
    let mut x = Vec::with_capacity(n * 5);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f64> = (0..5).map(|_| normal.sample(&mut rng)).collect();
        y.push(row.iter().map(|v| v * v).sum::<f64>() + 0.1 * normal.sample(&mut rng));
        x.extend(row);
    }
    let n_train = n * 6 / 10;
    let n_val = n * 2 / 10;
    let mut mean = [0.0f64; 5];
    let mut std = [0.0f64; 5];
    for c in 0..5 {
        let col: Vec<f64> = (0..n_train).map(|r| x[r * 5 + c]).collect();
        mean[c] = col.iter().sum::<f64>() / n_train as f64;
        std[c] = (col.iter().map(|v| (v - mean[c]).powi(2)).sum::<f64>() / n_train as f64).sqrt();
    }
    let y_mean = y[..n_train].iter().sum::<f64>() / n_train as f64;
    let y_std = (y[..n_train]
        .iter()
        .map(|v| (v - y_mean).powi(2))
        .sum::<f64>()
        / n_train as f64)
        .sqrt();
    let part = |lo: usize, hi: usize| Part {
        x: (lo * 5..hi * 5)
            .map(|i| ((x[i] - mean[i % 5]) / std[i % 5]) as f32)
            .collect(),
        y: (lo..hi).map(|r| ((y[r] - y_mean) / y_std) as f32).collect(),
    };
    SeedTask {
        train: part(0, n_train),
        validation: part(n_train, n_train + n_val),
        test: part(n_train + n_val, n),
    }
}

/// R² in f64.
pub fn r2(y: &[f32], pred: &[f32]) -> f64 {
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
    let ss_res: f64 = y
        .iter()
        .zip(pred)
        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
        .sum();
    1.0 - ss_res / ss_tot
}
