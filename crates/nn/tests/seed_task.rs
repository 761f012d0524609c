//! Accuracy on the seed task with default parameters. scikit-learn's measured test R²:
//! 0.9778 at 1,000 samples (one data seed; 0.9806 averaged over its data seeds 0..10),
//! 0.9933 at 5,000, 0.9940 at 10,000.

mod common;

use fivedreg_nn::{train, MlpParams, StopReason};

/// Trains with the defaults on `n` samples of data seed `seed`; returns the test R².
fn run(n: usize, seed: u64, verbose: bool) -> f64 {
    let task = common::seed_task(n, seed);
    let params = MlpParams::default().check().unwrap();
    let trained = train(
        &params,
        task.train.samples(),
        Some(task.validation.samples()),
        &mut |_| {},
    )
    .unwrap();
    let pred = trained.mlp.predict(&task.test.x).unwrap();
    let r2 = common::r2(&task.test.y, &pred);
    let h = &trained.history;
    if verbose {
        println!(
            "n={n} seed={seed}: test R2 {r2:.4}, epochs {}, best epoch {}, best val R2 {:.4}, {:.3} s, {:?}",
            h.epochs,
            h.best_epoch,
            h.best_validation_r2.unwrap(),
            h.seconds,
            h.stop_reason
        );
    }
    assert_eq!(h.train_loss.len(), h.epochs);
    assert_eq!(h.validation_r2.len(), h.epochs);
    assert!(h.best_epoch >= 1 && h.best_epoch <= h.epochs);
    if h.stop_reason == StopReason::NoImprovement {
        // The count resets only on an improvement beyond tol, at or before the best epoch.
        assert!(
            h.epochs >= 11 && h.epochs <= h.best_epoch + 11,
            "stopping epoch vs best"
        );
    }
    r2
}

/// At 1,000 samples the test R² swings by ±0.01 with the data; compare means. A single
/// network averages within noise of scikit-learn's single network here (0.977 against its
/// 0.9806 over the same 10 data seeds); the accurate options at this size are L-BFGS,
/// ensembles and `--auto` (the accuracy report). This holds the default where it is, so a
/// regression of the training loop shows.
#[test]
fn seed_task_1k_mean_holds() {
    let seeds = 0..10;
    let r2: Vec<f64> = seeds.map(|s| run(1_000, s, true)).collect();
    let mean = r2.iter().sum::<f64>() / r2.len() as f64;
    println!("n=1000: mean test R2 over 10 data seeds {mean:.4}");
    assert!(mean >= 0.975, "mean test R² {mean}");
}

#[test]
fn seed_task_5k() {
    assert!(run(5_000, 7, true) >= 0.99);
}

#[test]
fn seed_task_10k() {
    assert!(run(10_000, 7, true) >= 0.99);
}
