//! `fivedreg optimize`: the best predicted value within the box.

use super::{bounds_words, model_and_bounds, point_words};
use crate::failure::{display_path, Failure};
use crate::output::{column_name, num, print};
use clap::{ArgGroup, Args};
use fivedreg_surrogate::optimize::{minimize_from, optimize, OptimizeParams};
use serde_json::json;
use std::path::PathBuf;

/// `optimize`'s options.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("goal").required(true).args(["minimize", "maximize"])),
    after_help = "Example: fivedreg optimize model.fdr --minimize --starts 20 --ranges x1=0:1\n\n\
    Multi-start L-BFGS-B (projected L-BFGS within the box) on the model's prediction, from \
    scrambled Sobol' starting points; gradients by central finite differences (step 1e-4 of \
    each range) for every model kind. Prints the best point, its predicted value and std (if \
    the model has one), and every distinct local optimum found."
)]
pub struct OptimizeArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Find the smallest prediction.
    #[arg(long)]
    pub minimize: bool,
    /// Find the largest prediction.
    #[arg(long)]
    pub maximize: bool,
    /// Ranges of some inputs, replacing their training ranges: x1=LOW:HIGH,...
    #[arg(long, value_name = "NAME=LOW:HIGH,..", allow_hyphen_values = true)]
    pub ranges: Option<String>,
    /// Starting points (1 to 10000).
    #[arg(
        long,
        value_name = "M",
        default_value_t = 10,
        allow_negative_numbers = true
    )]
    pub starts: usize,
    /// Seed of the starting points.
    #[arg(long, value_name = "S", default_value_t = fivedreg_surrogate::DEFAULT_SEED)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg optimize`.
pub fn run(args: &OptimizeArgs) -> Result<(), Failure> {
    let (model, bounds) = model_and_bounds(&args.model, args.ranges.as_deref())?;
    let params = OptimizeParams {
        minimize: minimize_from(args.minimize, args.maximize)?,
        starts: args.starts,
        seed: args.seed,
        ..OptimizeParams::default()
    }
    .check()?;
    let o = optimize(&model, &bounds, &params)?;
    if args.json {
        let object = json!({
            "model": display_path(&args.model),
            "goal": o.goal,
            "inputs": o.inputs,
            "ranges": bounds.ranges(),
            "starts": args.starts,
            "evaluations": o.evaluations,
            "best": o.optima.first(),
            "optima": o.optima,
        });
        return print(&format!("{object}\n"));
    }
    let target = column_name(model.target_name()).into_owned();
    let std_words = |s: Option<f64>| s.map_or(String::new(), |s| format!(", std {}", num(s)));
    let mut text = format!(
        "{}: {} of {target} over {}, {} starts, {} evaluations\n",
        display_path(&args.model),
        if args.maximize { "maximum" } else { "minimum" },
        bounds_words(args.ranges.as_deref()),
        args.starts,
        o.evaluations
    );
    if let Some(best) = o.optima.first() {
        text.push_str(&format!(
            "  best: {}\n  {target} = {}{}\n",
            point_words(&o.inputs, &best.point),
            num(best.value),
            std_words(best.std)
        ));
    }
    if o.optima.len() > 1 {
        text.push_str("  local optima found, best first:\n");
        for (i, m) in o.optima.iter().enumerate() {
            text.push_str(&format!(
                "  {:>3}. {}: {target} = {}{} ({} start{})\n",
                i + 1,
                point_words(&o.inputs, &m.point),
                num(m.value),
                std_words(m.std),
                m.starts,
                if m.starts == 1 { "" } else { "s" }
            ));
        }
    }
    print(&text)
}
