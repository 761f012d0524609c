//! `fivedreg generate`: samples of a synthetic test function as CSV.

use crate::args::GenerateArgs;
use crate::failure::Failure;
use crate::output::{output_name, write_to};
use fivedreg_data::Generator;

/// `fivedreg generate`.
pub fn run(args: &GenerateArgs) -> Result<(), Failure> {
    let inputs = args.inputs.unwrap_or(args.function.default_inputs());
    // Every way making the generator can fail is an option value out of range.
    let generator = Generator::new(
        args.function,
        rows(args.samples),
        inputs,
        args.noise,
        args.seed,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    // Streamed: one row in memory at a time, whatever --samples is.
    write_to(&args.output, |out| {
        generator
            .write_csv(out)
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })
}

/// A row count that clap has already bounded by [`crate::args::MAX_SAMPLES`].
pub(super) fn rows(samples: u64) -> usize {
    usize::try_from(samples).unwrap_or(usize::MAX)
}
