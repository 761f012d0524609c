//! Training gives the same bits on AVX2 and AVX-512 machines (the portable path, without
//! FMA, may differ in the last bits but must train as well). One test function: the SIMD cap
//! is process-wide.

mod common;

use fivedreg_linalg::{detected_simd, set_simd_limit, Simd};
use fivedreg_nn::{train, MlpParams};

#[test]
fn avx2_and_avx512_train_identical_networks() {
    let task = common::seed_task(1_000, 9);
    let params = MlpParams {
        max_epochs: 8,
        threads: 2,
        ..Default::default()
    }
    .check()
    .unwrap();
    let run = |level| {
        set_simd_limit(level);
        train(
            &params,
            task.train.samples(),
            Some(task.validation.samples()),
            &mut |_| {},
        )
        .unwrap()
    };
    let portable = run(Simd::Portable);
    assert!(portable.history.train_loss[7] < portable.history.train_loss[0]);
    if detected_simd() >= Simd::Avx2 {
        let avx2 = run(Simd::Avx2);
        let loss_gap = (avx2.history.train_loss[7] - portable.history.train_loss[7]).abs();
        assert!(
            loss_gap < 1e-3,
            "portable and AVX2 train alike ({loss_gap})"
        );
        if detected_simd() >= Simd::Avx512 {
            let avx512 = run(Simd::Avx512);
            assert_eq!(avx2.mlp, avx512.mlp);
            assert_eq!(avx2.history.train_loss, avx512.history.train_loss);
            assert_eq!(avx2.history.validation_r2, avx512.history.validation_r2);
        }
    }
    set_simd_limit(Simd::Avx512);
}
