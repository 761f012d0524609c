//! Ensembles, L-BFGS and `--auto` through the library: file round trips, calibrated
//! spread, byte identity whatever the thread count, budgets, refusals.

use fivedreg::{AutoOptions, Error, FitOptions, Interpolator, MlpParams, Solver};
use fivedreg_data::{generate, Dataset, SplitFractions, TestFunction};

fn data(n: usize, seed: u64, noise: f64) -> Dataset {
    generate(TestFunction::Friedman1, n, 5, noise, seed).unwrap()
}

fn small_network() -> MlpParams {
    MlpParams {
        hidden_layers: vec![24, 12],
        max_epochs: 150,
        ..Default::default()
    }
}

#[test]
fn an_ensemble_round_trips_through_its_file_and_predicts_the_members_mean() {
    let options = FitOptions {
        ensemble: 4,
        network: MlpParams {
            max_epochs: 20,
            ..small_network()
        },
        ..Default::default()
    }
    .check()
    .unwrap();
    let model = Interpolator::fit(&data(400, 1, 0.5), &options, &mut |_| {})
        .unwrap()
        .interpolator;
    assert_eq!(model.members().len(), 4);
    let e = model.summary().ensemble.as_ref().unwrap();
    assert_eq!(e.members.len(), 4);
    assert_eq!(e.fold_r2.len(), 4);
    assert!(e.std_scale > 0.0);
    let bytes = model.to_bytes().unwrap();
    let back = Interpolator::from_bytes(&bytes, "m").unwrap();
    assert_eq!(back, model);
    assert_eq!(back.to_bytes().unwrap(), bytes);
    let fresh = data(50, 2, 0.0);
    let mean = model.predict(fresh.features()).unwrap();
    let with_std = model.predict_with_std(fresh.features()).unwrap();
    assert_eq!(with_std.mean, mean);
    assert!(with_std.std.iter().all(|s| s.is_finite() && *s >= 0.0));
    // The mean is the members' mean: the members differ, and the mean lies within them.
    assert!(with_std.std.iter().any(|s| *s > 0.0));
    // A single network refuses a standard deviation.
    let single = Interpolator::fit(
        &data(200, 3, 0.5),
        &FitOptions {
            network: MlpParams {
                max_epochs: 5,
                ..small_network()
            },
            ..Default::default()
        }
        .check()
        .unwrap(),
        &mut |_| {},
    )
    .unwrap()
    .interpolator;
    assert!(matches!(
        single.predict_with_std(fresh.features()),
        Err(Error::NotAnEnsemble)
    ));
}

/// On unseen rows of a noisy synthetic set, ±1.96 calibrated std covers about 95%.
#[test]
fn the_calibrated_spread_covers_about_95_percent_of_unseen_rows() {
    let options = FitOptions {
        ensemble: 8,
        network: small_network(),
        ..Default::default()
    }
    .check()
    .unwrap();
    let model = Interpolator::fit(&data(3000, 4, 1.0), &options, &mut |_| {})
        .unwrap()
        .interpolator;
    let coverage = model.coverage(&data(4000, 5, 1.0)).unwrap();
    println!(
        "coverage {coverage:.4}, std scale {}",
        model.summary().ensemble.as_ref().unwrap().std_scale
    );
    assert!((0.90..=0.99).contains(&coverage), "coverage {coverage}");
}

#[test]
fn lbfgs_and_ensembles_are_byte_identical_whatever_the_thread_count() {
    let d = data(300, 6, 0.5);
    for (solver, ensemble) in [(Solver::Lbfgs, 1), (Solver::Adam, 3), (Solver::Lbfgs, 2)] {
        let bytes: Vec<Vec<u8>> = [1, 2, 3]
            .iter()
            .map(|&threads| {
                let options = FitOptions {
                    ensemble,
                    split: SplitFractions::new(0.6, 0.2, 0.2).unwrap(),
                    network: MlpParams {
                        solver,
                        threads,
                        max_epochs: 30,
                        early_stopping: solver == Solver::Adam,
                        ..small_network()
                    },
                    ..Default::default()
                }
                .check()
                .unwrap();
                let m = Interpolator::fit(&d, &options, &mut |_| {}).unwrap();
                m.interpolator.to_bytes().unwrap()
            })
            .collect();
        assert_eq!(bytes[0], bytes[1], "{solver:?} x{ensemble}: 1 vs 2 threads");
        assert_eq!(bytes[0], bytes[2], "{solver:?} x{ensemble}: 1 vs 3 threads");
    }
}

/// `base` with its first input replaced by `f(row index, value)`.
fn with_first_input(base: &Dataset, f: impl Fn(usize, f64) -> f64) -> Dataset {
    let features: Vec<f64> = (0..base.n_rows())
        .flat_map(|i| {
            let mut row = base.row(i).to_vec();
            row[0] = f(i, row[0]);
            row
        })
        .collect();
    Dataset::new(
        base.feature_names().to_vec(),
        "y".into(),
        features,
        base.targets().to_vec(),
    )
    .unwrap()
}

fn auto_options(budget: f64, threads: usize) -> fivedreg::ValidAutoOptions {
    AutoOptions {
        budget_seconds: budget,
        folds: 3,
        base: FitOptions {
            network: MlpParams {
                threads,
                max_epochs: 60,
                ..Default::default()
            },
            ..Default::default()
        },
    }
    .check()
    .unwrap()
}

#[test]
fn auto_is_byte_identical_for_one_and_two_threads_and_keeps_its_leaderboard() {
    let d = data(240, 7, 0.5);
    let run = |threads| {
        Interpolator::fit_auto(&d, &auto_options(600_000.0, threads), &mut |_| {})
            .unwrap()
            .interpolator
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.to_bytes().unwrap(), two.to_bytes().unwrap());
    let board = one.summary().leaderboard.as_ref().unwrap();
    assert!(board.len() >= 7, "{} candidates", board.len());
    assert!(board.windows(2).all(|w| w[0].cv_r2_mean >= w[1].cv_r2_mean));
    let back = Interpolator::from_bytes(&one.to_bytes().unwrap(), "m").unwrap();
    assert_eq!(
        back.summary().leaderboard.as_ref().unwrap().len(),
        board.len()
    );
    // The winner's fold models make the ensemble; a kernel winner is refitted on every row.
    let expected = match one.members() {
        fivedreg::Members::Networks(_) | fivedreg::Members::Trees(_) => 3,
        fivedreg::Members::Kernels(_) => 1,
    };
    assert_eq!(one.members().len(), expected);
    assert!(board.iter().any(|e| e.config.starts_with("rbf")));
    assert!(board.iter().any(|e| e.config.starts_with("lbfgs")));
    assert!(board.iter().any(|e| e.config.starts_with("adam")));
}

/// Several candidates train at once from two threads on (one lane each here): the
/// candidates that wait for others (the Gaussian kernel with a linear tail for the
/// likelihood search's length scales, the power transforms for the whole base list) and
/// the leaderboard's order among equals are those of one lane, so the file is the same.
#[test]
fn auto_in_lanes_is_byte_identical_to_one_lane_with_its_dependent_candidates() {
    // A skewed first input, so that the best two are tried again with a power transform.
    let d = with_first_input(&data(240, 11, 0.5), |_, x| (4.0 * x).exp());
    let run = |threads| {
        let mut reported = Vec::new();
        let model = Interpolator::fit_auto(&d, &auto_options(600_000.0, threads), &mut |e| {
            reported.push(e.config.clone())
        })
        .unwrap()
        .interpolator;
        (model, reported)
    };
    let (one, mut reported_one) = run(1);
    let (four, mut reported_four) = run(4);
    assert_eq!(one.to_bytes().unwrap(), four.to_bytes().unwrap());
    let board = one.summary().leaderboard.as_ref().unwrap();
    for kind in ["gaussian-process", "gaussian-linear", "yeo-johnson"] {
        assert!(
            board.iter().any(|e| e.config.contains(kind)),
            "{kind}: {board:?}"
        );
    }
    // Every candidate is reported once, in whatever order the lanes finish.
    reported_one.sort();
    reported_four.sort();
    assert_eq!(reported_one, reported_four);
    assert!(reported_one.len() >= board.len() - 1, "{reported_one:?}");
}

#[test]
fn a_tiny_budget_still_gives_a_valid_model_with_a_shorter_leaderboard() {
    let d = data(240, 8, 0.5);
    let model = Interpolator::fit_auto(&d, &auto_options(1e-6, 0), &mut |_| {})
        .unwrap()
        .interpolator;
    let board = model.summary().leaderboard.as_ref().unwrap();
    assert_eq!(board.len(), 1, "only the first candidate runs");
    let back = Interpolator::from_bytes(&model.to_bytes().unwrap(), "m").unwrap();
    assert!(back
        .predict(d.features())
        .unwrap()
        .iter()
        .all(|y| y.is_finite()));
}

#[test]
fn too_few_rows_for_the_folds_is_a_clear_error() {
    let d = data(12, 9, 0.5);
    let options = FitOptions {
        ensemble: 8,
        ..Default::default()
    }
    .check()
    .unwrap();
    match Interpolator::fit(&d, &options, &mut |_| {}) {
        Err(e @ Error::TooFewRowsForFolds { .. }) => {
            assert!(e.to_string().contains("at least 16"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // --auto says it in its own words (it takes no member count), before any candidate.
    // 6 rows leave 4 for training and validation (60/20/20); 3 folds need 6.
    let too_few = data(6, 9, 0.5);
    match Interpolator::fit_auto(&too_few, &auto_options(600.0, 0), &mut |_| {}) {
        Err(e @ Error::TooFewRowsForAuto { rows, folds: 3 }) => {
            assert_eq!(rows, 4, "{e}");
            assert!(e.to_string().contains("at least 6 rows"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// A two-valued column makes the quintic kernel's quadratic tail singular: that candidate
/// drops out, and `--auto` still returns the best of the others.
#[test]
fn a_candidate_the_data_cannot_support_drops_out() {
    let d = with_first_input(
        &data(200, 10, 0.5),
        |i, _| if i % 2 == 0 { 1.0 } else { 2.0 },
    );
    let model = Interpolator::fit_auto(&d, &auto_options(600_000.0, 0), &mut |_| {})
        .unwrap()
        .interpolator;
    let board = model.summary().leaderboard.as_ref().unwrap();
    assert!(
        !board.iter().any(|e| e.config.contains("quintic")),
        "{board:?}"
    );
    assert!(
        board.iter().any(|e| e.config.contains("cubic")),
        "{board:?}"
    );
}

/// Adam members with early stopping stop together: every member keeps the same epoch, and
/// the score that chose it (the pooled held-out R², in the network's scaled units) is the
/// ensemble's held-out R² in the user's units, down to two-row folds and folds whose
/// targets are all equal.
#[test]
fn members_in_step_keep_one_epoch_chosen_by_the_ensembles_held_out_r2() {
    let friedman = data(400, 3, 0.5);
    let tiny = data(16, 4, 0.5);
    // Targets all 10 but three: most of the eight two-row folds hold equal targets (their
    // own R² undefined), the pooled rows do not.
    let mostly_constant = {
        let x = friedman.features()[..16 * 5].to_vec();
        let y: Vec<f64> = (0..16).map(|i| if i < 3 { 11.0 } else { 10.0 }).collect();
        Dataset::new((1..=5).map(|i| format!("x{i}")).collect(), "y".into(), x, y).unwrap()
    };
    for (name, d, k) in [
        ("400 rows", &friedman, 5),
        ("16 rows", &tiny, 8),
        ("mostly constant", &mostly_constant, 8),
    ] {
        let options = FitOptions {
            ensemble: k,
            split: SplitFractions::new(1.0, 0.0, 0.0).unwrap(),
            network: MlpParams {
                patience: 5,
                ..small_network()
            },
            ..Default::default()
        }
        .check()
        .unwrap();
        let model = Interpolator::fit(d, &options, &mut |_| {})
            .unwrap()
            .interpolator;
        let e = model.summary().ensemble.as_ref().unwrap();
        let best = e.members[0].best_epoch;
        assert!(best >= 1, "{name}");
        for m in &e.members {
            assert_eq!(m.best_epoch, best, "{name}: one kept epoch");
            assert_eq!(m.epochs, e.members[0].epochs, "{name}: one stop");
            let pooled = m.best_validation_r2.unwrap();
            assert!(
                (pooled - e.heldout_r2).abs() <= 1e-5 * e.heldout_r2.abs().max(1.0),
                "{name}: pooled {pooled} against the held-out R² {}",
                e.heldout_r2
            );
        }
    }
}
