//! Parity with scikit-learn's `r2_score`, `mean_squared_error`, `root_mean_squared_error`,
//! `mean_absolute_error` and `max_error` on the fixed vectors of
//! `fixtures/sklearn_metrics.json`, written by `scripts/gen_metrics_fixture.py`.
//!
//! One deliberate difference: the R² of a constant target is undefined (NaN) here, where
//! scikit-learn's default (`force_finite=True`) writes 0 or 1 in the fixture.

use fivedreg_metrics::{mae, max_error, mse, r2, rmse, Report};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Equal to 1e-12 relative (absolute near zero).
fn assert_close(case: &str, metric: &str, ours: f64, theirs: f64) {
    let tol = 1e-12 * theirs.abs().max(f64::MIN_POSITIVE);
    assert!(
        (ours - theirs).abs() <= tol.max(1e-300),
        "{case}: {metric} = {ours:e}, scikit-learn {theirs:e}"
    );
}

#[test]
fn metrics_match_scikit_learn() {
    let text = include_str!("fixtures/sklearn_metrics.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 8, "fixture has {} cases", cases.len());
    let mut saw_constant = false;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let truth = floats(&case["truth"]);
        let predicted = floats(&case["predicted"]);
        let report = Report::compute(&truth, &predicted).unwrap();
        assert_eq!(report.n, truth.len());
        let constant = truth.iter().all(|&t| t == truth[0]);
        for (metric, ours, single) in [
            ("r2", report.r2, r2(&truth, &predicted).unwrap()),
            ("mse", report.mse, mse(&truth, &predicted).unwrap()),
            ("rmse", report.rmse, rmse(&truth, &predicted).unwrap()),
            ("mae", report.mae, mae(&truth, &predicted).unwrap()),
            (
                "max_error",
                report.max_error,
                max_error(&truth, &predicted).unwrap(),
            ),
        ] {
            let theirs = case[metric].as_f64().unwrap();
            if metric == "r2" && constant {
                assert!(ours.is_nan() && single.is_nan(), "{name}: R² {ours}");
                continue;
            }
            assert_close(name, metric, ours, theirs);
            assert_close(name, metric, single, theirs);
        }
        saw_constant |= constant;
    }
    assert!(saw_constant, "the fixture must include a constant target");
}
