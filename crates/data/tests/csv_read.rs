//! CSV reading: accepted variations and every refused input, with its line and column.

use fivedreg_data::{
    read_csv, read_csv_path, write_csv, CsvOptions, DataError, Dataset, FeatureRow, FeatureRows,
    NonFinitePolicy,
};
use std::io::Write;
use std::path::Path;

fn read(text: &str) -> fivedreg_data::Result<Dataset> {
    read_with(text, &CsvOptions::default())
}

fn read_with(text: &str, options: &CsvOptions) -> fivedreg_data::Result<Dataset> {
    read_csv(text.as_bytes(), "data.csv", options).map(|(d, _)| d)
}

fn err(text: &str) -> DataError {
    read(text).expect_err("should be refused")
}

fn names(d: &Dataset) -> Vec<&str> {
    d.feature_names().iter().map(String::as_str).collect()
}

#[test]
fn reads_plain_csv_with_last_column_as_target() {
    let d = read("x1,x2,y\n1,2,3\n4.5,-6e-1,7\n").unwrap();
    assert_eq!(names(&d), ["x1", "x2"]);
    assert_eq!(d.target_name(), "y");
    assert_eq!(d.features(), [1.0, 2.0, 4.5, -0.6]);
    assert_eq!(d.targets(), [3.0, 7.0]);
    assert_eq!(d.n_rows(), 2);
    assert_eq!(d.row(1), [4.5, -0.6]);
}

#[test]
fn named_target_may_be_any_column() {
    let options = CsvOptions {
        target: Some("y".into()),
        ..Default::default()
    };
    let d = read_with("a,y,b\n1,2,3\n4,5,6\n", &options).unwrap();
    assert_eq!(names(&d), ["a", "b"]);
    assert_eq!(d.features(), [1.0, 3.0, 4.0, 6.0]);
    assert_eq!(d.targets(), [2.0, 5.0]);
}

#[test]
fn accepts_crlf_bom_spaces_quotes_and_blank_lines() {
    let text = "\u{feff} x1 ,\"x 2\", \"y\"\r\n 1 , \"2\",\" 3 \"\r\n\r\n4,5,6\r\n\r\n   \r\n\n";
    let d = read(text).unwrap();
    assert_eq!(names(&d), ["x1", "x 2"]);
    assert_eq!(d.target_name(), "y");
    assert_eq!(d.features(), [1.0, 2.0, 4.0, 5.0]);
    assert_eq!(d.targets(), [3.0, 6.0]);
}

#[test]
fn bom_before_quoted_first_name() {
    let d = read("\u{feff}\"x1\",y\n1,2\n").unwrap();
    assert_eq!(names(&d), ["x1"]);
}

#[test]
fn write_csv_round_trips_exactly() {
    let values = [0.1, -1e-7, 1e300, 123456789.12345679, 2.0 / 3.0, -0.0];
    let d = Dataset::new(
        vec!["a".into(), "b,c".into()],
        "y".into(),
        values.to_vec(),
        vec![f64::MIN_POSITIVE, f64::MAX, 5.0],
    )
    .unwrap();
    let mut out = Vec::new();
    write_csv(&d, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("a,\"b,c\",y\n"), "{text}");
    assert_eq!(read(&text).unwrap(), d);
}

fn assert_msg(e: &DataError, expected: &str) {
    assert_eq!(e.to_string(), expected);
}

#[test]
fn not_a_number_names_line_and_column() {
    let e = err("x1,x2,y\n1,2,3\n4,5,6\n7,abc,9\n");
    match &e {
        DataError::NotANumber {
            line: 4,
            column: 2,
            name,
            text,
            ..
        } if name == "x2" && text == "abc" => {}
        other => panic!("unexpected {other:?}"),
    }
    assert_msg(
        &e,
        "data.csv: line 4, column 2 (\"x2\"): \"abc\" is not a number (the column mixes \
         numbers and text; leave it out with --drop x2)",
    );
}

#[test]
fn decimal_comma_gets_a_hint() {
    let e = err("x,y\n\"0,5\",1\n");
    assert_msg(
        &e,
        "data.csv: line 2, column 1 (\"x\"): \"0,5\" is not a number (use '.' as the decimal separator)",
    );
    let e = err("x,y\n\"a,b\",1\n");
    assert_msg(
        &e,
        "data.csv: line 2, column 1 (\"x\"): \"a,b\" is not a number",
    );
}

#[test]
fn empty_field_is_not_a_number() {
    let e = err("x1,x2,y\n1,,3\n");
    assert_msg(
        &e,
        "data.csv: line 2, column 2 (\"x2\"): \"\" is not a number",
    );
}

#[test]
fn line_numbers_count_blank_lines() {
    let e = err("x1,y\n\n1,2\n\n\n3,z\n");
    assert_msg(
        &e,
        "data.csv: line 6, column 2 (\"y\"): \"z\" is not a number",
    );
}

#[test]
fn long_bad_field_is_shortened_in_the_message() {
    let long = "a".repeat(1000);
    let e = err(&format!("x,y\n1,{long}\n"));
    let msg = e.to_string();
    assert!(msg.len() < 200, "{msg}");
    assert!(
        msg.starts_with("data.csv: line 2, column 2 (\"y\"): \"aaaa"),
        "{msg}"
    );
}

#[test]
fn non_finite_values_are_rejected_by_default() {
    for (text, bad) in [
        ("NaN", "NaN"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        (" nan ", "nan"),
    ] {
        let e = err(&format!("x1,x2,y\n1,2,3\n4,{text},6\n"));
        match &e {
            DataError::NonFinite {
                line: 3,
                column: 2,
                name,
                ..
            } if name == "x2" => {}
            other => panic!("unexpected {other:?}"),
        }
        assert_msg(
            &e,
            &format!(
                "data.csv: line 3, column 2 (\"x2\"): \"{bad}\" is not a finite number (NaN and infinities are rejected)"
            ),
        );
    }
}

#[test]
fn drop_rows_policy_drops_and_counts() {
    let options = CsvOptions {
        non_finite: NonFinitePolicy::DropRows,
        ..Default::default()
    };
    let (d, summary) = read_csv(
        "x,y\n1,2\nnan,3\n4,inf\n5,6\n".as_bytes(),
        "data.csv",
        &options,
    )
    .unwrap();
    assert_eq!(summary.dropped_rows, 2);
    assert_eq!(d.features(), [1.0, 5.0]);
    assert_eq!(d.targets(), [2.0, 6.0]);
    // Garbage is still an error under DropRows.
    let e = read_with("x,y\nnan,abc\n", &options).unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 2, column 2 (\"y\"): \"abc\" is not a number",
    );
    let e = read_with("x,y\nnan,1\n", &options).unwrap_err();
    assert_msg(
        &e,
        "data.csv: no rows left after dropping 1 rows holding NaN or infinite values",
    );
}

#[test]
fn empty_file_and_header_only() {
    for text in ["", "\n\n", "\r\n"] {
        let e = err(text);
        assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
        assert_msg(
            &e,
            "data.csv: the file is empty; a header row naming the columns is required",
        );
    }
    let e = err("x,y\n\n");
    assert!(matches!(e, DataError::HeaderOnly { .. }), "{e:?}");
    assert_msg(&e, "data.csv: the file has a header but no data rows");
}

#[test]
fn duplicate_and_empty_column_names() {
    let e = err("a,b,a\n1,2,3\n");
    assert!(
        matches!(
            e,
            DataError::DuplicateColumnName {
                line: 1,
                column: 3,
                first_column: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 1, column 3 (\"a\"): duplicate column name (also column 1)",
    );
    let e = err("\n a , ,c\n1,2,3\n");
    assert!(
        matches!(
            e,
            DataError::EmptyColumnName {
                line: 2,
                column: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_msg(&e, "data.csv: line 2, column 2: the column name is empty");
}

#[test]
fn missing_named_target() {
    let options = CsvOptions {
        target: Some("z".into()),
        ..Default::default()
    };
    let e = read_with("a,b\n1,2\n", &options).unwrap_err();
    assert!(
        matches!(e, DataError::TargetNotFound { line: 1, .. }),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 1: no column named \"z\" for the target (columns: a, b)",
    );
}

#[test]
fn too_few_and_too_many_fields() {
    let e = err("x1,x2,y\n1,2,3\n1,2\n");
    assert!(
        matches!(
            &e,
            DataError::TooFewFields {
                line: 3,
                column: 3,
                found: 2,
                expected: 3,
                name,
                ..
            } if name == "y"
        ),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 3, column 3 (\"y\"): missing; the row has 2 fields but the header has 3",
    );
    let e = err("x1,x2,y\r\n1,2,3,4\r\n");
    assert!(
        matches!(
            e,
            DataError::TooManyFields {
                line: 2,
                column: 4,
                found: 4,
                expected: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 2, column 4: the row has 4 fields but the header has 3",
    );
}

#[test]
fn a_single_column_has_no_feature() {
    let e = err("y\n1\n2\n");
    assert!(
        matches!(e, DataError::NoFeatureColumns { columns: 1, .. }),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 1: the header has 1 column, so there is no feature column besides the target",
    );
    // Semicolons are detected; a comma forced by the caller names the other separator.
    let comma = CsvOptions {
        delimiter: Some(b','),
        ..Default::default()
    };
    let e = read_csv("x1;x2;y\n1;2;3\n".as_bytes(), "data.csv", &comma).unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 1: the header has 1 column, so there is no feature column besides the target; the header \"x1;x2;y\" contains ';', but ',' separates the columns (pass --delimiter)",
    );
}

#[test]
fn non_utf8_bytes_name_line_and_column() {
    let e = read_csv(
        &b"x,y\n1,2\n3,\xff\xfe\n"[..],
        "data.csv",
        &CsvOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            DataError::NotUtf8 {
                line: 3,
                column: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 3, column 2 (\"y\"): the field is not valid UTF-8",
    );
    // A character split across two fields: the record is valid UTF-8 as a whole, but
    // neither field is.
    let e = read_csv(
        &b"x,y\n1\xc3,\xa92\n"[..],
        "data.csv",
        &CsvOptions::default(),
    )
    .unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 2, column 1 (\"x\"): the field is not valid UTF-8",
    );
    let e = read_csv(&b"x,\xc3(\n1,2\n"[..], "data.csv", &CsvOptions::default()).unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 1, column 2: the column name is not valid UTF-8 (is this a text CSV file?)",
    );
}

#[test]
fn too_many_columns_is_refused_before_reading_rows() {
    let header: Vec<String> = (0..2000).map(|i| format!("c{i}")).collect();
    let e = err(&format!("{}\n", header.join(",")));
    assert!(
        matches!(
            e,
            DataError::TooManyColumns {
                line: 1,
                found: 2000,
                max: 1024,
                ..
            }
        ),
        "{e:?}"
    );
    assert_msg(
        &e,
        "data.csv: line 1: the header has 2000 columns, more than the limit of 1024",
    );
}

/// A reader of endless bytes without a newline: only the line cap ends it.
struct Endless;
impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(b'1');
        Ok(buf.len())
    }
}

#[test]
fn a_line_without_end_hits_the_cap() {
    let e = read_csv(Endless, "big.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::LineTooLong { line: 1, .. }), "{e:?}");
    assert_msg(
        &e,
        "big.csv: line 1 is longer than 16777216 bytes (is this a CSV file?)",
    );
    // After a few good lines, with a small cap.
    let options = CsvOptions {
        max_line_bytes: 100,
        ..Default::default()
    };
    let text = format!("x,y\n1,2\n3,4\n{}\n", "5".repeat(200));
    let e = read_with(&text, &options).unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 4 is longer than 100 bytes (is this a CSV file?)",
    );
    // A record of many short quoted lines is capped too.
    let text = format!("x,y\n1,\"{}\"\n", "2\n".repeat(100));
    let e = read_with(&text, &options).unwrap_err();
    assert_msg(
        &e,
        "data.csv: line 2 is longer than 100 bytes (is this a CSV file?)",
    );
}

#[test]
fn quoted_field_with_embedded_newline_keeps_line_numbers() {
    let e = err("x,y\n1,\"2\n\"\n3,q\n");
    assert_msg(
        &e,
        "data.csv: line 2, column 2 (\"y\"): \"2\\n\" is not a number",
    );
    let e = err("x,\"y\nz\"\n1,2\n3,q\n");
    assert_msg(
        &e,
        "data.csv: line 4, column 2 (\"y\\nz\"): \"q\" is not a number",
    );
}

#[test]
fn path_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let e = read_csv_path(dir.path(), &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::IsADirectory { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("{}: is a directory, not a CSV file", dir.path().display())
    );
    let missing = dir.path().join("missing.csv");
    let e = read_csv_path(&missing, &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", missing.display())) && msg.contains("No such file"),
        "{msg}"
    );
    let file = dir.path().join("ok.csv");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(b"a,b\n1,2\n")
        .unwrap();
    let (d, _) = read_csv_path(&file, &CsvOptions::default()).unwrap();
    assert_eq!(d.targets(), [2.0]);
    let e = read_csv_path(Path::new(&file), &CsvOptions::default())
        .map(|_| ())
        .and_then(|_| {
            std::fs::write(&file, "a,b\n1,x\n").unwrap();
            read_csv_path(&file, &CsvOptions::default()).map(|_| ())
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: line 2, column 2 (\"b\"): \"x\" is not a number",
            file.display()
        )
    );
}

fn model_features() -> Vec<String> {
    vec!["x1".into(), "x2".into()]
}

#[test]
fn feature_rows_match_header_in_any_order_with_extra_columns() {
    let text = "id, x2 ,y,x1\r\na,2,9,1\r\n\r\nb,4,9,3\r\n";
    let mut rows = FeatureRows::new(text.as_bytes(), "in.csv", &model_features()).unwrap();
    assert_eq!(rows.header(), ["id", "x2", "y", "x1"]);
    let first = rows.next_row().unwrap().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(first.fields, ["a", "2", "9", "1"]);
    assert_eq!(first.features, [1.0, 2.0]);
    let second = rows.next_row().unwrap().unwrap();
    assert_eq!(second.line, 4);
    assert_eq!(second.features, [3.0, 4.0]);
    assert!(rows.next_row().is_none());
}

#[test]
fn feature_rows_read_row_reuses_the_row() {
    let text = "x2,note,x1\n1,a,2\n3,b,4\n5,c\n";
    let mut rows = FeatureRows::new(text.as_bytes(), "in.csv", &model_features()).unwrap();
    let mut row = FeatureRow {
        line: 0,
        fields: Vec::new(),
        features: Vec::new(),
    };
    assert!(rows.read_row(&mut row).unwrap());
    assert_eq!((row.line, row.features.as_slice()), (2, &[2.0, 1.0][..]));
    assert!(rows.read_row(&mut row).unwrap());
    assert_eq!(row.fields, ["3", "b", "4"]);
    assert_eq!((row.line, row.features.as_slice()), (3, &[4.0, 3.0][..]));
    assert_msg(
        &rows.read_row(&mut row).unwrap_err(),
        "in.csv: line 4, column 3 (\"x1\"): missing; the row has 2 fields but the header has 3",
    );
    assert!(!rows.read_row(&mut row).unwrap());
}

#[test]
fn feature_rows_errors() {
    let feats = model_features();
    let e = FeatureRows::new("x1,y\n1,2\n".as_bytes(), "in.csv", &feats)
        .err()
        .unwrap();
    assert_msg(
        &e,
        "in.csv: line 1: no column named \"x2\", which the model needs as a feature (columns: x1, y)",
    );
    let e = FeatureRows::new("".as_bytes(), "in.csv", &feats)
        .err()
        .unwrap();
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    let e = FeatureRows::new("x1,x1,x2\n".as_bytes(), "in.csv", &feats)
        .err()
        .unwrap();
    assert!(matches!(e, DataError::DuplicateColumnName { .. }), "{e:?}");

    let collect = |text: &str| {
        FeatureRows::new(text.as_bytes(), "in.csv", &feats)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
    };
    let e = collect("x2,x1,note\n1,2,ok\n3,oops,fine\n").unwrap_err();
    assert_msg(
        &e,
        "in.csv: line 3, column 2 (\"x1\"): \"oops\" is not a number",
    );
    // A bad row does not end the stream.
    let mut rows = FeatureRows::new("x1,x2\n1,a\n3,4\n".as_bytes(), "in.csv", &feats).unwrap();
    assert!(rows.next_row().unwrap().is_err());
    assert_eq!(rows.next_row().unwrap().unwrap().features, [3.0, 4.0]);
    assert!(rows.next_row().is_none());
    let e = collect("x2,x1\n1,inf\n").unwrap_err();
    assert_msg(
        &e,
        "in.csv: line 2, column 2 (\"x1\"): \"inf\" is not a finite number (NaN and infinities are rejected)",
    );
    let e = collect("x2,x1,note\n1,2\n").unwrap_err();
    assert_msg(
        &e,
        "in.csv: line 2, column 3 (\"note\"): missing; the row has 2 fields but the header has 3",
    );
    let e = collect("x2,x1\n1,2,3\n").unwrap_err();
    assert_msg(
        &e,
        "in.csv: line 2, column 3: the row has 3 fields but the header has 2",
    );
    // A non-numeric extra column is fine, but it must still be UTF-8 to be echoed.
    let rows: Vec<_> = FeatureRows::new(&b"x1,x2,n\n1,2,\xff\n"[..], "in.csv", &feats)
        .unwrap()
        .collect();
    assert_msg(
        rows[0].as_ref().unwrap_err(),
        "in.csv: line 2, column 3 (\"n\"): the field is not valid UTF-8",
    );
}

#[test]
fn a_large_file_reads_every_row() {
    let n = 200_000;
    let mut text = String::from("a,b,c,d,e,y\n");
    for i in 0..n {
        let v = i as f64 * 0.001;
        text.push_str(&format!("{v},{v},{v},{v},{v},{}\n", 2.0 * v));
    }
    let d = read(&text).unwrap();
    assert_eq!(d.n_rows(), n);
    assert_eq!(d.features().len(), n * 5);
    assert_eq!(d.targets()[n - 1], 2.0 * ((n - 1) as f64 * 0.001));
}

/// Hands out one byte per read, to exercise every buffer boundary.
struct Trickle<'a>(&'a [u8]);
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn line_numbers_hold_at_any_buffer_boundary_and_without_a_final_newline() {
    let cases = [
        ("x,y\n1,2\n3,z", 3),
        ("x,y\r\n1,2\r\n3,z", 3),
        ("x,y\n1,2\n\n\"3\",\"z\"", 4),
        ("\n\nx,y\n1,2\n3,z\n\n", 5),
    ];
    for (text, line) in cases {
        let expected = format!("data.csv: line {line}, column 2 (\"y\"): \"z\" is not a number");
        let at_once = read(text).unwrap_err().to_string();
        let trickled = read_csv(Trickle(text.as_bytes()), "data.csv", &CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(at_once, expected, "{text:?}");
        assert_eq!(trickled, at_once, "{text:?}");
    }
    // After a record spanning lines (a quoted note column, kept for echoing).
    let text = "x1,x2,note\n1,2,\"a\nb\r\nc\"\n3,z,d\n";
    let read_all = |r: &mut dyn std::io::Read| {
        FeatureRows::new(r, "in.csv", &model_features())
            .unwrap()
            .map(|row| row.map(|r| (r.line, r.fields)).map_err(|e| e.to_string()))
            .collect::<Vec<_>>()
    };
    let at_once = read_all(&mut text.as_bytes());
    assert_eq!(at_once.len(), 2);
    assert_eq!(
        at_once[0],
        Ok((2, vec!["1".into(), "2".into(), "a\nb\r\nc".into()]))
    );
    assert_eq!(
        at_once[1],
        Err("in.csv: line 5, column 2 (\"x2\"): \"z\" is not a number".into())
    );
    assert_eq!(read_all(&mut Trickle(text.as_bytes())), at_once);
}

/// Lines ended by `\r` alone would read as one long line (a header of every field and no
/// rows): refused at the header, by both readers, naming the convention.
#[test]
fn carriage_return_line_ends_are_refused() {
    let text = "x1,x2,y\r1,2,3\r4,5,6\r";
    let e = err(text);
    assert!(
        matches!(e, DataError::CarriageReturnLineEnds { .. }),
        "{e:?}"
    );
    let message = e.to_string();
    for expected in ["data.csv: line 1, column 3", "\\r alone", "tr '\\r' '\\n'"] {
        assert!(message.contains(expected), "{message}");
    }
    let e = FeatureRows::new(text.as_bytes(), "in.csv", &model_features())
        .err()
        .unwrap();
    assert!(
        matches!(e, DataError::CarriageReturnLineEnds { .. }),
        "{e:?}"
    );
    // CRLF line ends, and a CR before trailing spaces, stay accepted.
    assert_eq!(read("x1,x2,y\r\n1,2,3\r\n").unwrap().n_rows(), 1);
    assert_eq!(read("x1,x2,y \r\n1,2,3\n").unwrap().n_rows(), 1);
    // A bare CR inside a data row is named in the not-a-number message.
    let e = err("x1,x2,y\n1,2,3\r4\n");
    assert!(e.to_string().contains("carriage return"), "{e}");
}

/// Streamed rows with their target read only the columns they need: text elsewhere is
/// ignored, as `evaluate`'s help says.
#[test]
fn feature_rows_with_a_target_read_only_their_columns() {
    let bytes = b"note,x2,y,x1\nfirst row,2,10,1\n\"a, b\",4,20,3\nnot utf-8 \xff,6,30,5\n";
    let mut rows = FeatureRows::with_target(
        &bytes[..],
        "in.csv",
        &model_features(),
        "y",
        &CsvOptions::default(),
    )
    .unwrap();
    let (mut features, mut targets) = (Vec::new(), Vec::new());
    while rows.read_numbers(&mut features, &mut targets).unwrap() {}
    assert_eq!(features, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(targets, [10.0, 20.0, 30.0]);
    assert_eq!(rows.line(), 4);
    // A bad target is named, and nothing of its row is kept.
    let mut rows = FeatureRows::with_target(
        "x1,x2,y\n1,2,oops\n".as_bytes(),
        "in.csv",
        &model_features(),
        "y",
        &CsvOptions::default(),
    )
    .unwrap();
    let (mut features, mut targets) = (Vec::new(), Vec::new());
    let e = rows.read_numbers(&mut features, &mut targets).unwrap_err();
    assert_msg(
        &e,
        "in.csv: line 2, column 3 (\"y\"): \"oops\" is not a number",
    );
    assert!(features.is_empty() && targets.is_empty());
    let e = FeatureRows::with_target(
        "x1,x2\n1,2\n".as_bytes(),
        "in.csv",
        &model_features(),
        "y",
        &CsvOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(e, DataError::TargetNotFound { .. }), "{e:?}");
}
