//! The network's thread count (`MlpParams::threads`, 0 = every core).

use fivedreg_nn::MlpParams;

/// Whether `MlpParams` has a thread-count setting.
pub const SUPPORTED: bool = true;

/// Sets the training threads on `params` when given; `None` keeps the default (every core).
pub fn apply(params: MlpParams, threads: Option<usize>) -> MlpParams {
    match threads {
        Some(threads) => MlpParams { threads, ..params },
        None => params,
    }
}
