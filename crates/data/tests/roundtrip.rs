//! Randomized checks (seeded, so reproducible): any finite dataset written by `write_csv`
//! reads back identical, and arbitrary bytes never make the reader panic.

use fivedreg_data::{read_csv, write_csv, CsvOptions, Dataset, FeatureRows};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_f64(rng: &mut ChaCha8Rng) -> f64 {
    match rng.random_range(0..6) {
        // Any finite bit pattern: subnormals, huge and tiny magnitudes, -0.0.
        0 => loop {
            let v = f64::from_bits(rng.random());
            if v.is_finite() {
                break v;
            }
        },
        1 => 0.0,
        2 => -0.0,
        3 => rng.random_range(-1e6..1e6),
        4 => rng.random::<f64>() * 1e-300,
        _ => rng.random_range(-10i64..10) as f64,
    }
}

fn random_name(rng: &mut ChaCha8Rng, i: usize) -> String {
    const CHARS: &[char] = &[
        'a', 'Z', '1', ' ', ',', '"', '\'', 'é', '\n', '_', ';', '\t',
    ];
    let len = rng.random_range(1..8);
    let body: String = (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())])
        .collect();
    // Names are trimmed on reading, and a name wrapped in quotes loses them: keep the
    // ends plain and the names unique.
    format!("c{i}{body}x")
}

#[test]
fn written_datasets_read_back_identical() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    for case in 0..200 {
        let d = rng.random_range(1..6);
        let n = rng.random_range(1..30);
        let names: Vec<String> = (0..d).map(|i| random_name(&mut rng, i)).collect();
        let features: Vec<f64> = (0..n * d).map(|_| random_f64(&mut rng)).collect();
        let targets: Vec<f64> = (0..n).map(|_| random_f64(&mut rng)).collect();
        let data = Dataset::new(names, format!("y{case}"), features, targets).unwrap();
        let mut text = Vec::new();
        write_csv(&data, &mut text).unwrap();
        let (back, summary) = read_csv(&text[..], "rt.csv", &CsvOptions::default())
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{}", String::from_utf8_lossy(&text)));
        assert_eq!(summary.dropped_rows, 0);
        // Bitwise equality (so -0.0 and 0.0 are told apart).
        assert_eq!(back.feature_names(), data.feature_names(), "case {case}");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(back.features()), bits(data.features()), "case {case}");
        assert_eq!(bits(back.targets()), bits(data.targets()), "case {case}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let alphabet: &[u8] = b"0123456789.,-+eE\"\r\n \tnaifxy\xef\xbb\xbf\xff";
    let names = vec!["x".to_string(), "y".to_string()];
    let options = CsvOptions {
        max_line_bytes: 64,
        max_columns: 8,
        ..Default::default()
    };
    let mut accepted = 0;
    for _ in 0..5000 {
        let bytes: Vec<u8> = if rng.random_bool(0.5) {
            let len = rng.random_range(0..120);
            (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        } else {
            // A valid file with a few bytes replaced, inserted or removed.
            let mut b = b"x,y\r\n1,2\n 3.5 ,\"-4e2\"\n\n0,0".to_vec();
            for _ in 0..rng.random_range(0..3) {
                let at = rng.random_range(0..b.len());
                let byte = alphabet[rng.random_range(0..alphabet.len())];
                match rng.random_range(0..3) {
                    0 => b[at] = byte,
                    1 => b.insert(at, byte),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            b
        };
        // Errors are fine; panics are not. Every error must render to one line.
        match read_csv(&bytes[..], "fuzz.csv", &options) {
            Ok((d, _)) => {
                accepted += 1;
                assert!(d
                    .features()
                    .iter()
                    .chain(d.targets())
                    .all(|v| v.is_finite()));
            }
            Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
        }
        if let Ok(rows) = FeatureRows::with_options(&bytes[..], "fuzz.csv", &names, &options) {
            for row in rows.take(100) {
                if let Err(e) = row {
                    assert!(!e.to_string().contains('\n'), "{e}");
                }
            }
        }
    }
    // Not a tautology: some random inputs are valid CSV with numbers.
    assert!(accepted > 0);
}
