//! `fivedreg sensitivity`: Sobol' indices of each input.

use super::{bounds_words, model_and_bounds};
use crate::failure::{display_path, Failure};
use crate::output::{column_name, num, print};
use clap::Args;
use fivedreg_surrogate::sensitivity::{sobol_indices, SobolParams};
use serde_json::json;
use std::path::PathBuf;

/// `sensitivity`'s options.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: fivedreg sensitivity model.fdr --n 8192 --ranges x1=0:1 --json\n\n\
    Each input is uniform over its training range unless --ranges sets it. The indices are \
    SALib's `sobol.analyze` (calc_second_order=False) on SALib's Saltelli layout of a \
    scrambled Sobol' sample; docs/surrogate.md."
)]
pub struct SensitivityArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Base sample size N, 2 to 4194304 (the model is evaluated N·(inputs + 2) times; a
    /// power of 2 keeps the Sobol' points balanced).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4096,
        allow_negative_numbers = true
    )]
    pub n: usize,
    /// Ranges of some inputs, replacing their training ranges: x1=LOW:HIGH,x2=LOW:HIGH.
    #[arg(long, value_name = "NAME=LOW:HIGH,..", allow_hyphen_values = true)]
    pub ranges: Option<String>,
    /// Seed of the sample's scrambling and of the bootstrap (0 to 2^64-1).
    #[arg(long, value_name = "S", default_value_t = fivedreg_surrogate::DEFAULT_SEED)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg sensitivity`.
pub fn run(args: &SensitivityArgs) -> Result<(), Failure> {
    let (model, bounds) = model_and_bounds(&args.model, args.ranges.as_deref())?;
    let params = SobolParams {
        n: args.n,
        seed: args.seed,
        ..SobolParams::default()
    }
    .check(bounds.dim())?;
    let s = sobol_indices(&model, &bounds, &params)?;
    if args.json {
        let object = json!({
            "model": display_path(&args.model),
            "n": s.n,
            "evaluations": s.evaluations,
            "seed": args.seed,
            "ranges": bounds.ranges(),
            "confidence": 0.95,
            "indices": s.rows(),
        });
        return print(&format!("{object}\n"));
    }
    let mut text = format!(
        "{}: Sobol' indices, each input uniform over {} (N = {}, {} evaluations)\n",
        display_path(&args.model),
        bounds_words(args.ranges.as_deref()),
        s.n,
        s.evaluations
    );
    let names: Vec<String> = s
        .inputs
        .iter()
        .map(|n| column_name(n).into_owned())
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    text.push_str(&format!(
        "  {:width$}  {:>22}  {:>22}\n",
        "input", "first order S1 ± 95%", "total effect ST ± 95%"
    ));
    for (k, name) in names.iter().enumerate() {
        let cell = |v: f64, c: f64| format!("{} ± {}", num(v), num(c));
        text.push_str(&format!(
            "  {name:width$}  {:>22}  {:>22}\n",
            cell(s.s1[k], s.s1_conf[k]),
            cell(s.st[k], s.st_conf[k])
        ));
    }
    text.push_str(
        "  S1: the share of the output's variance due to the input alone; ST: with all its \
         interactions.\n",
    );
    print(&text)
}
