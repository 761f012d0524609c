//! Tree models through the library: their calibrated std covers unseen rows as claimed,
//! and `--auto` keeps them in its leaderboard and its blends.

use fivedreg::{FitOptions, Interpolator, Members, TreeOptions};
use fivedreg_data::{generate, TestFunction};

fn tree_options(folds: usize) -> FitOptions {
    FitOptions {
        split: fivedreg_data::SplitFractions::new(0.8, 0.0, 0.2).unwrap(),
        ensemble: folds,
        trees: Some(TreeOptions {
            trees: 400,
            learning_rate: 0.1,
            depth: 5,
            l2: 3.0,
            subsample: 0.8,
        }),
        ..Default::default()
    }
}

/// The ±1.96 std of a tree ensemble (its fold models' spread, calibrated on the held-out
/// folds) covers between 90% and 99% of rows it never saw, on each of three data sets.
#[test]
fn the_tree_ensembles_std_covers_unseen_rows_as_claimed() {
    for (function, noise, seed) in [
        (TestFunction::Friedman1, 1.0, 1),
        (TestFunction::SumOfSquares, 0.3, 2),
        (TestFunction::Friedman1, 0.3, 3),
    ] {
        let train = generate(function, 1500, 5, noise, seed).unwrap();
        let fresh = generate(function, 3000, 5, noise, seed + 100).unwrap();
        let model = Interpolator::fit(&train, &tree_options(5).check().unwrap(), &mut |_| {})
            .unwrap()
            .interpolator;
        assert!(matches!(model.members(), Members::Trees(t) if t.len() == 5));
        let coverage = model.coverage(&fresh).unwrap();
        assert!(
            (0.90..=0.99).contains(&coverage),
            "{function:?} noise {noise}: {coverage}"
        );
        // The fold models were cut to the number of trees the folds chose.
        let Members::Trees(t) = model.members() else {
            unreachable!()
        };
        assert!(t
            .iter()
            .all(|m| m.n_trees() == t[0].n_trees() && m.n_trees() <= 400));
    }
}

/// A step function, which trees fit and smooth models fit less well: `--auto`'s winner
/// draws on a tree candidate (alone or in a blend with other families).
#[test]
fn auto_keeps_trees_where_they_win() {
    let base = generate(TestFunction::SumOfSquares, 400, 3, 0.0, 9).unwrap();
    let rows: Vec<f64> = base.features().to_vec();
    let targets: Vec<f64> = rows
        .chunks(3)
        .map(|r| (r[0] * 4.0).floor() + if r[1] > 0.5 { 3.0 } else { 0.0 })
        .collect();
    let data = fivedreg_data::Dataset::new(
        vec!["a".into(), "b".into(), "c".into()],
        "y".into(),
        rows,
        targets,
    )
    .unwrap();
    let options = fivedreg::AutoOptions {
        budget_seconds: 30.0,
        folds: 3,
        ..Default::default()
    }
    .check()
    .unwrap();
    let model = Interpolator::fit_auto(&data, &options, &mut |_| {})
        .unwrap()
        .interpolator;
    let board = model.summary().leaderboard.as_ref().unwrap();
    assert!(board[0].config.contains("trees"), "{board:?}");
    let back = Interpolator::from_bytes(&model.to_bytes().unwrap(), "m").unwrap();
    assert_eq!(
        back.predict(data.features()).unwrap(),
        model.predict(data.features()).unwrap()
    );
}
