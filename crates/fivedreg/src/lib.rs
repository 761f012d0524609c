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
#![warn(missing_docs)]

mod atomic;
mod error;
mod interpolator;
mod model_file;
mod options;

pub use atomic::AtomicFile;
pub use error::{Error, Result};
pub use interpolator::{
    Fitted, Interpolator, TrainingHistoryRecord, TrainingSummary, PREDICT_CHUNK_ROWS,
};
pub use model_file::{FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_HIDDEN_LAYERS, MAX_WIDTH};
pub use options::{FitOptions, ValidFitOptions};

// The network types that appear in this crate's API, so users need not name fivedreg-nn.
pub use fivedreg_nn::{EpochStats, MlpParams, NnError, StopReason, TrainingHistory};
