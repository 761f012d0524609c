//! The network of fivedreg: [`Mlp`] (ReLU hidden layers, identity output, Glorot init),
//! Adam, and the training loop with early stopping, as scikit-learn's `MLPRegressor` trains.
//!
//! API CONTRACT (stub: bodies are filled by issue #3; signatures are relied on by the
//! `fivedreg` crate and xtask, so change them only together with their callers).

use serde::{Deserialize, Serialize};

/// Why a network could not be built or trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NnError {
    /// A hyperparameter is out of its valid range.
    #[error("invalid {name} = {value}: must be {valid}")]
    InvalidParam {
        /// The parameter's name, as the user spells it (e.g. `learning_rate`).
        name: &'static str,
        /// The offending value, printed.
        value: String,
        /// The valid range, in words (e.g. `in (0, 1]`).
        valid: &'static str,
    },
    /// Training produced a non-finite loss or weight.
    #[error("training diverged at epoch {epoch}: the loss became {loss}")]
    Diverged {
        /// 1-based epoch at which it happened.
        epoch: usize,
        /// The last loss seen.
        loss: f64,
    },
    /// Data shapes do not agree with each other or with the network.
    #[error("shape mismatch: {0}")]
    Shape(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, NnError>;

/// Unchecked training hyperparameters; [`MlpParams::check`] turns them into [`MlpValidParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    /// Widths of the hidden layers.
    pub hidden_layers: Vec<usize>,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Upper bound on epochs.
    pub max_epochs: usize,
    /// Minibatch size; `None` means min(200, n).
    pub batch_size: Option<usize>,
    /// L2 penalty.
    pub alpha: f64,
    /// Stop on the validation R² (true) or on the training loss (false).
    pub early_stopping: bool,
    /// Epochs without improvement tolerated (scikit-learn's `n_iter_no_change`).
    pub patience: usize,
    /// Minimum improvement that counts.
    pub tol: f64,
    /// Adam's first-moment decay.
    pub beta1: f64,
    /// Adam's second-moment decay.
    pub beta2: f64,
    /// Adam's epsilon.
    pub epsilon: f64,
    /// Reshuffle the training rows every epoch.
    pub shuffle: bool,
    /// Seed of the initial weights and the minibatch order.
    pub seed: u64,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden_layers: vec![64, 32, 16],
            learning_rate: 1e-3,
            max_epochs: 500,
            batch_size: None,
            alpha: 1e-4,
            early_stopping: true,
            patience: 10,
            tol: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            shuffle: true,
            seed: 42,
        }
    }
}

impl MlpParams {
    /// Validates every field, naming the first that is out of range.
    pub fn check(self) -> Result<MlpValidParams> {
        todo!()
    }
}

/// Checked hyperparameters: the only way to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpValidParams(MlpParams);

impl MlpValidParams {
    /// The checked values.
    pub fn params(&self) -> &MlpParams {
        &self.0
    }
}

/// A multilayer perceptron: ReLU hidden layers and one identity output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// Layer widths from input to output, e.g. `[5, 64, 32, 16, 1]`.
    sizes: Vec<usize>,
    /// Per layer, row-major `fan_in x fan_out`.
    weights: Vec<Vec<f32>>,
    /// Per layer, `fan_out`.
    biases: Vec<Vec<f32>>,
}

impl Mlp {
    /// Glorot-uniform initial network (scikit-learn's), from `seed`.
    pub fn glorot(sizes: &[usize], seed: u64) -> Result<Mlp> {
        let _ = (sizes, seed);
        todo!()
    }
    /// Rebuilds a network from its parts, checking every shape.
    pub fn from_parts(sizes: Vec<usize>, weights: Vec<Vec<f32>>, biases: Vec<Vec<f32>>) -> Result<Mlp> {
        let _ = (sizes, weights, biases);
        todo!()
    }
    /// Layer widths from input to output.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.sizes[0]
    }
    /// Weights of layer `l`, row-major `fan_in x fan_out`.
    pub fn weights(&self, l: usize) -> &[f32] {
        &self.weights[l]
    }
    /// Biases of layer `l`.
    pub fn biases(&self, l: usize) -> &[f32] {
        &self.biases[l]
    }
    /// Number of trainable parameters.
    pub fn n_parameters(&self) -> usize {
        self.weights.iter().chain(&self.biases).map(Vec::len).sum()
    }
    /// Predicts one output per row of row-major `x` (`n_rows x n_inputs`).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let _ = x;
        todo!()
    }
}

/// Borrowed training data: row-major features and one target per row, already scaled.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a> {
    /// Row-major features, `n_rows * n_features`.
    pub x: &'a [f32],
    /// Targets, `n_rows`.
    pub y: &'a [f32],
    /// Features per row.
    pub n_features: usize,
}

/// Why training ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// `patience + 1` epochs in a row without improvement beyond `tol`.
    NoImprovement,
    /// `max_epochs` were run.
    MaxEpochs,
}

/// What one epoch did, passed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// Sample-weighted mean training loss (scikit-learn's, including the L2 term).
    pub train_loss: f64,
    /// R² on the validation samples, when there are any.
    pub validation_r2: Option<f64>,
}

/// Seconds spent in each phase of training, summed over all epochs.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PhaseSeconds {
    /// Forward passes over minibatches.
    pub forward: f64,
    /// Backward passes (gradients).
    pub backward: f64,
    /// Adam updates.
    pub update: f64,
    /// Validation passes.
    pub validation: f64,
}

/// The record of one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    /// Epochs run.
    pub epochs: usize,
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch (empty without validation samples).
    pub validation_r2: Vec<f64>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Best validation R², when early stopping watched one.
    pub best_validation_r2: Option<f64>,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Time per phase.
    pub phase_seconds: PhaseSeconds,
}

/// A trained network and its history.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The kept weights (the best epoch's under early stopping).
    pub mlp: Mlp,
    /// What happened.
    pub history: TrainingHistory,
}

/// Trains a new network on `train`; early stopping watches `validation`, which it requires.
/// `on_epoch` is called after every epoch (for progress display).
pub fn train(
    params: &MlpValidParams,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let _ = (params, train, validation, on_epoch);
    todo!()
}
