//! Reading CSV files: whole datasets ([`read_csv`]) and streamed feature rows ([`FeatureRows`]).
//!
//! Records are read into one reused [`csv::ByteRecord`], so reading allocates nothing per
//! row besides the parsed numbers. Lines are capped in length by [`LineLimited`] *before*
//! the parser buffers them, so a huge line without a newline cannot exhaust memory.

use crate::blocks::{parse_block, Blocks, Layout, Next, Sink};
use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;

/// A column name as text shows it: as is when plain, otherwise quoted with its special
/// characters escaped (a comma would read as a separator in a list of names, a control
/// character could rewrite the terminal).
pub fn column_name(name: &str) -> Cow<'_, str> {
    let plain = !name.is_empty()
        && name.trim() == name
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, ',' | '"' | '\\'));
    if plain {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name:?}"))
    }
}

/// Longest field text quoted back in an error message.
const MAX_ERROR_TEXT: usize = 64;

/// What to do with a NaN or infinite value in a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonFinitePolicy {
    /// Refuse the file, naming the line and column (the default).
    #[default]
    Reject,
    /// Drop the row and count it in [`ReadSummary::dropped_rows`].
    DropRows,
}

/// How to read a CSV file. Build it with `..Default::default()` so fields can be added.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The target column's name; `None` means the last column.
    pub target: Option<String>,
    /// What to do with NaN or infinite values.
    pub non_finite: NonFinitePolicy,
    /// Most columns a header may have (default 1024); checked before any per-column
    /// allocation.
    pub max_columns: usize,
    /// Longest line, in bytes, and longest record (default 16 MiB).
    pub max_line_bytes: usize,
    /// The field separator; `None` detects it from the header line: whichever of `,`,
    /// tab and `;` occurs most often outside quotes (a comma on a tie or when none does).
    pub delimiter: Option<u8>,
    /// The feature columns, in this order; `None` means every column but the target, the
    /// [`drop`](Self::drop)ped ones and a pandas row index (see [`read_csv`]).
    pub features: Option<Vec<String>>,
    /// Columns to leave out of the features (each must exist).
    pub drop: Vec<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            target: None,
            non_finite: NonFinitePolicy::Reject,
            max_columns: 1024,
            max_line_bytes: 16 << 20,
            delimiter: None,
            features: None,
            drop: Vec::new(),
        }
    }
}

/// What reading a CSV file found besides the data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadSummary {
    /// Rows dropped under [`NonFinitePolicy::DropRows`].
    pub dropped_rows: usize,
    /// Whether an unnamed first column holding the row numbers 0, 1, 2, … (the index
    /// pandas' `df.to_csv(path)` writes) was left out.
    pub index_column_dropped: bool,
    /// The columns left out of the features because they hold text in every row (an ID or
    /// a label), in header order; only when [`CsvOptions::features`] is `None`.
    pub text_columns_dropped: Vec<String>,
    /// The field separator used (given or detected).
    pub delimiter: u8,
}

impl ReadSummary {
    /// One line for each column left out of the features without being named in
    /// [`CsvOptions::drop`]: pandas' index, and each column of text (a line naming them all),
    /// for the command line, the server and the Python package to show as they are.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.index_column_dropped {
            notes.push(
                "the unnamed first column holds the row numbers 0, 1, 2, … (a pandas index): \
                 left out of the features"
                    .to_string(),
            );
        }
        let names: Vec<String> = self
            .text_columns_dropped
            .iter()
            .map(|name| column_name(name).into_owned())
            .collect();
        match names.as_slice() {
            [] => {}
            [one] => notes.push(format!(
                "the column {one} holds text in every row: left out of the features"
            )),
            many => notes.push(format!(
                "the columns {} hold text in every row: left out of the features",
                many.join(", ")
            )),
        }
        notes
    }
}

/// Whether a CSV field holds text (an ID, a label) rather than a number: not empty (a
/// missing value), not a number, nor one written with a decimal comma (a slip that
/// [`read_csv`]'s error names). A column whose first row is text in a file read without
/// [`CsvOptions::features`] is left out of the features, and must hold text in every row.
pub fn is_text_field(field: &str) -> bool {
    let text = trim_field_str(field);
    !text.is_empty()
        && text.parse::<f64>().is_err()
        && text.replace(',', ".").parse::<f64>().is_err()
}

/// Picks the field separator of a header line: whichever of `,`, tab and `;` occurs most
/// often outside double quotes; a comma on a tie or when none occurs.
pub fn detect_delimiter(header_line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
    }
    let candidates = [b',', b'\t', b';'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Reads a CSV file (`-` means stdin) into a dataset.
pub fn read_csv_path(path: &Path, options: &CsvOptions) -> Result<(Dataset, ReadSummary)> {
    if path.as_os_str() == "-" {
        return read_csv(io::stdin().lock(), "<stdin>", options);
    }
    let file = open(path)?;
    read_csv(file, &path.display().to_string(), options)
}

/// Opens `path` for reading, refusing a directory; errors name the path.
pub fn open(path: &Path) -> Result<std::fs::File> {
    let name = || path.display().to_string();
    let io_err = |source| DataError::Io {
        file: name(),
        source,
    };
    if std::fs::metadata(path).map_err(io_err)?.is_dir() {
        return Err(DataError::IsADirectory { file: name() });
    }
    std::fs::File::open(path).map_err(io_err)
}

/// Reads CSV from any reader; `source` names it in errors (a path, or `<stdin>`).
///
/// A header row is required. The target is the column named by [`CsvOptions::target`], or
/// the last column; the features are [`CsvOptions::features`], or every other column but
/// the [`CsvOptions::drop`]ped ones. Only those columns are parsed. Fields are separated by
/// [`CsvOptions::delimiter`] or the one [`detect_delimiter`] finds in the header line. An
/// unnamed first column (pandas' `df.to_csv(path)` writes its index so) is left out when it
/// holds the row numbers 0, 1, 2, … ([`ReadSummary::index_column_dropped`]) and refused
/// otherwise. Accepted: CRLF or LF line ends, a
/// UTF-8 byte-order mark, spaces around fields, quoted numbers, blank lines. Refused, besides
/// what is not a number: lines ended by `\r` alone (old Mac style; the whole file would read
/// as one line), more than [`CsvOptions::max_columns`] columns, lines longer than
/// [`CsvOptions::max_line_bytes`].
pub fn read_csv<R: Read>(
    reader: R,
    source: &str,
    options: &CsvOptions,
) -> Result<(Dataset, ReadSummary)> {
    let mut rows = Rows::open(reader, source, options)?;
    let header = rows.header.clone();
    let ncols = header.names.len();
    let (target, mut feature_columns) = choose_columns(&header, options, source)?;
    let index_column = header.unnamed_first && target != 0;
    if ncols < 2 || feature_columns.is_empty() {
        let name = &header.names[0];
        let hint = if ncols >= 2 {
            "; every other column was dropped".to_string()
        } else {
            match [';', '\t', '|'].into_iter().find(|&c| name.contains(c)) {
                Some(sep) => format!(
                    "; the header {name:?} contains {sep:?}, but {:?} separates the columns \
                     (pass --delimiter)",
                    rows.delimiter as char
                ),
                None => String::new(),
            }
        };
        return Err(DataError::NoFeatureColumns {
            file: source.to_string(),
            line: header.line,
            columns: ncols,
            hint,
        });
    }
    let mut d = feature_columns.len();
    let mut features: Vec<f64> = Vec::new();
    let mut targets: Vec<f64> = Vec::new();
    let mut row = vec![0.0f64; d + 1];
    // Columns chosen by default that hold text in the first row (an ID, a label): left
    // out, and checked to hold text in every row. A block with text leaves the fast path
    // at its first line, so the first row is always read on the slow one.
    let find_text = options.features.is_none();
    let mut text_columns: Vec<usize> = Vec::new();
    let mut first_record = true;
    let mut text_line = 0u64;
    let mut dropped = 0usize;
    let mut record_number = 0u64;
    let drop_rows = options.non_finite == NonFinitePolicy::DropRows;
    // The fast path while the lines are plain; a pandas index is checked on the slow one.
    let layout = (!index_column)
        .then(|| {
            Layout::new(
                rows.delimiter,
                ncols,
                &feature_columns,
                Some(target),
                options.max_line_bytes,
            )
        })
        .flatten();
    let mut done = false;
    if let Some(layout) = &layout {
        loop {
            let mut sink = Sink {
                features: &mut features,
                targets: &mut targets,
                lines: None,
                text: None,
                in_place: false,
            };
            match rows.fast_block(layout, &mut sink)? {
                Some(true) => continue,
                Some(false) => done = true,
                None => {}
            }
            break;
        }
    }
    // The slow path, unless the fast one read everything.
    if !done {
        while let Some((input, header)) = rows.slow() {
            if !input.next_record(header)? {
                break;
            }
            let mut finite = true;
            let text = input.record_text();
            if index_column {
                let index = input.parse_at(text, 0, header).ok();
                if index != Some(record_number as f64) {
                    return Err(DataError::UnnamedColumn {
                        file: source.to_string(),
                        line: input.line(),
                        text: shorten(&String::from_utf8_lossy(trim_field(&input.record[0]))),
                        expected: record_number,
                    });
                }
            }
            record_number += 1;
            let first_row = first_record && targets.is_empty() && dropped == 0;
            if find_text && first_row {
                text_columns = feature_columns
                    .iter()
                    .copied()
                    .filter(|&c| is_text(&input.record[c]))
                    .collect();
                // Only text: not a table of features with an ID, but a file to refuse as
                // before (at its first field that is not a number).
                if text_columns.len() == feature_columns.len() {
                    text_columns.clear();
                }
                if !text_columns.is_empty() {
                    feature_columns.retain(|c| !text_columns.contains(c));
                    d = feature_columns.len();
                    row = vec![0.0f64; d + 1];
                    text_line = input.line();
                }
            }
            first_record = false;
            for &c in &text_columns {
                if input.parse_at(text, c, header).is_ok() {
                    return Err(DataError::MixedColumn {
                        file: source.to_string(),
                        line: input.line(),
                        column: c + 1,
                        name: header.names[c].clone(),
                        text: shorten(&String::from_utf8_lossy(trim_field(&input.record[c]))),
                        first_line: text_line,
                    });
                }
            }
            for (slot, &c) in row.iter_mut().zip(feature_columns.iter().chain([&target])) {
                let v = input.parse_at(text, c, header).map_err(|e| {
                    // A feature that held numbers until here: it mixes numbers and text.
                    if find_text && !first_row && c != target {
                        e.with_drop_hint()
                    } else {
                        e
                    }
                })?;
                if !v.is_finite() {
                    if !drop_rows {
                        let raw = &input.record[c];
                        return Err(input.field_error(FieldProblem::NonFinite, raw, c, header));
                    }
                    finite = false;
                }
                *slot = v;
            }
            if !finite {
                dropped += 1;
                continue;
            }
            features.extend_from_slice(&row[..d]);
            targets.push(row[d]);
        }
    }
    if targets.is_empty() {
        return Err(if dropped > 0 {
            DataError::AllRowsDropped {
                file: source.to_string(),
                dropped,
            }
        } else {
            DataError::HeaderOnly {
                file: source.to_string(),
            }
        });
    }
    features.shrink_to_fit();
    targets.shrink_to_fit();
    let names: Vec<String> = feature_columns
        .iter()
        .map(|&c| header.names[c].clone())
        .collect();
    let target_name = header.names[target].clone();
    Ok((
        Dataset::new_unchecked(names, target_name, features, targets),
        ReadSummary {
            dropped_rows: dropped,
            index_column_dropped: index_column,
            text_columns_dropped: text_columns
                .iter()
                .map(|&c| header.names[c].clone())
                .collect(),
            delimiter: rows.delimiter,
        },
    ))
}

/// The target's column and the feature columns (0-based) that `options` choose from a
/// header with these `names` (see [`read_csv`]), before any text column is left out: for
/// checking a choice of columns against a data set's header without reading its rows.
pub fn choose_feature_columns(
    names: &[String],
    options: &CsvOptions,
    source: &str,
) -> Result<(usize, Vec<usize>)> {
    let header = Header {
        names: names.to_vec(),
        line: 1,
        by_name: names
            .iter()
            .enumerate()
            .map(|(c, name)| (name.clone(), c))
            .collect(),
        unnamed_first: names.first().is_some_and(|n| n.is_empty()),
    };
    choose_columns(&header, options, source)
}

/// Whether a raw field holds text: valid UTF-8 and [`is_text_field`].
fn is_text(raw: &[u8]) -> bool {
    std::str::from_utf8(trim_field(raw)).is_ok_and(is_text_field)
}

/// The target's column and the feature columns `options` choose from `header`.
fn choose_columns(
    header: &Header,
    options: &CsvOptions,
    source: &str,
) -> Result<(usize, Vec<usize>)> {
    let ncols = header.names.len();
    if ncols == 0 {
        return Err(DataError::HeaderOnly {
            file: source.to_string(),
        });
    }
    let missing = |name: &str| DataError::MissingFeature {
        file: source.to_string(),
        line: header.line,
        name: name.to_string(),
        columns: header.names.join(", "),
    };
    let target = match &options.target {
        None => ncols - 1,
        Some(t) => header.index(t).ok_or_else(|| DataError::TargetNotFound {
            file: source.to_string(),
            line: header.line,
            target: t.clone(),
            columns: header.names.join(", "),
        })?,
    };
    let index_column = header.unnamed_first && target != 0;
    let mut dropped_columns = Vec::with_capacity(options.drop.len());
    for name in &options.drop {
        let c = header.index(name).ok_or_else(|| DataError::DropNotFound {
            file: source.to_string(),
            line: header.line,
            name: name.clone(),
            columns: header.names.join(", "),
        })?;
        if c == target {
            return Err(DataError::ColumnChoice {
                file: source.to_string(),
                message: format!(
                    "the column {name:?} to drop is the target; drop another column, or \
                     choose another target with --target"
                ),
            });
        }
        dropped_columns.push(c);
    }
    let feature_columns: Vec<usize> = match &options.features {
        Some(names) => {
            let mut columns = Vec::with_capacity(names.len());
            for name in names {
                let c = header.index(name).ok_or_else(|| missing(name))?;
                if c == target || dropped_columns.contains(&c) || columns.contains(&c) {
                    return Err(DataError::ColumnChoice {
                        file: source.to_string(),
                        message: format!(
                            "the feature {name:?} is also {}",
                            if c == target {
                                "the target"
                            } else if columns.contains(&c) {
                                "named earlier in the feature list"
                            } else {
                                "a dropped column"
                            }
                        ),
                    });
                }
                columns.push(c);
            }
            columns
        }
        None => (0..ncols)
            .filter(|&c| c != target && !(index_column && c == 0) && !dropped_columns.contains(&c))
            .collect(),
    };
    Ok((target, feature_columns))
}

/// Streams the rows of a CSV file of features, for prediction in bounded memory.
/// The header must contain every expected feature name (in any order; extra columns are
/// allowed and ignored for the features but kept in the record).
///
/// [`read_chunk`](Self::read_chunk) reads a block of rows at a time on the fast path (see
/// [`RowChunk`]); the row-at-a-time methods use the `csv` parser from where they are first
/// called. Both accept and refuse the same files, with the same messages.
pub struct FeatureRows<R: Read> {
    rows: Rows<R>,
    /// For each expected feature, its column in the file.
    columns: Vec<usize>,
    /// The target's column, for rows opened [`with_target`](FeatureRows::with_target).
    target: Option<usize>,
    /// The fast path's layout (`None`: a column is read twice; the slow path reads all).
    layout: Option<Layout>,
    /// The text of a row read on the slow path, as an output file would hold it.
    text_buffer: Vec<u8>,
}

/// One row streamed by [`FeatureRows`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// The raw fields of the row, as read (for echoing them to an output file).
    pub fields: Vec<String>,
    /// The features, in the order of the expected feature names.
    pub features: Vec<f64>,
}

/// Rows read a block at a time by [`FeatureRows::read_chunk`]: their numbers, their lines
/// and, when asked for, their text. Reuse one chunk ([`clear`](Self::clear) it) so that
/// reading allocates nothing once it has grown.
#[derive(Debug, Clone, Default)]
pub struct RowChunk {
    /// The features, row-major, in the order of the expected feature names.
    pub features: Vec<f64>,
    /// The targets, for rows opened [`with_target`](FeatureRows::with_target).
    pub targets: Vec<f64>,
    /// Each row's 1-based line in the file.
    pub lines: Vec<u64>,
    /// The rows' text: a parsed block as it was read, or rows written one after another.
    text: Vec<u8>,
    /// Where each row's text lies in `text`.
    text_spans: Vec<(usize, usize)>,
    with_text: bool,
}

impl RowChunk {
    /// An empty chunk; `with_text` keeps each row's text (see [`text`](Self::text)).
    pub fn new(with_text: bool) -> RowChunk {
        RowChunk {
            with_text,
            ..Default::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the chunk holds no row.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Where the block parser appends this chunk's rows (with their text if kept).
    fn sink(&mut self) -> Sink<'_> {
        self.sink_in_place(false)
    }

    /// [`sink`](Self::sink), giving each row's text as its place in the block parsed
    /// (`in_place`) rather than a copy.
    fn sink_in_place(&mut self, in_place: bool) -> Sink<'_> {
        Sink {
            in_place,
            features: &mut self.features,
            targets: &mut self.targets,
            lines: Some(&mut self.lines),
            text: self
                .with_text
                .then_some((&mut self.text, &mut self.text_spans)),
        }
    }

    /// Empties the chunk, keeping its memory.
    pub fn clear(&mut self) {
        self.features.clear();
        self.targets.clear();
        self.lines.clear();
        self.text.clear();
        self.text_spans.clear();
    }

    /// Row `i`'s fields as an output line holds them, without the line end: the line as
    /// read, byte for byte, where it has no quote and no carriage return but the one of a
    /// CRLF end; otherwise the fields as the `csv` crate's writer writes them (quoted where
    /// needed). Empty for chunks made without text, or `i` out of range.
    pub fn text(&self, i: usize) -> &[u8] {
        self.text_spans
            .get(i)
            .and_then(|&(start, end)| self.text.get(start..end))
            .unwrap_or_default()
    }
}

/// A block of whole lines of a CSV file (about a megabyte), taken by
/// [`FeatureRows::take_block`] to be parsed by a [`BlockParser`] on any thread.
#[derive(Debug, Clone, Default)]
pub struct RawBlock {
    bytes: Vec<u8>,
    first_line: u64,
}

/// Parses [`RawBlock`]s on the fast path, on any thread (see [`FeatureRows::take_block`]).
#[derive(Debug, Clone)]
pub struct BlockParser {
    layout: Layout,
}

impl BlockParser {
    /// Appends the rows of `block` to `chunk`, as [`FeatureRows::read_chunk`] would have.
    /// `false` when a line of the block is not plain (see [`RowChunk::text`]): nothing was
    /// appended, and the block must go back with [`FeatureRows::give_back`].
    /// An empty chunk made with text takes the block's bytes as its text instead of a copy
    /// of its lines (the block keeps the chunk's old buffer, to be reused).
    pub fn parse(&self, block: &mut RawBlock, chunk: &mut RowChunk) -> bool {
        let in_place = chunk.with_text && chunk.text.is_empty() && chunk.text_spans.is_empty();
        let mut sink = chunk.sink_in_place(in_place);
        let mark = sink.mark();
        let mut row = Vec::new();
        let parsed = parse_block(
            &block.bytes,
            block.first_line,
            &self.layout,
            &mut row,
            &mut sink,
        );
        if parsed.is_none() {
            sink.rollback(mark);
            return false;
        }
        if in_place {
            std::mem::swap(&mut chunk.text, &mut block.bytes);
            block.bytes.clear();
        }
        true
    }
}

/// Rows a chunk read on the slow path holds at most.
const SLOW_CHUNK_ROWS: usize = 4096;

impl<R: Read> FeatureRows<R> {
    /// Reads the header and matches it against `feature_names`, with the default caps of
    /// [`CsvOptions`].
    pub fn new(reader: R, source: &str, feature_names: &[String]) -> Result<FeatureRows<R>> {
        FeatureRows::with_options(reader, source, feature_names, &CsvOptions::default())
    }

    /// Like [`FeatureRows::new`], with the caps (`max_columns`, `max_line_bytes`) and the
    /// delimiter of `options`; its other fields are not used.
    pub fn with_options(
        reader: R,
        source: &str,
        feature_names: &[String],
        options: &CsvOptions,
    ) -> Result<FeatureRows<R>> {
        FeatureRows::open(reader, source, feature_names, None, options)
    }

    /// Like [`FeatureRows::with_options`], for rows that also hold the true target in the
    /// column named `target` (for measuring a model): [`read_numbers`](Self::read_numbers)
    /// and [`read_chunk`](Self::read_chunk) then read it too.
    pub fn with_target(
        reader: R,
        source: &str,
        feature_names: &[String],
        target: &str,
        options: &CsvOptions,
    ) -> Result<FeatureRows<R>> {
        FeatureRows::open(reader, source, feature_names, Some(target), options)
    }

    fn open(
        reader: R,
        source: &str,
        feature_names: &[String],
        target: Option<&str>,
        options: &CsvOptions,
    ) -> Result<FeatureRows<R>> {
        let rows = Rows::open(reader, source, options)?;
        let header = &rows.header;
        let columns = feature_names
            .iter()
            .map(|name| {
                header.index(name).ok_or_else(|| DataError::MissingFeature {
                    file: source.to_string(),
                    line: header.line,
                    name: name.clone(),
                    columns: header.names.join(", "),
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        let target = match target {
            None => None,
            Some(target) => {
                Some(
                    header
                        .index(target)
                        .ok_or_else(|| DataError::TargetNotFound {
                            file: source.to_string(),
                            line: header.line,
                            target: target.to_string(),
                            columns: header.names.join(", "),
                        })?,
                )
            }
        };
        let layout = Layout::new(
            rows.delimiter,
            header.names.len(),
            &columns,
            target,
            options.max_line_bytes,
        );
        Ok(FeatureRows {
            rows,
            columns,
            target,
            layout,
            text_buffer: Vec::new(),
        })
    }

    /// Appends the next rows to `chunk`, a block of the file at a time (about a megabyte;
    /// at most 4,096 rows where the lines are not plain): their features, targets (for
    /// rows opened [`with_target`](Self::with_target)), lines and, for a chunk made with
    /// text, their text. `Ok(false)` at the end of the file, when no row was added. After
    /// an error the chunk's contents are unspecified.
    pub fn read_chunk(&mut self, chunk: &mut RowChunk) -> Result<bool> {
        let before = chunk.len();
        if let Some(layout) = &self.layout {
            loop {
                let mut sink = chunk.sink();
                match self.rows.fast_block(layout, &mut sink)? {
                    Some(true) if chunk.lines.len() > before => return Ok(true),
                    Some(true) => continue,
                    Some(false) => return Ok(false),
                    None => break,
                }
            }
        }
        while chunk.len() - before < SLOW_CHUNK_ROWS && self.read_slow_row(chunk)? {}
        Ok(chunk.len() > before)
    }

    /// The parser of the blocks [`take_block`](Self::take_block) takes; `None` when only
    /// the slow path can read this file's columns (a column read twice).
    pub fn block_parser(&self) -> Option<BlockParser> {
        self.layout.clone().map(|layout| BlockParser { layout })
    }

    /// For reading on several threads: moves the next block of whole lines into `block`
    /// (reusing its memory), to be parsed by a [`BlockParser`] elsewhere. `Ok(false)` at the
    /// end of the file, or when the rest of the rows must be read on the slow path, with
    /// [`read_chunk`](Self::read_chunk) (which then reads them, or says the file ended).
    pub fn take_block(&mut self, block: &mut RawBlock) -> Result<bool> {
        if self.layout.is_none() {
            return Ok(false);
        }
        let Some(Mode::Fast(blocks)) = self.rows.mode.as_mut() else {
            return Ok(false);
        };
        let next = blocks
            .next_block(self.rows.max_line_bytes)
            .map_err(|e| io_error(&self.rows.source, e))?;
        match next {
            Next::End => Ok(false),
            Next::TooLong => {
                self.rows.slow();
                Ok(false)
            }
            Next::Block(end) => {
                block.bytes.clear();
                block.bytes.extend_from_slice(blocks.text(end));
                block.first_line = blocks.line();
                blocks.consume(end, count_newlines(&block.bytes));
                Ok(true)
            }
        }
    }

    /// Puts `blocks` (taken by [`take_block`](Self::take_block) and not parsed, in the order
    /// they were taken) back in front of the unread input: the rows go on from their first
    /// line on the slow path.
    pub fn give_back(&mut self, blocks: Vec<RawBlock>) {
        if let (Some(first), Some(Mode::Fast(fast))) = (blocks.first(), self.rows.mode.as_mut()) {
            let line = first.first_line;
            let bytes: Vec<u8> = blocks
                .iter()
                .flat_map(|b| b.bytes.iter().copied())
                .collect();
            fast.unread(&bytes, line);
        }
        self.rows.slow();
    }

    /// Reads one row on the slow path into `chunk`: as [`read_row`](Self::read_row) does
    /// for a chunk with text, as [`read_numbers`](Self::read_numbers) does otherwise.
    fn read_slow_row(&mut self, chunk: &mut RowChunk) -> Result<bool> {
        if !chunk.with_text {
            if !self.read_numbers(&mut chunk.features, &mut chunk.targets)? {
                return Ok(false);
            }
            chunk.lines.push(self.line());
            return Ok(true);
        }
        let Some((input, header)) = self.rows.slow() else {
            return Ok(false);
        };
        if !input.next_record(header)? {
            return Ok(false);
        }
        let start = chunk.features.len();
        for &c in self.columns.iter().chain(&self.target) {
            let raw = &input.record[c];
            let v = input.parse(raw, c, header)?;
            if !v.is_finite() {
                return Err(input.field_error(FieldProblem::NonFinite, raw, c, header));
            }
            chunk.features.push(v);
        }
        if self.target.is_some() {
            if let Some(t) = chunk.features.pop() {
                chunk.targets.push(t);
            }
        }
        debug_assert_eq!(chunk.features.len(), start + self.columns.len());
        let record = &input.record;
        let mut fields = Vec::with_capacity(record.len());
        for (c, raw) in record.iter().enumerate() {
            // The `\r` of a CRLF line end is left on the last field by the parser.
            let raw = if c + 1 == record.len() {
                raw.strip_suffix(b"\r").unwrap_or(raw)
            } else {
                raw
            };
            if std::str::from_utf8(raw).is_err() {
                return Err(input.field_error(FieldProblem::NotUtf8, raw, c, header));
            }
            fields.push(raw);
        }
        // Written as the predictions' writer would write them (only this path's rows,
        // those with quotes or odd carriage returns, need it).
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .delimiter(input.delimiter)
            .flexible(true)
            .buffer_capacity(256)
            .from_writer(&mut self.text_buffer);
        let written = writer
            .write_record(fields)
            .and_then(|()| Ok(writer.flush()?));
        drop(writer);
        if let Err(e) = written {
            return Err(DataError::Csv {
                file: input.source.clone(),
                line: input.line(),
                message: e.to_string(),
            });
        }
        let bytes = &self.text_buffer;
        let from = chunk.text.len();
        chunk
            .text
            .extend_from_slice(bytes.strip_suffix(b"\n").unwrap_or(bytes));
        chunk.text_spans.push((from, chunk.text.len()));
        self.text_buffer.clear();
        chunk.lines.push(input.line());
        Ok(true)
    }

    /// Reads the next row's numbers only: appends its features (in the order of the
    /// expected names) to `features` and, for rows opened
    /// [`with_target`](Self::with_target), its target to `targets`. The other columns are
    /// not looked at (they need not be numbers, nor UTF-8). `Ok(false)` at the end of the
    /// file; after an error nothing of the row has been appended.
    pub fn read_numbers(
        &mut self,
        features: &mut Vec<f64>,
        targets: &mut Vec<f64>,
    ) -> Result<bool> {
        let Some((input, header)) = self.rows.slow() else {
            return Ok(false);
        };
        if !input.next_record(header)? {
            return Ok(false);
        }
        let start = features.len();
        // One UTF-8 check for the whole record when it passes (other columns included).
        let text = input.record_text();
        let values = self.columns.iter().chain(&self.target).map(|&c| {
            let v = input.parse_at(text, c, header)?;
            if v.is_finite() {
                Ok(v)
            } else {
                let raw = &input.record[c];
                Err(input.field_error(FieldProblem::NonFinite, raw, c, header))
            }
        });
        for v in values {
            match v {
                Ok(v) => features.push(v),
                Err(e) => {
                    features.truncate(start);
                    return Err(e);
                }
            }
        }
        if self.target.is_some() {
            // The target was read last, after the features.
            if let Some(t) = features.pop() {
                targets.push(t);
            }
        }
        Ok(true)
    }

    /// The 1-based line where the row read last (by a row-at-a-time method) starts.
    pub fn line(&self) -> u64 {
        match &self.rows.mode {
            Some(Mode::Slow(input)) => input.line(),
            Some(Mode::Fast(blocks)) => blocks.line().saturating_sub(1).max(1),
            None => 0,
        }
    }

    /// The field separator (given in the options or detected from the header line).
    pub fn delimiter(&self) -> u8 {
        self.rows.delimiter
    }

    /// The header fields, as read (trimmed, without quotes or byte-order mark); an unnamed
    /// first column (a pandas index) is the empty string.
    pub fn header(&self) -> &[String] {
        &self.rows.header.names
    }

    /// The next row, `None` at the end of the file. A bad row gives an error and the
    /// stream goes on with the next one; after a read error (I/O, an over-long line) it
    /// ends.
    pub fn next_row(&mut self) -> Option<Result<FeatureRow>> {
        let (input, header) = self.rows.slow()?;
        match input.next_record(header) {
            Ok(false) => None,
            Err(e) => Some(Err(e)),
            Ok(true) => {
                let mut row = FeatureRow {
                    line: 0,
                    fields: Vec::with_capacity(header.names.len()),
                    features: Vec::with_capacity(self.columns.len()),
                };
                Some(fill_row(input, header, &self.columns, &mut row).map(|()| row))
            }
        }
    }

    /// Like [`next_row`](Self::next_row), reusing the buffers of `row` (no allocation per
    /// row once they have grown): `Ok(false)` at the end of the file. After an error the
    /// contents of `row` are unspecified.
    pub fn read_row(&mut self, row: &mut FeatureRow) -> Result<bool> {
        let Some((input, header)) = self.rows.slow() else {
            return Ok(false);
        };
        if !input.next_record(header)? {
            return Ok(false);
        }
        fill_row(input, header, &self.columns, row)?;
        Ok(true)
    }
}

fn fill_row<S: Read>(
    input: &Input<S>,
    header: &Header,
    columns: &[usize],
    row: &mut FeatureRow,
) -> Result<()> {
    let record = &input.record;
    row.features.clear();
    for &c in columns {
        let raw = &record[c];
        let v = input.parse(raw, c, header)?;
        if !v.is_finite() {
            return Err(input.field_error(FieldProblem::NonFinite, raw, c, header));
        }
        row.features.push(v);
    }
    row.fields.resize_with(record.len(), String::new);
    for (c, (raw, field)) in record.iter().zip(row.fields.iter_mut()).enumerate() {
        // The `\r` of a CRLF line end is left on the last field by the parser.
        let raw = if c + 1 == record.len() {
            raw.strip_suffix(b"\r").unwrap_or(raw)
        } else {
            raw
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| input.field_error(FieldProblem::NotUtf8, raw, c, header))?;
        field.clear();
        field.push_str(text);
    }
    row.line = input.line();
    Ok(())
}

impl<R: Read> Iterator for FeatureRows<R> {
    type Item = Result<FeatureRow>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// The rows of a CSV file after its header: parsed a block at a time on the fast path
/// ([`crate::blocks`]) while the lines are plain, by the `csv` parser from the first
/// block that is not.
struct Rows<R: Read> {
    header: Header,
    source: String,
    delimiter: u8,
    max_line_bytes: usize,
    /// `None` only if switching paths failed, which it cannot (it does no I/O).
    mode: Option<Mode<R>>,
    /// The fast path's scratch row.
    row: Vec<f64>,
}

enum Mode<R: Read> {
    Fast(Blocks<R>),
    Slow(Box<Input<RestSource<R>>>),
}

impl<R: Read> Rows<R> {
    /// Reads the header; the rows after it start on the fast path.
    fn open(reader: R, source: &str, options: &CsvOptions) -> Result<Rows<R>> {
        let mut head = Input::new(reader, source, options.max_line_bytes, options.delimiter)?;
        let header = head.read_header(options.max_columns)?;
        let delimiter = head.delimiter;
        let (pending, reader, line) = head.into_rest();
        Ok(Rows {
            header,
            source: source.to_string(),
            delimiter,
            max_line_bytes: options.max_line_bytes,
            mode: Some(Mode::Fast(Blocks::new(reader, pending, line))),
            row: Vec::new(),
        })
    }

    /// The slow path (switched to at the first unused byte if the rows were on the fast
    /// one), and the header.
    fn slow(&mut self) -> Option<(&mut Input<RestSource<R>>, &Header)> {
        self.mode = match self.mode.take() {
            Some(Mode::Fast(blocks)) => {
                let line = blocks.line();
                let (pending, reader) = blocks.into_rest();
                Some(Mode::Slow(Box::new(Input::over(
                    io::Cursor::new(pending).chain(reader),
                    &self.source,
                    self.max_line_bytes,
                    self.delimiter,
                    line.saturating_sub(1),
                ))))
            }
            other => other,
        };
        match self.mode.as_mut() {
            Some(Mode::Slow(input)) => Some((input, &self.header)),
            _ => None,
        }
    }

    /// Parses the next block on the fast path into `sink`: `Some(true)` when it did (the
    /// block may have held only blank lines), `Some(false)` at the end of the input, `None`
    /// when the rows are on the slow path (from now on).
    fn fast_block(&mut self, layout: &Layout, sink: &mut Sink<'_>) -> Result<Option<bool>> {
        let Some(Mode::Fast(blocks)) = self.mode.as_mut() else {
            return Ok(None);
        };
        let next = blocks
            .next_block(self.max_line_bytes)
            .map_err(|e| io_error(&self.source, e))?;
        match next {
            Next::End => return Ok(Some(false)),
            Next::TooLong => {}
            Next::Block(end) => {
                let mark = sink.mark();
                let first_line = blocks.line();
                let parsed = parse_block(blocks.text(end), first_line, layout, &mut self.row, sink);
                if let Some(newlines) = parsed {
                    blocks.consume(end, newlines);
                    return Ok(Some(true));
                }
                sink.rollback(mark);
            }
        }
        self.slow();
        Ok(None)
    }
}

fn io_error(source: &str, error: io::Error) -> DataError {
    if error.kind() == io::ErrorKind::IsADirectory {
        return DataError::IsADirectory {
            file: source.to_string(),
        };
    }
    DataError::Io {
        file: source.to_string(),
        source: error,
    }
}

/// The checked header of a file.
#[derive(Clone)]
struct Header {
    names: Vec<String>,
    /// 1-based line of the header.
    line: u64,
    by_name: HashMap<String, usize>,
    /// Whether the first column has no name (a pandas index, as written by `df.to_csv`).
    unnamed_first: bool,
}

impl Header {
    fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, Copy)]
enum FieldProblem {
    NotUtf8,
    NotANumber,
    NonFinite,
}

/// The input the header is parsed from: the first line read ahead (for the delimiter),
/// then the reader, every byte of which is kept until the header is parsed (see
/// [`Rows::open`]).
type HeadSource<R> = io::Chain<io::Cursor<Vec<u8>>, Recorder<R>>;

/// The input the slow path goes on with: the bytes read but not used, then the reader.
type RestSource<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A reader that keeps a copy of every byte it passes on (only while the header is read:
/// the bytes the parser buffered past it go to the fast path).
struct Recorder<R> {
    inner: R,
    bytes: Vec<u8>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// A CSV parser over a line-capped reader, with one reused record.
struct Input<S: Read> {
    csv: csv::Reader<LineLimited<S>>,
    /// The field separator.
    delimiter: u8,
    record: csv::ByteRecord,
    source: String,
    /// The parser's line count after the current record (see [`Input::line`]).
    end_line: u64,
    /// Lines before the parser's input (when it resumes after the fast path).
    line_offset: u64,
    /// Whether the current record ended with a newline (rather than the end of input).
    terminated: bool,
    max_line_bytes: usize,
}

impl<R: Read> Input<HeadSource<R>> {
    /// Reads the first line ahead (at most `max_line_bytes` of it) to detect the delimiter
    /// unless one is given; the parser then reads that line again.
    fn new(
        reader: R,
        source: &str,
        max_line_bytes: usize,
        delimiter: Option<u8>,
    ) -> Result<Input<HeadSource<R>>> {
        let mut reader = Recorder {
            inner: reader,
            bytes: Vec::new(),
        };
        let mut first_line = Vec::new();
        if delimiter.is_none() {
            let mut chunk = [0u8; 8192];
            while !first_line.contains(&b'\n') && first_line.len() <= max_line_bytes {
                let n = match reader.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
                        return Err(DataError::IsADirectory {
                            file: source.to_string(),
                        })
                    }
                    Err(source_error) => {
                        return Err(DataError::Io {
                            file: source.to_string(),
                            source: source_error,
                        })
                    }
                };
                if n == 0 {
                    break;
                }
                first_line.extend_from_slice(&chunk[..n]);
            }
        }
        // The recorder holds these bytes already; the parser reads them again from here.
        let first_line = reader.bytes.clone();
        let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(&first_line));
        Ok(Input::over(
            io::Cursor::new(first_line).chain(reader),
            source,
            max_line_bytes,
            delimiter,
            0,
        ))
    }

    /// After the header: the reader and the bytes read past the header, and the line the
    /// next record starts on.
    fn into_rest(self) -> (Vec<u8>, R, u64) {
        let position = self.csv.position().clone();
        let (_, recorder) = self.csv.into_inner().inner.into_inner();
        let mut bytes = recorder.bytes;
        let used = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        bytes.drain(..used);
        (bytes, recorder.inner, position.line())
    }
}

impl<S: Read> Input<S> {
    /// The parser over `input`, whose first line is line `line_offset + 1`.
    fn over(
        input: S,
        source: &str,
        max_line_bytes: usize,
        delimiter: u8,
        line_offset: u64,
    ) -> Input<S> {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            // Field counts are checked here, to name the line and column.
            .flexible(true)
            // Only `\n` ends a record, so the line count below is exact; a `\r` before it
            // is trimmed off the last field like a space.
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 16)
            .from_reader(LineLimited::new(input, max_line_bytes, line_offset));
        Input {
            csv,
            delimiter,
            record: csv::ByteRecord::new(),
            source: source.to_string(),
            end_line: 0,
            line_offset,
            terminated: false,
            max_line_bytes,
        }
    }

    /// Reads the next non-blank record; `false` at the end of the input.
    fn read(&mut self) -> Result<bool> {
        loop {
            let more = self
                .csv
                .read_byte_record(&mut self.record)
                .map_err(|e| self.csv_error(e))?;
            if !more {
                return Ok(false);
            }
            self.end_line = self.csv.position().line() + self.line_offset;
            self.terminated = !self.csv.get_ref().at_end;
            if self.record.as_slice().len() > self.max_line_bytes {
                // A record of many (quoted) lines, each under the line cap.
                return Err(DataError::LineTooLong {
                    file: self.source.clone(),
                    line: self.line(),
                    max_bytes: self.max_line_bytes,
                });
            }
            // A line of only spaces is blank too (the parser skips only empty lines).
            let blank = self.record.len() == 1 && trim_field(&self.record[0]).is_empty();
            if !blank {
                return Ok(true);
            }
        }
    }

    /// The 1-based line where the current record starts: the parser's line count after it
    /// (which counts every `\n` consumed, the record's own terminator included unless the
    /// record ended at the end of the input) less the newlines inside its quoted fields.
    /// Computed on demand, as only errors and streamed rows need it.
    fn line(&self) -> u64 {
        let embedded = self
            .record
            .as_slice()
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.end_line
            .saturating_sub(u64::from(self.terminated) + embedded)
            .max(1)
    }

    fn read_header(&mut self, max_columns: usize) -> Result<Header> {
        if !self.read()? {
            return Err(DataError::Empty {
                file: self.source.clone(),
            });
        }
        let line = self.line();
        let found = self.record.len();
        if found > max_columns {
            return Err(DataError::TooManyColumns {
                file: self.source.clone(),
                line,
                found,
                max: max_columns,
            });
        }
        let mut names = Vec::with_capacity(found);
        let mut by_name = HashMap::with_capacity(found);
        let mut unnamed_first = false;
        for (c, raw) in self.record.iter().enumerate() {
            let raw = if c == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let name =
                std::str::from_utf8(trim_field(raw)).map_err(|_| DataError::HeaderNotUtf8 {
                    file: self.source.clone(),
                    line,
                    column: c + 1,
                })?;
            // Before the names are compared: such a "header" holds every field of the file.
            if name.contains('\r') {
                return Err(DataError::CarriageReturnLineEnds {
                    file: self.source.clone(),
                    line,
                    column: c + 1,
                });
            }
            if name.is_empty() && c == 0 && found > 1 {
                // pandas' `df.to_csv(path)` writes its index unnamed, first: kept out of
                // the lookup by name; `read_csv` checks that it holds the row numbers.
                unnamed_first = true;
                names.push(String::new());
                continue;
            }
            if name.is_empty() {
                return Err(DataError::EmptyColumnName {
                    file: self.source.clone(),
                    line,
                    column: c + 1,
                });
            }
            if let Some(&first) = by_name.get(name) {
                return Err(DataError::DuplicateColumnName {
                    file: self.source.clone(),
                    line,
                    column: c + 1,
                    name: name.to_string(),
                    first_column: first + 1,
                });
            }
            by_name.insert(name.to_string(), c);
            names.push(name.to_string());
        }
        Ok(Header {
            names,
            line,
            by_name,
            unnamed_first,
        })
    }

    /// Reads the next data record and checks its field count against the header.
    fn next_record(&mut self, header: &Header) -> Result<bool> {
        if !self.read()? {
            return Ok(false);
        }
        let expected = header.names.len();
        let found = self.record.len();
        if found < expected {
            return Err(DataError::TooFewFields {
                file: self.source.clone(),
                line: self.line(),
                column: found + 1,
                name: header.names[found].clone(),
                found,
                expected,
            });
        }
        if found > expected {
            return Err(DataError::TooManyFields {
                file: self.source.clone(),
                line: self.line(),
                column: expected + 1,
                found,
                expected,
            });
        }
        Ok(true)
    }

    /// The current record as one string when it is all UTF-8: one check per record rather
    /// than one per field.
    #[inline]
    fn record_text(&self) -> Option<&str> {
        std::str::from_utf8(self.record.as_slice()).ok()
    }

    /// Parses field `c` (0-based) of the current record, taking it from `text` (see
    /// [`Input::record_text`]) when possible. NaN and infinities parse.
    #[inline]
    fn parse_at(&self, text: Option<&str>, c: usize, header: &Header) -> Result<f64> {
        // `get` is None when a field boundary splits a character: then each field is
        // checked on its own, and the error names the field.
        match text.and_then(|t| self.record.range(c).and_then(|r| t.get(r))) {
            Some(field) => trim_field_str(field).parse::<f64>().map_err(|_| {
                self.field_error(FieldProblem::NotANumber, &self.record[c], c, header)
            }),
            None => self.parse(&self.record[c], c, header),
        }
    }

    /// Parses field `c` (0-based) of the current record. NaN and infinities parse; the
    /// caller decides what to do with them.
    #[inline]
    fn parse(&self, raw: &[u8], c: usize, header: &Header) -> Result<f64> {
        match std::str::from_utf8(trim_field(raw)) {
            Err(_) => Err(self.field_error(FieldProblem::NotUtf8, raw, c, header)),
            Ok(text) => text
                .parse::<f64>()
                .map_err(|_| self.field_error(FieldProblem::NotANumber, raw, c, header)),
        }
    }

    #[cold]
    fn field_error(
        &self,
        problem: FieldProblem,
        raw: &[u8],
        c: usize,
        header: &Header,
    ) -> DataError {
        let file = self.source.clone();
        let line = self.line();
        let column = c + 1;
        let name = header.names[c].clone();
        let text = shorten(&String::from_utf8_lossy(trim_field(raw)));
        match problem {
            FieldProblem::NotUtf8 => DataError::NotUtf8 {
                file,
                line,
                column,
                name,
            },
            FieldProblem::NotANumber => {
                // A decimal comma ("0,5", quoted) is a common slip worth naming.
                let decimal_comma =
                    text.contains(',') && text.replace(',', ".").parse::<f64>().is_ok();
                let hint = if decimal_comma {
                    " (use '.' as the decimal separator)".to_string()
                } else if trim_field(raw).contains(&b'\r') {
                    " (it holds a carriage return: do the lines end with \\r alone? only \\n \
                     and \\r\\n end lines)"
                        .to_string()
                } else {
                    String::new()
                };
                DataError::NotANumber {
                    file,
                    line,
                    column,
                    name,
                    text,
                    hint,
                }
            }
            FieldProblem::NonFinite => DataError::NonFinite {
                file,
                line,
                column,
                name,
                text,
            },
        }
    }

    #[cold]
    fn csv_error(&self, error: csv::Error) -> DataError {
        let line = error
            .position()
            .map_or(self.end_line, |p| p.line() + self.line_offset);
        match error.into_kind() {
            csv::ErrorKind::Io(io) => {
                if let Some(long) = io.get_ref().and_then(|e| e.downcast_ref::<LongLine>()) {
                    return DataError::LineTooLong {
                        file: self.source.clone(),
                        line: long.line,
                        max_bytes: long.max_bytes,
                    };
                }
                if io.kind() == io::ErrorKind::IsADirectory {
                    return DataError::IsADirectory {
                        file: self.source.clone(),
                    };
                }
                DataError::Io {
                    file: self.source.clone(),
                    source: io,
                }
            }
            other => DataError::Csv {
                file: self.source.clone(),
                line,
                message: format!("{other:?}"),
            },
        }
    }
}

/// Strips spaces, tabs and carriage returns around a field, then one pair of surrounding quotes (the parser
/// only unquotes fields whose quote comes first, so `1, "2"` leaves ` "2"`), then spaces
/// again.
#[inline]
fn trim_field(raw: &[u8]) -> &[u8] {
    let t = trim_spaces(raw);
    match t {
        [b'"', inner @ .., b'"'] => trim_spaces(inner),
        _ => t,
    }
}

/// [`trim_field`] for a string.
#[inline]
fn trim_field_str(field: &str) -> &str {
    let space = |ch: char| matches!(ch, ' ' | '\t' | '\r');
    let t = field.trim_matches(space);
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.trim_matches(space),
        None => t,
    }
}

#[inline]
fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}...", &text[..cut]),
    }
}

/// Marker carried in an `io::Error` by [`LineLimited`].
#[derive(Debug)]
struct LongLine {
    line: u64,
    max_bytes: usize,
}

impl std::fmt::Display for LongLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} is longer than {} bytes",
            self.line, self.max_bytes
        )
    }
}

impl std::error::Error for LongLine {}

/// A reader that fails as soon as a line grows longer than `max_bytes`, before the CSV
/// parser would buffer it whole (the `csv` crate has no such limit).
struct LineLimited<R> {
    inner: R,
    max_bytes: usize,
    /// Bytes since the last newline.
    since_newline: usize,
    /// Newlines seen so far.
    newlines: u64,
    /// The inner reader has reported its end.
    at_end: bool,
}

impl<R> LineLimited<R> {
    /// `inner`, whose first line is line `newlines + 1`.
    fn new(inner: R, max_bytes: usize, newlines: u64) -> Self {
        LineLimited {
            inner,
            max_bytes,
            since_newline: 0,
            newlines,
            at_end: false,
        }
    }

    fn too_long(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            LongLine {
                line: self.newlines + 1,
                max_bytes: self.max_bytes,
            },
        )
    }
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.at_end = true;
        }
        let chunk = &buf[..n];
        if self.since_newline + n <= self.max_bytes {
            // No line can outgrow the cap inside this chunk: just count and find the last
            // newline.
            self.newlines += count_newlines(chunk);
            self.since_newline = match chunk.iter().rposition(|&b| b == b'\n') {
                Some(last) => n - last - 1,
                None => self.since_newline + n,
            };
            return Ok(n);
        }
        let mut start = 0;
        while let Some(offset) = chunk[start..].iter().position(|&b| b == b'\n') {
            if self.since_newline + offset > self.max_bytes {
                return Err(self.too_long());
            }
            self.newlines += 1;
            self.since_newline = 0;
            start += offset + 1;
        }
        self.since_newline += n - start;
        if self.since_newline > self.max_bytes {
            return Err(self.too_long());
        }
        Ok(n)
    }
}

/// Newlines in `bytes`, counted in byte-wide lanes over blocks of at most 255 bytes (so a
/// lane cannot overflow), which the compiler turns into 16 or 32 bytes per instruction.
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|block| {
            let n = block.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'));
            u64::from(n)
        })
        .sum()
}
