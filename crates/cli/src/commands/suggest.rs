//! `fivedreg suggest`: the next runs, where the model is least sure.

use super::model_and_bounds;
use crate::failure::{display_path, Failure};
use crate::output::{column_name, output_name, print, write_to};
use clap::Args;
use fivedreg_surrogate::suggest::{suggest, SuggestParams};
use serde_json::json;
use std::path::PathBuf;

/// `suggest`'s options.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: fivedreg suggest model.fdr --n 5 --ranges x1=0:1,x2=0:1 -o next.csv\n\n\
    Needs a model with a std (trained with --ensemble K or --auto). Picks the candidate of \
    largest std, then the largest std shrunk near the points already picked, so the K runs \
    spread out. The box is the training domain unless --ranges widens it; a model's std \
    grows away from its data, so widening it points to the unexplored regions."
)]
pub struct SuggestArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// How many runs to suggest (1 to 10000).
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub n: usize,
    /// Ranges of some inputs, replacing their training ranges: x1=LOW:HIGH,...
    #[arg(long, value_name = "NAME=LOW:HIGH,..", allow_hyphen_values = true)]
    pub ranges: Option<String>,
    /// Candidate points scored (1 to 1000000, at least K).
    #[arg(
        long,
        value_name = "M",
        default_value_t = 4096,
        allow_negative_numbers = true
    )]
    pub candidates: usize,
    /// Seed of the candidates.
    #[arg(long, value_name = "S", default_value_t = fivedreg_surrogate::DEFAULT_SEED)]
    pub seed: u64,
    /// Output CSV file (the inputs, the prediction and its std per run); `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// Print one JSON object instead of CSV.
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg suggest`.
pub fn run(args: &SuggestArgs) -> Result<(), Failure> {
    let (model, bounds) = model_and_bounds(&args.model, args.ranges.as_deref())?;
    let params = SuggestParams {
        n: args.n,
        candidates: args.candidates,
        seed: args.seed,
    }
    .check()?;
    let s = suggest(&model, &bounds, &params)
        .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
    if s.constant_std {
        eprintln!(
            "note: the model's std is the same everywhere (a kernel model's single width), so \
             the runs are only spread over the box; an ensemble of networks (--ensemble K) \
             has a std that grows away from the data"
        );
    }
    let target = model.target_name();
    let text = if args.json {
        let object = json!({
            "model": display_path(&args.model), "inputs": s.inputs,
            "ranges": bounds.ranges(), "suggestions": s.rows(),
            "constant_std": s.constant_std,
        });
        format!("{object}\n")
    } else {
        let mut header: Vec<String> = s
            .inputs
            .iter()
            .map(|n| column_name(n).into_owned())
            .collect();
        header.push(column_name(target).into_owned());
        header.push(column_name(&format!("{target}_std")).into_owned());
        let mut text = header.join(",") + "\n";
        for i in 0..s.points.len() {
            let mut cells: Vec<String> = s.points[i].iter().map(|v| v.to_string()).collect();
            cells.push(s.mean[i].to_string());
            cells.push(s.std[i].to_string());
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    };
    if args.output.as_os_str() == "-" {
        return print(&text);
    }
    write_to(&args.output, |out| {
        out.write_all(text.as_bytes())
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })
}
