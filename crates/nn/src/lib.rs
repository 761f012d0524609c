//! The network of fivedreg: [`Mlp`] (ReLU hidden layers, identity output, Glorot init),
//! Adam, and the training loop with early stopping, as scikit-learn's `MLPRegressor` trains.
//!
//! What matches scikit-learn 1.5.1 (held to it by parity tests against fixtures made by
//! `scripts/gen_nn_parity.py`): Glorot-uniform initialisation of weights and biases, the
//! squared-error loss with its L2 term scaled by the batch size, Adam with epsilon added to
//! the uncorrected root, minibatches of `min(200, n)` in a fresh order every epoch, and the
//! counting rule of early stopping.
//!
//! What differs on purpose:
//! - The network computes in f32 (scikit-learn: f64); metrics are summed in f64.
//! - Early stopping watches validation samples the caller supplies, not a random 10% carved
//!   out of the training data.
//! - Random numbers come from ChaCha8 (portable), so the same seed gives the same network on
//!   every platform, and the minibatch is split into a fixed number of shards whose gradients
//!   are summed in a fixed order: results are bit-identical whatever the number of threads,
//!   and the same on AVX2 and AVX-512 machines (CPUs without AVX2 and FMA use plain
//!   multiply-adds and may differ in the last bits).
//! - Adam flushes subnormal moments and gradients below 2⁻⁶³ to zero (they move no weight,
//!   and on x86 they cost a microcode assist each).
//! - A diverging run stops with [`NnError::Diverged`] instead of returning NaN weights.
//! - An ensemble's Adam members can train in step and stop together on their pooled held-out
//!   R² ([`train_together`]): scikit-learn has no counterpart.

#![warn(missing_docs)]

mod lbfgs;
mod mlp;
mod objective;
mod params;
mod pool;
mod stopping;
mod together;
mod train;

pub use lbfgs::{minimize, LbfgsLimits, Minimum};
pub use mlp::{Gradient, Mlp, PredictWorkspace};
pub use params::{resolve_threads, StopFlag};
pub use params::{
    Activation, MlpParams, MlpValidParams, Solver, MAX_ALPHA, MAX_EPOCHS, MAX_FUN,
    MAX_HIDDEN_LAYERS, MAX_PARAMETERS, MAX_THREADS, MAX_WIDTH,
};
pub use stopping::{EarlyStopping, Observation};
pub use together::{train_together, Member};
pub use train::{train, train_from};

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
    #[error(
        "training diverged at epoch {epoch}: the loss became {loss:.3e}; \
         try a lower learning rate, or standardize the features and the target"
    )]
    Diverged {
        /// 1-based epoch at which it happened.
        epoch: usize,
        /// The last loss seen.
        loss: f64,
    },
    /// Data shapes do not agree with each other or with the network.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The data cannot be trained on or predicted from (empty, non-finite, or no validation
    /// samples for early stopping).
    #[error("unusable data: {0}")]
    InvalidData(String),
    /// Training was asked to stop ([`StopFlag`]).
    #[error("training was stopped before it finished")]
    Stopped,
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, NnError>;

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

impl Samples<'_> {
    /// Number of rows (one per target).
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    /// Checks that `x` holds `n_rows × n_features` values and that every value is finite.
    pub fn check(&self, what: &str) -> Result<()> {
        if self.n_features == 0 {
            return Err(NnError::Shape(format!("{what}: zero features per row")));
        }
        if self.x.len() != self.y.len() * self.n_features {
            return Err(NnError::Shape(format!(
                "{what}: {} feature values for {} rows of {} features",
                self.x.len(),
                self.y.len(),
                self.n_features
            )));
        }
        if let Some(i) = self.x.iter().position(|v| !v.is_finite()) {
            return Err(NnError::InvalidData(format!(
                "{what}: feature {} of row {} is {}",
                i % self.n_features + 1,
                i / self.n_features + 1,
                self.x[i]
            )));
        }
        if let Some(i) = self.y.iter().position(|v| !v.is_finite()) {
            return Err(NnError::InvalidData(format!(
                "{what}: target of row {} is {}",
                i + 1,
                self.y[i]
            )));
        }
        Ok(())
    }
}

/// Why training ended.
///
/// Serialized (JSON) under the same snake_case names as [`StopReason::name`]; the model
/// file stores the variant's index, so the names can be read by people without changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `patience + 1` epochs in a row without improvement beyond `tol`.
    NoImprovement,
    /// `max_epochs` were run (epochs of Adam, iterations of L-BFGS).
    MaxEpochs,
    /// L-BFGS converged: an iteration improved the loss by a relative 2.2e-9 or less, the
    /// largest gradient component fell to `tol`, or no step lowered the loss further.
    Converged,
    /// L-BFGS made `max_fun` loss evaluations.
    MaxEvaluations,
}

impl StopReason {
    /// The reason's one name everywhere it is shown as data: `no_improvement`,
    /// `max_epochs`, `converged`, `max_evaluations`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::NoImprovement => "no_improvement",
            StopReason::MaxEpochs => "max_epochs",
            StopReason::Converged => "converged",
            StopReason::MaxEvaluations => "max_evaluations",
        }
    }
}

/// What one epoch did, passed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// Which network of an ensemble (0-based; always 0 when one network is trained).
    pub member: usize,
    /// 1-based epoch.
    pub epoch: usize,
    /// Sample-weighted mean training loss (scikit-learn's, including the L2 term).
    pub train_loss: f64,
    /// R² on the validation samples, when there are any.
    pub validation_r2: Option<f64>,
}

/// Seconds spent in each phase of training, summed over all epochs.
///
/// With several threads, forward and backward are the time the calling thread spent on its
/// own shards (the others work at the same time), so they stay comparable to one thread's.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PhaseSeconds {
    /// Forward passes over minibatches (including gathering the minibatch rows).
    pub forward: f64,
    /// Backward passes (gradients), including waiting for the other threads' shards.
    pub backward: f64,
    /// Summing the shards' gradients, the L2 term and the Adam updates.
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

impl TrainingHistory {
    /// A history before its first epoch, with room for `max_epochs` entries.
    pub(crate) fn empty(max_epochs: usize, with_validation: bool) -> TrainingHistory {
        // Room reserved up front, capped so that a huge epoch limit does not reserve memory
        // a short run never uses.
        let room = max_epochs.min(4096);
        TrainingHistory {
            epochs: 0,
            train_loss: Vec::with_capacity(room),
            validation_r2: Vec::with_capacity(if with_validation { room } else { 0 }),
            best_epoch: 0,
            best_validation_r2: None,
            stop_reason: StopReason::MaxEpochs,
            seconds: 0.0,
            phase_seconds: PhaseSeconds::default(),
        }
    }
}

/// A trained network and its history.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The kept weights (the best epoch's under early stopping).
    pub mlp: Mlp,
    /// What happened.
    pub history: TrainingHistory,
}
