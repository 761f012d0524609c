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
    // Without a choice the text column is a feature and refused.
    assert!(matches!(
        read(text, &CsvOptions::default()).unwrap_err(),
        DataError::NotANumber { column: 3, .. }
    ));
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
    let options = CsvOptions {
        drop: vec!["nope".into()],
        ..Default::default()
    };
    assert!(matches!(
        read(text, &options).unwrap_err(),
        DataError::MissingFeature { .. }
    ));
}
