//! The error type of this crate.

use std::io;

/// Why data could not be read or prepared. Every variant that concerns a file names it
/// (`file`), and the 1-based line and column where there is one; columns are named both by
/// header name and by 1-based index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file (a path, or `<stdin>`).
        file: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The path names a directory, not a file.
    #[error("{file}: is a directory, not a CSV file")]
    IsADirectory {
        /// The path.
        file: String,
    },
    /// The file has no bytes (or only blank lines).
    #[error("{file}: the file is empty; a header row naming the columns is required")]
    Empty {
        /// The file.
        file: String,
    },
    /// The file has a header but no data rows.
    #[error("{file}: the file has a header but no data rows")]
    HeaderOnly {
        /// The file.
        file: String,
    },
    /// Every data row held a NaN or infinity and was dropped.
    #[error("{file}: no rows left after dropping {dropped} rows holding NaN or infinite values")]
    AllRowsDropped {
        /// The file.
        file: String,
        /// Rows dropped.
        dropped: usize,
    },
    /// A line (or record) is longer than the configured cap.
    #[error("{file}: line {line} is longer than {max_bytes} bytes (is this a CSV file?)")]
    LineTooLong {
        /// The file.
        file: String,
        /// 1-based line where the long line starts.
        line: u64,
        /// The cap, [`CsvOptions::max_line_bytes`](crate::CsvOptions::max_line_bytes).
        max_bytes: usize,
    },
    /// The header holds a carriage return inside it: the file's lines end with `\r` alone.
    #[error("{file}: line {line}, column {column}: a carriage return (\\r) inside the header; the file's lines seem to end with \\r alone (old Mac style), which is not read as a line end: convert them to \\n (e.g. tr '\\r' '\\n' < old.csv > new.csv)")]
    CarriageReturnLineEnds {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// 1-based column of the field holding it.
        column: usize,
    },
    /// The header has more columns than allowed.
    #[error("{file}: line {line}: the header has {found} columns, more than the limit of {max}")]
    TooManyColumns {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// Columns found.
        found: usize,
        /// The cap, [`CsvOptions::max_columns`](crate::CsvOptions::max_columns).
        max: usize,
    },
    /// A header field is empty.
    #[error("{file}: line {line}, column {column}: the column name is empty")]
    EmptyColumnName {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// 1-based column.
        column: usize,
    },
    /// The unnamed first column does not hold the row numbers 0, 1, 2, … of a pandas index.
    #[error("{file}: line {line}, column 1: the column has no name and holds {text:?} where a row index would hold {expected}; name the column in the header (if pandas wrote it as its index, save with df.to_csv(path, index=False))")]
    UnnamedColumn {
        /// The file.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// The field's text.
        text: String,
        /// The row number an index would hold there.
        expected: u64,
    },
    /// The chosen feature columns contradict each other (a feature that is also the target
    /// or a dropped column, or named twice).
    #[error("{file}: {message}")]
    ColumnChoice {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Two header fields have the same name.
    #[error("{file}: line {line}, column {column} ({name:?}): duplicate column name (also column {first_column})")]
    DuplicateColumnName {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// 1-based column of the second occurrence.
        column: usize,
        /// The repeated name.
        name: String,
        /// 1-based column of the first occurrence.
        first_column: usize,
    },
    /// A header field is not valid UTF-8.
    #[error("{file}: line {line}, column {column}: the column name is not valid UTF-8 (is this a text CSV file?)")]
    HeaderNotUtf8 {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// 1-based column.
        column: usize,
    },
    /// The named target column is not in the header.
    #[error("{file}: line {line}: no column named {target:?} for the target (columns: {columns})")]
    TargetNotFound {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// The requested target.
        target: String,
        /// The header's column names, comma-separated.
        columns: String,
    },
    /// A feature the model needs is not in the header.
    #[error("{file}: line {line}: no column named {name:?}, which the model needs as a feature (columns: {columns})")]
    MissingFeature {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// The missing feature name.
        name: String,
        /// The header's column names, comma-separated.
        columns: String,
    },
    /// A column named to be dropped (`--drop`) is not in the header.
    #[error("{file}: line {line}: no column named {name:?} to drop (columns: {columns})")]
    DropNotFound {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// The name given to drop.
        name: String,
        /// The header's column names, comma-separated.
        columns: String,
    },
    /// The header leaves no feature column besides the target.
    #[error("{file}: line {line}: the header has {columns} column, so there is no feature column besides the target{hint}")]
    NoFeatureColumns {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// Columns in the header.
        columns: usize,
        /// Empty, or a hint starting with `"; "` (another separator seen in the header).
        hint: String,
    },
    /// A row has fewer fields than the header.
    #[error("{file}: line {line}, column {column} ({name:?}): missing; the row has {found} fields but the header has {expected}")]
    TooFewFields {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based index of the first missing column.
        column: usize,
        /// Name of the first missing column.
        name: String,
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A row has more fields than the header.
    #[error("{file}: line {line}, column {column}: the row has {found} fields but the header has {expected}")]
    TooManyFields {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based index of the first field without a header.
        column: usize,
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A field of a column left out as text (it held text on the first row) is a number.
    #[error("{file}: line {line}, column {column} ({name:?}): {text:?} is a number, but the column held text on line {first_line}; a column that mixes numbers and text is refused: leave it out with --drop {name}, or make it all numbers")]
    MixedColumn {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        name: String,
        /// The field (trimmed, shortened if long).
        text: String,
        /// 1-based line of the first row, where the column held text.
        first_line: u64,
    },
    /// A field is not a number.
    #[error("{file}: line {line}, column {column} ({name:?}): {text:?} is not a number{hint}")]
    NotANumber {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        name: String,
        /// The field (trimmed, shortened if long).
        text: String,
        /// Empty, or a hint starting with `" ("` (a decimal comma).
        hint: String,
    },
    /// A field is NaN or infinite (rejected by default).
    #[error("{file}: line {line}, column {column} ({name:?}): {text:?} is not a finite number (NaN and infinities are rejected)")]
    NonFinite {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        name: String,
        /// The field as written.
        text: String,
    },
    /// A field holds bytes that are not UTF-8.
    #[error("{file}: line {line}, column {column} ({name:?}): the field is not valid UTF-8")]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        name: String,
    },
    /// The CSV parser refused the input.
    #[error("{file}: line {line}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// Writing CSV failed.
    #[error("writing CSV: {0}")]
    Write(#[source] io::Error),
    /// The parts given to [`Dataset::new`](crate::Dataset::new) do not fit together.
    #[error("invalid dataset: {0}")]
    InvalidDataset(String),
    /// Split fractions are negative, NaN, above 1 or do not sum to 1.
    #[error("invalid split fractions {train}, {validation}, {test}: {reason}")]
    InvalidFractions {
        /// Training fraction given.
        train: f64,
        /// Validation fraction given.
        validation: f64,
        /// Test fraction given.
        test: f64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The dataset has too few rows for the split.
    #[error("fewer rows than the split needs: {rows} rows give {train} train, {validation} validation and {test} test rows; {reason}")]
    TooFewRows {
        /// Rows in the dataset.
        rows: usize,
        /// Training rows the fractions give.
        train: usize,
        /// Validation rows the fractions give.
        validation: usize,
        /// Test rows the fractions give.
        test: usize,
        /// Which requirement fails.
        reason: &'static str,
    },
    /// A scaler was given no values or values of the wrong shape.
    #[error("scaler: {0}")]
    Scaler(String),
    /// A test function name is not known.
    #[error("unknown test function {name:?}; valid names: {valid}")]
    UnknownFunction {
        /// The name given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A generator was asked for an input count its function does not have.
    #[error("test function {function} takes {expected} inputs, not {n_inputs}")]
    InvalidInputCount {
        /// The function's name.
        function: &'static str,
        /// The count asked for.
        n_inputs: usize,
        /// The valid counts, in words.
        expected: &'static str,
    },
    /// A generator argument is out of range.
    #[error("generator: {0}")]
    InvalidGeneratorArgument(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, DataError>;

impl DataError {
    /// A [`NotANumber`](DataError::NotANumber) error without a hint, in a feature column
    /// that held numbers on the rows before, with the hint that the column mixes numbers and
    /// text and how to leave it out (`--drop NAME`); any other error as it is.
    pub fn with_drop_hint(self) -> DataError {
        match self {
            DataError::NotANumber {
                file,
                line,
                column,
                name,
                text,
                hint,
            } if hint.is_empty() => DataError::NotANumber {
                hint: format!(
                    " (the column mixes numbers and text; leave it out with --drop {name})"
                ),
                file,
                line,
                column,
                name,
                text,
            },
            other => other,
        }
    }
}
