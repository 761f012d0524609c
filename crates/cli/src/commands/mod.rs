//! What each subcommand does, one file each: read its inputs, call the library, print.
//! Each command's file holds its `run`; `report` and `io` hold what several share (a
//! trained model's report; outputs that are inputs under another name, stdin), and this
//! file what the surrogate toolkit's commands share (the box of a model's inputs).

pub mod completions;
pub mod demo;
pub mod design;
pub mod evaluate;
pub mod export;
pub mod generate;
pub mod inspect;
mod io;
pub mod optimize;
pub mod plot;
pub mod predict;
mod report;
pub mod sensitivity;
pub mod serve;
pub mod suggest;
pub mod train;

use crate::failure::{display_path, Failure};
use fivedreg::Interpolator;
use fivedreg_surrogate::{Bounds, SurrogateError};
use std::path::Path;

impl From<SurrogateError> for Failure {
    fn from(error: SurrogateError) -> Failure {
        match error {
            SurrogateError::Model(e) => Failure::from(e),
            e @ (SurrogateError::NoStd { .. } | SurrogateError::NotFinite(_)) => {
                Failure::other(e.to_string())
            }
            // The rest are option values that cannot be used: usage errors, as clap's.
            other => Failure::usage(other.to_string()),
        }
    }
}

/// The model at `path` and its box: the training domain, or `--ranges` where given.
pub fn model_and_bounds(
    path: &Path,
    ranges: Option<&str>,
) -> Result<(Interpolator, Bounds), Failure> {
    let model = Interpolator::load(path)?;
    let bounds = Bounds::of_model(&model, ranges)
        .map_err(|e| Failure::from(e).about(&display_path(path)))?;
    Ok((model, bounds))
}

/// The box as JSON: `{"x1": [low, high], ...}` in the inputs' order.
/// Where the box came from, in words.
pub fn bounds_words(ranges: Option<&str>) -> &'static str {
    match ranges {
        Some(_) => "the training domain, with --ranges",
        None => "the training domain",
    }
}

/// `name=value` pairs for a point.
pub fn point_words(names: &[String], point: &[f64]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(point)
        .map(|(n, v)| {
            format!(
                "{}={}",
                crate::output::column_name(n),
                crate::output::num(*v)
            )
        })
        .collect();
    parts.join(", ")
}
