//! Reproducibility, threads, errors and the training record.

mod common;

use fivedreg_nn::{train, Mlp, MlpParams, NnError, Samples, StopReason};

fn params(threads: usize) -> fivedreg_nn::MlpValidParams {
    MlpParams {
        max_epochs: 15,
        threads,
        seed: 3,
        ..Default::default()
    }
    .check()
    .unwrap()
}

#[test]
fn same_seed_gives_bit_identical_weights_run_after_run() {
    let task = common::seed_task(1_000, 1);
    let run = || {
        train(
            &params(1),
            task.train.samples(),
            Some(task.validation.samples()),
            &mut |_| {},
        )
        .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.mlp, b.mlp);
    assert_eq!(a.history.train_loss, b.history.train_loss);
    let other = train(
        &MlpParams {
            seed: 4,
            ..params(1).params().clone()
        }
        .check()
        .unwrap(),
        task.train.samples(),
        Some(task.validation.samples()),
        &mut |_| {},
    )
    .unwrap();
    assert_ne!(a.mlp, other.mlp, "another seed gives another network");
}

#[test]
fn one_two_and_three_threads_give_bit_identical_weights() {
    let task = common::seed_task(1_037, 2);
    let run = |t| {
        train(
            &params(t),
            task.train.samples(),
            Some(task.validation.samples()),
            &mut |_| {},
        )
        .unwrap()
    };
    let one = run(1);
    for t in [2, 3] {
        let many = run(t);
        assert_eq!(one.mlp, many.mlp, "{t} threads");
        assert_eq!(one.history.train_loss, many.history.train_loss);
        assert_eq!(one.history.validation_r2, many.history.validation_r2);
    }
}

#[test]
fn early_stopping_on_two_threads_stops_where_one_thread_does() {
    // With two threads the minibatches' shards and the validation's parts are shared by
    // the threads and summed in a fixed order: the stopping epoch is still the one thread's.
    let task = common::seed_task(800, 4);
    let run = |threads, patience, tol| {
        let mut seen = Vec::new();
        let trained = train(
            &MlpParams {
                max_epochs: 300,
                patience,
                tol,
                threads,
                seed: 5,
                ..Default::default()
            }
            .check()
            .unwrap(),
            task.train.samples(),
            Some(task.validation.samples()),
            &mut |s| seen.push((s.epoch, s.train_loss, s.validation_r2)),
        )
        .unwrap();
        (trained, seen)
    };
    for (patience, tol) in [(2, 1e-4), (3, 1e-3), (5, 0.0)] {
        let (one, seen_one) = run(1, patience, tol);
        assert_eq!(one.history.stop_reason, StopReason::NoImprovement);
        assert!(one.history.epochs < 300);
        for threads in [2, 3] {
            let (many, seen_many) = run(threads, patience, tol);
            assert_eq!(one.mlp, many.mlp, "{threads} threads, patience {patience}");
            assert_eq!(one.history.train_loss, many.history.train_loss);
            assert_eq!(one.history.validation_r2, many.history.validation_r2);
            assert_eq!(one.history.epochs, many.history.epochs);
            assert_eq!(one.history.best_epoch, many.history.best_epoch);
            assert_eq!(one.history.stop_reason, many.history.stop_reason);
            assert_eq!(seen_one, seen_many);
        }
    }
}

#[test]
fn parallel_prediction_matches_serial_bit_for_bit() {
    let mlp = Mlp::glorot(&[5, 64, 32, 16, 1], 9).unwrap();
    let task = common::seed_task(3_001, 3);
    let serial = mlp.predict(&task.train.x).unwrap();
    for t in [1, 2, 3] {
        assert_eq!(mlp.predict_threads(&task.train.x, t).unwrap(), serial);
    }
}

#[test]
fn history_records_every_epoch_and_the_callback_sees_them() {
    let task = common::seed_task(500, 4);
    let mut seen = Vec::new();
    let p = MlpParams {
        max_epochs: 7,
        ..Default::default()
    }
    .check()
    .unwrap();
    let t = train(
        &p,
        task.train.samples(),
        Some(task.validation.samples()),
        &mut |s| seen.push(*s),
    )
    .unwrap();
    let h = &t.history;
    assert_eq!(h.epochs, 7);
    assert_eq!(h.stop_reason, StopReason::MaxEpochs);
    assert_eq!(seen.len(), 7);
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(s.epoch, i + 1);
        assert_eq!(s.train_loss, h.train_loss[i]);
        assert_eq!(s.validation_r2, Some(h.validation_r2[i]));
    }
    assert!(
        h.train_loss[6] < h.train_loss[0],
        "training reduces the loss"
    );
    let best = h
        .validation_r2
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(h.best_validation_r2, Some(best));
    assert_eq!(h.validation_r2[h.best_epoch - 1], best);
    // The kept weights are the best epoch's: their validation R² is the best one.
    let pred = t.mlp.predict(&task.validation.x).unwrap();
    assert!((common::r2(&task.validation.y, &pred) - best).abs() < 1e-9);
    let p = h.phase_seconds;
    assert!(p.forward > 0.0 && p.backward > 0.0 && p.update > 0.0 && p.validation > 0.0);
    assert!(p.forward + p.backward + p.update + p.validation <= h.seconds);
}

#[test]
fn without_early_stopping_the_last_weights_are_kept() {
    let task = common::seed_task(500, 5);
    let p = MlpParams {
        max_epochs: 5,
        early_stopping: false,
        ..Default::default()
    }
    .check()
    .unwrap();
    let t = train(&p, task.train.samples(), None, &mut |_| {}).unwrap();
    assert_eq!(t.history.best_epoch, 5);
    assert!(t.history.validation_r2.is_empty());
    assert_eq!(t.history.best_validation_r2, None);
    // Default seed 42: the initial network is this one.
    let initial = Mlp::glorot(&[5, 64, 32, 16, 1], 42).unwrap();
    let (before, _) = initial
        .loss_and_gradient(task.train.samples(), 0.0)
        .unwrap();
    let (after, _) = t.mlp.loss_and_gradient(task.train.samples(), 0.0).unwrap();
    assert!(after < 0.9 * before, "loss {before} -> {after}");
}

#[test]
fn training_loss_rule_stops_a_converged_run() {
    // A constant target is learnt at once; the loss then stops improving by tol.
    let x: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin()).collect();
    let y = vec![0.0f32; 40];
    let p = MlpParams {
        early_stopping: false,
        tol: 1e-2,
        patience: 2,
        ..Default::default()
    }
    .check()
    .unwrap();
    let t = train(
        &p,
        Samples {
            x: &x,
            y: &y,
            n_features: 5,
        },
        None,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(t.history.stop_reason, StopReason::NoImprovement);
    assert!(t.history.epochs < 500);
}

#[test]
fn early_stopping_without_validation_is_an_error() {
    let task = common::seed_task(100, 6);
    let p = MlpParams::default().check().unwrap();
    let empty = Samples {
        x: &[],
        y: &[],
        n_features: 5,
    };
    for validation in [None, Some(empty)] {
        let err = train(&p, task.train.samples(), validation, &mut |_| {}).unwrap_err();
        assert!(matches!(err, NnError::InvalidData(_)), "{err}");
        assert!(err
            .to_string()
            .contains("early stopping needs validation samples"));
    }
}

#[test]
fn divergence_is_an_error_not_a_nan_model() {
    let task = common::seed_task(200, 7);
    // Finite but absurd features: activations near 1e30 make the gradients overflow.
    let huge: Vec<f32> = task.train.x.iter().map(|v| v * 1e30).collect();
    let p = MlpParams {
        early_stopping: false,
        learning_rate: 1.0,
        ..Default::default()
    }
    .check()
    .unwrap();
    let err = match train(
        &p,
        Samples {
            x: &huge,
            y: &task.train.y,
            n_features: 5,
        },
        None,
        &mut |_| {},
    ) {
        Ok(t) => panic!("trained to loss {:?}", t.history.train_loss.last()),
        Err(e) => e,
    };
    assert!(matches!(err, NnError::Diverged { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("diverged") && msg.contains("lower learning rate"),
        "{msg}"
    );
}

#[test]
fn bad_shapes_and_values_are_errors() {
    let p = MlpParams {
        early_stopping: false,
        ..Default::default()
    }
    .check()
    .unwrap();
    let x = vec![0.0f32; 10];
    let y = vec![0.0f32; 3];
    let e = train(
        &p,
        Samples {
            x: &x,
            y: &y,
            n_features: 5,
        },
        None,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, NnError::Shape(_)), "{e}");
    let x = vec![0.0f32, f32::NAN, 0.0, 0.0];
    let y = vec![0.0f32; 2];
    let e = train(
        &p,
        Samples {
            x: &x,
            y: &y,
            n_features: 2,
        },
        None,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unusable data: training data: feature 2 of row 1 is NaN"
    );
    let e = train(
        &p,
        Samples {
            x: &[],
            y: &[],
            n_features: 2,
        },
        None,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, NnError::InvalidData(_)), "{e}");
    let mlp = Mlp::glorot(&[3, 4, 1], 0).unwrap();
    assert!(matches!(mlp.predict(&[1.0, 2.0]), Err(NnError::Shape(_))));
    assert!(Mlp::glorot(&[3, 0, 1], 0).is_err());
    assert!(Mlp::glorot(&[3, 4, 2], 0).is_err());
    assert!(Mlp::from_parts(vec![2, 1], vec![vec![1.0]], vec![vec![0.0]]).is_err());
    assert!(Mlp::from_parts(vec![2, 1], vec![vec![1.0, f32::INFINITY]], vec![vec![0.0]]).is_err());
}

#[test]
fn glorot_bounds_and_seeds() {
    let a = Mlp::glorot(&[5, 64, 32, 16, 1], 1).unwrap();
    assert_eq!(
        a.n_parameters(),
        5 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 + 1
    );
    for l in 0..a.n_layers() {
        let (i, o) = (a.sizes()[l], a.sizes()[l + 1]);
        let bound = (6.0 / (i + o) as f64).sqrt() as f32;
        let all: Vec<f32> = a.weights(l).iter().chain(a.biases(l)).copied().collect();
        assert!(all.iter().all(|v| v.abs() <= bound));
        let max = all.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if all.len() > 100 {
            assert!(max > 0.9 * bound, "uniform draws fill the range");
        }
    }
    assert_eq!(a, Mlp::glorot(&[5, 64, 32, 16, 1], 1).unwrap());
    assert_ne!(a, Mlp::glorot(&[5, 64, 32, 16, 1], 2).unwrap());
}

#[test]
fn odd_shapes_train_and_stay_deterministic() {
    let task = common::seed_task(300, 8);
    let shapes: [&[usize]; 4] = [&[], &[7], &[13, 3, 5, 1, 9], &[33, 17]];
    for hidden in shapes {
        for rows in [1usize, 2, 3, 180] {
            let p = MlpParams {
                hidden_layers: hidden.to_vec(),
                max_epochs: 6,
                early_stopping: false,
                batch_size: Some(7),
                ..Default::default()
            };
            let samples = Samples {
                x: &task.train.x[..rows * 5],
                y: &task.train.y[..rows],
                n_features: 5,
            };
            let run = |threads| {
                let p = MlpParams {
                    threads,
                    ..p.clone()
                }
                .check()
                .unwrap();
                train(&p, samples, None, &mut |_| {}).unwrap()
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one.mlp, two.mlp, "hidden {hidden:?}, {rows} rows");
            assert_eq!(one.history.epochs, 6);
            assert!(one.history.train_loss.iter().all(|l| l.is_finite()));
            if rows == 180 {
                assert!(
                    one.history.train_loss[5] < one.history.train_loss[0],
                    "hidden {hidden:?}"
                );
            }
        }
    }
}

/// A stop asked from another thread ends a training that would otherwise run for a
/// million epochs (Adam, the L-BFGS solver, and members trained in step), with `Stopped`.
#[test]
fn a_stop_from_another_thread_ends_training() {
    let task = common::seed_task(600, 5);
    for solver in [fivedreg_nn::Solver::Adam, fivedreg_nn::Solver::Lbfgs] {
        let stop = fivedreg_nn::StopFlag::new();
        let p = MlpParams {
            solver,
            max_epochs: 1_000_000,
            max_fun: 100_000_000,
            early_stopping: false,
            patience: 1_000_000,
            tol: 0.0,
            stop: stop.clone(),
            ..Default::default()
        }
        .check()
        .unwrap();
        let asked = std::thread::spawn({
            let stop = stop.clone();
            move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
                stop.stop();
            }
        });
        let mut epochs = 0;
        let result = train(&p, task.train.samples(), None, &mut |_| epochs += 1);
        asked.join().unwrap();
        assert!(
            matches!(result, Err(NnError::Stopped)),
            "{solver:?}: {:?} after {epochs} epochs",
            result.map(|t| t.history.epochs)
        );
        assert!(epochs < 1_000_000, "{solver:?}");
    }
    // A flag already set stops before the first minibatch; flags never change equality.
    let stop = fivedreg_nn::StopFlag::new();
    stop.stop();
    let p = MlpParams {
        stop,
        ..Default::default()
    };
    assert_eq!(p, MlpParams::default());
    let result = train(
        &p.check().unwrap(),
        task.train.samples(),
        Some(task.validation.samples()),
        &mut |_| {},
    );
    assert!(matches!(result, Err(NnError::Stopped)));
}
