//! The surrogate toolkit: questions answered from a trained model alone, through the public
//! API of [`fivedreg`] (`predict`, `predict_with_std`, `domain`, `feature_names`).
//!
//! | question | module | method |
//! |---|---|---|
//! | which inputs matter? | [`sensitivity`] | Sobol' first-order and total-effect indices (Saltelli sampling, Saltelli 2010 / Jansen estimators, bootstrap intervals), as SALib's `sobol.analyze` |
//! | what does the response look like? | [`plot`] | slices (with ±1.96 std band and ICE curves) and 2-D maps, as SVG |
//! | where to run next, with no model yet? | [`design`] | Latin hypercubes (optimised for spread) and scrambled Sobol' points |
//! | where to run next, given a model? | [`suggest`] | greedy choice of the largest predicted std, penalised near points already chosen |
//! | where is the best value? | [`optimize`] | multi-start projected L-BFGS within the box, finite-difference gradients |
//!
//! Every routine works on a [`Surrogate`] (implemented by [`fivedreg::Interpolator`], and by
//! [`FnSurrogate`] for plain functions, which the tests use as references) over a box of
//! input [`Bounds`]. Randomness comes only from `fivedreg-rng` ([`fivedreg_rng::Stream::Design`]
//! and [`fivedreg_rng::Stream::Bootstrap`]): the same seed gives the same numbers.

mod bounds;
pub mod design;
mod error;
pub mod optimize;
pub mod plot;
pub mod sensitivity;
pub mod sobol;
pub mod suggest;
mod surrogate;

pub use bounds::{parse_assignments, Bounds, RangeSpec, Ranges};
pub use error::{Result, SurrogateError};
pub use surrogate::{FnSurrogate, Surrogate};

/// The seed every routine uses when none is given (the commands' `--seed`, the server's
/// `seed`).
pub const DEFAULT_SEED: u64 = 42;
