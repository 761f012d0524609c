//! The error type of the crate.

use crate::spec::Param;
use std::path::PathBuf;

/// Options named as [`TrainSpec`](crate::TrainSpec) and the HTTP API name them.
fn neutral(param: Param) -> String {
    param.name().to_string()
}

/// Why an interpolator could not be fitted, used, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option is out of its valid range.
    #[error("invalid {name} = {value}: must be {valid}")]
    InvalidOption {
        /// The option's name, as the user spells it (e.g. `learning_rate`).
        name: &'static str,
        /// The offending value, printed.
        value: String,
        /// The valid range, in words.
        valid: &'static str,
    },
    /// Early stopping is on but there are no validation rows to watch.
    #[error("{}", Error::NoValidationRows(.0.clone()).message(&neutral))]
    NoValidationRows(String),
    /// An ensemble or a cross-validation needs more rows than there are for its folds.
    #[error("{}", Error::TooFewRowsForFolds { rows: *.rows, folds: *.folds }.message(&neutral))]
    TooFewRowsForFolds {
        /// Rows to cut into folds.
        rows: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// `auto`'s cross-validation needs more rows than there are for its folds.
    #[error("{}", Error::TooFewRowsForAuto { rows: *.rows, folds: *.folds }.message(&neutral))]
    TooFewRowsForAuto {
        /// Training and validation rows, the rows the folds are cut from.
        rows: usize,
        /// Folds of the cross-validation.
        folds: usize,
    },
    /// A standard deviation was asked of a single network.
    #[error("{}", Error::NotAnEnsemble.message(&neutral))]
    NotAnEnsemble,
    /// The parts of a model contradict each other.
    #[error("{0}")]
    Inconsistent(String),
    /// The features handed to predict do not fit the model's feature count.
    #[error("the model expects {expected} features per row, but {found}")]
    FeatureCount {
        /// Features the model was trained on.
        expected: usize,
        /// What was given, in words.
        found: String,
    },
    /// The feature names of the data differ from the model's.
    #[error("the model's features are [{expected}] but the data's are [{found}]")]
    FeatureNames {
        /// The model's names, comma-separated.
        expected: String,
        /// The data's names, comma-separated.
        found: String,
    },
    /// An input value is NaN or infinite.
    #[error("feature {column} of row {row} is not a finite number ({value})")]
    NonFiniteFeature {
        /// 1-based row.
        row: usize,
        /// 1-based column (feature).
        column: usize,
        /// The value.
        value: f64,
    },
    /// A value is beyond what the model can represent.
    #[error("{0}")]
    OutOfRange(String),
    /// Reading or preparing the data failed.
    #[error(transparent)]
    Data(#[from] fivedreg_data::DataError),
    /// Building or training the network failed.
    #[error(transparent)]
    Nn(#[from] fivedreg_nn::NnError),
    /// Fitting or checking tree models failed.
    #[error(transparent)]
    Trees(fivedreg_trees::TreesError),
    /// Computing metrics failed.
    #[error("cannot compute metrics: {0}")]
    Metrics(#[from] fivedreg_metrics::MetricsError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The model file ends before its declared end.
    #[error("{file}: the model file is truncated ({detail})")]
    Truncated {
        /// The file, as named by the caller.
        file: String,
        /// What is missing.
        detail: String,
    },
    /// The model file's bytes do not match its checksum, or its contents are inconsistent.
    #[error("{file}: the model file is corrupted ({detail})")]
    Corrupted {
        /// The file, as named by the caller.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// The file does not start with the model file's magic bytes.
    #[error("{file}: not a fivedreg model file ({detail})")]
    NotAModel {
        /// The file, as named by the caller.
        file: String,
        /// What it looks like instead.
        detail: String,
    },
    /// The model file was written by a newer fivedreg.
    #[error(
        "{file}: the model file has format version {found}, but this fivedreg reads \
         versions up to {supported}; upgrade fivedreg"
    )]
    NewerVersion {
        /// The file, as named by the caller.
        file: String,
        /// The file's format version.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The model could not be encoded (should not happen for a fitted model).
    #[error("cannot encode the model: {0}")]
    Encode(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl From<fivedreg_trees::TreesError> for Error {
    /// A tree parameter out of range is an invalid option like any other.
    fn from(e: fivedreg_trees::TreesError) -> Error {
        match e {
            fivedreg_trees::TreesError::InvalidParam { name, value, valid } => {
                Error::InvalidOption { name, value, valid }
            }
            fivedreg_trees::TreesError::Stopped => Error::Nn(fivedreg_nn::NnError::Stopped),
            other => Error::Trees(other),
        }
    }
}

impl Error {
    /// The message, naming the options it advises on as `name` spells them (a flag, a
    /// Python parameter, an HTTP field); `Display` names them as
    /// [`TrainSpec`](crate::TrainSpec) does.
    pub fn message(&self, name: &dyn Fn(Param) -> String) -> String {
        match self {
            Error::NoValidationRows(detail) => format!(
                "early stopping needs validation rows, but {detail}; give {} a validation \
                 fraction above 0 (e.g. 0.6,0.2,0.2) or turn early stopping off ({})",
                name(Param::Split),
                name(Param::EarlyStopping)
            ),
            Error::TooFewRowsForFolds { rows, folds } => format!(
                "{rows} training rows are too few for {folds} folds: each fold needs at least 2 \
                 rows (the rows its member is scored on), so at least {}; use fewer members \
                 ({}) or more data",
                2 * folds,
                name(Param::Ensemble)
            ),
            Error::TooFewRowsForAuto { rows, folds } => format!(
                "{auto} cross-validates over {folds} folds, which need at least {} rows \
                 (training and validation rows together, 2 a fold), and the split leaves \
                 {rows}; use more data, a smaller test share ({}), or train without {auto}",
                2 * folds,
                name(Param::Split),
                auto = name(Param::Auto)
            ),
            Error::NotAnEnsemble => format!(
                "this model is a single network, which has no spread to give a standard \
                 deviation; train an ensemble ({} K or {}) to get one",
                name(Param::Ensemble),
                name(Param::Auto)
            ),
            other => other.to_string(),
        }
    }
}
