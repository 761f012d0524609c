//! Parity with scikit-learn: `StandardScaler` (statistics and transform) and
//! `make_friedman1` (the Friedman #1 formula), on `fixtures/sklearn_data.json`, written
//! by `scripts/gen_data_fixture.py`.

use fivedreg_data::{StandardScaler, TestFunction};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Equal to `rel` relative; values near zero compare absolutely against `rel` times the
/// largest magnitude of their group (`scale`).
fn assert_close(what: &str, ours: &[f64], theirs: &[f64], rel: f64, scale: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= rel * b.abs().max(scale),
            "{what}[{i}]: {a:e} vs scikit-learn {b:e}"
        );
    }
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/sklearn_data.json")).unwrap()
}

#[test]
fn standard_scaler_matches_scikit_learn() {
    let doc = fixture();
    let cases = doc["standard_scaler"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let d = case["n_columns"].as_u64().unwrap() as usize;
        let values = floats(&case["values"]);
        let scaler = StandardScaler::fit(&values, d).unwrap();
        assert_close(
            &format!("{name} mean"),
            scaler.mean(),
            &floats(&case["mean"]),
            1e-12,
            0.0,
        );
        assert_close(
            &format!("{name} scale"),
            scaler.scale(),
            &floats(&case["scale"]),
            1e-12,
            0.0,
        );
        // Standardized values are O(1): 1e-12 absolute at that scale.
        assert_close(
            &format!("{name} transformed"),
            &scaler.transform(&values).unwrap(),
            &floats(&case["transformed"]),
            1e-12,
            1.0,
        );
    }
}

#[test]
fn friedman1_matches_make_friedman1() {
    let doc = fixture();
    let f = &doc["friedman1"];
    let d = f["n_inputs"].as_u64().unwrap() as usize;
    let x = floats(&f["x"]);
    let y = floats(&f["y"]);
    assert_eq!(x.len(), y.len() * d);
    let ours: Vec<f64> = x
        .chunks_exact(d)
        .map(|row| TestFunction::Friedman1.evaluate(row))
        .collect();
    assert_close("friedman1", &ours, &y, 1e-13, 1.0);
}
