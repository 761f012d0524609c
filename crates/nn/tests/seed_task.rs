//! Accuracy on the seed task with default parameters (scikit-learn's measured test R²:
//! 0.9778 at 1,000 samples, 0.9933 at 5,000, 0.9940 at 10,000).

mod common;

use fivedreg_nn::{train, MlpParams, StopReason};

fn run(n: usize) -> f64 {
    let task = common::seed_task(n, 7);
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
    println!(
        "n={n}: test R2 {r2:.4}, epochs {}, best epoch {}, best val R2 {:.4}, {:.3} s, stop {:?}, phases {:?}",
        h.epochs, h.best_epoch, h.best_validation_r2.unwrap(), h.seconds, h.stop_reason, h.phase_seconds
    );
    assert_eq!(h.train_loss.len(), h.epochs);
    assert_eq!(h.validation_r2.len(), h.epochs);
    assert!(h.best_epoch >= 1 && h.best_epoch <= h.epochs);
    if h.stop_reason == StopReason::NoImprovement {
        assert_eq!(
            h.epochs,
            h.best_epoch + 11,
            "stops 11 epochs after the best (patience 10)"
        );
    }
    r2
}

#[test]
fn seed_task_1k_at_least_sklearn() {
    assert!(run(1_000) >= 0.978);
}

#[test]
fn seed_task_5k() {
    assert!(run(5_000) >= 0.99);
}

#[test]
fn seed_task_10k() {
    assert!(run(10_000) >= 0.99);
}
