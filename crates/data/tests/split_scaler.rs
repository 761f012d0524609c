//! Splits (sizes, disjointness, determinism, refusals) and the standard scaler.

use fivedreg_data::{
    shuffled_indices, split, split_indices, DataError, Dataset, SplitFractions, StandardScaler,
};
use std::collections::HashSet;

fn numbered(n: usize) -> Dataset {
    // Row i has features (i, -i) and target 10 i, so rows can be traced after the split.
    let features = (0..n).flat_map(|i| [i as f64, -(i as f64)]).collect();
    let targets = (0..n).map(|i| 10.0 * i as f64).collect();
    Dataset::new(vec!["a".into(), "b".into()], "y".into(), features, targets).unwrap()
}

#[test]
fn default_split_sizes() {
    let f = SplitFractions::default();
    assert_eq!(f.counts(10_000), (6000, 2000, 2000));
    assert_eq!(f.counts(10), (6, 2, 2));
    assert_eq!(f.counts(11), (6, 2, 3));
    assert_eq!(f.counts(1_000), (600, 200, 200));
    // Decimal fractions that are not exact in binary still floor to the intended count.
    let f = SplitFractions::new(0.7, 0.1, 0.2).unwrap();
    assert_eq!(f.counts(10), (7, 1, 2));
    assert_eq!(f.counts(100), (70, 10, 20));
    let f = SplitFractions::new(0.7, 0.3, 0.0).unwrap();
    assert_eq!(f.counts(10), (7, 3, 0));
    let d = numbered(10_000);
    let s = split(&d, SplitFractions::default(), 1).unwrap();
    assert_eq!(
        (s.train.n_rows(), s.validation.n_rows(), s.test.n_rows()),
        (6000, 2000, 2000)
    );
}

#[test]
fn split_is_a_disjoint_cover_and_keeps_rows_whole() {
    let d = numbered(1000);
    let s = split(&d, SplitFractions::default(), 7).unwrap();
    let mut seen = HashSet::new();
    for part in [&s.train, &s.validation, &s.test] {
        assert_eq!(part.feature_names(), d.feature_names());
        assert_eq!(part.target_name(), "y");
        for r in 0..part.n_rows() {
            let i = part.row(r)[0];
            assert_eq!(part.row(r)[1], -i);
            assert_eq!(part.targets()[r], 10.0 * i);
            assert!(seen.insert(i as usize), "row {i} twice");
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn same_seed_same_split_other_seed_other_split() {
    let d = numbered(500);
    let a = split(&d, SplitFractions::default(), 42).unwrap();
    let b = split(&d, SplitFractions::default(), 42).unwrap();
    let c = split(&d, SplitFractions::default(), 43).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.train, c.train);
}

#[test]
fn pinned_permutation_for_seed_42() {
    // Pinned so that any change of the random stream or of the shuffle is caught: the same
    // seed must give the same split on every machine and with every version.
    let p = shuffled_indices(20, 42);
    assert_eq!(p, PINNED_20);
    let parts = split_indices(10_000, SplitFractions::default(), 42).unwrap();
    assert_eq!(parts.train[..8], PINNED_TRAIN_10000);
    // A permutation.
    let mut sorted = p.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..20).collect::<Vec<_>>());
}

const PINNED_20: [usize; 20] = [
    4, 0, 19, 8, 17, 6, 13, 9, 5, 18, 2, 16, 14, 12, 7, 10, 1, 11, 3, 15,
];
const PINNED_TRAIN_10000: [usize; 8] = [9905, 7333, 7264, 1843, 1631, 5176, 3689, 9586];

#[test]
fn generator_and_shuffle_use_different_streams() {
    use fivedreg_data::{rng_from_seed, GENERATOR_STREAM, SHUFFLE_STREAM};
    use rand_chacha::rand_core::RngCore;
    let a: Vec<u64> = (0..4)
        .map({
            let mut r = rng_from_seed(42, GENERATOR_STREAM);
            move |_| r.next_u64()
        })
        .collect();
    let b: Vec<u64> = (0..4)
        .map({
            let mut r = rng_from_seed(42, SHUFFLE_STREAM);
            move |_| r.next_u64()
        })
        .collect();
    assert_ne!(a, b);
    assert_ne!(a[0], b[0]);
}

#[test]
fn shuffle_is_roughly_uniform() {
    // Each of 4 items lands in each position about a quarter of the time over many seeds.
    let trials = 4000;
    let mut counts = [[0usize; 4]; 4];
    for seed in 0..trials {
        for (pos, &item) in shuffled_indices(4, seed).iter().enumerate() {
            counts[item][pos] += 1;
        }
    }
    for row in counts {
        for c in row {
            // Expected 1000, sd ~27; 6 sd margin.
            assert!((840..=1160).contains(&c), "{counts:?}");
        }
    }
}

#[test]
fn fraction_errors() {
    let cases: [(f64, f64, f64, &str); 6] = [
        (0.5, 0.2, 0.2, "the fractions must sum to 1"),
        (0.6, 0.2, 0.3, "the fractions must sum to 1"),
        (1.2, -0.1, -0.1, "a fraction is negative"),
        (f64::NAN, 0.5, 0.5, "a fraction is NaN"),
        (0.5, f64::INFINITY, 0.5, "a fraction is above 1"),
        (-0.0001, 0.5, 0.5001, "a fraction is negative"),
    ];
    for (t, v, s, reason) in cases {
        let e = SplitFractions::new(t, v, s).unwrap_err();
        assert!(
            matches!(e, DataError::InvalidFractions { reason: r, .. } if r == reason),
            "{t} {v} {s}: {e:?}"
        );
        assert!(e.to_string().ends_with(reason), "{e}");
    }
    assert_eq!(
        SplitFractions::new(0.5, 0.2, 0.2).unwrap_err().to_string(),
        "invalid split fractions 0.5, 0.2, 0.2: the fractions must sum to 1"
    );
    // Within 1e-9 is accepted; zero fractions are fine.
    SplitFractions::new(0.6, 0.2, 0.2 + 5e-10).unwrap();
    SplitFractions::new(1.0, 0.0, 0.0).unwrap();
    SplitFractions::new(0.8, 0.2, 0.0).unwrap();
}

#[test]
fn fractions_deserialize_through_the_checks() {
    let ok: SplitFractions =
        serde_json::from_str(r#"{"train":0.8,"validation":0.2,"test":0.0}"#).unwrap();
    assert_eq!(ok.train(), 0.8);
    assert!(
        serde_json::from_str::<SplitFractions>(r#"{"train":0.8,"validation":0.8,"test":0.0}"#)
            .is_err()
    );
}

#[test]
fn too_few_rows_for_the_split() {
    let f = SplitFractions::default();
    let e = split(&numbered(3), f, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fewer rows than the split needs: 3 rows give 1 train, 0 validation and 2 test rows; training needs at least 2 rows"
    );
    let e = split(&numbered(4), f, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fewer rows than the split needs: 4 rows give 2 train, 0 validation and 2 test rows; the validation fraction is above 0 but gives no row"
    );
    // The test part takes the rest, so it is only empty when the fractions, summing to
    // 1 within the tolerance, leave nothing.
    let f = SplitFractions::new(0.5, 0.5, 1e-10).unwrap();
    let e = split(&numbered(10), f, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fewer rows than the split needs: 10 rows give 5 train, 5 validation and 0 test rows; the test fraction is above 0 but gives no row"
    );
    // Zero fractions give empty parts without error.
    let s = split(&numbered(5), SplitFractions::new(1.0, 0.0, 0.0).unwrap(), 0).unwrap();
    assert_eq!(
        (s.train.n_rows(), s.validation.n_rows(), s.test.n_rows()),
        (5, 0, 0)
    );
    assert_eq!(s.test.n_features(), 2);
}

#[test]
fn dataset_serde_round_trip_checks_shapes() {
    let d = numbered(3);
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<Dataset>(&json).unwrap(), d);
    let bad = json.replace("\"targets\":[0.0,", "\"targets\":[");
    assert_ne!(bad, json);
    let e = serde_json::from_str::<Dataset>(&bad).unwrap_err();
    assert!(e.to_string().contains("feature values do not make"), "{e}");
}

#[test]
fn select_picks_rows_in_order() {
    let d = numbered(5);
    let s = d.select(&[4, 0, 4]);
    assert_eq!(s.features(), [4.0, -4.0, 0.0, -0.0, 4.0, -4.0]);
    assert_eq!(s.targets(), [40.0, 0.0, 40.0]);
    assert_eq!(d.select(&[]).n_rows(), 0);
}

#[test]
fn dataset_new_validates() {
    let e = |f: Vec<String>, t: &str, x: Vec<f64>, y: Vec<f64>| {
        Dataset::new(f, t.into(), x, y).unwrap_err().to_string()
    };
    let ab = || vec!["a".to_string(), "b".to_string()];
    assert_eq!(
        e(vec![], "y", vec![], vec![]),
        "invalid dataset: at least one feature column is needed"
    );
    assert_eq!(
        e(ab(), "a", vec![1.0, 2.0], vec![3.0]),
        "invalid dataset: column name \"a\" appears twice"
    );
    assert_eq!(
        e(vec!["a".into(), " ".into()], "y", vec![1.0, 2.0], vec![3.0]),
        "invalid dataset: a column name is empty"
    );
    assert_eq!(
        e(ab(), "y", vec![1.0, 2.0, 3.0], vec![3.0]),
        "invalid dataset: 3 feature values do not make 1 rows of 2 features"
    );
    assert_eq!(
        e(ab(), "y", vec![1.0, f64::NAN], vec![3.0]),
        "invalid dataset: feature \"b\" of row 0 is not finite (NaN)"
    );
    assert_eq!(
        e(ab(), "y", vec![1.0, 2.0], vec![f64::INFINITY]),
        "invalid dataset: target of row 0 is not finite (inf)"
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn scaler_matches_population_statistics() {
    // Columns: 1,2,3,4 (mean 2.5, var 1.25) and 10,10,10,10 (constant).
    let values = [1.0, 10.0, 2.0, 10.0, 3.0, 10.0, 4.0, 10.0];
    let s = StandardScaler::fit(&values, 2).unwrap();
    assert_eq!(s.mean(), [2.5, 10.0]);
    assert!(close(s.scale()[0], 1.25f64.sqrt()));
    assert_eq!(s.scale()[1], 1.0, "constant column gets scale 1");
    let t = s.transform(&values).unwrap();
    assert!(close(t[0], -1.5 / 1.25f64.sqrt()));
    assert_eq!(t[1], 0.0);
    // Near-constant relative to a large mean also gets scale 1.
    let near = [1e6, 1e6 + 1e-7, 1e6];
    assert_eq!(StandardScaler::fit(&near, 1).unwrap().scale(), [1.0]);
}

#[test]
fn scaler_round_trip_and_f32() {
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 50.0
    };
    let values: Vec<f64> = (0..300).map(|_| next()).collect();
    let s = StandardScaler::fit(&values, 3).unwrap();
    let mut t = values.clone();
    s.transform_in_place(&mut t);
    // Standardized columns have mean 0 and population std 1.
    for c in 0..3 {
        let col: Vec<f64> = t.iter().skip(c).step_by(3).copied().collect();
        let m = col.iter().sum::<f64>() / 100.0;
        let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 100.0;
        assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12, "{m} {v}");
    }
    s.inverse_transform_in_place(&mut t);
    for (a, b) in t.iter().zip(&values) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    let f = s.transform_to_f32(&values).unwrap();
    let back = s.inverse_transform_from_f32(&f).unwrap();
    for (a, b) in back.iter().zip(&values) {
        assert!((a - b).abs() < 1e-4 * b.abs().max(1.0), "{a} vs {b}");
    }
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<StandardScaler>(&json).unwrap(), s);
}

#[test]
fn scaler_refuses_bad_input() {
    let msg = |r: fivedreg_data::Result<StandardScaler>| r.unwrap_err().to_string();
    assert_eq!(
        msg(StandardScaler::fit(&[], 2)),
        "scaler: cannot fit on zero rows"
    );
    assert_eq!(msg(StandardScaler::fit(&[1.0], 0)), "scaler: zero columns");
    assert_eq!(
        msg(StandardScaler::fit(&[1.0, 2.0, 3.0], 2)),
        "scaler: 3 values do not make rows of 2 columns"
    );
    assert_eq!(
        msg(StandardScaler::fit(&[1.0, f64::NAN], 2)),
        "scaler: value of row 1, column 2 is not finite (NaN)"
    );
    let s = StandardScaler::identity(2);
    assert!(s.transform(&[1.0]).is_err());
    assert!(s.transform_to_f32(&[1.0, 2.0, 3.0]).is_err());
    assert!(s.inverse_transform_from_f32(&[1.0]).is_err());
    assert_eq!(s.transform(&[1.0, 2.0]).unwrap(), [1.0, 2.0]);
}

#[test]
#[should_panic(expected = "3 values do not make rows of 2 columns")]
fn transform_in_place_panics_on_wrong_shape() {
    StandardScaler::identity(2).transform_in_place(&mut [1.0, 2.0, 3.0]);
}
