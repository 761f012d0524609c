//! `FeatureRows::read_chunk` (the fast path, falling back to the `csv` parser) against the
//! row-at-a-time methods (the `csv` parser throughout): the same rows, lines, text and errors
//! on plain and odd inputs, on small files and across blocks of a large one.

use fivedreg_data::{CsvOptions, FeatureRow, FeatureRows, RawBlock, RowChunk};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// What a reader produced: rows as (line, features, targets, text), then the error if any.
type Outcome = (Vec<(u64, Vec<f64>, Vec<f64>, Vec<u8>)>, Option<String>);

fn csv_text(fields: &[String], delimiter: u8) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(Vec::new());
    writer.write_record(fields).unwrap();
    let mut bytes = writer.into_inner().unwrap();
    bytes.pop();
    bytes
}

/// Row by row with `read_row` (the text is the fields as the `csv` writer writes them, as
/// `predict` wrote them before chunks).
fn by_rows(bytes: &[u8], features: &[String], options: &CsvOptions) -> Outcome {
    let mut rows = match FeatureRows::with_options(bytes, "t.csv", features, options) {
        Ok(rows) => rows,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let delimiter = rows.delimiter();
    let mut out = Vec::new();
    let mut row = FeatureRow {
        line: 0,
        fields: Vec::new(),
        features: Vec::new(),
    };
    loop {
        match rows.read_row(&mut row) {
            Ok(true) => out.push((
                row.line,
                row.features.clone(),
                Vec::new(),
                csv_text(&row.fields, delimiter),
            )),
            Ok(false) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// Row by row with `read_numbers` (features and target).
fn by_numbers(bytes: &[u8], features: &[String], target: &str, options: &CsvOptions) -> Outcome {
    let mut rows = match FeatureRows::with_target(bytes, "t.csv", features, target, options) {
        Ok(rows) => rows,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let mut out = Vec::new();
    loop {
        let (mut f, mut t) = (Vec::new(), Vec::new());
        match rows.read_numbers(&mut f, &mut t) {
            Ok(true) => out.push((rows.line(), f, t, Vec::new())),
            Ok(false) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// Chunk by chunk.
fn by_chunks(
    bytes: &[u8],
    features: &[String],
    target: Option<&str>,
    options: &CsvOptions,
    with_text: bool,
) -> Outcome {
    let opened = match target {
        None => FeatureRows::with_options(bytes, "t.csv", features, options),
        Some(t) => FeatureRows::with_target(bytes, "t.csv", features, t, options),
    };
    let mut rows = match opened {
        Ok(rows) => rows,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let n = features.len();
    let mut out = Vec::new();
    let mut chunk = RowChunk::new(with_text);
    loop {
        chunk.clear();
        match rows.read_chunk(&mut chunk) {
            Ok(true) => {
                assert!(!chunk.is_empty());
                for i in 0..chunk.len() {
                    let targets = match target {
                        Some(_) => vec![chunk.targets[i]],
                        None => Vec::new(),
                    };
                    out.push((
                        chunk.lines[i],
                        chunk.features[i * n..(i + 1) * n].to_vec(),
                        targets,
                        chunk.text(i).to_vec(),
                    ));
                }
            }
            Ok(false) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// Block by block as `predict` reads on several threads: `take_block`, parsed by a
/// `BlockParser` (the chunk taking the block's bytes as its text), a block that is not plain
/// given back, and the rest read with `read_chunk`.
fn by_blocks(bytes: &[u8], features: &[String], options: &CsvOptions) -> Outcome {
    let mut rows = match FeatureRows::with_options(bytes, "t.csv", features, options) {
        Ok(rows) => rows,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let n = features.len();
    let parser = rows.block_parser();
    let mut fast = parser.is_some();
    let mut block = RawBlock::default();
    let mut chunk = RowChunk::new(true);
    let mut out = Vec::new();
    loop {
        chunk.clear();
        let mut got = false;
        if fast {
            match rows.take_block(&mut block) {
                Ok(true) => {
                    if parser.as_ref().unwrap().parse(&mut block, &mut chunk) {
                        got = true;
                    } else {
                        assert!(chunk.is_empty());
                        rows.give_back(vec![std::mem::take(&mut block)]);
                        fast = false;
                    }
                }
                Ok(false) => fast = false,
                Err(e) => return (out, Some(e.to_string())),
            }
        }
        if !got && !fast {
            match rows.read_chunk(&mut chunk) {
                Ok(true) => {}
                Ok(false) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
        for i in 0..chunk.len() {
            out.push((
                chunk.lines[i],
                chunk.features[i * n..(i + 1) * n].to_vec(),
                Vec::new(),
                chunk.text(i).to_vec(),
            ));
        }
    }
}

/// Chunks may hold back the rows of the chunk where an error is found: their rows must be
/// a prefix of the row-by-row ones, the error the same, and everything the same without one.
fn assert_same(chunks: Outcome, rows: Outcome, input: &[u8]) {
    let shown = String::from_utf8_lossy(&input[..input.len().min(300)]).into_owned();
    assert_eq!(chunks.1, rows.1, "errors differ on {shown:?}");
    if chunks.1.is_none() {
        assert_eq!(
            chunks.0.len(),
            rows.0.len(),
            "row counts differ on {shown:?}"
        );
    }
    assert!(
        chunks.0.len() <= rows.0.len(),
        "more rows in chunks on {shown:?}"
    );
    for (a, b) in chunks.0.iter().zip(&rows.0) {
        assert_eq!(
            (a.0, &a.1, &a.2),
            (b.0, &b.1, &b.2),
            "row differs on {shown:?}"
        );
        if !a.3.is_empty() || !b.3.is_empty() {
            assert_eq!(
                String::from_utf8_lossy(&a.3),
                String::from_utf8_lossy(&b.3),
                "text differs on {shown:?}"
            );
        }
    }
}

/// One random field of a data row: mostly plain numbers, sometimes anything a user's file
/// may hold.
fn field(rng: &mut ChaCha8Rng, delimiter: char) -> String {
    let number = format!("{:?}", rng.random_range(-1e3..1e3f64));
    match rng.random_range(0..40) {
        0 => format!(" {number} "),
        1 => format!("\"{number}\""),
        2 => format!(" \"{number}\""),
        3 => format!("{number}\r"),
        4 => "abc".to_string(),
        5 => String::new(),
        6 => "NaN".to_string(),
        7 => "1e400".to_string(),
        8 => format!("\"{number}{delimiter}5\""),
        9 => "\"a\nb\"".to_string(),
        10 => "\t7".to_string(),
        11 => "\"say \"\"hi\"\"\"".to_string(),
        12 => "é".to_string(),
        _ => number,
    }
}

fn random_file(rng: &mut ChaCha8Rng, rows: usize, delimiter: char, odd: bool) -> Vec<u8> {
    let d = delimiter;
    let mut text = format!("x1{d}note{d}x2{d}y\n").into_bytes();
    for _ in 0..rows {
        let mut row: Vec<String> = (0..4)
            .map(|c| {
                if odd {
                    field(rng, d)
                } else if c == 1 {
                    "n".to_string()
                } else {
                    format!("{:?}", rng.random_range(-1e3..1e3f64))
                }
            })
            .collect();
        if odd {
            match rng.random_range(0..60) {
                0 => row.truncate(3),
                1 => row.push("9".into()),
                2 => row = vec!["   ".into()],
                3 => row = vec![String::new()],
                _ => {}
            }
        }
        text.extend_from_slice(row.join(&d.to_string()).as_bytes());
        if odd && rng.random_range(0..50) == 0 {
            text.extend_from_slice(b"\xff");
        }
        text.extend_from_slice(if odd && rng.random_range(0..10) == 0 {
            b"\r\n"
        } else {
            b"\n"
        });
    }
    if rng.random() {
        text.pop();
    }
    text
}

fn check_all_readers(bytes: &[u8], options: &CsvOptions) {
    let features = names(&["x2", "x1"]);
    let with_text = by_chunks(bytes, &features, None, options, true);
    assert_same(with_text, by_rows(bytes, &features, options), bytes);
    let blocks = by_blocks(bytes, &features, options);
    assert_same(blocks, by_rows(bytes, &features, options), bytes);
    let numbers = by_chunks(bytes, &features, Some("y"), options, false);
    assert_same(numbers, by_numbers(bytes, &features, "y", options), bytes);
}

#[test]
fn chunks_read_small_odd_files_as_rows_do() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for case in 0..3000 {
        let delimiter = [',', ';', '\t'][case % 3];
        let odd = case % 4 != 0;
        let rows = rng.random_range(0..12);
        let bytes = random_file(&mut rng, rows, delimiter, odd);
        let options = CsvOptions {
            max_line_bytes: if case % 7 == 0 { 40 } else { 1 << 20 },
            ..Default::default()
        };
        check_all_readers(&bytes, &options);
    }
}

#[test]
fn chunks_read_large_files_across_blocks_as_rows_do() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    // About 3 MB of plain lines, then an odd line somewhere, then plain lines again: the
    // fast path hands over to the slow one mid-file, with the right line numbers.
    for (odd_line, odd) in [
        (None, ""),
        (Some(10), "1,\"n\",2,3"),
        (Some(31_000), "1, n ,2,3\r"),
        (Some(47_000), "1,n,abc,3"),
        (Some(60_000), "1,n,2"),
        (Some(70_000), "   "),
        (Some(80_000), "1,n,2,3\r\r"),
    ] {
        let mut text = b"x1,note,x2,y\r\n".to_vec();
        for line in 0..90_000 {
            if Some(line) == odd_line {
                text.extend_from_slice(odd.as_bytes());
            } else {
                let row = format!(
                    "{:?},n{},{:?},{:?}",
                    rng.random_range(-9.0..9.0f64),
                    line % 7,
                    rng.random::<f64>(),
                    rng.random_range(-1e-6..1e6f64)
                );
                text.extend_from_slice(row.as_bytes());
            }
            text.extend_from_slice(if line % 3 == 0 { b"\r\n" } else { b"\n" });
        }
        check_all_readers(&text, &CsvOptions::default());
        // The plain file's text is its lines, byte for byte.
        if odd_line.is_none() {
            let (rows, error) = by_chunks(&text, &names(&["x1"]), None, &Default::default(), true);
            assert!(error.is_none());
            let plain = String::from_utf8(text.clone()).unwrap();
            for ((line, _, _, row_text), expected) in rows.iter().zip(plain.lines().skip(1)) {
                assert_eq!(row_text.as_slice(), expected.as_bytes(), "line {line}");
            }
        }
    }
}

#[test]
fn a_huge_line_is_refused_with_its_line_number_on_the_fast_path_too() {
    let mut text = b"x1,x2,y\n".to_vec();
    for _ in 0..50_000 {
        text.extend_from_slice(b"1.5,2.5,3.5\n");
    }
    text.extend(std::iter::repeat_n(b'7', 3 << 20));
    text.extend_from_slice(b",1,2\n4,5,6\n");
    let options = CsvOptions {
        max_line_bytes: 1 << 20,
        ..Default::default()
    };
    check_all_readers(&text, &options);
    let (_, error) = by_chunks(&text, &names(&["x1"]), None, &options, true);
    let error = error.expect("refused");
    assert!(error.contains("line 50002"), "{error}");
}
