//! Fit options and their validation.

use crate::error::{Error, Result};
use crate::model_file::{MAX_HIDDEN_LAYERS, MAX_WIDTH};
use fivedreg_data::SplitFractions;
use fivedreg_nn::{MlpParams, MlpValidParams, NnError};
use serde::{Deserialize, Serialize};

/// Unchecked options of [`Interpolator::fit`](crate::Interpolator::fit);
/// [`FitOptions::check`] validates them.
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
pub struct ValidFitOptions {
    options: FitOptions,
    network: MlpValidParams,
}

impl ValidFitOptions {
    /// The checked options.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }
    /// The checked network parameters.
    pub fn network(&self) -> &MlpValidParams {
        &self.network
    }
}

impl FitOptions {
    /// Validates every option, naming the first that is out of range.
    pub fn check(self) -> Result<ValidFitOptions> {
        // The fractions may come from a deserialized file, so check them again.
        let split = SplitFractions::new(
            self.split.train(),
            self.split.validation(),
            self.split.test(),
        )?;
        if split.train() <= 0.0 {
            return Err(Error::InvalidOption {
                name: "split",
                value: format!("{},{},{}", split.train(), split.validation(), split.test()),
                valid: "a training fraction above 0",
            });
        }
        if self.network.early_stopping && split.validation() <= 0.0 {
            return Err(Error::NoValidationRows(
                "the validation fraction of the split is 0".into(),
            ));
        }
        // The model file's caps, checked here so that every model that fits can be loaded,
        // whatever the network crate itself accepts.
        let hidden = &self.network.hidden_layers;
        if hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(Error::InvalidOption {
                name: "hidden",
                value: format!("{} layers", hidden.len()),
                valid: "at most 64 hidden layers",
            });
        }
        if let Some(&width) = hidden.iter().find(|&&w| w > MAX_WIDTH) {
            return Err(Error::InvalidOption {
                name: "hidden",
                value: width.to_string(),
                valid: "layer widths of at most 65536",
            });
        }
        let network = self.network.clone().check().map_err(|e| match e {
            NnError::InvalidParam { name, value, valid } => {
                Error::InvalidOption { name, value, valid }
            }
            other => Error::Nn(other),
        })?;
        Ok(ValidFitOptions {
            options: self,
            network,
        })
    }
}
