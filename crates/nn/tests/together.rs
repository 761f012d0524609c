//! Members trained in step and stopped together on their pooled held-out score.

mod common;

use fivedreg_nn::{
    train, train_together, Member, MlpParams, MlpValidParams, Samples, StopReason, Trained,
};

const MEMBERS: usize = 4;
const TOL: f64 = 1e-3;

/// The seed task's 600 training rows cut into `MEMBERS` folds (row `i` in fold `i % MEMBERS`):
/// per member, its training rows and its held-out fold.
fn fold_rows() -> Vec<(common::Part, common::Part)> {
    let task = common::seed_task(1000, 7);
    let n = task.train.y.len();
    (0..MEMBERS)
        .map(|m| {
            let mut train = common::Part {
                x: Vec::new(),
                y: Vec::new(),
            };
            let mut held_out = common::Part {
                x: Vec::new(),
                y: Vec::new(),
            };
            for i in 0..n {
                let part = if i % MEMBERS == m {
                    &mut held_out
                } else {
                    &mut train
                };
                part.x.extend_from_slice(&task.train.x[i * 5..(i + 1) * 5]);
                part.y.push(task.train.y[i]);
            }
            (train, held_out)
        })
        .collect()
}

fn member_params(m: usize, patience: usize) -> MlpValidParams {
    MlpParams {
        hidden_layers: vec![16, 8],
        seed: 100 + m as u64,
        max_epochs: 200,
        patience,
        // Coarse enough that the 200 epochs end by the rule, not by the epoch limit.
        tol: TOL,
        early_stopping: true,
        threads: 1,
        ..MlpParams::default()
    }
    .check()
    .unwrap()
}

fn run(
    rows: &[(common::Part, common::Part)],
    params: &[MlpValidParams],
    threads: usize,
) -> Vec<Trained> {
    let members: Vec<Member<'_>> = rows
        .iter()
        .zip(params)
        .map(|((train, held_out), params)| Member {
            params,
            train: train.samples(),
            rows: None,
            validation: held_out.samples(),
        })
        .collect();
    train_together(&members, threads, &mut |_| {}).unwrap()
}

/// The pooled held-out R² per epoch, rebuilt from each member's own R² and its fold's sums.
fn pooled_curve(rows: &[(common::Part, common::Part)], trained: &[Trained]) -> Vec<f64> {
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|(_, h)| h.y.iter().map(|&y| f64::from(y)))
        .collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let ss_tot: f64 = all.iter().map(|y| (y - mean).powi(2)).sum();
    let epochs = trained[0].history.epochs;
    (0..epochs)
        .map(|e| {
            let ss_res: f64 = rows
                .iter()
                .zip(trained)
                .map(|((_, h), t)| {
                    let m = h.y.iter().map(|&y| f64::from(y)).sum::<f64>() / h.y.len() as f64;
                    let own_tot: f64 = h.y.iter().map(|&y| (f64::from(y) - m).powi(2)).sum();
                    (1.0 - t.history.validation_r2[e]) * own_tot
                })
                .sum();
            1.0 - ss_res / ss_tot
        })
        .collect()
}

#[test]
fn members_stop_together_at_the_best_pooled_epoch_and_keep_its_weights() {
    let rows = fold_rows();
    let patience = 5;
    let params: Vec<MlpValidParams> = (0..MEMBERS).map(|m| member_params(m, patience)).collect();
    let trained = run(&rows, &params, 1);
    let epochs = trained[0].history.epochs;
    let best = trained[0].history.best_epoch;
    for t in &trained {
        assert_eq!(
            t.history.epochs, epochs,
            "every member runs the same epochs"
        );
        assert_eq!(t.history.best_epoch, best, "and keeps the same epoch");
        assert_eq!(t.history.stop_reason, StopReason::NoImprovement);
    }
    // The kept epoch is the pooled curve's first maximum, and the stop comes when
    // scikit-learn's rule (tol, patience) says so: after the last improvement by tol.
    let pooled = pooled_curve(&rows, &trained);
    for t in &trained {
        let kept = t.history.best_validation_r2.unwrap();
        assert!(
            (kept - pooled[best - 1]).abs() < 1e-9,
            "the pooled R² at the kept epoch: {kept} against {}",
            pooled[best - 1]
        );
    }
    let argmax = (0..epochs).fold(0, |b, e| if pooled[e] > pooled[b] { e } else { b });
    assert_eq!(best, argmax + 1);
    let mut reference = fivedreg_nn::EarlyStopping::on_score(TOL, patience);
    let stop = pooled
        .iter()
        .position(|&r2| reference.observe(r2).stop)
        .map(|e| e + 1);
    assert_eq!(stop, Some(epochs));
    // The members' own best epochs differ from the pooled one: stopping together changes
    // something (otherwise this test would not tell the two rules apart).
    let own_best: Vec<usize> = trained
        .iter()
        .map(|t| {
            let r = &t.history.validation_r2;
            (0..r.len()).fold(0, |b, e| if r[e] > r[b] { e } else { b }) + 1
        })
        .collect();
    assert!(
        own_best.iter().any(|&e| e != best),
        "{own_best:?} vs {best}"
    );
    // Each member's weights are those of the same network trained alone for `best` epochs.
    for (m, ((train_rows, held_out), t)) in rows.iter().zip(&trained).enumerate() {
        let alone = MlpParams {
            early_stopping: false,
            max_epochs: best,
            patience: usize::MAX / 2,
            ..params[m].params().clone()
        }
        .check()
        .unwrap();
        let reference = train(
            &alone,
            train_rows.samples(),
            Some(held_out.samples()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(reference.mlp, t.mlp, "member {m}");
    }
}

#[test]
fn the_thread_count_changes_nothing() {
    let rows = fold_rows();
    let params: Vec<MlpValidParams> = (0..MEMBERS).map(|m| member_params(m, 3)).collect();
    let one = run(&rows, &params, 1);
    for threads in [2, 3, 8] {
        let many = run(&rows, &params, threads);
        for (a, b) in one.iter().zip(&many) {
            assert_eq!(a.mlp, b.mlp, "{threads} threads");
            assert_eq!(a.history.validation_r2, b.history.validation_r2);
            assert_eq!(a.history.best_epoch, b.history.best_epoch);
        }
    }
}

#[test]
fn members_that_cannot_stop_together_are_refused() {
    let rows = fold_rows();
    let (train_rows, held_out) = &rows[0];
    let member = |params| Member {
        params,
        train: train_rows.samples(),
        rows: None,
        validation: held_out.samples(),
    };
    let a = member_params(0, 3);
    let other_patience = member_params(1, 4);
    let no_early_stopping = MlpParams {
        early_stopping: false,
        ..a.params().clone()
    }
    .check()
    .unwrap();
    let empty = Samples {
        x: &[],
        y: &[],
        n_features: 5,
    };
    let cases: Vec<(Vec<Member<'_>>, &str)> = vec![
        (vec![], "no members"),
        (
            vec![member(&a), member(&other_patience)],
            "stopping settings",
        ),
        (
            vec![member(&a), member(&no_early_stopping)],
            "early stopping",
        ),
        (
            vec![Member {
                validation: empty,
                ..member(&a)
            }],
            "no held-out rows",
        ),
    ];
    for (members, expected) in cases {
        let error = train_together(&members, 2, &mut |_| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(expected), "{expected}: {error}");
    }
}

#[test]
fn members_named_by_rows_of_shared_data_train_as_on_their_own_copies() {
    // The seed task's 600 training rows shared, member m training on the rows not in fold m
    // (i % MEMBERS != m): the same bits as on the gathered copies of `fold_rows`.
    let task = common::seed_task(1000, 7);
    let rows = fold_rows();
    let params: Vec<MlpValidParams> = (0..MEMBERS).map(|m| member_params(m, 3)).collect();
    let own_copies = run(&rows, &params, 2);
    let n = task.train.y.len();
    let row_lists: Vec<Vec<usize>> = (0..MEMBERS)
        .map(|m| (0..n).filter(|i| i % MEMBERS != m).collect())
        .collect();
    let members: Vec<Member<'_>> = (0..MEMBERS)
        .map(|m| Member {
            params: &params[m],
            train: task.train.samples(),
            rows: Some(&row_lists[m]),
            validation: rows[m].1.samples(),
        })
        .collect();
    let shared = train_together(&members, 2, &mut |_| {}).unwrap();
    for (a, b) in own_copies.iter().zip(&shared) {
        assert_eq!(a.mlp, b.mlp);
        assert_eq!(a.history.validation_r2, b.history.validation_r2);
    }
    // Row lists that name no row, or a row beyond the samples, are refused.
    for (bad, expected) in [(vec![], "no training rows"), (vec![0, n], "beyond")] {
        let member = Member {
            rows: Some(&bad),
            ..members[0]
        };
        let error = train_together(&[member], 1, &mut |_| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(expected), "{expected}: {error}");
    }
}
