//! The training loop allocates nothing after its first epoch, with one or two threads, and
//! `predict_into` allocates nothing once its workspace is sized. A counting global allocator
//! (this test binary's own) proves it. The binary has no libtest harness (see Cargo.toml),
//! so no harness thread allocates meanwhile.

mod common;

use fivedreg_nn::{train, Mlp, MlpParams, PredictWorkspace};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
                    at_epoch[s.epoch] = ALLOCATIONS.load(Ordering::Relaxed);
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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..5 {
        mlp.predict_into(&task.train.x, &mut out, &mut ws).unwrap();
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "allocations in predict_into"
    );
    assert!(out.iter().any(|&v| v != 0.0));
    println!("alloc_free: the training loop and predict_into allocate nothing after warm-up");
}
