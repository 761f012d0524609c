//! L-BFGS against scikit-learn 1.5.1's `MLPRegressor(solver="lbfgs")`, from the same initial
//! weights on the same data (fixture written by `scripts/gen_lbfgs_parity.py`). On the linear
//! network the loss is convex, so both must end at the same minimum: the final training loss
//! — the objective both minimise — within 1% of scikit-learn's either way. On the one-layer
//! networks the loss has many minima and the two line searches take different paths: the
//! final loss must be no more than 1% above scikit-learn's.

use fivedreg_nn::{train_from, Mlp, MlpParams, Samples, Solver, StopReason};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    sizes: Vec<usize>,
    alpha: f64,
    max_iter: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    init_w: Vec<Vec<f64>>,
    init_b: Vec<Vec<f64>>,
    final_loss: f64,
    n_iter: usize,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

#[test]
fn lbfgs_reaches_sklearns_final_loss() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/sklearn_lbfgs.json")).unwrap();
    for case in &fixture.cases {
        let initial = Mlp::from_parts(
            case.sizes.clone(),
            case.init_w.iter().map(|w| narrow(w)).collect(),
            case.init_b.iter().map(|b| narrow(b)).collect(),
        )
        .unwrap();
        let params = MlpParams {
            solver: Solver::Lbfgs,
            hidden_layers: case.sizes[1..case.sizes.len() - 1].to_vec(),
            alpha: case.alpha,
            max_epochs: case.max_iter,
            ..Default::default()
        }
        .check()
        .unwrap();
        let (x, y) = (narrow(&case.x), narrow(&case.y));
        let samples = Samples {
            x: &x,
            y: &y,
            n_features: case.sizes[0],
        };
        let trained = train_from(&params, initial, samples, None, &mut |_| {}).unwrap();
        let (loss, _) = trained.mlp.loss_and_gradient(samples, case.alpha).unwrap();
        let h = &trained.history;
        println!(
            "sizes {:?} alpha {}: fivedreg loss {loss:.6} after {} iterations ({:?}), \
             scikit-learn {:.6} after {}",
            case.sizes, case.alpha, h.epochs, h.stop_reason, case.final_loss, case.n_iter
        );
        assert_eq!(h.train_loss.len(), h.epochs);
        assert!(h.epochs <= params.params().max_epochs);
        assert!(matches!(
            h.stop_reason,
            StopReason::MaxEpochs | StopReason::Converged
        ));
        // The loss the history reports is the loss of the kept weights.
        let last = *h.train_loss.last().unwrap();
        assert!(
            (last - loss).abs() <= 1e-5 * loss.max(1e-3),
            "{last} vs {loss}"
        );
        let relative = (loss - case.final_loss) / case.final_loss;
        let convex = case.sizes.len() == 2;
        assert!(
            relative <= 0.01 && (!convex || relative >= -0.01),
            "final loss {loss} is {:+.2}% off scikit-learn's {}",
            100.0 * relative,
            case.final_loss
        );
    }
}
