//! `FeatureRows` (the streaming reader of `predict`) on arbitrary bytes: every row it yields
//! holds the expected features, finite, and all of its fields; never a panic.
#![no_main]

use fivedreg_data::{CsvOptions, FeatureRows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let names: Vec<String> = match mode % 3 {
        0 => vec!["x1".into(), "x2".into()],
        1 => vec!["x2".into()],
        _ => vec!["x1".into(), "x2".into(), "x3".into()],
    };
    let options = CsvOptions {
        max_columns: if mode & 4 == 4 { 3 } else { 1024 },
        max_line_bytes: if mode & 8 == 8 { 16 } else { 16 << 20 },
        ..Default::default()
    };
    let Ok(rows) = FeatureRows::with_options(file, "fuzz.csv", &names, &options) else {
        return;
    };
    let width = rows.header().len();
    assert!(width >= names.len() && width <= options.max_columns);
    let mut last_line = 0;
    for row in rows {
        let Ok(row) = row else {
            // After an error the stream is not meant to be continued.
            break;
        };
        assert_eq!(row.features.len(), names.len());
        assert!(row.features.iter().all(|v| v.is_finite()));
        assert_eq!(row.fields.len(), width);
        assert!(row.line > last_line, "lines go forward");
        last_line = row.line;
    }
});
