//! `fivedreg demo`: the whole job on the seed task, no files needed.

use super::generate::rows;
use super::report::training_table;
use super::train::fit_with_progress;
use crate::args::DemoArgs;
use crate::failure::Failure;
use crate::output::print;
use fivedreg::{FitOptions, MlpParams};
use fivedreg_data::TestFunction;

/// `fivedreg demo`.
pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    let noise = 0.1;
    print(&format!(
        "Seed task: y = x1² + x2² + x3² + x4² + x5² + noise (sd {noise}), x ~ N(0, 1); \
         {} samples, seed {}.\nTraining a 64-32-16 network with the defaults of `fivedreg train`...\n",
        args.samples, args.seed
    ))?;
    let function = TestFunction::SumOfSquares;
    let data = fivedreg_data::generate(function, rows(args.samples), 5, noise, args.seed)?;
    let options = FitOptions {
        network: MlpParams {
            seed: args.seed,
            ..Default::default()
        },
        ..Default::default()
    }
    .check()?;
    let fitted = fit_with_progress(&data, &options, true, &mut Vec::new())?;
    let model = &fitted.interpolator;
    let size = model.to_bytes()?.len() as u64;
    print(&training_table(
        model,
        fitted.history.seconds,
        "in memory",
        size,
    ))?;
    let fresh = fivedreg_data::generate(function, 5, 5, 0.0, args.seed.wrapping_add(1))?;
    let predicted = model.predict(fresh.features())?;
    let mut text = String::from("Fresh points (noise-free truth):\n");
    text.push_str(&format!(
        "  {:>8} {:>8} {:>8} {:>8} {:>8}  {:>10} {:>10} {:>9}\n",
        "x1", "x2", "x3", "x4", "x5", "true y", "predicted", "error"
    ));
    for (i, y) in predicted.iter().enumerate() {
        let x: Vec<String> = fresh.row(i).iter().map(|v| format!("{v:>8.4}")).collect();
        let truth = fresh.targets()[i];
        text.push_str(&format!(
            "  {}  {truth:>10.4} {y:>10.4} {:>+9.4}\n",
            x.join(" "),
            y - truth
        ));
    }
    print(&text)
}
