//! The network's thread count, where `fivedreg-nn` exposes one.

use fivedreg_nn::MlpParams;

/// Whether `MlpParams` has a thread-count setting.
pub const SUPPORTED: bool = false;

/// Sets the training threads on `params` when supported; otherwise returns them unchanged.
pub fn apply(params: MlpParams, threads: Option<usize>) -> MlpParams {
    let _ = threads;
    params
}
