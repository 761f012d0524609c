//! Hyperparameters and their one-time validation.

use crate::{NnError, Result};
use serde::{Deserialize, Serialize};

/// Widest hidden layer accepted.
pub const MAX_WIDTH: usize = 65_536;
/// Most hidden layers accepted.
pub const MAX_HIDDEN_LAYERS: usize = 64;
/// Most epochs accepted.
pub const MAX_EPOCHS: usize = 1_000_000;
/// Most trainable parameters accepted (1 GiB of f32), checked when the input width is known.
pub const MAX_PARAMETERS: usize = 1 << 28;
/// Largest L2 penalty accepted: the penalty's gradient is computed in `f32`, and Adam
/// squares it, so a larger alpha would overflow the optimiser rather than shrink the
/// weights (far below it, the weights are already pinned at zero).
pub const MAX_ALPHA: f64 = 1e9;
/// Most threads accepted.
pub const MAX_THREADS: usize = 1024;
/// Most loss evaluations L-BFGS may make.
pub const MAX_FUN: usize = 100_000_000;

/// The hidden layers' activation function.
///
/// Named in JSON as on the command line (`relu`); the model file stores the variant's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x): the seed system's, scikit-learn's default.
    #[default]
    Relu,
    /// tanh(x): smooth, so a network of it is a smooth function of its inputs; often the
    /// more accurate choice for smooth targets on small data (scikit-learn's `tanh`).
    Tanh,
}

impl Activation {
    /// The name users spell: `relu` or `tanh`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Activation> {
        match s {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            other => invalid("activation", other, "relu or tanh"),
        }
    }
}

/// The optimiser that trains the network.
///
/// Named in JSON as on the command line (`adam`); the model file stores the variant's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Adam over shuffled minibatches, with early stopping on the validation R² (the seed
    /// system's solver, scikit-learn's `adam`).
    #[default]
    Adam,
    /// Full-batch L-BFGS on the same loss (scikit-learn's `lbfgs`): no minibatches, no
    /// validation samples, stops after `max_epochs` iterations, `max_fun` loss evaluations,
    /// or when an iteration improves the loss by a relative 2.2e-9 or less, or the largest
    /// gradient component falls to `tol` or below.
    Lbfgs,
}

impl Solver {
    /// The name users spell: `adam` or `lbfgs`.
    pub fn name(self) -> &'static str {
        match self {
            Solver::Adam => "adam",
            Solver::Lbfgs => "lbfgs",
        }
    }
}

impl std::str::FromStr for Solver {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Solver> {
        match s {
            "adam" => Ok(Solver::Adam),
            "lbfgs" => Ok(Solver::Lbfgs),
            other => invalid("solver", other, "adam or lbfgs"),
        }
    }
}

/// A request to stop training, shared by every clone: set it from another thread (a
/// cancelled job, Ctrl-C) and training returns [`NnError::Stopped`] at its next minibatch,
/// L-BFGS iteration or, in the layers above, candidate. It is never part of a model: all
/// flags compare equal, and none is serialized.
#[derive(Clone, Default)]
pub struct StopFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
    /// A flag not yet set.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }
    /// Asks every holder of this flag (and of its clones) to stop.
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    /// Whether stopping was asked.
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// `Err(NnError::Stopped)` once stopping was asked.
    pub fn check(&self) -> Result<()> {
        if self.is_set() {
            Err(NnError::Stopped)
        } else {
            Ok(())
        }
    }
}

impl PartialEq for StopFlag {
    fn eq(&self, _: &StopFlag) -> bool {
        true
    }
}

impl std::fmt::Debug for StopFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StopFlag({})",
            if self.is_set() { "set" } else { "clear" }
        )
    }
}

/// Unchecked training hyperparameters; [`MlpParams::check`] turns them into [`MlpValidParams`].
///
/// Build with `..Default::default()` so that fields can be added.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `solver` | `Adam` | the optimiser ([`Solver`]) | `Adam` or `Lbfgs` |
/// | `activation` | `Relu` | the hidden layers' activation ([`Activation`]) | `Relu` or `Tanh` |
/// | `hidden_layers` | `[64, 32, 16]` | widths of the ReLU hidden layers | at most 64 layers, each 1..=65536 wide; empty means a linear model |
/// | `learning_rate` | `1e-3` | Adam's step size | (0, 1] |
/// | `max_epochs` | `500` | upper bound on epochs (Adam) or iterations (L-BFGS) | 1..=1,000,000 |
/// | `max_fun` | `15000` | upper bound on loss evaluations (L-BFGS only) | 1..=100,000,000 |
/// | `batch_size` | `None` = min(200, n) | minibatch rows (clipped to n) | ≥ 1 |
/// | `alpha` | `1e-4` | L2 penalty | [0, 1e9] |
/// | `early_stopping` | `true` | stop on validation R² (needs validation samples) instead of training loss; L-BFGS ignores it | |
/// | `patience` | `10` | epochs without improvement tolerated (`n_iter_no_change`) | any |
/// | `tol` | `1e-4` | least improvement that counts (Adam); largest gradient component at which L-BFGS stops | finite, ≥ 0 |
/// | `beta1` | `0.9` | Adam's first-moment decay | [0, 1) |
/// | `beta2` | `0.999` | Adam's second-moment decay | [0, 1) |
/// | `epsilon` | `1e-8` | Adam's epsilon | finite, > 0 |
/// | `shuffle` | `true` | new minibatch order every epoch | |
/// | `seed` | `42` | seeds the initial weights and the minibatch order | any |
/// | `threads` | `0` = all cores | training and validation threads; never changes results | 0..=1024 |
///
/// `threads` is not serialized: it cannot change a result, so it must not change a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    /// The optimiser.
    pub solver: Solver,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// Widths of the hidden layers.
    pub hidden_layers: Vec<usize>,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Upper bound on epochs (Adam) or iterations (L-BFGS).
    pub max_epochs: usize,
    /// Upper bound on loss evaluations (L-BFGS).
    pub max_fun: usize,
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
    /// Threads for training and validation; 0 means all available cores. Results do not
    /// depend on it.
    #[serde(skip)]
    pub threads: usize,
    /// Set from another thread to stop training early (with [`NnError::Stopped`]); not
    /// serialized, and never part of a result.
    #[serde(skip)]
    pub stop: StopFlag,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            solver: Solver::Adam,
            activation: Activation::Relu,
            hidden_layers: vec![64, 32, 16],
            learning_rate: 1e-3,
            max_epochs: 500,
            max_fun: 15_000,
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
            threads: 0,
            stop: StopFlag::default(),
        }
    }
}

fn invalid<T>(name: &'static str, value: impl std::fmt::Debug, valid: &'static str) -> Result<T> {
    Err(NnError::InvalidParam {
        name,
        value: format!("{value:?}"),
        valid,
    })
}

impl MlpParams {
    /// Validates every field, naming the first that is out of range.
    pub fn check(self) -> Result<MlpValidParams> {
        if self.hidden_layers.len() > MAX_HIDDEN_LAYERS {
            return invalid(
                "hidden_layers",
                self.hidden_layers.len(),
                "at most 64 hidden layers",
            );
        }
        if let Some(&w) = self
            .hidden_layers
            .iter()
            .find(|&&w| w == 0 || w > MAX_WIDTH)
        {
            return invalid("hidden_layers", w, "widths in 1..=65536");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return invalid("learning_rate", self.learning_rate, "in (0, 1]");
        }
        if self.max_epochs == 0 || self.max_epochs > MAX_EPOCHS {
            return invalid("max_epochs", self.max_epochs, "in 1..=1000000");
        }
        if self.max_fun == 0 || self.max_fun > MAX_FUN {
            return invalid("max_fun", self.max_fun, "in 1..=100000000");
        }
        if self.batch_size == Some(0) {
            return invalid("batch_size", 0, "at least 1");
        }
        if !(0.0..=MAX_ALPHA).contains(&self.alpha) {
            return invalid("alpha", self.alpha, "in [0, 1e9]");
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return invalid("tol", self.tol, "finite and >= 0");
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return invalid("beta1", self.beta1, "in [0, 1)");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return invalid("beta2", self.beta2, "in [0, 1)");
        }
        if !(self.epsilon > 0.0 && self.epsilon.is_finite()) {
            return invalid("epsilon", self.epsilon, "finite and > 0");
        }
        if self.threads > MAX_THREADS {
            return invalid("threads", self.threads, "in 0..=1024 (0 = all cores)");
        }
        Ok(MlpValidParams(self))
    }
}

/// Checked hyperparameters: the only way to train. Deserializing goes through
/// [`MlpParams::check`], so no file can build one that is out of range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MlpParams", into = "MlpParams")]
pub struct MlpValidParams(MlpParams);

impl TryFrom<MlpParams> for MlpValidParams {
    type Error = NnError;
    fn try_from(params: MlpParams) -> Result<MlpValidParams> {
        params.check()
    }
}

impl From<MlpValidParams> for MlpParams {
    fn from(valid: MlpValidParams) -> MlpParams {
        valid.0
    }
}

impl MlpValidParams {
    /// The checked values.
    pub fn params(&self) -> &MlpParams {
        &self.0
    }

    /// Threads to use: `threads`, or every available core when it is 0.
    pub fn resolved_threads(&self) -> usize {
        resolve_threads(self.0.threads)
    }

    /// Layer widths for `n_features` inputs: `[n_features, hidden..., 1]`, checking the
    /// total parameter count.
    pub fn layer_sizes(&self, n_features: usize) -> Result<Vec<usize>> {
        let mut sizes = Vec::with_capacity(self.0.hidden_layers.len() + 2);
        sizes.push(n_features);
        sizes.extend_from_slice(&self.0.hidden_layers);
        sizes.push(1);
        let mut total: usize = 0;
        for pair in sizes.windows(2) {
            total = total.saturating_add(pair[0].saturating_mul(pair[1]).saturating_add(pair[1]));
        }
        if total > MAX_PARAMETERS {
            return invalid(
                "hidden_layers",
                &self.0.hidden_layers,
                "small enough for at most 268435456 parameters",
            );
        }
        Ok(sizes)
    }
}

/// Threads to use for a setting of `threads`: itself, or every available core when it is 0.
pub fn resolve_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_name(p: MlpParams) -> &'static str {
        match p.check() {
            Err(NnError::InvalidParam { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        assert!(MlpParams::default().check().is_ok());
    }

    #[test]
    fn every_out_of_range_field_is_named() {
        let d = MlpParams::default;
        let cases: Vec<(MlpParams, &str)> = vec![
            (
                MlpParams {
                    hidden_layers: vec![64, 0],
                    ..d()
                },
                "hidden_layers",
            ),
            (
                MlpParams {
                    hidden_layers: vec![70_000],
                    ..d()
                },
                "hidden_layers",
            ),
            (
                MlpParams {
                    hidden_layers: vec![1; 65],
                    ..d()
                },
                "hidden_layers",
            ),
            (
                MlpParams {
                    learning_rate: 0.0,
                    ..d()
                },
                "learning_rate",
            ),
            (
                MlpParams {
                    learning_rate: 1.5,
                    ..d()
                },
                "learning_rate",
            ),
            (
                MlpParams {
                    learning_rate: f64::NAN,
                    ..d()
                },
                "learning_rate",
            ),
            (
                MlpParams {
                    max_epochs: 0,
                    ..d()
                },
                "max_epochs",
            ),
            (
                MlpParams {
                    max_epochs: 2_000_000,
                    ..d()
                },
                "max_epochs",
            ),
            (MlpParams { max_fun: 0, ..d() }, "max_fun"),
            (
                MlpParams {
                    batch_size: Some(0),
                    ..d()
                },
                "batch_size",
            ),
            (MlpParams { alpha: -1.0, ..d() }, "alpha"),
            (
                MlpParams {
                    alpha: MAX_ALPHA * 10.0,
                    ..d()
                },
                "alpha",
            ),
            (
                MlpParams {
                    alpha: f64::NAN,
                    ..d()
                },
                "alpha",
            ),
            (
                MlpParams {
                    tol: f64::NAN,
                    ..d()
                },
                "tol",
            ),
            (MlpParams { tol: -1e-3, ..d() }, "tol"),
            (MlpParams { beta1: 1.0, ..d() }, "beta1"),
            (MlpParams { beta2: -0.1, ..d() }, "beta2"),
            (
                MlpParams {
                    beta2: f64::NAN,
                    ..d()
                },
                "beta2",
            ),
            (
                MlpParams {
                    epsilon: 0.0,
                    ..d()
                },
                "epsilon",
            ),
            (
                MlpParams {
                    threads: 5000,
                    ..d()
                },
                "threads",
            ),
        ];
        for (p, name) in cases {
            assert_eq!(err_name(p), name);
        }
    }

    #[test]
    fn deserializing_goes_through_the_checks() {
        let good = serde_json::to_string(&MlpParams::default().check().unwrap()).unwrap();
        let back: MlpValidParams = serde_json::from_str(&good).unwrap();
        assert_eq!(back, MlpParams::default().check().unwrap());
        let bad = good.replace("\"learning_rate\":0.001", "\"learning_rate\":7.0");
        assert_ne!(bad, good);
        let err = serde_json::from_str::<MlpValidParams>(&bad).unwrap_err();
        assert!(err.to_string().contains("learning_rate"), "{err}");
    }

    #[test]
    fn solvers_parse_by_name() {
        assert_eq!("lbfgs".parse::<Solver>().unwrap(), Solver::Lbfgs);
        assert_eq!("adam".parse::<Solver>().unwrap(), Solver::Adam);
        assert!("sgd".parse::<Solver>().is_err());
        assert_eq!(Solver::Lbfgs.name(), "lbfgs");
    }

    #[test]
    fn messages_say_the_valid_range() {
        let e = MlpParams {
            learning_rate: 2.0,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid learning_rate = 2.0: must be in (0, 1]"
        );
    }

    #[test]
    fn an_empty_hidden_list_is_a_linear_model() {
        let p = MlpParams {
            hidden_layers: vec![],
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(p.layer_sizes(5).unwrap(), vec![5, 1]);
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let p = MlpParams {
            hidden_layers: vec![65_536; 64],
            ..Default::default()
        }
        .check()
        .unwrap();
        assert!(p.layer_sizes(5).is_err());
    }
}
