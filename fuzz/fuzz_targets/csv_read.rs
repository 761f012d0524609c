//! `read_csv` on arbitrary bytes: an error or a consistent dataset, never a panic.
//!
//! The first byte picks the options (target column, NaN policy, small caps, separator,
//! chosen or dropped columns), so the fuzzer
//! explores every path of the reader; the rest is the file.
#![no_main]

use fivedreg_data::{read_csv, CsvOptions, NonFinitePolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let options = CsvOptions {
        target: (mode & 1 == 1).then(|| "y".to_string()),
        non_finite: if mode & 2 == 2 {
            NonFinitePolicy::DropRows
        } else {
            NonFinitePolicy::Reject
        },
        // Small caps now and then, so that the limits themselves are fuzzed.
        max_columns: if mode & 4 == 4 { 3 } else { 1024 },
        max_line_bytes: if mode & 8 == 8 { 16 } else { 16 << 20 },
        // Detected from the header, or forced to a semicolon (then a comma file is one
        // column wide, and the reader must say so, not panic).
        delimiter: (mode & 16 == 16).then_some(b';'),
        // Choosing or dropping columns by name, including names the file may not have.
        features: (mode & 32 == 32).then(|| vec!["b".to_string(), "a".to_string()]),
        drop: if mode & 64 == 64 && mode & 32 == 0 {
            vec!["a".to_string()]
        } else {
            Vec::new()
        },
    };
    let Ok((dataset, summary)) = read_csv(file, "fuzz.csv", &options) else {
        return;
    };
    let (rows, d) = (dataset.n_rows(), dataset.n_features());
    assert!(rows > 0 && d > 0);
    assert_eq!(dataset.features().len(), rows * d);
    assert_eq!(dataset.targets().len(), rows);
    assert_eq!(dataset.feature_names().len(), d);
    assert!(d < options.max_columns);
    assert!(dataset.features().iter().all(|v| v.is_finite()));
    assert!(dataset.targets().iter().all(|v| v.is_finite()));
    if options.non_finite == NonFinitePolicy::Reject {
        assert_eq!(summary.dropped_rows, 0);
    }
    if let Some(target) = &options.target {
        assert_eq!(dataset.target_name(), target);
    }
    if let Some(features) = &options.features {
        assert_eq!(dataset.feature_names(), &features[..]);
    }
    for dropped in &options.drop {
        assert!(!dataset.feature_names().contains(dropped));
    }
});
