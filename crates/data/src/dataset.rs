//! [`Dataset`] and writing it as CSV.

use crate::error::{DataError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write;

/// A table of samples: `n_rows` rows of `feature_names.len()` features and one target.
/// Deserializing goes through the checks of [`Dataset::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawDataset")]
pub struct Dataset {
    feature_names: Vec<String>,
    target_name: String,
    /// Row-major, `n_rows * n_features`.
    features: Vec<f64>,
    targets: Vec<f64>,
}

/// Unchecked fields, so deserializing goes through [`Dataset::new`].
#[derive(Deserialize)]
struct RawDataset {
    feature_names: Vec<String>,
    target_name: String,
    features: Vec<f64>,
    targets: Vec<f64>,
}

impl TryFrom<RawDataset> for Dataset {
    type Error = DataError;
    fn try_from(raw: RawDataset) -> Result<Self> {
        Dataset::new(
            raw.feature_names,
            raw.target_name,
            raw.features,
            raw.targets,
        )
    }
}

impl Dataset {
    /// Builds a dataset, checking that there is at least one feature, that the shapes
    /// agree, that the names are unique and non-empty and that every value is finite.
    pub fn new(
        feature_names: Vec<String>,
        target_name: String,
        features: Vec<f64>,
        targets: Vec<f64>,
    ) -> Result<Dataset> {
        let invalid = |msg: String| Err(DataError::InvalidDataset(msg));
        if feature_names.is_empty() {
            return invalid("at least one feature column is needed".into());
        }
        let mut seen = HashSet::new();
        for name in feature_names.iter().chain(std::iter::once(&target_name)) {
            if name.trim().is_empty() {
                return invalid("a column name is empty".into());
            }
            if !seen.insert(name.as_str()) {
                return invalid(format!("column name {name:?} appears twice"));
            }
        }
        let d = feature_names.len();
        if targets.len().checked_mul(d) != Some(features.len()) {
            return invalid(format!(
                "{} feature values do not make {} rows of {d} features",
                features.len(),
                targets.len()
            ));
        }
        if let Some(i) = features.iter().position(|v| !v.is_finite()) {
            return invalid(format!(
                "feature {:?} of row {} is not finite ({})",
                feature_names[i % d],
                i / d,
                features[i]
            ));
        }
        if let Some(i) = targets.iter().position(|v| !v.is_finite()) {
            return invalid(format!("target of row {i} is not finite ({})", targets[i]));
        }
        Ok(Dataset::new_unchecked(
            feature_names,
            target_name,
            features,
            targets,
        ))
    }

    /// For callers in this crate that have already checked everything [`Dataset::new`] checks.
    pub(crate) fn new_unchecked(
        feature_names: Vec<String>,
        target_name: String,
        features: Vec<f64>,
        targets: Vec<f64>,
    ) -> Dataset {
        debug_assert_eq!(features.len(), targets.len() * feature_names.len());
        Dataset {
            feature_names,
            target_name,
            features,
            targets,
        }
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
    ///
    /// # Panics
    /// If `i >= n_rows()`.
    pub fn row(&self, i: usize) -> &[f64] {
        let d = self.n_features();
        &self.features[i * d..(i + 1) * d]
    }
    /// A new dataset of the given rows, in the given order (rows may repeat).
    ///
    /// # Panics
    /// If an index is `>= n_rows()`.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        let d = self.n_features();
        let mut features = Vec::with_capacity(rows.len() * d);
        let mut targets = Vec::with_capacity(rows.len());
        for &i in rows {
            features.extend_from_slice(self.row(i));
            targets.push(self.targets[i]);
        }
        Dataset::new_unchecked(
            self.feature_names.clone(),
            self.target_name.clone(),
            features,
            targets,
        )
    }
}

/// Writes `dataset` as CSV: a header (feature names, then the target name) and one line per
/// row. Numbers use Rust's shortest representation that reads back to the same `f64`
/// (`{:?}`: `0.1`, `1e-7`, `1.0`), so reading the file gives back exactly the same values.
pub fn write_csv<W: Write>(dataset: &Dataset, writer: W) -> Result<()> {
    let mut names = dataset.feature_names().to_vec();
    names.push(dataset.target_name().to_string());
    let mut out = NumberCsv::new(writer, &names)?;
    let mut row = Vec::with_capacity(dataset.n_features() + 1);
    for i in 0..dataset.n_rows() {
        row.clear();
        row.extend_from_slice(dataset.row(i));
        row.push(dataset.targets()[i]);
        out.write_row(&row)?;
    }
    out.finish()
}

/// A CSV writer of rows of numbers under a header, each number written so that it reads
/// back exactly (Rust's shortest round-trip form).
pub(crate) struct NumberCsv<W: Write> {
    out: csv::Writer<W>,
    /// One reusable buffer per field instead of a String per number.
    fields: Vec<String>,
}

impl<W: Write> NumberCsv<W> {
    /// Writes the header.
    pub(crate) fn new(mut writer: W, names: &[String]) -> Result<NumberCsv<W>> {
        // Written by hand so that a name holding a tab or a semicolon is quoted too: the
        // reader detects the separator from the header line, outside quotes.
        let mut header = String::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                header.push(',');
            }
            if name.contains([',', '\t', ';', '"', '\n', '\r']) {
                header.push('"');
                header.push_str(&name.replace('"', "\"\""));
                header.push('"');
            } else {
                header.push_str(name);
            }
        }
        header.push('\n');
        writer
            .write_all(header.as_bytes())
            .map_err(DataError::Write)?;
        let out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(writer);
        Ok(NumberCsv {
            out,
            fields: vec![String::new(); names.len()],
        })
    }

    /// Writes one row (as many values as the header has names).
    pub(crate) fn write_row(&mut self, values: &[f64]) -> Result<()> {
        for (field, value) in self.fields.iter_mut().zip(values) {
            field.clear();
            // Writing to a String cannot fail.
            let _ = write!(field, "{value:?}");
        }
        self.out.write_record(&self.fields).map_err(write_error)
    }

    /// Flushes what is buffered; every error, the last included, is returned.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(DataError::Write)
    }
}

fn write_error(e: csv::Error) -> DataError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::Write(io),
        other => DataError::Write(std::io::Error::other(format!("{other:?}"))),
    }
}
