//! Tables as people save them: pandas' index column, tab- and semicolon-separated files,
//! and choosing the feature columns.

use fivedreg_data::{detect_delimiter, read_csv, CsvOptions, DataError, FeatureRows};

fn read(
    text: &str,
    options: &CsvOptions,
) -> fivedreg_data::Result<(fivedreg_data::Dataset, fivedreg_data::ReadSummary)> {
    read_csv(text.as_bytes(), "t.csv", options)
}

#[test]
fn a_pandas_index_column_is_left_out() {
    let text = ",a,b,y\n0,1.0,2.0,3.0\n1,4.0,5.0,6.0\n2,7.0,8.0,9.0\n";
    let (data, summary) = read(text, &CsvOptions::default()).unwrap();
    assert!(summary.index_column_dropped);
    assert_eq!(data.feature_names(), ["a", "b"]);
    assert_eq!(data.features(), [1.0, 2.0, 4.0, 5.0, 7.0, 8.0]);
    assert_eq!(data.targets(), [3.0, 6.0, 9.0]);
    let (_, plain) = read("a,b,y\n1,2,3\n", &CsvOptions::default()).unwrap();
    assert!(!plain.index_column_dropped);
}

#[test]
fn an_unnamed_first_column_that_is_not_an_index_is_refused_with_the_pandas_hint() {
    let text = ",a,y\n0,1,2\n5,3,4\n";
    let e = read(text, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::UnnamedColumn {
                line: 3,
                expected: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("index=False"), "{e}");
    // An empty name elsewhere stays an error.
    let e = read("a,,y\n1,2,3\n", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(e, DataError::EmptyColumnName { column: 2, .. }),
        "{e:?}"
    );
}

#[test]
fn tab_and_semicolon_files_are_detected() {
    for (sep, text) in [
        (b'\t', "temp\tpressure\ty\n1\t2\t3\n4\t5\t6\n"),
        (b';', "temp;pressure;y\n1;2;3\n4;5;6\n"),
        (b',', "temp,pressure,y\n1,2,3\n4,5,6\n"),
    ] {
        let (data, summary) = read(text, &CsvOptions::default()).unwrap();
        assert_eq!(summary.delimiter, sep);
        assert_eq!(data.feature_names(), ["temp", "pressure"]);
        assert_eq!(data.targets(), [3.0, 6.0]);
        let rows = FeatureRows::new(text.as_bytes(), "t.csv", &["pressure".to_string()]).unwrap();
        assert_eq!(rows.delimiter(), sep);
        let values: Vec<f64> = rows.map(|r| r.unwrap().features[0]).collect();
        assert_eq!(values, [2.0, 5.0]);
    }
    // Quoted separators do not count; a tie or nothing means a comma.
    assert_eq!(detect_delimiter(b"\"a;b;c\",d\n"), b',');
    assert_eq!(detect_delimiter(b"a\n"), b',');
    assert_eq!(detect_delimiter(b"a;b,c\n"), b',');
    // A given delimiter wins over detection.
    let options = CsvOptions {
        delimiter: Some(b';'),
        ..Default::default()
    };
    let (data, _) = read("a,b;y\n1.5;2\n", &options).unwrap();
    assert_eq!(data.feature_names(), ["a,b"]);
}

#[test]
fn features_and_drop_choose_the_columns_and_others_are_not_parsed() {
    let text = "run_id,a,label,b,y\n7,1,x,2,3\n8,4,z,5,6\n";
    let options = CsvOptions {
        features: Some(vec!["b".into(), "a".into()]),
        ..Default::default()
    };
    let (data, _) = read(text, &options).unwrap();
    assert_eq!(data.feature_names(), ["b", "a"]);
    assert_eq!(data.features(), [2.0, 1.0, 5.0, 4.0]);
    let options = CsvOptions {
        drop: vec!["run_id".into(), "label".into()],
        ..Default::default()
    };
    let (data, _) = read(text, &options).unwrap();
    assert_eq!(data.feature_names(), ["a", "b"]);
    // Without a choice the text column is left out (and named), the numeric ID kept.
    let (data, summary) = read(text, &CsvOptions::default()).unwrap();
    assert_eq!(data.feature_names(), ["run_id", "a", "b"]);
    assert_eq!(summary.text_columns_dropped, ["label"]);
    for (features, drop) in [
        (Some(vec!["y".to_string()]), vec![]),
        (Some(vec!["a".to_string(), "a".to_string()]), vec![]),
        (Some(vec!["a".to_string()]), vec!["a".to_string()]),
    ] {
        let options = CsvOptions {
            features,
            drop,
            ..Default::default()
        };
        let e = read(text, &options).unwrap_err();
        assert!(matches!(e, DataError::ColumnChoice { .. }), "{e:?}");
    }
    // A column to drop that does not exist is named as such, with the columns there are
    // (it was "a column the model needs as a feature").
    let options = CsvOptions {
        drop: vec!["nope".into()],
        ..Default::default()
    };
    let e = read(text, &options).unwrap_err();
    assert!(matches!(e, DataError::DropNotFound { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.contains("no column named \"nope\" to drop"),
        "{message}"
    );
    assert!(message.contains("run_id, a, label, b, y"), "{message}");
    // Dropping the target is refused (it was accepted silently, the target kept).
    let options = CsvOptions {
        drop: vec!["y".into()],
        ..Default::default()
    };
    let e = read(text, &options).unwrap_err();
    assert!(matches!(e, DataError::ColumnChoice { .. }), "{e:?}");
    assert!(e.to_string().contains("is the target"), "{e}");
}

#[test]
fn a_column_of_text_in_every_row_is_left_out_and_named() {
    // pandas' index, a text run ID and a text label around two numeric features.
    let text = ",run_id,temp,label,pressure,y\n\
                0,run-1-0000,0.5,a,1,2\n\
                1,run-1-0001,0.25,b,2,3\n\
                2,run-1-0002,0.75,\"\",3,4\n";
    let (data, summary) = read(text, &CsvOptions::default()).unwrap();
    assert!(summary.index_column_dropped);
    assert_eq!(summary.text_columns_dropped, ["run_id", "label"]);
    assert_eq!(data.feature_names(), ["temp", "pressure"]);
    assert_eq!(data.features(), [0.5, 1.0, 0.25, 2.0, 0.75, 3.0]);
    assert_eq!(data.targets(), [2.0, 3.0, 4.0]);
    // A long file: the first block already leaves the fast path.
    let mut long = String::from("id,x,y\n");
    for i in 0..50_000 {
        long.push_str(&format!("r{i},{i},{}\n", 2 * i));
    }
    let (data, summary) = read(&long, &CsvOptions::default()).unwrap();
    assert_eq!(summary.text_columns_dropped, ["id"]);
    assert_eq!(data.n_rows(), 50_000);
    // Chosen columns are never left out silently.
    let (_, summary) = read(
        "id,x,y\nr1,1,2\n",
        &CsvOptions {
            drop: vec!["id".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert!(summary.text_columns_dropped.is_empty());
    let e = read(
        "id,x,y\nr1,1,2\n",
        &CsvOptions {
            features: Some(vec!["id".into(), "x".into()]),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, DataError::NotANumber { ref hint, .. } if hint.is_empty()),
        "{e}"
    );
}

#[test]
fn a_column_mixing_numbers_and_text_is_refused_with_its_line_column_and_the_drop_hint() {
    // Numbers first, then text.
    let e = read("id,x,y\n1,1,2\n2,2,3\nr3,3,4\n", &CsvOptions::default()).unwrap_err();
    let message = e.to_string();
    assert!(
        matches!(
            e,
            DataError::NotANumber {
                line: 4,
                column: 1,
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("--drop id"), "{message}");
    // Text first, then a number.
    let e = read("id,x,y\nr1,1,2\n2,2,3\n", &CsvOptions::default()).unwrap_err();
    let message = e.to_string();
    assert!(
        matches!(
            e,
            DataError::MixedColumn {
                line: 3,
                column: 1,
                first_line: 2,
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("--drop id"), "{message}");
    // A text target is an error without the hint (it cannot be dropped).
    let e = read("x,y\n1,a\n", &CsvOptions::default()).unwrap_err();
    assert!(!e.to_string().contains("--drop"), "{e}");
    // Every feature text: refused as before, at the first field, without the hint.
    let e = read("a,b,y\nu,v,1\n", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::NotANumber {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(!e.to_string().contains("--drop"), "{e}");
    // An empty field is a missing number, not text.
    let e = read("a,b,y\n1,,1\n", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::NotANumber {
                line: 2,
                column: 2,
                ..
            }
        ),
        "{e}"
    );
}
