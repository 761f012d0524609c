//! fivedreg: train a smooth neural interpolator of a few continuous inputs and predict it in
//! the user's own units.
//!
//! API CONTRACT (stub: bodies are filled by issue #4; signatures are relied on by the CLI and
//! xtask, so change them only together with their callers).

use fivedreg_data::{Dataset, SplitFractions, StandardScaler};
use fivedreg_metrics::Report;
use fivedreg_nn::{EpochStats, Mlp, MlpParams, TrainingHistory};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Why an interpolator could not be fitted, used, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Placeholder until issue #4 lands the full set of variants.
    #[error("{0}")]
    Other(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Unchecked options of [`Interpolator::fit`]; [`FitOptions::check`] validates them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Train/validation/test fractions.
    pub split: SplitFractions,
    /// Standardize the features (statistics of the training split).
    pub scale_features: bool,
    /// Standardize the target (statistics of the training split).
    pub scale_target: bool,
    /// Network and training hyperparameters (its `seed` also seeds the split).
    pub network: MlpParams,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            split: SplitFractions::default(),
            scale_features: true,
            scale_target: true,
            network: MlpParams::default(),
        }
    }
}

/// Checked options: the only way to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidFitOptions(FitOptions);

impl FitOptions {
    /// Validates every option, naming the first that is out of range.
    pub fn check(self) -> Result<ValidFitOptions> {
        todo!()
    }
}

/// What fitting measured, stored in the model file. Holds nothing that varies between runs
/// of the same seed (no wall-clock time), so model files are byte-identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Rows in each split.
    pub train_samples: usize,
    /// Validation rows.
    pub validation_samples: usize,
    /// Test rows.
    pub test_samples: usize,
    /// Epochs, losses, validation R² per epoch, best epoch, stop reason.
    pub history: TrainingHistoryRecord,
    /// Metrics on the test split in the user's units (`None` when the test fraction is 0).
    pub test_metrics: Option<Report>,
}

/// The deterministic part of [`TrainingHistory`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistoryRecord {
    /// Epochs run.
    pub epochs: usize,
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch.
    pub validation_r2: Vec<f64>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Best validation R².
    pub best_validation_r2: Option<f64>,
}

/// A fitted model: scalers, network and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpolator {
    feature_names: Vec<String>,
    target_name: String,
    feature_scaler: StandardScaler,
    target_scaler: StandardScaler,
    mlp: Mlp,
    options: FitOptions,
    summary: TrainingSummary,
}

/// The result of [`Interpolator::fit`]: the model and the full (timed) history.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The model.
    pub interpolator: Interpolator,
    /// The full history, with wall-clock and per-phase times.
    pub history: TrainingHistory,
}

impl Interpolator {
    /// Splits `data` (seeded), fits the scalers on the training split, trains the network with
    /// early stopping on the validation split, and measures the test split.
    pub fn fit(
        data: &Dataset,
        options: &ValidFitOptions,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<Fitted> {
        let _ = (data, options, on_epoch);
        todo!()
    }
    /// Predicts the target, in the user's units, for row-major `features` (`n x n_features`).
    pub fn predict(&self, features: &[f64]) -> Result<Vec<f64>> {
        let _ = features;
        todo!()
    }
    /// Metrics of the predictions on `data`, whose feature names must match the model's.
    pub fn evaluate(&self, data: &Dataset) -> Result<Report> {
        let _ = data;
        todo!()
    }
    /// Feature names, in the order `predict` expects.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Target name.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }
    /// The network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }
    /// The options it was fitted with.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }
    /// What fitting measured.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }
    /// The model file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        todo!()
    }
    /// Reads a model from a model file's bytes; `source` names it in errors.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Interpolator> {
        let _ = (bytes, source);
        todo!()
    }
    /// Writes the model file atomically (temporary file in the same folder, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let _ = path;
        todo!()
    }
    /// Loads a model file.
    pub fn load(path: &Path) -> Result<Interpolator> {
        let _ = path;
        todo!()
    }
}
