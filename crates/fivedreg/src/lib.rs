//! fivedreg: train a smooth neural interpolator of a few continuous inputs and predict it in
//! the user's own units.
//!
//! ```no_run
//! use fivedreg::{FitOptions, Interpolator};
//! use fivedreg_data::{generate, TestFunction};
//!
//! let data = generate(TestFunction::SumOfSquares, 1000, 5, 0.0, 7)?;
//! let options = FitOptions::default().check()?;
//! let fitted = Interpolator::fit(&data, &options, &mut |_| {})?;
//! let y = fitted.interpolator.predict(&[0.1, 0.2, 0.3, 0.4, 0.5])?;
//! fitted.interpolator.save(std::path::Path::new("model.fdr"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The model file
//!
//! [`Interpolator::save`] writes, and [`Interpolator::load`] reads (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic [`MAGIC`] (`FIVEDREG`) |
//! | 4 | format version (u32, [`FORMAT_VERSION`]) |
//! | 8 | payload length (u64) |
//! | 4 | CRC-32 of the 20 bytes above |
//! | n | postcard payload: feature and target names, scalers, layer sizes, weights and biases, fit options, training summary with the test metrics |
//! | 4 | CRC-32 of everything before it |
//!
//! The file holds nothing that varies between runs (no time of day, no thread count), so the
//! same data, seed and options give the same bytes. Loading refuses a file with a distinct
//! [`Error`]: [`Error::NotAModel`] (other magic bytes, e.g. a CSV file), [`Error::Truncated`],
//! [`Error::Corrupted`] (a checksum mismatch, or contents that contradict themselves) and
//! [`Error::NewerVersion`]; every size it declares is checked before it is trusted.
#![warn(missing_docs)]

mod atomic;
mod auto;
mod blend;
mod card;
mod domain;
mod ensemble;
mod error;
mod format_v3;
mod format_v4;
mod interpolator;
mod kernel;
mod model_file;
mod options;
mod parallel;
mod spec;

pub use atomic::AtomicFile;
pub use auto::{AutoOptions, BelowTheMean, ValidAutoOptions, MAX_BUDGET_SECONDS};
pub use blend::{Blend, BlendPart, BlendStd, MAX_BLEND_PARTS};
pub use card::{BlendCard, BlendPartCard, HowFitted, MemberKind, ModelCard, StdCard, StdRule};
pub use domain::{Domain, MAX_DOMAIN_ROWS, NEAREST_QUANTILE};
pub use error::{Error, Result};
pub use fivedreg_trees::{BoostedTrees, ObliviousTree};
pub use interpolator::{
    EnsembleSummary, Fitted, Interpolator, LeaderboardEntry, Members, ModelParts, SavedModel,
    SearchStop, SearchSummary, TrainingHistoryRecord, TrainingSummary, WithStd, MAX_CURVE_POINTS,
    PREDICT_CHUNK_ROWS, Z95,
};
pub use kernel::{PowerForm, RbfKernel, RbfModel, MAX_CENTERS, STD_BASIS_CENTERS};
pub use model_file::{FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_PAYLOAD_BYTES};
pub use options::{FitOptions, KernelOptions, TreeOptions, ValidFitOptions, MAX_ENSEMBLE};
pub use spec::{params, Param, ParamDefault, ParamInfo, ParamKind, Plan, SpecError, TrainSpec};

// The network types and limits that appear in this crate's API, so users need not name
// fivedreg-nn.
pub use fivedreg_nn::{
    Activation, EpochStats, MlpParams, NnError, Solver, StopFlag, StopReason, TrainingHistory,
    MAX_HIDDEN_LAYERS, MAX_WIDTH,
};
