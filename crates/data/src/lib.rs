//! Data pipeline of fivedreg: CSV reading and validation into a [`Dataset`], seeded
//! train/validation/test splits, [`StandardScaler`], and synthetic test functions.
//!
//! ```
//! use fivedreg_data::{generate, split, SplitFractions, StandardScaler, TestFunction};
//! let data = generate(TestFunction::SumOfSquares, 100, 5, 0.1, 42).unwrap();
//! let parts = split(&data, SplitFractions::default(), 42).unwrap();
//! assert_eq!(
//!     (parts.train.n_rows(), parts.validation.n_rows(), parts.test.n_rows()),
//!     (60, 20, 20)
//! );
//! let scaler = StandardScaler::fit(parts.train.features(), data.n_features()).unwrap();
//! let scaled = scaler.transform_to_f32(parts.test.features()).unwrap();
//! assert_eq!(scaled.len(), 20 * 5);
//! ```
#![warn(missing_docs)]

mod blocks;
mod csv_read;
mod csv_write;
mod dataset;
mod error;
mod generate;
mod power;
mod scaler;
mod split;

pub use csv_read::{
    choose_feature_columns, column_name, detect_delimiter, is_text_field, open, read_csv,
    read_csv_path, BlockParser, CsvOptions, FeatureRow, FeatureRows, NonFinitePolicy, RawBlock,
    ReadSummary, RowChunk,
};
pub use csv_write::{push_field, push_shortest};
pub use dataset::{write_csv, Dataset};
pub use error::{DataError, Result};
pub use generate::{generate, Generator, TestFunction, DEFAULT_NOISE, MAX_INPUTS, MAX_NOISE};
pub use power::{column_skewness, yeo_johnson, YeoJohnson};
pub use scaler::StandardScaler;
pub use split::{
    rng_from_seed, shuffled_indices, split, split_indices, Split, SplitFractions, SplitIndices,
    GENERATOR_STREAM, SHUFFLE_STREAM,
};
