//! Data pipeline of fivedreg: CSV reading and validation into a [`Dataset`], seeded
//! train/validation/test splits, [`StandardScaler`], and synthetic test functions.
//!
//! API CONTRACT (stub: bodies are filled by issue #2; signatures are relied on by the
//! `fivedreg` crate, the CLI and xtask, so change them only together with their callers).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why data could not be read or prepared. Every variant that concerns a file names it,
/// and the 1-based line and column where there is one.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Placeholder until issue #2 lands the full set of variants.
    #[error("{0}")]
    Other(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// A table of samples: `n_rows` rows of `feature_names.len()` features and one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    feature_names: Vec<String>,
    target_name: String,
    /// Row-major, `n_rows * n_features`.
    features: Vec<f64>,
    targets: Vec<f64>,
}

impl Dataset {
    /// Builds a dataset, checking that the shapes agree and the names are unique and non-empty.
    pub fn new(
        feature_names: Vec<String>,
        target_name: String,
        features: Vec<f64>,
        targets: Vec<f64>,
    ) -> Result<Dataset> {
        let _ = (feature_names, target_name, features, targets);
        todo!()
    }
    /// Names of the feature columns, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Name of the target column.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }
    /// Row-major features, `n_rows() * n_features()` values.
    pub fn features(&self) -> &[f64] {
        &self.features
    }
    /// Target values, one per row.
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.targets.len()
    }
    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }
    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let d = self.n_features();
        &self.features[i * d..(i + 1) * d]
    }
    /// A new dataset of the given rows, in the given order.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        let _ = rows;
        todo!()
    }
}

/// What to do with a NaN or infinite value in a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonFinitePolicy {
    /// Refuse the file, naming the line and column (the default).
    #[default]
    Reject,
    /// Drop the row and count it in [`ReadSummary::dropped_rows`].
    DropRows,
}

/// How to read a CSV file.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The target column's name; `None` means the last column.
    pub target: Option<String>,
    /// What to do with NaN or infinite values.
    pub non_finite: NonFinitePolicy,
}

/// What reading a CSV file found besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadSummary {
    /// Rows dropped under [`NonFinitePolicy::DropRows`].
    pub dropped_rows: usize,
}

/// Reads a CSV file (`-` means stdin) into a dataset.
pub fn read_csv_path(path: &Path, options: &CsvOptions) -> Result<(Dataset, ReadSummary)> {
    let _ = (path, options);
    todo!()
}

/// Reads CSV from any reader; `source` names it in errors (a path, or `<stdin>`).
pub fn read_csv<R: std::io::Read>(
    reader: R,
    source: &str,
    options: &CsvOptions,
) -> Result<(Dataset, ReadSummary)> {
    let _ = (reader, source, options);
    todo!()
}

/// Streams the rows of a CSV file of features, for prediction in bounded memory.
/// The header must contain every expected feature name (in any order; extra columns are
/// allowed and ignored for the features but kept in the record).
pub struct FeatureRows<R: std::io::Read> {
    _reader: R,
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

impl<R: std::io::Read> FeatureRows<R> {
    /// Reads the header and matches it against `feature_names`.
    pub fn new(reader: R, source: &str, feature_names: &[String]) -> Result<FeatureRows<R>> {
        let _ = (reader, source, feature_names);
        todo!()
    }
    /// The header fields, as read.
    pub fn header(&self) -> &[String] {
        todo!()
    }
    /// The next row, `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<FeatureRow>> {
        todo!()
    }
}

/// Fractions of a train/validation/test split, checked: each in [0, 1], summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitFractions {
    train: f64,
    validation: f64,
    test: f64,
}

impl SplitFractions {
    /// Checks and builds the fractions.
    pub fn new(train: f64, validation: f64, test: f64) -> Result<SplitFractions> {
        let _ = (train, validation, test);
        todo!()
    }
    /// Training fraction.
    pub fn train(&self) -> f64 {
        self.train
    }
    /// Validation fraction.
    pub fn validation(&self) -> f64 {
        self.validation
    }
    /// Test fraction.
    pub fn test(&self) -> f64 {
        self.test
    }
}

impl Default for SplitFractions {
    fn default() -> Self {
        SplitFractions {
            train: 0.6,
            validation: 0.2,
            test: 0.2,
        }
    }
}

/// A dataset split three ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Rows the model is fitted on.
    pub train: Dataset,
    /// Rows early stopping watches (may be empty when its fraction is 0).
    pub validation: Dataset,
    /// Rows kept for the final metrics only (may be empty when its fraction is 0).
    pub test: Dataset,
}

/// Shuffles the rows with `seed` and splits them by `fractions`. The same seed gives the
/// same split on every machine.
pub fn split(dataset: &Dataset, fractions: SplitFractions, seed: u64) -> Result<Split> {
    let _ = (dataset, fractions, seed);
    todo!()
}

/// Per-column standardization: `(x - mean) / scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl StandardScaler {
    /// Fits on row-major `values` of `n_columns` columns. A constant column gets scale 1.
    pub fn fit(values: &[f64], n_columns: usize) -> Result<StandardScaler> {
        let _ = (values, n_columns);
        todo!()
    }
    /// The identity scaler (mean 0, scale 1) for `n_columns` columns.
    pub fn identity(n_columns: usize) -> StandardScaler {
        StandardScaler {
            mean: vec![0.0; n_columns],
            scale: vec![1.0; n_columns],
        }
    }
    /// Column means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Column scales (standard deviations, or 1 for a constant column).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.mean.len()
    }
    /// Standardizes row-major values in place.
    pub fn transform_in_place(&self, values: &mut [f64]) {
        let _ = values;
        todo!()
    }
    /// Undoes [`transform_in_place`](Self::transform_in_place).
    pub fn inverse_transform_in_place(&self, values: &mut [f64]) {
        let _ = values;
        todo!()
    }
}

/// The synthetic test functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestFunction {
    /// The seed task: X ~ N(0,1)^d, y = sum of squares.
    SumOfSquares,
}

/// Samples `n` rows of `function` over `n_inputs` inputs with Gaussian noise `noise` on y.
pub fn generate(
    function: TestFunction,
    n: usize,
    n_inputs: usize,
    noise: f64,
    seed: u64,
) -> Result<Dataset> {
    let _ = (function, n, n_inputs, noise, seed);
    todo!()
}

#[allow(dead_code)]
fn _unused(_: PathBuf) {}
