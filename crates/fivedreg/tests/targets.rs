//! Targets at any scale (issue #13): a constant target is predicted exactly with an
//! undefined R², targets from subnormal numbers to 1e300 train like unit-scale ones, and the
//! stored training history stays small however many epochs run.

use fivedreg::{FitOptions, Interpolator, MlpParams, MAX_CURVE_POINTS};
use fivedreg_data::{generate, Dataset, TestFunction};

/// The seed task on 3 inputs, 1500 rows, with y mapped through `f`.
fn task(seed: u64, f: impl Fn(f64) -> f64) -> Dataset {
    let data = generate(TestFunction::SumOfSquares, 1500, 3, 0.0, seed).unwrap();
    let targets = data.targets().iter().map(|&y| f(y)).collect();
    Dataset::new(
        data.feature_names().to_vec(),
        "y".into(),
        data.features().to_vec(),
        targets,
    )
    .unwrap()
}

fn options(max_epochs: usize) -> FitOptions {
    FitOptions {
        network: MlpParams {
            hidden_layers: vec![32, 16],
            max_epochs,
            seed: 5,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn fit(data: &Dataset, options: FitOptions) -> Interpolator {
    Interpolator::fit(data, &options.check().unwrap(), &mut |_| {})
        .unwrap()
        .interpolator
}

#[test]
fn a_constant_target_is_predicted_exactly_and_its_r2_is_undefined() {
    for (value, scale) in [(3.0, true), (0.1, true), (-2.5e-7, false), (1e300, true)] {
        let data = task(1, |_| value);
        let mut options = options(30);
        options.scale_target = scale;
        let model = fit(&data, options);
        let fresh = task(2, |y| y);
        let predicted = model.predict(fresh.features()).unwrap();
        assert!(
            predicted.iter().all(|&p| p == value),
            "{value}: {:?}",
            &predicted[..3]
        );
        assert_eq!(model.predict_point(&[40.0, -3.0, 1e6]).unwrap(), value);
        let summary = model.summary();
        let test = summary.test_metrics.unwrap();
        assert!(test.r2.is_nan(), "{value}: R² {}", test.r2);
        assert_eq!((test.mse, test.max_error), (0.0, 0.0));
        assert!(summary.history.best_validation_r2.unwrap().is_nan());
        assert!(summary.history.validation_r2.iter().all(|r| r.is_nan()));
        // And so it stays through the model file.
        let back = Interpolator::from_bytes(&model.to_bytes().unwrap(), "m").unwrap();
        assert_eq!(back.predict_point(&[0.5, 0.5, 0.5]).unwrap(), value);
    }
}

/// y·factor trains to the same fit as y: the model's R² on fresh data is high, and its
/// predictions are the unit model's times the factor.
#[test]
fn targets_train_at_any_scale() {
    let unit = fit(&task(3, |y| y), options(80));
    let fresh = task(4, |y| y);
    let unit_predicted = unit.predict(fresh.features()).unwrap();
    let unit_r2 = fivedreg_metrics::r2(fresh.targets(), &unit_predicted).unwrap();
    assert!(unit_r2 > 0.9, "unit R² {unit_r2}");
    for factor in [1e-300, 1e-20, 1e-310, 1e155, 1e300] {
        let model = fit(&task(3, |y| y * factor), options(80));
        let truth: Vec<f64> = fresh.targets().iter().map(|y| y * factor).collect();
        let predicted = model.predict(fresh.features()).unwrap();
        let r2 = fivedreg_metrics::r2(&truth, &predicted).unwrap();
        assert!(
            (r2 - unit_r2).abs() < 1e-3,
            "x {factor}: R² {r2} vs {unit_r2}"
        );
        let test = model.summary().test_metrics.unwrap();
        assert!(test.r2 > 0.9, "x {factor}: test R² {}", test.r2);
        for (p, u) in predicted.iter().zip(&unit_predicted).take(20) {
            let relative = (p / factor - u).abs() / u.abs().max(1.0);
            assert!(relative < 1e-3, "x {factor}: {p} vs {u}");
        }
    }
}

#[test]
fn the_stored_history_is_thinned_beyond_its_limit() {
    let data = generate(TestFunction::SumOfSquares, 40, 1, 0.0, 6).unwrap();
    let epochs = 3 * MAX_CURVE_POINTS + 5;
    let options = FitOptions {
        network: MlpParams {
            hidden_layers: vec![2],
            max_epochs: epochs,
            early_stopping: false,
            patience: usize::MAX / 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let fitted = Interpolator::fit(&data, &options.check().unwrap(), &mut |_| {}).unwrap();
    let history = &fitted.interpolator.summary().history;
    assert_eq!(history.epochs, epochs);
    assert!(history.train_loss.len() <= MAX_CURVE_POINTS);
    assert!(history.train_loss.len() >= MAX_CURVE_POINTS / 2);
    // Every k-th epoch's value and the last, at f32 precision.
    let full = &fitted.history.train_loss;
    let k = full.len().div_ceil(MAX_CURVE_POINTS - 1);
    for (i, &loss) in history
        .train_loss
        .iter()
        .enumerate()
        .take(MAX_CURVE_POINTS - 1)
    {
        if i * k < full.len() && i + 1 < history.train_loss.len() {
            assert_eq!(loss, full[i * k] as f32 as f64);
        }
    }
    assert_eq!(
        *history.train_loss.last().unwrap(),
        *full.last().unwrap() as f32 as f64
    );
    // Two curves (training loss, validation R²) of at most MAX_CURVE_POINTS f32 values, and
    // a few hundred bytes for the rest.
    let bytes = fitted.interpolator.to_bytes().unwrap();
    assert!(
        bytes.len() < 2 * 4 * MAX_CURVE_POINTS + 1024,
        "{} bytes",
        bytes.len()
    );
    let back = Interpolator::from_bytes(&bytes, "m").unwrap();
    assert_eq!(back, fitted.interpolator);
}

/// The largest L2 penalty accepted trains (the weights shrink) rather than overflowing.
#[test]
fn the_largest_alpha_trains() {
    let mut options = options(20);
    options.network.alpha = fivedreg_nn::MAX_ALPHA;
    let model = fit(&task(7, |y| y), options);
    assert!(model.predict_point(&[0.1, 0.2, 0.3]).unwrap().is_finite());
    let mut options = self::options(20);
    options.network.alpha = fivedreg_nn::MAX_ALPHA * 2.0;
    assert!(options.check().is_err());
}
