//! Parity with scikit-learn 1.5.1's MLPRegressor, against the fixture written by
//! `scripts/gen_nn_parity.py` (scikit-learn computes in f64, fivedreg in f32).

use fivedreg_nn::{train_from, EarlyStopping, Mlp, MlpParams, Samples, StopReason};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    adam: AdamCase,
    early_stopping: EarlyCase,
    rule_score: Vec<RuleCase>,
    rule_loss: Vec<RuleCase>,
}

#[derive(Deserialize)]
struct AdamCase {
    sizes: Vec<usize>,
    alpha: f64,
    learning_rate: f64,
    batch_size: usize,
    epochs: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    init_w: Vec<Vec<f32>>,
    init_b: Vec<Vec<f32>>,
    final_w: Vec<Vec<f64>>,
    final_b: Vec<Vec<f64>>,
    loss_curve: Vec<f64>,
}

#[derive(Deserialize)]
struct EarlyCase {
    sizes: Vec<usize>,
    alpha: f64,
    learning_rate: f64,
    batch_size: usize,
    patience: usize,
    tol: f64,
    max_epochs: usize,
    x_train: Vec<f32>,
    y_train: Vec<f32>,
    x_val: Vec<f32>,
    y_val: Vec<f32>,
    init_w: Vec<Vec<f32>>,
    init_b: Vec<Vec<f32>>,
    final_w: Vec<Vec<f64>>,
    final_b: Vec<Vec<f64>>,
    loss_curve: Vec<f64>,
    validation_scores: Vec<f64>,
    epochs: usize,
    best_epoch: usize,
}

#[derive(Deserialize)]
struct RuleCase {
    values: Vec<f64>,
    tol: f64,
    patience: usize,
    counts: Vec<usize>,
    bests: Vec<f64>,
    stop_at: Option<usize>,
}

fn fixture() -> Fixture {
    let text = include_str!("fixtures/sklearn_parity.json");
    serde_json::from_str(text).unwrap()
}

fn max_abs_diff(mlp: &Mlp, w: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let mut worst = 0.0f64;
    for l in 0..mlp.n_layers() {
        for (&got, &want) in mlp
            .weights(l)
            .iter()
            .zip(&w[l])
            .chain(mlp.biases(l).iter().zip(&b[l]))
        {
            worst = worst.max((got as f64 - want).abs());
        }
        assert_eq!(mlp.weights(l).len(), w[l].len());
        assert_eq!(mlp.biases(l).len(), b[l].len());
    }
    worst
}

#[test]
fn adam_steps_match_sklearn_weights_and_losses() {
    let case = fixture().adam;
    let initial = Mlp::from_parts(case.sizes.clone(), case.init_w, case.init_b).unwrap();
    let params = MlpParams {
        hidden_layers: case.sizes[1..case.sizes.len() - 1].to_vec(),
        learning_rate: case.learning_rate,
        alpha: case.alpha,
        batch_size: Some(case.batch_size),
        max_epochs: case.epochs,
        early_stopping: false,
        shuffle: false,
        patience: 1000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let n_features = case.sizes[0];
    let samples = Samples {
        x: &case.x,
        y: &case.y,
        n_features,
    };
    let trained = train_from(&params, initial.clone(), samples, None, &mut |_| {}).unwrap();
    assert_eq!(trained.history.epochs, case.epochs);
    assert_eq!(trained.history.stop_reason, StopReason::MaxEpochs);
    for (got, want) in trained.history.train_loss.iter().zip(&case.loss_curve) {
        assert!(
            (got - want).abs() <= 1e-5 * want.abs(),
            "loss {got} vs sklearn {want}"
        );
    }
    let moved = max_abs_diff(&initial, &case.final_w, &case.final_b);
    let diff = max_abs_diff(&trained.mlp, &case.final_w, &case.final_b);
    println!("weights moved up to {moved:e}; differ from sklearn by at most {diff:e}");
    assert!(moved > 0.01, "the case must move the weights");
    // 12 Adam steps in f32: a few units of f32 rounding on weights of order 1.
    assert!(
        diff <= 2e-6,
        "weights differ from scikit-learn's by {diff:e}"
    );
}

#[test]
fn early_stopping_matches_sklearn_epochs_scores_and_kept_weights() {
    let case = fixture().early_stopping;
    let initial = Mlp::from_parts(case.sizes.clone(), case.init_w, case.init_b).unwrap();
    let params = MlpParams {
        hidden_layers: case.sizes[1..case.sizes.len() - 1].to_vec(),
        learning_rate: case.learning_rate,
        alpha: case.alpha,
        batch_size: Some(case.batch_size),
        max_epochs: case.max_epochs,
        early_stopping: true,
        shuffle: false,
        patience: case.patience,
        tol: case.tol,
        ..Default::default()
    }
    .check()
    .unwrap();
    let n_features = case.sizes[0];
    let train = Samples {
        x: &case.x_train,
        y: &case.y_train,
        n_features,
    };
    let val = Samples {
        x: &case.x_val,
        y: &case.y_val,
        n_features,
    };
    let trained = train_from(&params, initial, train, Some(val), &mut |_| {}).unwrap();
    let h = &trained.history;
    assert_eq!(h.epochs, case.epochs, "epochs run");
    assert_eq!(h.best_epoch, case.best_epoch, "best epoch");
    assert_eq!(h.stop_reason, StopReason::NoImprovement);
    let mut worst_score = 0.0f64;
    for (got, want) in h.validation_r2.iter().zip(&case.validation_scores) {
        worst_score = worst_score.max((got - want).abs());
    }
    let mut worst_loss = 0.0f64;
    for (got, want) in h.train_loss.iter().zip(&case.loss_curve) {
        worst_loss = worst_loss.max((got - want).abs() / want.abs());
    }
    let diff = max_abs_diff(&trained.mlp, &case.final_w, &case.final_b);
    println!("validation R² off by {worst_score:e}, loss by {worst_loss:e} (relative), kept weights by {diff:e}");
    assert!(
        worst_score <= 1e-5,
        "validation scores differ by {worst_score:e}"
    );
    assert!(worst_loss <= 1e-5, "losses differ by {worst_loss:e}");
    assert!(diff <= 1e-4, "kept weights differ by {diff:e}");
    let best = h.best_validation_r2.unwrap();
    assert_eq!(best, h.validation_r2[h.best_epoch - 1]);
    assert!((best - case.validation_scores[case.best_epoch - 1]).abs() <= 1e-5);
}

fn check_rule(case: &RuleCase, mut rule: EarlyStopping) {
    let mut stop_at = None;
    for (i, &v) in case.values.iter().enumerate() {
        let obs = rule.observe(v);
        assert_eq!(
            rule.count(),
            case.counts[i],
            "count after value {} of {:?}",
            i + 1,
            case.values
        );
        assert_eq!(rule.best(), case.bests[i], "best after value {}", i + 1);
        if obs.stop {
            stop_at = Some(i + 1);
            break;
        }
    }
    assert_eq!(stop_at, case.stop_at, "stopping epoch of {:?}", case.values);
}

#[test]
fn stopping_rule_counts_like_sklearn_on_scores() {
    for case in &fixture().rule_score {
        check_rule(case, EarlyStopping::on_score(case.tol, case.patience));
    }
}

#[test]
fn stopping_rule_counts_like_sklearn_on_losses() {
    for case in &fixture().rule_loss {
        check_rule(case, EarlyStopping::on_loss(case.tol, case.patience));
    }
}
