//! Synthetic generators: names, input counts, known values, shapes, determinism, domains.

use fivedreg_data::{
    generate, read_csv, CsvOptions, DataError, Generator, TestFunction, MAX_INPUTS, MAX_NOISE,
};
use std::f64::consts::PI;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn names_parse_back_and_unknown_names_list_the_valid_ones() {
    for f in TestFunction::ALL {
        assert_eq!(f.name().parse::<TestFunction>().unwrap(), f);
        assert_eq!(f.to_string(), f.name());
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, format!("\"{}\"", f.name()));
        f.check_inputs(f.default_inputs()).unwrap();
    }
    assert_eq!(
        "SUM-of-squares".parse::<TestFunction>().unwrap(),
        TestFunction::SumOfSquares
    );
    let e = "sphere".parse::<TestFunction>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown test function \"sphere\"; valid names: sum-of-squares, friedman1, ishigami, rosenbrock, styblinski-tang, borehole"
    );
}

#[test]
fn invalid_input_counts_are_refused() {
    let cases = [
        (TestFunction::SumOfSquares, 0, "at least 1"),
        (TestFunction::Friedman1, 4, "at least 5"),
        (TestFunction::Ishigami, 5, "exactly 3"),
        (TestFunction::Rosenbrock, 1, "at least 2"),
        (TestFunction::StyblinskiTang, 0, "at least 1"),
        (TestFunction::Borehole, 5, "exactly 8"),
    ];
    for (f, n, expected) in cases {
        let e = generate(f, 10, n, 0.0, 1).unwrap_err();
        assert!(matches!(e, DataError::InvalidInputCount { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "test function {} takes {expected} inputs, not {n}",
                f.name()
            )
        );
    }
    assert_eq!(
        generate(TestFunction::SumOfSquares, 0, 5, 0.1, 1)
            .unwrap_err()
            .to_string(),
        "generator: at least one sample is needed"
    );
    assert_eq!(
        generate(TestFunction::SumOfSquares, usize::MAX / 2, 5, 0.1, 1)
            .unwrap_err()
            .to_string(),
        format!(
            "generator: {} samples of 5 inputs do not fit in memory",
            usize::MAX / 2
        )
    );
    assert!(generate(TestFunction::SumOfSquares, usize::MAX / 8, 1, 0.1, 1).is_err());
    for noise in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(generate(TestFunction::SumOfSquares, 10, 5, noise, 1).is_err());
    }
}

#[test]
fn known_values() {
    use TestFunction::*;
    assert_eq!(SumOfSquares.evaluate(&[1.0, 2.0, 3.0, 4.0, 5.0]), 55.0);
    assert!(close(
        Friedman1.evaluate(&[0.5; 5]),
        10.0 * (PI / 4.0).sin() + 7.5,
        1e-14
    ));
    // Extra Friedman inputs are irrelevant.
    assert_eq!(
        Friedman1.evaluate(&[0.5; 5]),
        Friedman1.evaluate(&[0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.1])
    );
    assert!(close(
        Friedman1.evaluate(&[1.0, 0.5, 0.0, 1.0, 0.0]),
        10.0 + 5.0 + 10.0,
        1e-14
    ));
    assert!(close(
        Ishigami.evaluate(&[PI / 2.0, PI / 2.0, 1.0]),
        8.1,
        1e-14
    ));
    assert_eq!(Ishigami.evaluate(&[0.0, 0.0, 0.0]), 0.0);
    assert!(close(
        Ishigami.evaluate(&[PI / 2.0, 0.0, 2.0]),
        1.0 + 1.6,
        1e-14
    ));
    assert_eq!(Rosenbrock.evaluate(&[1.0; 5]), 0.0);
    assert_eq!(Rosenbrock.evaluate(&[0.0; 5]), 4.0);
    assert_eq!(Rosenbrock.evaluate(&[1.0, 2.0]), 100.0);
    assert_eq!(StyblinskiTang.evaluate(&[1.0, 1.0]), -10.0);
    // The global minimum, -39.16617 per dimension at x = -2.903534.
    assert!(close(
        StyblinskiTang.evaluate(&[-2.903534; 4]),
        4.0 * -39.1661657037714,
        1e-12
    ));
    // Mid-range Borehole point; value computed independently with Python's math module.
    let mid = [0.1, 25050.0, 89335.0, 1050.0, 89.55, 760.0, 1400.0, 10950.0];
    assert!(close(Borehole.evaluate(&mid), 70.87291263681897, 1e-12));
}

#[test]
fn shapes_names_domains_and_noiseless_values() {
    for f in TestFunction::ALL {
        let d = f.default_inputs();
        let data = generate(f, 300, d, 0.0, 3).unwrap();
        assert_eq!(data.n_rows(), 300);
        assert_eq!(data.n_features(), d);
        let expected: Vec<String> = (1..=d).map(|i| format!("x{i}")).collect();
        assert_eq!(data.feature_names(), expected);
        assert_eq!(data.target_name(), "y");
        for i in 0..300 {
            let x = data.row(i);
            assert_eq!(data.targets()[i], f.evaluate(x), "{f}");
            let in_domain = match f {
                TestFunction::SumOfSquares => x.iter().all(|v| v.abs() < 7.0),
                TestFunction::Friedman1 => x.iter().all(|v| (0.0..1.0).contains(v)),
                TestFunction::Ishigami => x.iter().all(|v| (-PI..PI).contains(v)),
                TestFunction::Rosenbrock => x.iter().all(|v| (-2.048..2.048).contains(v)),
                TestFunction::StyblinskiTang => x.iter().all(|v| (-5.0..5.0).contains(v)),
                TestFunction::Borehole => {
                    (0.05..0.15).contains(&x[0])
                        && (100.0..50000.0).contains(&x[1])
                        && (9855.0..12045.0).contains(&x[7])
                }
            };
            assert!(in_domain, "{f}: {x:?}");
        }
    }
    // Configurable input counts.
    assert_eq!(
        generate(TestFunction::Rosenbrock, 5, 9, 0.0, 1)
            .unwrap()
            .n_features(),
        9
    );
    assert_eq!(
        generate(TestFunction::Friedman1, 5, 10, 0.0, 1)
            .unwrap()
            .n_features(),
        10
    );
}

#[test]
fn seeded_and_deterministic() {
    for f in TestFunction::ALL {
        let d = f.default_inputs();
        let a = generate(f, 50, d, 0.1, 42).unwrap();
        assert_eq!(a, generate(f, 50, d, 0.1, 42).unwrap());
        assert_ne!(a, generate(f, 50, d, 0.1, 43).unwrap());
        // A smaller sample is a prefix of a larger one with the same seed.
        let b = generate(f, 80, d, 0.1, 42).unwrap();
        assert_eq!(a, b.select(&(0..50).collect::<Vec<_>>()));
    }
}

#[test]
fn seed_task_matches_the_reference_distribution() {
    // Reference: X ~ N(0,1)^5, y = sum(x^2) + N(0, 0.1^2).
    let n = 40_000;
    let data = generate(TestFunction::SumOfSquares, n, 5, 0.1, 7).unwrap();
    let x = data.features();
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / x.len() as f64;
    // 200k draws: se of the mean 0.0022, of the variance 0.0032.
    assert!(mean.abs() < 0.015, "{mean}");
    assert!((var - 1.0).abs() < 0.02, "{var}");
    // y has mean 5 (chi-squared with 5 degrees of freedom; se 0.016).
    let y_mean = data.targets().iter().sum::<f64>() / n as f64;
    assert!((y_mean - 5.0).abs() < 0.1, "{y_mean}");
    // The noise has sd 0.1.
    let resid: Vec<f64> = (0..n)
        .map(|i| data.targets()[i] - TestFunction::SumOfSquares.evaluate(data.row(i)))
        .collect();
    let r_mean = resid.iter().sum::<f64>() / n as f64;
    let r_sd = (resid
        .iter()
        .map(|r| (r - r_mean) * (r - r_mean))
        .sum::<f64>()
        / n as f64)
        .sqrt();
    assert!(r_mean.abs() < 0.003, "{r_mean}");
    assert!((r_sd - 0.1).abs() < 0.003, "{r_sd}");
}

#[test]
fn pinned_first_rows_for_seed_42() {
    // Pinned so that a change of the random stream, of the uniform mapping or of the
    // normal sampler is noticed: the same seed must give the same data everywhere.
    let row = |f: TestFunction| generate(f, 1, f.default_inputs(), 0.0, 42).unwrap();
    let check = |f: TestFunction, expected: &[f64]| {
        let got = row(f);
        for (g, e) in got.features().iter().zip(expected) {
            assert!(
                close(*g, *e, 1e-15),
                "{f}: {:?} vs {expected:?}",
                got.features()
            );
        }
    };
    check(TestFunction::SumOfSquares, &PINNED_NORMAL);
    check(TestFunction::Friedman1, &PINNED_UNIFORM);
}

const PINNED_NORMAL: [f64; 5] = [
    -0.4516282364694901,
    -0.9632313609364687,
    -0.006918009300419063,
    -0.21241046907347616,
    0.5236443304081884,
];
const PINNED_UNIFORM: [f64; 5] = [
    0.3482544685480763,
    0.28569857126296205,
    0.4934724642416646,
    0.36789229013703184,
    0.8256781719597052,
];

/// The streamed writer gives the bytes of the collected sample's CSV.
#[test]
fn streamed_csv_is_the_collected_samples_csv() {
    for function in TestFunction::ALL {
        let d = function.default_inputs();
        let data = generate(function, 257, d, 0.5, 11).unwrap();
        let mut collected = Vec::new();
        fivedreg_data::write_csv(&data, &mut collected).unwrap();
        let mut streamed = Vec::new();
        let generator = Generator::new(function, 257, d, 0.5, 11).unwrap();
        assert_eq!(generator.remaining(), 257);
        generator.write_csv(&mut streamed).unwrap();
        assert_eq!(streamed, collected, "{function}");
    }
}

/// Every file `generate` writes reads back: no infinite target at the largest noise, no
/// more columns than the reader takes.
#[test]
fn generated_files_read_back_at_the_limits() {
    for function in TestFunction::ALL {
        let d = function.default_inputs();
        let data = generate(function, 2000, d, MAX_NOISE, 3).unwrap();
        assert!(data.targets().iter().all(|y| y.is_finite()), "{function}");
        let mut text = Vec::new();
        fivedreg_data::write_csv(&data, &mut text).unwrap();
        let (back, _) = read_csv(&text[..], "g.csv", &CsvOptions::default()).unwrap();
        assert_eq!(back.targets(), data.targets());
    }
    let wide = generate(TestFunction::SumOfSquares, 3, MAX_INPUTS, 1.0, 3).unwrap();
    let mut text = Vec::new();
    fivedreg_data::write_csv(&wide, &mut text).unwrap();
    read_csv(&text[..], "wide.csv", &CsvOptions::default()).unwrap();
}

#[test]
fn arguments_beyond_the_limits_are_refused() {
    for noise in [MAX_NOISE * 1.5, f64::INFINITY, f64::NAN, -1.0] {
        let e = generate(TestFunction::SumOfSquares, 10, 5, noise, 1).unwrap_err();
        assert!(e.to_string().contains("noise"), "{e}");
    }
    let e = Generator::new(TestFunction::SumOfSquares, 10, MAX_INPUTS + 1, 0.0, 1)
        .err()
        .unwrap();
    assert!(e.to_string().contains("at most 1023"), "{e}");
    assert!(Generator::new(TestFunction::SumOfSquares, 0, 5, 0.0, 1).is_err());
}
