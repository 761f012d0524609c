//! Fit options and their validation.

use crate::error::{Error, Result};
use crate::kernel::RbfKernel;
use fivedreg_data::SplitFractions;
use fivedreg_nn::{MlpParams, MlpValidParams, NnError, Solver};
use serde::{Deserialize, Serialize};

/// Most members an ensemble may have.
pub const MAX_ENSEMBLE: usize = 64;

/// Unchecked options of [`Interpolator::fit`](crate::Interpolator::fit);
/// [`FitOptions::check`] validates them.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `split` | 0.6, 0.2, 0.2 | train / validation / test fractions | each in [0, 1], summing to 1, train > 0 |
/// | `scale_features` | `true` | standardize the features (statistics of the training rows) | |
/// | `scale_target` | `true` | standardize the target | |
/// | `power_transform` | `false` | Yeo-Johnson transform of the features before scaling (for skewed inputs) | |
/// | `ensemble` | `1` | networks trained; above 1, an ensemble whose members each hold out one fold of the training and validation rows | 1..=64 |
/// | `kernel` | `None` | fit RBF interpolants (one per fold) instead of networks (`--auto`'s kernel candidate) | needs `ensemble` ≥ 2; smoothing finite, ≥ 0 |
/// | `trees` | `None` | fit gradient-boosted trees (one model per fold) instead of networks (`--auto`'s tree candidates) | needs `ensemble` ≥ 2, no `kernel`; see [`TreeOptions`] |
/// | `network` | [`MlpParams::default`] | network and solver hyperparameters (its `seed` also seeds the split) | see [`MlpParams`] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Train/validation/test fractions.
    pub split: SplitFractions,
    /// Standardize the features (statistics of the training split).
    pub scale_features: bool,
    /// Standardize the target (statistics of the training split).
    pub scale_target: bool,
    /// Yeo-Johnson transform of the features before scaling.
    pub power_transform: bool,
    /// Members of the ensemble (1: a single network).
    pub ensemble: usize,
    /// Kernel models instead of networks.
    pub kernel: Option<KernelOptions>,
    /// Gradient-boosted trees instead of networks.
    pub trees: Option<TreeOptions>,
    /// Network and training hyperparameters (its `seed` also seeds the split).
    pub network: MlpParams,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            split: SplitFractions::default(),
            scale_features: true,
            scale_target: true,
            power_transform: false,
            ensemble: 1,
            kernel: None,
            trees: None,
            network: MlpParams::default(),
        }
    }
}

/// The kernel model's choices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KernelOptions {
    /// The radial function.
    pub kernel: RbfKernel,
    /// λ added to the kernel matrix's diagonal (0 interpolates exactly), in standardized
    /// target units.
    pub smoothing: f64,
}

/// The tree models' choices: each fold's model boosts up to `trees` oblivious trees (see
/// [`fivedreg_trees`]), and the number kept is the one whose pooled held-out error over the
/// folds is least.
///
/// | field | meaning | valid |
/// |---|---|---|
/// | `trees` | most trees per model | 1..=20,000 |
/// | `learning_rate` | factor on each tree's leaf values | (0, 1] |
/// | `depth` | levels per tree | 1..=8 |
/// | `l2` | L2 regularization of the leaf values | finite, ≥ 0 |
/// | `subsample` | share of the rows each tree is grown on | (0, 1] |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeOptions {
    /// Most trees per model.
    pub trees: usize,
    /// Factor on each tree's leaf values.
    pub learning_rate: f64,
    /// Levels per tree.
    pub depth: usize,
    /// L2 regularization of the leaf values.
    pub l2: f64,
    /// Share of the rows each tree is grown on.
    pub subsample: f64,
}

impl TreeOptions {
    /// The boosting parameters of the fold model with `seed` (checked).
    pub fn boost_params(&self, seed: u64) -> Result<fivedreg_trees::ValidBoostParams> {
        fivedreg_trees::BoostParams {
            trees: self.trees,
            learning_rate: self.learning_rate,
            depth: self.depth,
            l2: self.l2,
            subsample: self.subsample,
            max_borders: fivedreg_trees::MAX_BORDERS,
            seed,
        }
        .check()
        .map_err(Error::from)
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
        if self.ensemble == 0 || self.ensemble > MAX_ENSEMBLE {
            return Err(Error::InvalidOption {
                name: "ensemble",
                value: self.ensemble.to_string(),
                valid: "in 1..=64 (1 is a single network)",
            });
        }
        if let Some(k) = &self.kernel {
            if !(k.smoothing.is_finite() && k.smoothing >= 0.0) {
                return Err(Error::InvalidOption {
                    name: "smoothing",
                    value: k.smoothing.to_string(),
                    valid: "finite and >= 0",
                });
            }
            if self.ensemble < 2 {
                return Err(Error::InvalidOption {
                    name: "ensemble",
                    value: self.ensemble.to_string(),
                    valid: "at least 2 for kernel models (one per fold)",
                });
            }
        }
        if let Some(t) = &self.trees {
            t.boost_params(0)?;
            if self.kernel.is_some() {
                return Err(Error::InvalidOption {
                    name: "trees",
                    value: "trees and a kernel".into(),
                    valid: "one model kind: trees or a kernel, not both",
                });
            }
            if self.ensemble < 2 {
                return Err(Error::InvalidOption {
                    name: "ensemble",
                    value: self.ensemble.to_string(),
                    valid: "at least 2 for tree models (one per fold)",
                });
            }
        }
        // An ensemble's members watch the fold they hold out; L-BFGS watches nothing.
        let needs_validation_split = self.network.early_stopping
            && self.network.solver == Solver::Adam
            && self.ensemble == 1;
        if needs_validation_split && split.validation() <= 0.0 {
            return Err(Error::NoValidationRows(
                "the validation fraction of the split is 0".into(),
            ));
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
