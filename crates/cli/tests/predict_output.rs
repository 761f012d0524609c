//! `predict`'s output, pinned byte for byte: the input columns as they were written before
//! the fast CSV path (plain lines verbatim; odd ones as the `csv` writer writes their fields),
//! and every prediction the shortest text that reads back as the library's own value.

mod common;

use common::{fixtures, run_ok};

/// Odd spacing, quotes, CRLF and blank lines, a multi-line field, signs and exponents.
const ODD_INPUT: &[u8] = b"x1,x2,y,note\n\
1.5,-0.25,3,plain\n \
2.5 , \"0.75\" ,4,\"quoted, with comma\"\n\
0.1,0.2,5,\"say \"\"hi\"\"\"\r\n\
\n\
-1e-1,3E0,6,\xc3\xa9\r\n\
\"7\",8,9,\"two\nlines\"\n\
00.50,+1.,10,tab\there\n";

/// The input columns of each output row, as `predict` wrote them before chunks.
const ODD_ECHO: [&str; 6] = [
    "1.5,-0.25,3,plain",
    " 2.5 ,\" \"\"0.75\"\" \",4,\"quoted, with comma\"",
    "0.1,0.2,5,\"say \"\"hi\"\"\"",
    "-1e-1,3E0,6,\u{e9}",
    "7,8,9,\"two\nlines\"",
    "00.50,+1.,10,tab\there",
];

/// Splits `predict`'s output into (input columns, prediction) per row, the prediction being
/// the text after the last comma (none of these predictions needs quotes).
fn rows(output: &str) -> Vec<(&str, &str)> {
    let body = output.strip_prefix("x1,x2,y,note,y_predicted\n").unwrap();
    let mut rows = Vec::new();
    let mut rest = body;
    while let Some(end) = rest.find('\n').map(|i| {
        // A quoted field may hold a newline: the row ends at a newline after a prediction.
        let mut at = i;
        let ends_in_number = |text: &str| {
            text.rsplit(',')
                .next()
                .is_some_and(|p| p.parse::<f64>().is_ok())
        };
        while !ends_in_number(&rest[..at]) {
            at += 1 + rest[at + 1..].find('\n').unwrap();
        }
        at
    }) {
        let line = &rest[..end];
        let comma = line.rfind(',').unwrap();
        rows.push((&line[..comma], &line[comma + 1..]));
        rest = &rest[end + 1..];
    }
    assert!(rest.is_empty());
    rows
}

#[test]
fn predict_output_is_pinned_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("m.fdr"), &fixtures().model).unwrap();
    std::fs::write(path.join("odd.csv"), ODD_INPUT).unwrap();
    let output = String::from_utf8(run_ok(path, &["predict", "m.fdr", "odd.csv"])).unwrap();
    let rows = rows(&output);
    assert_eq!(rows.len(), 6);
    for ((echo, _), expected) in rows.iter().zip(ODD_ECHO) {
        assert_eq!(*echo, expected);
    }
    // Each prediction is the library's value, in its shortest round-trip text.
    let model = fivedreg::Interpolator::load(&path.join("m.fdr")).unwrap();
    let features = [
        1.5, -0.25, 2.5, 0.75, 0.1, 0.2, -0.1, 3.0, 7.0, 8.0, 0.5, 1.0,
    ];
    let expected = model.predict(&features).unwrap();
    for ((_, text), y) in rows.iter().zip(&expected) {
        assert_eq!(*text, format!("{y:?}"));
        assert_eq!(text.parse::<f64>().unwrap().to_bits(), y.to_bits());
    }
}

#[test]
fn predict_output_of_a_large_plain_file_echoes_every_line() {
    // More than a block of plain lines (the fast path), CRLF ends on some.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("m.fdr"), &fixtures().model).unwrap();
    let mut input = String::from("x1,x2,y\n");
    let mut features = Vec::new();
    for i in 0..40_000u32 {
        let (a, b) = (f64::from(i) * 1.25e-5 - 0.2, 1.0 / f64::from(i + 3));
        features.extend([a, b]);
        input.push_str(&format!("{a:?},{b:?},{i}"));
        input.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
    }
    std::fs::write(path.join("big.csv"), &input).unwrap();
    let output = predict_and_check(path, &input, &features, "x1,x2,y,y_predicted", 40_000);
    assert_eq!(
        output.len(),
        output.lines().map(|l| l.len() + 1).sum::<usize>()
    );
}

#[test]
fn predict_output_over_16_mb_with_long_numbers_is_complete_and_exact() {
    // Over 16 MB of output, so the file is flushed to disk by the background thread while
    // it is written, and numbers of 17 to 20 significant digits (the exact 128-bit path and,
    // past 19 digits, the standard parser).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("m.fdr"), &fixtures().model).unwrap();
    let long = [
        "0.21241046907347616",
        "-0.020232728898898315",
        "0.1234567890123456789",
        "-0.12345678901234567891",
        "9007199254740993e-16",
        "0.30000000000000004",
        "1.5",
    ];
    let note = "n".repeat(90);
    let mut input = String::from("x1,x2,y,note\n");
    let mut features = Vec::new();
    for i in 0..200_000u32 {
        let a = format!("{:?}", f64::from(i) * 1e-6 - 0.1);
        let b = long[i as usize % long.len()];
        features.extend([a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap()]);
        input.push_str(&format!("{a},{b},{i},{note}\n"));
    }
    std::fs::write(path.join("big.csv"), &input).unwrap();
    let output = predict_and_check(path, &input, &features, "x1,x2,y,note,y_predicted", 200_000);
    assert!(output.len() > 16 << 20, "{} bytes", output.len());
}

/// Runs `predict m.fdr big.csv -o out.csv` in `path` and checks that every output line is
/// its input line (of `input`) followed by the library's prediction for its `features` in
/// shortest round-trip text, under `header`, for `rows` rows; returns the output.
fn predict_and_check(
    path: &std::path::Path,
    input: &str,
    features: &[f64],
    header: &str,
    rows: usize,
) -> String {
    let out = path.join("out.csv");
    run_ok(
        path,
        &["predict", "m.fdr", "big.csv", "-o", out.to_str().unwrap()],
    );
    let output = std::fs::read_to_string(&out).unwrap();
    let model = fivedreg::Interpolator::load(&path.join("m.fdr")).unwrap();
    let expected = model.predict(features).unwrap();
    let mut lines = output.lines();
    assert_eq!(lines.next(), Some(header));
    let mut count = 0;
    for ((line, input_line), y) in lines.zip(input.lines().skip(1)).zip(&expected) {
        assert_eq!(line, format!("{input_line},{y:?}"));
        count += 1;
    }
    assert_eq!(count, rows);
    output
}
