//! The seed task every measurement runs on, the network settings of a fit, and the words the
//! reports use for the default network (taken from `MlpParams::default()`, never typed in).

use anyhow::{Context, Result};
use fivedreg_data::{Dataset, Split, SplitFractions, TestFunction};
use fivedreg_nn::MlpParams;
use serde::{Deserialize, Serialize};

/// Inputs of the seed task.
pub const N_INPUTS: usize = 5;
/// Noise standard deviation of the seed task.
pub const NOISE: f64 = 0.1;

/// The seed task: `n` rows of X ~ N(0,1)^d, y = sum(x^2) + N(0, noise^2).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Task {
    /// Rows.
    pub n_samples: usize,
    /// Inputs.
    pub n_inputs: usize,
    /// Noise standard deviation.
    pub noise: f64,
    /// Seed of the data, the split and the network.
    pub seed: u64,
}

impl Task {
    /// The seed task with `n_samples` rows and this seed.
    pub fn seed_task(n_samples: usize, seed: u64) -> Task {
        Task {
            n_samples,
            n_inputs: N_INPUTS,
            noise: NOISE,
            seed,
        }
    }

    /// Generates the rows.
    pub fn dataset(&self) -> Result<Dataset> {
        fivedreg_data::generate(
            TestFunction::SumOfSquares,
            self.n_samples,
            self.n_inputs,
            self.noise,
            self.seed,
        )
        .with_context(|| format!("generating {} rows", self.n_samples))
    }

    /// The 60/20/20 split `Interpolator::fit` makes of the same rows with the same seed.
    pub fn split(&self, data: &Dataset) -> Result<Split> {
        fivedreg_data::split(data, SplitFractions::default(), self.seed)
            .with_context(|| format!("splitting {} rows", self.n_samples))
    }
}

/// Network settings of a fit job; everything else is `MlpParams::default()`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitSettings {
    /// Early stopping on the validation R².
    pub early_stopping: bool,
    /// Epoch limit.
    pub max_epochs: usize,
    /// Patience.
    pub patience: usize,
    /// Training threads; 0 is the default (every core).
    pub threads: usize,
    /// Also score the first this-many test rows (the rows the alternative regressors predict).
    pub head_test_rows: usize,
}

impl FitSettings {
    /// The default network's settings with this epoch limit: early stopping on, the default
    /// patience and thread count.
    pub fn default_fit(max_epochs: usize, head_test_rows: usize) -> FitSettings {
        let defaults = MlpParams::default();
        FitSettings {
            early_stopping: defaults.early_stopping,
            max_epochs,
            patience: defaults.patience,
            threads: defaults.threads,
            head_test_rows,
        }
    }

    /// Exactly `epochs` epochs with early stopping off, on `threads` threads.
    pub fn fixed_epochs(epochs: usize, threads: usize) -> FitSettings {
        FitSettings {
            early_stopping: false,
            max_epochs: epochs,
            // Above the epoch count: the training-loss rule can never stop it early.
            patience: epochs + 1,
            threads,
            head_test_rows: usize::MAX,
        }
    }

    /// The network parameters of this fit, seeded with `seed`.
    pub fn network(&self, seed: u64) -> MlpParams {
        MlpParams {
            early_stopping: self.early_stopping,
            max_epochs: self.max_epochs,
            patience: self.patience,
            threads: self.threads,
            seed,
            ..MlpParams::default()
        }
    }
}

/// The layer widths of the default network on the seed task, inputs to output.
pub fn default_layer_sizes() -> Vec<usize> {
    std::iter::once(N_INPUTS)
        .chain(MlpParams::default().hidden_layers)
        .chain([1])
        .collect()
}

/// The default network in words (hidden layers, solver, step size, L2 penalty, batch).
pub fn network_description() -> String {
    let p = MlpParams::default();
    let hidden: Vec<String> = p.hidden_layers.iter().map(usize::to_string).collect();
    let batch = p
        .batch_size
        .map_or_else(|| "min(200, n)".to_string(), |b| b.to_string());
    let activation = match p.activation {
        fivedreg_nn::Activation::Relu => "ReLU",
        fivedreg_nn::Activation::Tanh => "tanh",
    };
    format!(
        "hidden {}, {activation}, identity output, {} lr {}, L2 alpha {}, batch {batch}",
        hidden.join(", "),
        match p.solver {
            fivedreg_nn::Solver::Adam => "Adam",
            fivedreg_nn::Solver::Lbfgs => "L-BFGS",
        },
        p.learning_rate,
        p.alpha,
    )
}

/// Thread count in words: 0 is the default (every core, `cpus` here).
pub fn threads_description(threads: usize, cpus: usize) -> String {
    match threads {
        0 => format!("default ({cpus})"),
        1 => "1".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_follows_the_defaults() {
        let p = MlpParams::default();
        let text = network_description();
        for width in &p.hidden_layers {
            assert!(text.contains(&width.to_string()), "{text}");
        }
        assert!(text.contains(&format!("lr {}", p.learning_rate)), "{text}");
        assert!(text.contains(&format!("alpha {}", p.alpha)), "{text}");
        assert_eq!(default_layer_sizes().len(), p.hidden_layers.len() + 2);
    }
}
