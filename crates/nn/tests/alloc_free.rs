//! The training loop allocates nothing after its first epoch, with one or two threads, and
//! `predict_into` allocates nothing once its workspace is sized. A counting global allocator
//! (fivedreg-linalg's, installed in this test binary only) proves it. The binary has no
//! libtest harness (see Cargo.toml), so no harness thread allocates meanwhile.

mod common;

use fivedreg_linalg::counting_alloc::{total_allocations, CountingAllocator};
use fivedreg_nn::{train, Mlp, MlpParams, PredictWorkspace};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn main() {
    let task = common::seed_task(2_000, 1);
    for threads in [1, 2] {
        for early_stopping in [true, false] {
            let params = MlpParams {
                max_epochs: 12,
                threads,
                early_stopping,
                ..Default::default()
            }
            .check()
            .unwrap();
            let mut at_epoch = [0usize; 13];
            let trained = train(
                &params,
                task.train.samples(),
                Some(task.validation.samples()),
                &mut |s| {
                    at_epoch[s.epoch] = total_allocations();
                },
            )
            .unwrap();
            assert_eq!(trained.history.epochs, 12);
            assert_eq!(
                at_epoch[12] - at_epoch[1],
                0,
                "allocations in epochs 2..=12 ({threads} threads, early stopping {early_stopping})"
            );
        }
    }

    let mlp = Mlp::glorot(&[5, 64, 32, 16, 1], 3).unwrap();
    let mut ws = PredictWorkspace::new(&mlp);
    let mut out = vec![0.0; task.train.y.len()];
    mlp.predict_into(&task.train.x, &mut out, &mut ws).unwrap();
    let before = total_allocations();
    for _ in 0..5 {
        mlp.predict_into(&task.train.x, &mut out, &mut ws).unwrap();
    }
    assert_eq!(
        total_allocations() - before,
        0,
        "allocations in predict_into"
    );
    assert!(out.iter().any(|&v| v != 0.0));
    println!("alloc_free: the training loop and predict_into allocate nothing after warm-up");
}
