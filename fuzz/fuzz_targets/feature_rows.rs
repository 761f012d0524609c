//! `FeatureRows` (the streaming reader of `predict`) on arbitrary bytes: every row it yields
//! holds the expected features, finite, and all of its fields; the stream ends, even when it
//! is continued after errors; never a panic.
#![no_main]

use fivedreg_data::{CsvOptions, FeatureRow, FeatureRows};
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
    let Ok(mut rows) = FeatureRows::with_options(file, "fuzz.csv", &names, &options) else {
        return;
    };
    let width = rows.header().len();
    assert!(width >= names.len() && width <= options.max_columns);
    let reuse = mode & 16 == 16;
    let mut row = FeatureRow {
        line: 0,
        fields: Vec::new(),
        features: Vec::new(),
    };
    let mut last_line = 0;
    // Each call consumes at least one line (or fails), so the stream must end within this
    // many calls, errors included.
    let mut calls_left = file.len() + 2;
    loop {
        assert!(calls_left > 0, "the stream does not end");
        calls_left -= 1;
        let next = if reuse {
            match rows.read_row(&mut row) {
                Ok(false) => None,
                Ok(true) => Some(Ok(&row)),
                Err(e) => Some(Err(e)),
            }
        } else {
            match rows.next_row() {
                None => None,
                Some(Ok(r)) => {
                    row = r;
                    Some(Ok(&row))
                }
                Some(Err(e)) => Some(Err(e)),
            }
        };
        match next {
            None => break,
            // Rows after a bad one are still read (and checked) until the end.
            Some(Err(_)) => continue,
            Some(Ok(row)) => {
                assert_eq!(row.features.len(), names.len());
                assert!(row.features.iter().all(|v| v.is_finite()));
                assert_eq!(row.fields.len(), width);
                assert!(row.line > last_line, "lines go forward");
                last_line = row.line;
            }
        }
    }
});
