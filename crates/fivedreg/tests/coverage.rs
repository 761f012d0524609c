//! `--std` covers between 90% and 99% of unseen rows for every model kind `--auto` can keep:
//! kernel models (one width from the held-out errors) and blends (the main model's std times
//! the blend's ratio), as the ensembles' and the trees' coverage is tested elsewhere.

use fivedreg::{AutoOptions, FitOptions, Interpolator, KernelOptions, Members, RbfKernel};
use fivedreg_data::{generate, SplitFractions, TestFunction};

#[test]
fn a_kernel_models_std_covers_unseen_rows_as_claimed() {
    for (function, noise, seed) in [
        (TestFunction::Friedman1, 1.0, 1),
        (TestFunction::SumOfSquares, 0.3, 2),
    ] {
        let train = generate(function, 1200, 5, noise, seed).unwrap();
        let fresh = generate(function, 3000, 5, noise, seed + 100).unwrap();
        let options = FitOptions {
            split: SplitFractions::new(1.0, 0.0, 0.0).unwrap(),
            ensemble: 5,
            kernel: Some(KernelOptions {
                kernel: RbfKernel::Cubic,
                smoothing: 1.0,
            }),
            ..Default::default()
        };
        let model = Interpolator::fit(&train, &options.check().unwrap(), &mut |_| {})
            .unwrap()
            .interpolator;
        assert!(matches!(model.members(), Members::Kernels(_)));
        let coverage = model.coverage(&fresh).unwrap();
        assert!(
            (0.90..=0.99).contains(&coverage),
            "{function:?} noise {noise}: {coverage}"
        );
    }
}

/// The first of a few noisy sets on which `--auto` keeps a blend (on smooth ones a single
/// kernel model wins alone): its std covers unseen rows as claimed.
#[test]
fn an_auto_blends_std_covers_unseen_rows_as_claimed() {
    let options = AutoOptions {
        budget_seconds: 3.0,
        folds: 5,
        base: FitOptions {
            split: SplitFractions::new(1.0, 0.0, 0.0).unwrap(),
            ..Default::default()
        },
    }
    .check()
    .unwrap();
    let cases = [
        (TestFunction::Friedman1, 3.0, 6),
        (TestFunction::SumOfSquares, 2.0, 7),
        (TestFunction::Friedman1, 2.0, 8),
        (TestFunction::SumOfSquares, 1.0, 9),
    ];
    let (model, fresh) = cases
        .iter()
        .find_map(|&(function, noise, seed)| {
            let train = generate(function, 400, 5, noise, seed).unwrap();
            let model = Interpolator::fit_auto(&train, &options, &mut |_| {})
                .unwrap()
                .interpolator;
            let fresh = generate(function, 3000, 5, noise, seed + 100).unwrap();
            model.blend().is_some().then_some((model, fresh))
        })
        .expect("a blend on one of the noisy sets");
    let coverage = model.coverage(&fresh).unwrap();
    assert!((0.90..=0.99).contains(&coverage), "{coverage}");
}
